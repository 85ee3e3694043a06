//! Blobs: streaming, the write-then-reference rule, the sweep at start, and
//! small blobs kept inside the store.

use std::path::Path;

use nimbus_store::blob::INLINE_MAX;
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

/// `tag` repeated to just over [`INLINE_MAX`]: a body that becomes a file.
fn file_sized(tag: &[u8]) -> Vec<u8> {
    tag.repeat(INLINE_MAX / tag.len() + 1)
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
    writer.write(&file_sized(b"half")).await?;
    assert_eq!(files_under(&tmp_dir).len(), 1, "spilled to a temporary");
    drop(writer);
    assert!(
        files_under(&tmp_dir).is_empty(),
        "a dropped writer removes its temporary"
    );

    let staged = store
        .blobs()
        .write_from(&file_sized(b"never attached")[..])
        .await?;
    assert_eq!(files_under(&blobs_dir).len(), 1);
    drop(staged);
    assert!(
        files_under(&blobs_dir).is_empty(),
        "a dropped staged blob removes its file"
    );

    let staged = store.blobs().write_from(&file_sized(b"aborted")[..]).await?;
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
    let body = file_sized(b"body");
    let blob = put_object(&store, "k", &body).await?;
    let path = store
        .blobs()
        .path_of(&blob)
        .ok_or_else(|| StoreError::Task("no file".into()))?;
    let reader = store.blobs().open(&blob).await?;

    let txn = store.begin_write()?;
    txn.release_blob(&blob)?;
    txn.open(&objects())?.delete(b"k")?;
    assert!(path.exists(), "still referenced until the commit");
    txn.commit()?;
    assert!(!path.exists());
    assert_eq!(read_all(reader).await?, body, "an open reader keeps its bytes");
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
        let kept = put_object(&store, "kept", &file_sized(b"referenced")).await?;
        // A crash after the rename, before the commit: the file exists, nothing references it.
        std::mem::forget(store.blobs().write_from(&file_sized(b"orphan")[..]).await?);
        // A crash while writing: a partial temporary.
        let mut writer = store.blobs().create().await?;
        writer.write(&file_sized(b"partial")).await?;
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
        Vec::from_iter(store.blobs().path_of(&kept))
    );
    assert!(files_under(&dir.path().join("tmp")).is_empty());
    assert_eq!(
        read_all(store.blobs().open(&kept).await?).await?,
        file_sized(b"referenced")
    );
    let stored: Option<BlobRef> = store.begin_read()?.open(&objects())?.get_json(b"kept")?;
    assert_eq!(stored, Some(kept));
    Ok(())
}

#[tokio::test]
async fn small_blobs_live_in_the_store_without_files() -> Result<(), StoreError> {
    let dir = TempDir::new("nimbus-store-test")?;
    let body: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let (blob, at_limit, over_limit) = {
        let store = Store::open(dir.path())?;
        let mut writer = store.blobs().create().await?;
        for chunk in body.chunks(300) {
            writer.write(chunk).await?;
        }
        let staged = writer.finish().await?;
        let blob = store
            .write(move |txn| {
                let blob = txn.attach_blob(staged)?;
                txn.open(&objects())?.put_json(b"small", &blob)?;
                Ok::<_, StoreError>(blob)
            })
            .await?;
        assert!(blob.is_inline());
        assert_eq!(store.blobs().path_of(&blob), None);
        let at_limit = put_object(&store, "at-limit", &vec![7; INLINE_MAX]).await?;
        let over_limit = put_object(&store, "over-limit", &vec![8; INLINE_MAX + 1]).await?;
        assert!(at_limit.is_inline());
        assert!(!over_limit.is_inline());
        assert_eq!(
            files_under(&dir.path().join("blobs")).len(),
            1,
            "only the large blob is a file"
        );
        assert!(files_under(&dir.path().join("tmp")).is_empty());
        (blob, at_limit, over_limit)
    };

    // Durable with their commit: readable after a restart, whole and by range.
    let store = Store::open(dir.path())?;
    assert_eq!(store.sweep_report().orphan_blobs, 0);
    assert_eq!(read_all(store.blobs().open(&blob).await?).await?, body);
    let range = store.blobs().open_range(&blob, 10..20).await?;
    assert_eq!(range.remaining(), 10);
    assert_eq!(read_all(range).await?, body[10..20]);
    let mut tail = Vec::new();
    store
        .blobs()
        .open_range(&blob, 995..u64::MAX)
        .await?
        .read_to_end(&mut tail)
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?;
    assert_eq!(tail, body[995..]);
    assert_eq!(
        read_all(store.blobs().open(&at_limit).await?).await?,
        vec![7; INLINE_MAX]
    );
    assert_eq!(
        read_all(store.blobs().open(&over_limit).await?).await?,
        vec![8; INLINE_MAX + 1]
    );

    // Released with its reference; a reader opened before keeps its bytes.
    let reader = store.blobs().open(&blob).await?;
    let txn = store.begin_write()?;
    txn.release_blob(&blob)?;
    txn.open(&objects())?.delete(b"small")?;
    txn.commit()?;
    assert_eq!(read_all(reader).await?, body);
    assert!(matches!(
        store.blobs().open(&blob).await,
        Err(StoreError::BlobMissing(_))
    ));

    // An aborted transaction keeps nothing of an inline blob.
    let staged = store.blobs().write_from(&b"aborted"[..]).await?;
    let txn = store.begin_write()?;
    let aborted = txn.attach_blob(staged)?;
    drop(txn);
    assert!(matches!(
        store.blobs().open(&aborted).await,
        Err(StoreError::BlobMissing(_))
    ));
    Ok(())
}
