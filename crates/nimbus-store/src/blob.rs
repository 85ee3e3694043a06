//! Blobs: large values (S3 object bodies, Lambda code) kept as files beside
//! the store, streamed in and out with constant memory.
//!
//! A blob becomes visible in two steps, in this order:
//! 1. [`Blobs::create`] + [`BlobWriter::write`] + [`BlobWriter::finish`]:
//!    the bytes go to `tmp/`, are fsynced, renamed to `blobs/<ab>/<id>`, and
//!    the directory is fsynced. The result is a [`StagedBlob`].
//! 2. [`WriteTxn::attach_blob`](crate::WriteTxn::attach_blob) records the
//!    blob in the store, in the same transaction that stores the service's
//!    reference to it (a [`BlobRef`] inside its value).
//!
//! A crash between the two leaves a file nobody references, which the next
//! start deletes; a reference without its bytes cannot happen. Blob files
//! are never modified after step 1, which is what lets snapshots hard-link
//! them.

use std::io::SeekFrom;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, ReadBuf};

use crate::error::{Result, StoreError};
use crate::fsutil;
use crate::layout::{Layout, blob_path};

/// The size of the chunks [`BlobReader::next_chunk`] returns and
/// [`Blobs::write_from`] copies with: the memory one stream holds.
pub const CHUNK_SIZE: usize = 64 * 1024;

/// What a service stores to find a blob again: its id and length.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BlobRef {
    /// 32 lowercase hex digits, unique per blob (never reused).
    pub id: String,
    /// Length in bytes.
    pub len: u64,
}

/// Writes and reads blob files of one data directory.
#[derive(Debug, Clone)]
pub struct Blobs {
    /// Where finished blobs live (`<data-dir>/blobs`).
    blobs_dir: PathBuf,
    /// Where blobs are written before they are complete (`<data-dir>/tmp`).
    tmp_dir: PathBuf,
    /// Whether finished blobs are fsynced (with their directories): always,
    /// except for `--ephemeral` stores, whose blobs die with the process.
    durable: bool,
}

impl Blobs {
    pub(crate) fn new(layout: &Layout, durable: bool) -> Self {
        Blobs {
            blobs_dir: layout.blobs(),
            tmp_dir: layout.tmp(),
            durable,
        }
    }

    /// Starts a new blob; feed it with [`BlobWriter::write`].
    pub async fn create(&self) -> Result<BlobWriter> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let tmp_path = self.tmp_dir.join(format!("{id}.part"));
        let file = tokio::fs::File::create(&tmp_path)
            .await
            .map_err(|e| StoreError::io(format!("create {}", tmp_path.display()), e))?;
        Ok(BlobWriter {
            file,
            tmp_path: Some(tmp_path),
            final_path: blob_path(&self.blobs_dir, &id),
            id,
            len: 0,
            durable: self.durable,
        })
    }

    /// Writes everything `reader` yields as a new blob.
    pub async fn write_from(&self, mut reader: impl AsyncRead + Unpin) -> Result<StagedBlob> {
        let mut writer = self.create().await?;
        let mut buf = vec![0u8; CHUNK_SIZE];
        loop {
            let n = reader
                .read(&mut buf)
                .await
                .map_err(|e| StoreError::io("read blob input", e))?;
            if n == 0 {
                break;
            }
            writer.write(&buf[..n]).await?;
        }
        writer.finish().await
    }

    /// Reads a whole blob.
    pub async fn open(&self, blob: &BlobRef) -> Result<BlobReader> {
        self.open_range(blob, 0..blob.len).await
    }

    /// Reads the bytes `range` of a blob (clamped to its length), without
    /// reading what comes before.
    pub async fn open_range(&self, blob: &BlobRef, range: Range<u64>) -> Result<BlobReader> {
        let path = blob_path(&self.blobs_dir, &blob.id);
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::BlobMissing(blob.id.clone()));
            }
            Err(e) => return Err(StoreError::io(format!("open {}", path.display()), e)),
        };
        let end = range.end.min(blob.len);
        let start = range.start.min(end);
        file.seek(SeekFrom::Start(start))
            .await
            .map_err(|e| StoreError::io(format!("seek {}", path.display()), e))?;
        Ok(BlobReader {
            inner: file.take(end - start),
            remaining: end - start,
        })
    }

    /// The file of a blob, for callers that hand it to something else (a
    /// Lambda runtime reading its code). Read-only by contract: blob files
    /// are immutable.
    pub fn path_of(&self, blob: &BlobRef) -> PathBuf {
        blob_path(&self.blobs_dir, &blob.id)
    }
}

/// A blob being written. Dropping it before [`finish`](Self::finish)
/// removes the partial file.
pub struct BlobWriter {
    file: tokio::fs::File,
    /// The partial file; `None` once renamed into place.
    tmp_path: Option<PathBuf>,
    /// Where the finished blob goes.
    final_path: PathBuf,
    id: String,
    /// Bytes written so far.
    len: u64,
    /// Fsync the file and its directory on finish (see [`Blobs`]).
    durable: bool,
}

impl BlobWriter {
    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.file
            .write_all(chunk)
            .await
            .map_err(|e| self.io_error("write", e))?;
        self.len += chunk.len() as u64;
        Ok(())
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Makes the blob durable under its final name. It is not referenced
    /// yet: attach it to a write transaction.
    pub async fn finish(mut self) -> Result<StagedBlob> {
        self.file.flush().await.map_err(|e| self.io_error("flush", e))?;
        if self.durable {
            self.file
                .sync_all()
                .await
                .map_err(|e| self.io_error("fsync", e))?;
        }
        let Some(tmp_path) = self.tmp_path.clone() else {
            return Err(StoreError::Task("blob writer finished twice".to_owned()));
        };
        let final_path = self.final_path.clone();
        let durable = self.durable;
        tokio::task::spawn_blocking(move || place(&tmp_path, &final_path, durable))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))??;
        // Renamed: nothing left for Drop to remove.
        self.tmp_path = None;
        Ok(StagedBlob {
            blob: BlobRef {
                id: self.id.clone(),
                len: self.len,
            },
            path: Some(self.final_path.clone()),
        })
    }

    fn io_error(&self, action: &str, e: std::io::Error) -> StoreError {
        let path = self.tmp_path.as_deref().unwrap_or(&self.final_path);
        StoreError::io(format!("{action} {}", path.display()), e)
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if let Some(tmp_path) = &self.tmp_path {
            // Best effort: whatever is left is removed at the next start.
            let _ = std::fs::remove_file(tmp_path);
        }
    }
}

/// Moves a complete temporary to its final name, durably unless the store
/// is ephemeral.
fn place(tmp_path: &Path, final_path: &Path, durable: bool) -> Result<()> {
    let shard = final_path.parent().unwrap_or(final_path);
    match std::fs::create_dir(shard) {
        Ok(()) => {
            if durable && let Some(blobs_dir) = shard.parent() {
                fsutil::sync_dir(blobs_dir)?;
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(StoreError::io(format!("create {}", shard.display()), e)),
    }
    std::fs::rename(tmp_path, final_path).map_err(|e| {
        StoreError::io(
            format!("rename {} to {}", tmp_path.display(), final_path.display()),
            e,
        )
    })?;
    if durable { fsutil::sync_dir(shard) } else { Ok(()) }
}

/// A durable blob file not yet referenced by the store. Attach it to a write
/// transaction; dropping it unattached deletes the file.
#[derive(Debug)]
pub struct StagedBlob {
    blob: BlobRef,
    /// The file; `None` once attached (the transaction owns it then).
    path: Option<PathBuf>,
}

impl StagedBlob {
    pub fn blob(&self) -> &BlobRef {
        &self.blob
    }

    /// Hands the file over to a transaction: from here on the transaction
    /// decides whether it is kept.
    pub(crate) fn take_for_attach(mut self) -> (BlobRef, PathBuf) {
        let path = self.path.take().unwrap_or_default();
        (self.blob.clone(), path)
    }
}

impl Drop for StagedBlob {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A blob (or a range of it) being read: an [`AsyncRead`], or chunks of
/// [`CHUNK_SIZE`] bytes via [`next_chunk`](Self::next_chunk).
pub struct BlobReader {
    inner: tokio::io::Take<tokio::fs::File>,
    /// Bytes left to read.
    remaining: u64,
}

impl BlobReader {
    /// Bytes left to read.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// The next chunk, or `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>> {
        if self.remaining == 0 {
            return Ok(None);
        }
        let want = usize::try_from(self.remaining)
            .unwrap_or(CHUNK_SIZE)
            .min(CHUNK_SIZE);
        let mut buf = BytesMut::with_capacity(want);
        let n = self
            .inner
            .read_buf(&mut buf)
            .await
            .map_err(|e| StoreError::io("read blob", e))?;
        if n == 0 {
            // The file is shorter than its reference says: report, don't loop.
            return Err(StoreError::io(
                "read blob",
                std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "blob file is truncated"),
            ));
        }
        self.remaining -= n as u64;
        Ok(Some(buf.freeze()))
    }
}

impl AsyncRead for BlobReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = (buf.filled().len() - before) as u64;
        self.remaining = self.remaining.saturating_sub(read);
        poll
    }
}
