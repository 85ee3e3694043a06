//! Blob writes from owned buffers (`write_owned`): the bytes land in order
//! whatever the mix of chunk sizes, inline or spilled, and mixed with copied
//! writes; blobs appended to blobs (`append_blob`). Blob reads as read-ahead
//! batches (`into_batches`), whole or ranged.

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

/// Everything a batch stream yields, with the size of each batch.
async fn collect_batches(
    mut batches: nimbus_store::blob::BlobBatches,
) -> Result<(Vec<u8>, Vec<usize>), StoreError> {
    use std::future::poll_fn;
    use std::pin::Pin;

    use nimbus_core::stream::Stream;

    let mut bytes = Vec::new();
    let mut sizes = Vec::new();
    while let Some(batch) = poll_fn(|cx| Pin::new(&mut batches).poll_next(cx)).await {
        let batch = batch.map_err(|e| StoreError::Task(e.to_string()))?;
        sizes.push(batch.len());
        bytes.extend_from_slice(&batch);
    }
    Ok((bytes, sizes))
}

#[tokio::test]
async fn ranges_stream_out_in_read_ahead_batches() -> Result<(), StoreError> {
    let store = Store::ephemeral()?;
    let body = pattern(3 * 1024 * 1024 + 500, 9);
    let mut writer = store.blobs().create().await?;
    writer.write_owned(vec![Bytes::from(body.clone())]).await?;
    let staged = writer.finish().await?;
    let blob = store.write(move |txn| txn.attach_blob(staged)).await?;

    let whole = store.blobs().open(&blob).await?.into_batches(1 << 20, 2).await;
    let (bytes, sizes) = collect_batches(whole).await?;
    assert_eq!(bytes, body);
    assert_eq!(sizes, [1 << 20, 1 << 20, 1 << 20, 500]);

    // Many more batches than buffers the stream keeps: reusing them must
    // not mix up their bytes.
    let range = store.blobs().open_range(&blob, 1000..2_000_001).await?;
    let (bytes, sizes) = collect_batches(range.into_batches(100_000, 2).await).await?;
    assert_eq!(bytes, body[1000..2_000_001]);
    assert_eq!(sizes.len(), 20);

    let empty = store.blobs().open_range(&blob, 5..5).await?;
    assert_eq!(
        collect_batches(empty.into_batches(1 << 20, 2).await).await?.0,
        b""
    );
    Ok(())
}

#[tokio::test]
async fn an_inline_blob_streams_out_as_one_batch() -> Result<(), StoreError> {
    let store = Store::ephemeral()?;
    let body = pattern(5000, 2);
    let staged = store.blobs().write_from(&body[..]).await?;
    let blob = store.write(move |txn| txn.attach_blob(staged)).await?;
    let range = store.blobs().open_range(&blob, 10..4000).await?;
    let (bytes, sizes) = collect_batches(range.into_batches(1 << 20, 2).await).await?;
    assert_eq!(bytes, body[10..4000]);
    assert_eq!(sizes, [3990]);
    Ok(())
}

#[tokio::test]
async fn blobs_append_other_blobs_file_or_inline() -> Result<(), StoreError> {
    let store = Store::ephemeral()?;
    let mut parts = Vec::new();
    for (len, seed) in [(300_000, 1), (10, 2), (INLINE_MAX + 1, 3), (5, 4)] {
        let body = pattern(len, seed);
        let staged = store.blobs().write_from(&body[..]).await?;
        let blob = store.write(move |txn| txn.attach_blob(staged)).await?;
        parts.push((blob, body));
    }
    // Starts in memory (an inline part, then bytes of its own), then the
    // file parts make it spill; the last inline part follows a kernel copy.
    let mut writer = store.blobs().create().await?;
    let mut expected = Vec::new();
    writer.append_blob(store.blobs(), &parts[1].0).await?;
    expected.extend_from_slice(&parts[1].1);
    writer.write(b"between").await?;
    expected.extend_from_slice(b"between");
    for (blob, body) in [&parts[0], &parts[2], &parts[3]] {
        writer.append_blob(store.blobs(), blob).await?;
        expected.extend_from_slice(body);
    }
    assert_eq!(writer.len(), expected.len() as u64);
    let staged = writer.finish().await?;
    let joined = store.write(move |txn| txn.attach_blob(staged)).await?;
    assert_eq!(read_all(store.blobs().open(&joined).await?).await?, expected);

    // Small enough together: the joined blob stays inline.
    let mut writer = store.blobs().create().await?;
    writer.append_blob(store.blobs(), &parts[1].0).await?;
    writer.append_blob(store.blobs(), &parts[3].0).await?;
    let staged = writer.finish().await?;
    assert!(staged.blob().is_inline());
    Ok(())
}
