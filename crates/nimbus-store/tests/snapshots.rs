//! Snapshots: save, restore in one step, list, delete; and reset.

use nimbus_store::blob::INLINE_MAX;
use nimbus_store::{BlobRef, Namespace, Store, StoreError, TempDir};

fn ns() -> Namespace {
    Namespace::regional("s3", "000000000000", "us-east-1").expect("valid namespace")
}

async fn put_object(store: &Store, key: &'static str, body: &'static [u8]) -> Result<BlobRef, StoreError> {
    let staged = store.blobs().write_from(body).await?;
    store
        .write(move |txn| {
            let blob = txn.attach_blob(staged)?;
            txn.open(&ns())?.put_json(key.as_bytes(), &blob)?;
            Ok(blob)
        })
        .await
}

/// `tag` repeated to just over [`INLINE_MAX`]: a body that becomes a file.
fn file_sized(tag: &'static [u8]) -> &'static [u8] {
    tag.repeat(INLINE_MAX / tag.len() + 1).leak()
}

async fn get_object(store: &Store, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let Some(blob) = store
        .begin_read()?
        .open(&ns())?
        .get_json::<BlobRef>(key.as_bytes())?
    else {
        return Ok(None);
    };
    let mut reader = store.blobs().open(&blob).await?;
    let mut bytes = Vec::new();
    while let Some(chunk) = reader.next_chunk().await? {
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes))
}

fn blob_file_count(store: &Store) -> usize {
    let Ok(shards) = std::fs::read_dir(store.data_dir().join("blobs")) else {
        return 0;
    };
    shards
        .flatten()
        .map(|shard| {
            std::fs::read_dir(shard.path())
                .map(|files| files.count())
                .unwrap_or(0)
        })
        .sum()
}

/// "a" and "c" are inline blobs, "b" a file: snapshots carry both kinds.
async fn snapshot_round_trip(store: Store) -> Result<(), StoreError> {
    let first_b = file_sized(b"first b");
    let a = put_object(&store, "a", b"first a").await?;
    let b = put_object(&store, "b", first_b).await?;
    assert!(a.is_inline() && !b.is_inline());
    let info = store.save_snapshot("baseline")?;
    assert_eq!(info.name, "baseline");

    // Change everything: overwrite a (releasing its blob), delete b (and its blob), add c.
    put_object(&store, "a", b"second a").await?;
    let txn = store.begin_write()?;
    txn.release_blob(&a)?;
    txn.release_blob(&b)?;
    txn.open(&ns())?.delete(b"b")?;
    txn.commit()?;
    let c = put_object(&store, "c", b"third c").await?;
    assert_eq!(blob_file_count(&store), 0);

    store.restore_snapshot("baseline")?;
    assert_eq!(get_object(&store, "a").await?.as_deref(), Some(&b"first a"[..]));
    assert_eq!(get_object(&store, "b").await?.as_deref(), Some(first_b));
    assert_eq!(get_object(&store, "c").await?, None);
    assert!(
        store.blobs().open(&c).await.is_err(),
        "inline blobs of the replaced state are gone"
    );
    assert_eq!(
        blob_file_count(&store),
        1,
        "blob files of the replaced state are deleted"
    );

    store.reset()?;
    assert_eq!(get_object(&store, "a").await?, None);
    assert!(
        store.blobs().open(&a).await.is_err(),
        "reset removes inline blobs"
    );
    assert_eq!(store.begin_read()?.open(&ns())?.scan(b"")?.count(), 0);
    assert_eq!(blob_file_count(&store), 0);

    // Snapshots survive a reset and can be restored again.
    store.restore_snapshot("baseline")?;
    assert_eq!(get_object(&store, "a").await?.as_deref(), Some(&b"first a"[..]));
    assert_eq!(get_object(&store, "b").await?.as_deref(), Some(first_b));
    Ok(())
}

#[tokio::test]
async fn snapshot_restore_and_reset_on_disk() -> Result<(), StoreError> {
    let dir = TempDir::new("nimbus-store-test")?;
    snapshot_round_trip(Store::open(dir.path())?).await
}

#[tokio::test]
async fn snapshot_restore_and_reset_in_memory() -> Result<(), StoreError> {
    snapshot_round_trip(Store::ephemeral()?).await
}

#[tokio::test]
async fn snapshots_are_listed_replaced_and_deleted() -> Result<(), StoreError> {
    let store = Store::ephemeral()?;
    put_object(&store, "a", b"one").await?;
    store.save_snapshot("one")?;
    store.save_snapshot("two")?;
    put_object(&store, "a", b"replaced").await?;
    store.save_snapshot("one")?;
    let names: Vec<String> = store
        .list_snapshots()?
        .into_iter()
        .map(|info| info.name)
        .collect();
    assert_eq!(names, ["one", "two"]);

    store.restore_snapshot("one")?;
    assert_eq!(get_object(&store, "a").await?.as_deref(), Some(&b"replaced"[..]));

    store.delete_snapshot("two")?;
    assert!(matches!(
        store.delete_snapshot("two"),
        Err(StoreError::SnapshotNotFound(_))
    ));
    assert!(matches!(
        store.restore_snapshot("two"),
        Err(StoreError::SnapshotNotFound(_))
    ));
    assert!(matches!(
        store.save_snapshot("../escape"),
        Err(StoreError::InvalidName { .. })
    ));
    assert!(matches!(
        store.save_snapshot(".hidden"),
        Err(StoreError::InvalidName { .. })
    ));
    let names: Vec<String> = store
        .list_snapshots()?
        .into_iter()
        .map(|info| info.name)
        .collect();
    assert_eq!(names, ["one"]);
    Ok(())
}

#[tokio::test]
async fn snapshots_survive_a_restart() -> Result<(), StoreError> {
    let dir = TempDir::new("nimbus-store-test")?;
    {
        let store = Store::open(dir.path())?;
        put_object(&store, "a", b"saved").await?;
        store.save_snapshot("keep")?;
        store.reset()?;
    }
    let store = Store::open(dir.path())?;
    assert_eq!(get_object(&store, "a").await?, None);
    store.restore_snapshot("keep")?;
    assert_eq!(get_object(&store, "a").await?.as_deref(), Some(&b"saved"[..]));
    Ok(())
}
