//! The durability promise at the store level: a write whose commit returned
//! survives SIGKILL. The crash writer (src/bin/crash_writer.rs) prints each
//! index after its write returned, from concurrent writers sharing group
//! commits; we kill it at a random moment, reopen the store, and look for
//! every printed index, with its blob (inline or a file).
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use nimbus_store::{BlobRef, Namespace, Store, TempDir};
use rand::Rng;
use serde::Deserialize;

/// The item the crash writer stores (its `Item`).
#[derive(Deserialize)]
struct Item {
    index: u64,
    blob: BlobRef,
}

/// The crash writer's blob of item `index` (its `blob_body`): every fourth
/// one a file, the others inline.
fn blob_body(index: u64) -> String {
    let repeat = if index.is_multiple_of(4) { 4000 } else { 8 };
    format!("blob body of item {index}\n").repeat(repeat)
}

/// How many kill-and-reopen rounds to run on the same data directory.
const ROUNDS: usize = 4;

#[test]
fn every_acknowledged_write_survives_sigkill() -> Result<(), Box<dyn std::error::Error>> {
    let dir = TempDir::new("nimbus-durability")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut rng = rand::rng();
    let mut acknowledged: Vec<u64> = Vec::new();
    let mut next_index = 0;
    for round in 0..ROUNDS {
        let kill_after = rng.random_range(1..400usize);
        let mut child = Command::new(env!("CARGO_BIN_EXE_nimbus-store-crash-writer"))
            .arg(dir.path())
            .arg(next_index.to_string())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut seen = 0;
        for line in BufReader::new(stdout).lines() {
            // Lines still arriving after the kill were printed, so acknowledged, before it.
            acknowledged.push(line?.trim().parse()?);
            seen += 1;
            if seen == kill_after {
                child.kill()?; // SIGKILL
            }
        }
        let status = child.wait()?;
        assert!(
            seen >= kill_after,
            "round {round}: the writer died early ({status}) after {seen} writes"
        );
        next_index = acknowledged.iter().max().map_or(0, |max| max + 1);

        let store = Store::open(dir.path())?;
        assert!(
            std::fs::read_dir(dir.path().join("tmp"))?.next().is_none(),
            "temporaries are swept"
        );
        let namespace = Namespace::regional("crashtest", "000000000000", "us-east-1")?;
        let read = store.begin_read()?;
        let table = read.open(&namespace)?;
        for &index in &acknowledged {
            let key = format!("item/{index:012}");
            let item: Item = table
                .get_json(key.as_bytes())?
                .ok_or_else(|| format!("round {round}: acknowledged write {index} is missing"))?;
            assert_eq!(item.index, index);
            let body = runtime.block_on(async {
                let mut reader = store.blobs().open(&item.blob).await?;
                let mut body = Vec::new();
                while let Some(chunk) = reader.next_chunk().await? {
                    body.extend_from_slice(&chunk);
                }
                Ok::<_, nimbus_store::StoreError>(body)
            })?;
            assert_eq!(body, blob_body(index).into_bytes());
            assert_eq!(item.blob.is_inline(), !index.is_multiple_of(4), "item {index}");
        }
        // Every reference the store holds has its bytes, acknowledged or not.
        for entry in table.scan(b"item/")? {
            let item: Item = entry?.decode()?;
            let readable = runtime.block_on(store.blobs().open(&item.blob)).is_ok();
            assert!(readable, "reference without bytes: {}", item.index);
            if let Some(path) = store.blobs().path_of(&item.blob) {
                assert!(path.exists(), "blob file missing: {}", item.index);
            }
        }
    }
    assert!(acknowledged.len() >= ROUNDS);
    Ok(())
}
