//! A blob file read ahead in large batches, for streaming it out.
//!
//! Each batch is read on a blocking thread straight into a buffer that the
//! stream recycles once the consumer drops the batch: no copy between the
//! file and the consumer (`tokio::fs::File` reads into its own buffer and
//! copies out of it), and no fresh memory to fault in for every batch.

use std::fs::File;
use std::io::{self, Read};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use nimbus_core::stream::Stream;
use tokio::sync::mpsc;

/// Buffers kept for reuse by one stream: as many as can be in flight (read
/// ahead, queued, being sent), so a long stream settles on a fixed set.
const POOL_MAX: usize = 6;

/// The batches of a blob (or a range of it), in order; an error ends them.
pub struct BlobBatches {
    receiver: mpsc::Receiver<io::Result<Bytes>>,
}

impl BlobBatches {
    /// Bytes already in memory (an inline blob), as a single batch.
    pub(super) fn ready(bytes: Bytes) -> Self {
        let (sender, receiver) = mpsc::channel(1);
        if !bytes.is_empty() {
            // The channel is new and holds one: this cannot fail.
            let _ = sender.try_send(Ok(bytes));
        }
        BlobBatches { receiver }
    }

    /// The next `len` bytes of `file` (from its current position), in
    /// batches of at most `batch` bytes, up to `ahead` of them read before
    /// they are asked for.
    pub(super) fn read_ahead(file: File, len: u64, batch: usize, ahead: usize) -> Self {
        let (sender, receiver) = mpsc::channel(ahead.max(1));
        tokio::spawn(read_batches(Arc::new(file), len, batch.max(1), sender));
        BlobBatches { receiver }
    }
}

impl BlobBatches {
    /// The next batch; `None` at the end.
    pub async fn next_batch(&mut self) -> Option<io::Result<Bytes>> {
        self.receiver.recv().await
    }
}

impl Stream for BlobBatches {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.receiver.poll_recv(cx)
    }
}

async fn read_batches(
    file: Arc<File>,
    mut remaining: u64,
    batch: usize,
    sender: mpsc::Sender<io::Result<Bytes>>,
) {
    let pool = Pool::default();
    while remaining > 0 {
        let want = usize::try_from(remaining).unwrap_or(batch).min(batch);
        let buffer = pool.buffer(batch);
        let file = Arc::clone(&file);
        let read = tokio::task::spawn_blocking(move || fill(&file, buffer, want))
            .await
            .unwrap_or_else(|e| Err(io::Error::other(format!("blob read task failed: {e}"))));
        let failed = read.is_err();
        // The consumer went away (or the read failed): stop reading.
        if sender.send(read).await.is_err() || failed {
            return;
        }
        remaining -= want as u64;
    }
}

/// Reads exactly `want` bytes into `buffer`.
fn fill(mut file: &File, mut buffer: Recycled, want: usize) -> io::Result<Bytes> {
    let Some(target) = buffer.bytes.get_mut(..want) else {
        return Err(io::Error::other("blob read buffer too small"));
    };
    let mut filled = 0;
    while filled < want {
        match file.read(&mut target[filled..]) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the blob's bytes end early",
                ));
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buffer.len = want;
    Ok(Bytes::from_owner(buffer))
}

/// Read buffers handed back by dropped batches.
#[derive(Default, Clone)]
struct Pool(Arc<Mutex<Vec<Vec<u8>>>>);

impl Pool {
    /// A buffer of `size` bytes: a recycled one, else a new (zeroed) one.
    fn buffer(&self, size: usize) -> Recycled {
        let reused = self.0.lock().ok().and_then(|mut free| free.pop());
        let bytes = match reused {
            Some(bytes) if bytes.len() == size => bytes,
            _ => vec![0; size],
        };
        Recycled {
            bytes,
            len: 0,
            pool: self.clone(),
        }
    }
}

/// A batch's memory: goes back to its pool when the last `Bytes` of it is dropped.
struct Recycled {
    bytes: Vec<u8>,
    /// How much of `bytes` the batch holds.
    len: usize,
    pool: Pool,
}

impl AsRef<[u8]> for Recycled {
    fn as_ref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl Drop for Recycled {
    fn drop(&mut self) {
        if let Ok(mut free) = self.pool.0.lock()
            && free.len() < POOL_MAX
        {
            free.push(std::mem::take(&mut self.bytes));
        }
    }
}
