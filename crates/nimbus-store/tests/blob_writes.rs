//! Blob writes from owned buffers (`write_owned`): the bytes land in order
//! whatever the mix of chunk sizes, inline or spilled, and mixed with copied
//! writes.

use bytes::Bytes;
use nimbus_store::blob::INLINE_MAX;
use nimbus_store::{BlobReader, Store, StoreError};

async fn read_all(mut reader: BlobReader) -> Result<Vec<u8>, StoreError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = reader.next_chunk().await? {
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

fn pattern(len: usize, seed: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 7 + seed) % 251) as u8).collect()
}

#[tokio::test]
async fn owned_batches_spill_to_a_file_in_order() -> Result<(), StoreError> {
    let store = Store::ephemeral()?;
    let mut writer = store.blobs().create().await?;
    let mut expected = Vec::new();
    // Inline at first, then a batch that spills, then several large ones
    // (each write starts while the previous may still run), a copied write
    // between them, and an empty batch.
    let small = pattern(1000, 1);
    writer.write_owned(vec![Bytes::from(small.clone())]).await?;
    expected.extend_from_slice(&small);
    for (round, sizes) in [
        vec![INLINE_MAX, 17],
        vec![300_000, 8192, 1],
        vec![],
        vec![1 << 20],
    ]
    .into_iter()
    .enumerate()
    {
        let batch: Vec<Bytes> = sizes
            .iter()
            .map(|&len| Bytes::from(pattern(len, round + len)))
            .collect();
        for chunk in &batch {
            expected.extend_from_slice(chunk);
        }
        writer.write_owned(batch).await?;
        let copied = pattern(333, round);
        writer.write(&copied).await?;
        expected.extend_from_slice(&copied);
    }
    assert_eq!(writer.len(), expected.len() as u64);
    let staged = writer.finish().await?;
    assert!(!staged.blob().is_inline());
    let blob = store.write(move |txn| txn.attach_blob(staged)).await?;
    assert_eq!(read_all(store.blobs().open(&blob).await?).await?, expected);
    Ok(())
}

#[tokio::test]
async fn owned_batches_that_fit_stay_inline() -> Result<(), StoreError> {
    let store = Store::ephemeral()?;
    let mut writer = store.blobs().create().await?;
    let first = pattern(INLINE_MAX / 2, 3);
    let second = pattern(INLINE_MAX / 2, 4);
    writer
        .write_owned(vec![Bytes::from(first.clone()), Bytes::from(second.clone())])
        .await?;
    let staged = writer.finish().await?;
    assert!(staged.blob().is_inline());
    let blob = store.write(move |txn| txn.attach_blob(staged)).await?;
    assert_eq!(
        read_all(store.blobs().open(&blob).await?).await?,
        [first, second].concat()
    );
    Ok(())
}
