//! Writes items (each with a blob: every fourth one a file, the others kept
//! inside the store) from [`WRITERS`] concurrent tasks
//! through `Store::write`, so that they share group commits, and prints the
//! index of each one after its write returned: a printed index is an
//! acknowledged write. `tests/durability.rs` kills this process with SIGKILL
//! and checks that every printed index is in the store.
//!
//! Usage: nimbus-store-crash-writer <data-dir> <first-index>

use std::io::Write;
use std::sync::Arc;

use nimbus_store::{BlobRef, Namespace, Store};
use serde::{Deserialize, Serialize};

/// One acknowledged write, as stored.
#[derive(Serialize, Deserialize)]
struct Item {
    index: u64,
    blob: BlobRef,
}

/// Concurrent writers; writer `w` writes indexes `first + w`, `first + w + WRITERS`, ...
const WRITERS: u64 = 8;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(data_dir), Some(first)) = (args.next(), args.next()) else {
        return Err("usage: nimbus-store-crash-writer <data-dir> <first-index>".into());
    };
    let first: u64 = first.parse()?;
    let store = Store::open(&data_dir)?;
    let namespace = Arc::new(Namespace::regional("crashtest", "000000000000", "us-east-1")?);
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let (store, namespace) = (store.clone(), namespace.clone());
        writers.spawn(async move {
            for index in (first + writer..).step_by(WRITERS as usize) {
                let staged = store.blobs().write_from(blob_body(index).as_bytes()).await?;
                let namespace = namespace.clone();
                store
                    .write(move |txn| {
                        let blob = txn.attach_blob(staged)?;
                        txn.open(&namespace)?
                            .put_json(&item_key(index), &Item { index, blob })
                    })
                    .await?;
                let mut stdout = std::io::stdout().lock();
                writeln!(stdout, "{index}")?;
                stdout.flush()?;
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        });
    }
    while let Some(done) = writers.join_next().await {
        done?.map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn item_key(index: u64) -> Vec<u8> {
    format!("item/{index:012}").into_bytes()
}

/// The blob of item `index`: every fourth one larger than
/// `nimbus_store::blob::INLINE_MAX`, so a file; the others inline.
/// `tests/durability.rs` expects the same.
fn blob_body(index: u64) -> String {
    let repeat = if index.is_multiple_of(4) { 4000 } else { 8 };
    format!("blob body of item {index}\n").repeat(repeat)
}
