//! Blob files: streaming, the write-then-reference rule, and the sweep at start.

use std::path::Path;

use nimbus_store::{BlobReader, BlobRef, Namespace, Store, StoreError, TempDir};
use tokio::io::AsyncReadExt;

fn objects() -> Namespace {
    Namespace::regional("s3", "000000000000", "us-east-1").expect("valid namespace")
}

/// Every file under `<dir>/<sub>/`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

async fn read_all(mut reader: BlobReader) -> Result<Vec<u8>, StoreError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = reader.next_chunk().await? {
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Writes `body` as a blob referenced by `key`, in one logical step.
async fn put_object(store: &Store, key: &str, body: &[u8]) -> Result<BlobRef, StoreError> {
    let staged = store.blobs().write_from(body).await?;
    let key = key.to_owned();
    store
        .write(move |txn| {
            let blob = txn.attach_blob(staged)?;
            txn.open(&objects())?.put_json(key.as_bytes(), &blob)?;
            Ok(blob)
        })
        .await
}

#[tokio::test]
async fn blobs_stream_in_and_out_with_ranges() -> Result<(), StoreError> {
    let store = Store::ephemeral()?;
    // Several chunks, not a multiple of the chunk size.
    let body: Vec<u8> = (0..(3 * nimbus_store::blob::CHUNK_SIZE + 123))
        .map(|i| (i % 251) as u8)
        .collect();
    let mut writer = store.blobs().create().await?;
    for chunk in body.chunks(10_000) {
        writer.write(chunk).await?;
    }
    let staged = writer.finish().await?;
    let blob = store.write(move |txn| txn.attach_blob(staged)).await?;
    assert_eq!(blob.len, body.len() as u64);

    assert_eq!(read_all(store.blobs().open(&blob).await?).await?, body);
    let range = store.blobs().open_range(&blob, 100_000..100_010).await?;
    assert_eq!(range.remaining(), 10);
    assert_eq!(read_all(range).await?, body[100_000..100_010]);
    let mut tail = Vec::new();
    let mut reader = store
        .blobs()
        .open_range(&blob, body.len() as u64 - 5..u64::MAX)
        .await?;
    reader
        .read_to_end(&mut tail)
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?;
    assert_eq!(tail, body[body.len() - 5..]);
    Ok(())
}

#[tokio::test]
async fn unfinished_or_unreferenced_blobs_leave_no_file() -> Result<(), StoreError> {
    let store = Store::ephemeral()?;
    let blobs_dir = store.data_dir().join("blobs");
    let tmp_dir = store.data_dir().join("tmp");

    let mut writer = store.blobs().create().await?;
    writer.write(b"half").await?;
    drop(writer);
    assert!(
        files_under(&tmp_dir).is_empty(),
        "a dropped writer removes its temporary"
    );

    let staged = store.blobs().write_from(&b"never attached"[..]).await?;
    assert_eq!(files_under(&blobs_dir).len(), 1);
    drop(staged);
    assert!(
        files_under(&blobs_dir).is_empty(),
        "a dropped staged blob removes its file"
    );

    let staged = store.blobs().write_from(&b"aborted"[..]).await?;
    let txn = store.begin_write()?;
    let blob = txn.attach_blob(staged)?;
    txn.open(&objects())?.put_json(b"k", &blob)?;
    drop(txn);
    assert!(
        files_under(&blobs_dir).is_empty(),
        "an aborted transaction removes its attached blobs"
    );
    Ok(())
}

#[tokio::test]
async fn released_blobs_are_deleted_only_after_commit() -> Result<(), StoreError> {
    let store = Store::ephemeral()?;
    let blob = put_object(&store, "k", b"body").await?;
    let path = store.blobs().path_of(&blob);
    let reader = store.blobs().open(&blob).await?;

    let txn = store.begin_write()?;
    txn.release_blob(&blob)?;
    txn.open(&objects())?.delete(b"k")?;
    assert!(path.exists(), "still referenced until the commit");
    txn.commit()?;
    assert!(!path.exists());
    assert_eq!(read_all(reader).await?, b"body", "an open reader keeps its bytes");
    assert!(matches!(
        store.blobs().open(&blob).await,
        Err(StoreError::BlobMissing(_))
    ));
    Ok(())
}

#[tokio::test]
async fn start_removes_temporaries_and_orphans_and_keeps_referenced_blobs() -> Result<(), StoreError> {
    let dir = TempDir::new("nimbus-store-test")?;
    let kept = {
        let store = Store::open(dir.path())?;
        let kept = put_object(&store, "kept", b"referenced").await?;
        // A crash after the rename, before the commit: the file exists, nothing references it.
        std::mem::forget(store.blobs().write_from(&b"orphan"[..]).await?);
        // A crash while writing: a partial temporary.
        let mut writer = store.blobs().create().await?;
        writer.write(b"partial").await?;
        std::mem::forget(writer);
        kept
    };
    assert_eq!(files_under(&dir.path().join("blobs")).len(), 2);
    assert_eq!(files_under(&dir.path().join("tmp")).len(), 1);

    let store = Store::open(dir.path())?;
    let report = store.sweep_report();
    assert_eq!((report.temporaries, report.orphan_blobs), (1, 1));
    assert_eq!(
        files_under(&dir.path().join("blobs")),
        [store.blobs().path_of(&kept)]
    );
    assert!(files_under(&dir.path().join("tmp")).is_empty());
    assert_eq!(read_all(store.blobs().open(&kept).await?).await?, b"referenced");
    let stored: Option<BlobRef> = store.begin_read()?.open(&objects())?.get_json(b"kept")?;
    assert_eq!(stored, Some(kept));
    Ok(())
}
