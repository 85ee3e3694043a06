//! Blobs: large values (S3 object bodies, Lambda code), streamed in and out
//! with constant memory. Small ones live inside the store, the rest as files
//! beside it.
//!
//! # Two kinds, one API
//!
//! A blob of at most [`INLINE_MAX`] bytes is *inline*: its bytes stay in
//! memory while it is written and go into the store's `_blob_bytes` table in
//! the transaction that attaches it, so they are durable with that commit
//! (no file, no fsync of its own, no directory entry) and are read back with
//! one lookup. A larger blob is a *file*: once it outgrows [`INLINE_MAX`] it
//! is spilled to `tmp/` and becomes visible in two steps, in this order:
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
//! them; inline blobs are copied with the tables.
//!
//! Callers see no difference: the same create/write/finish, attach/release
//! and open/open_range work for both, and [`BlobRef::is_inline`] tells them
//! apart (the kind is part of the id, so no lookup is needed to know it).
//!
//! Why 64 KiB: below it, a file costs more than its bytes (create, write,
//! fsync, rename, fsync of the directory, then an open per read, against
//! tens of microseconds to copy 64 KiB through the store's pages); above it,
//! copy-on-write pages make the store rewrite ever more bytes per commit,
//! and a file streams without touching the store. It is also one
//! [`CHUNK_SIZE`], so an inline blob is always read as a single chunk and
//! one write closure never holds more than that much per blob.

use std::io::{IoSlice, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use redb::ReadableDatabase;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, ReadBuf};
use tokio::task::JoinHandle;

use crate::error::{Result, StoreError};
use crate::fsutil;
use crate::layout::{Layout, blob_path};
use crate::schema::BLOB_BYTES;

mod read_ahead;

pub use read_ahead::BlobBatches;

/// The size of the chunks [`BlobReader::next_chunk`] returns and
/// [`Blobs::write_from`] copies with: the memory one stream holds.
pub const CHUNK_SIZE: usize = 64 * 1024;

/// Blobs of at most this many bytes are kept inside the store instead of a
/// file (see the module docs for why this size).
pub const INLINE_MAX: usize = 64 * 1024;

/// The first character of an inline blob's id (never a hex digit).
const INLINE_ID_PREFIX: char = 'i';

/// What a service stores to find a blob again: its id and length.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BlobRef {
    /// Unique per blob (never reused): 32 lowercase hex digits for a file,
    /// `i` and 32 lowercase hex digits for a blob kept inside the store.
    pub id: String,
    /// Length in bytes.
    pub len: u64,
}

impl BlobRef {
    /// Whether the bytes live inside the store rather than in a file.
    pub fn is_inline(&self) -> bool {
        self.id.starts_with(INLINE_ID_PREFIX)
    }
}

/// Writes and reads the blobs of one store.
#[derive(Clone)]
pub struct Blobs {
    files: Arc<FileDirs>,
    /// Where inline blobs are read from.
    db: Arc<redb::Database>,
}

/// Where blob files go; shared with writers, which must not keep the
/// database open.
#[derive(Debug)]
struct FileDirs {
    /// Where finished blob files live (`<data-dir>/blobs`).
    blobs_dir: PathBuf,
    /// Where blob files are written before they are complete (`<data-dir>/tmp`).
    tmp_dir: PathBuf,
    /// Whether finished blob files are fsynced (with their directories):
    /// always, except for `--ephemeral` stores, whose blobs die with the process.
    durable: bool,
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blobs")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl Blobs {
    pub(crate) fn new(layout: &Layout, durable: bool, db: Arc<redb::Database>) -> Self {
        let files = FileDirs {
            blobs_dir: layout.blobs(),
            tmp_dir: layout.tmp(),
            durable,
        };
        Blobs {
            files: Arc::new(files),
            db,
        }
    }

    /// Starts a new blob; feed it with [`BlobWriter::write`]. Nothing
    /// touches the disk until it outgrows [`INLINE_MAX`].
    pub async fn create(&self) -> Result<BlobWriter> {
        Ok(BlobWriter {
            files: Arc::clone(&self.files),
            unique: uuid::Uuid::new_v4().simple().to_string(),
            sink: Sink::Memory(Vec::new()),
            len: 0,
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
        let end = range.end.min(blob.len);
        let start = range.start.min(end);
        if blob.is_inline() {
            return self.open_inline(blob, start..end);
        }
        let path = blob_path(&self.files.blobs_dir, &blob.id);
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::BlobMissing(blob.id.clone()));
            }
            Err(e) => return Err(StoreError::io(format!("open {}", path.display()), e)),
        };
        file.seek(SeekFrom::Start(start))
            .await
            .map_err(|e| StoreError::io(format!("seek {}", path.display()), e))?;
        Ok(BlobReader {
            source: Source::File(file.take(end - start)),
            remaining: end - start,
        })
    }

    /// An inline blob's bytes, from the store's latest commit. A point
    /// lookup of at most [`INLINE_MAX`] bytes, done on the calling thread
    /// like the service's own reads.
    fn open_inline(&self, blob: &BlobRef, range: Range<u64>) -> Result<BlobReader> {
        let bytes = read_inline(&self.db.begin_read()?, blob, range)?;
        Ok(BlobReader {
            remaining: bytes.len() as u64,
            source: Source::Memory(bytes),
        })
    }

    /// The file of a blob, for callers that hand it to something else (a
    /// Lambda runtime reading its code); `None` for an inline blob, which
    /// has no file (read it with [`open`](Self::open)). Read-only by
    /// contract: blob files are immutable.
    pub fn path_of(&self, blob: &BlobRef) -> Option<PathBuf> {
        (!blob.is_inline()).then(|| blob_path(&self.files.blobs_dir, &blob.id))
    }
}

/// Where a blob's bytes are going while it is written.
enum Sink {
    /// Still small enough to be inline.
    Memory(Vec<u8>),
    /// Spilled to a file in `tmp/`.
    File(FileSink),
}

/// A blob's temporary file. Each write runs on a blocking thread while the
/// caller goes on receiving (write-behind, as `tokio::fs::File` does, but
/// straight from the caller's buffers instead of a copy of them); the next
/// write, or `finish`, waits for it and reports its error.
struct FileSink {
    /// `None` while a write owns it.
    file: Option<std::fs::File>,
    /// The write under way; it hands the file back with its outcome.
    in_flight: Option<JoinHandle<(std::fs::File, std::io::Result<()>)>>,
    /// `None` once renamed into place.
    tmp_path: Option<PathBuf>,
}

/// A blob being written. Dropping it before [`finish`](Self::finish)
/// removes the partial file, if there is one.
pub struct BlobWriter {
    files: Arc<FileDirs>,
    /// 32 hex digits: the id of a file blob, and of an inline one after its prefix.
    unique: String,
    sink: Sink,
    /// Bytes written so far.
    len: u64,
}

impl BlobWriter {
    /// Appends a copy of `chunk`.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        if chunk.is_empty() || self.append_in_memory(std::slice::from_ref(&chunk)) {
            return Ok(());
        }
        self.write_owned(vec![Bytes::copy_from_slice(chunk)]).await
    }

    /// Appends `chunks` in order without copying them: a file blob gets
    /// them with vectored writes on a blocking thread, and this returns as
    /// soon as that write has started (the previous one has ended). Meant
    /// for large streams (an upload's received buffers, about a MiB at a time).
    pub async fn write_owned(&mut self, mut chunks: Vec<Bytes>) -> Result<()> {
        let len: usize = chunks.iter().map(Bytes::len).sum();
        if len == 0 || self.append_in_memory(&chunks) {
            return Ok(());
        }
        if let Some(buffered) = self.spill_if_in_memory().await? {
            chunks.insert(0, buffered);
        }
        self.start_write(move |file| write_all_chunks(file, &chunks))
            .await?;
        self.len += len as u64;
        Ok(())
    }

    /// Appends the whole of another blob of the same store. A file blob's
    /// bytes are copied by the kernel (`copy_file_range`), never through
    /// this process's memory.
    pub async fn append_blob(&mut self, blobs: &Blobs, blob: &BlobRef) -> Result<()> {
        let fits_inline = self.len.saturating_add(blob.len) <= INLINE_MAX as u64;
        if blob.is_inline() || (fits_inline && matches!(self.sink, Sink::Memory(_))) {
            let mut reader = blobs.open(blob).await?;
            while let Some(chunk) = reader.next_chunk().await? {
                self.write_owned(vec![chunk]).await?;
            }
            return Ok(());
        }
        if let Some(buffered) = self.spill_if_in_memory().await? {
            self.start_write(move |file| write_all_chunks(file, &[buffered]))
                .await?;
        }
        let source = blob_path(&self.files.blobs_dir, &blob.id);
        let expected = blob.len;
        self.start_write(move |file| {
            let copied = std::io::copy(&mut std::fs::File::open(&source)?, file)?;
            if copied != expected {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("blob {} is truncated", source.display()),
                ));
            }
            Ok(())
        })
        .await?;
        self.len += blob.len;
        Ok(())
    }

    /// Moves an inline-sized blob to a file before it grows past
    /// [`INLINE_MAX`]; what it held in memory is returned, to be written first.
    async fn spill_if_in_memory(&mut self) -> Result<Option<Bytes>> {
        let Sink::Memory(buffer) = &mut self.sink else {
            return Ok(None);
        };
        let buffered = Bytes::from(std::mem::take(buffer));
        self.spill().await?;
        Ok((!buffered.is_empty()).then_some(buffered))
    }

    /// Runs `write` on the file on a blocking thread once the previous
    /// write has ended, and returns without waiting for it.
    async fn start_write(
        &mut self,
        write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()> + Send + 'static,
    ) -> Result<()> {
        let mut file = self.settle().await?;
        let Sink::File(sink) = &mut self.sink else {
            return Err(StoreError::Task("blob writer has no file".to_owned()));
        };
        sink.in_flight = Some(tokio::task::spawn_blocking(move || {
            let written = write(&mut file);
            (file, written)
        }));
        Ok(())
    }

    /// Keeps `chunks` in memory if the blob stays inline with them.
    fn append_in_memory<T: AsRef<[u8]>>(&mut self, chunks: &[T]) -> bool {
        let Sink::Memory(buffer) = &mut self.sink else {
            return false;
        };
        let len: usize = chunks.iter().map(|chunk| chunk.as_ref().len()).sum();
        if buffer.len() + len > INLINE_MAX {
            return false;
        }
        for chunk in chunks {
            buffer.extend_from_slice(chunk.as_ref());
        }
        self.len += len as u64;
        true
    }

    /// The blob outgrew [`INLINE_MAX`]: from here its bytes go to a file.
    async fn spill(&mut self) -> Result<()> {
        let tmp_path = self.files.tmp_dir.join(format!("{}.part", self.unique));
        let path = tmp_path.clone();
        let file = tokio::task::spawn_blocking(move || std::fs::File::create(path))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
            .map_err(|e| StoreError::io(format!("create {}", tmp_path.display()), e))?;
        self.sink = Sink::File(FileSink {
            file: Some(file),
            in_flight: None,
            tmp_path: Some(tmp_path),
        });
        Ok(())
    }

    /// Waits for the write under way and takes the file back.
    async fn settle(&mut self) -> Result<std::fs::File> {
        let Sink::File(sink) = &mut self.sink else {
            return Err(StoreError::Task("blob writer has no file".to_owned()));
        };
        let written = match sink.in_flight.take() {
            Some(write) => {
                let (file, result) = write.await.map_err(|e| StoreError::Task(e.to_string()))?;
                sink.file = Some(file);
                result
            }
            None => Ok(()),
        };
        let file = sink.file.take();
        written.map_err(|e| self.io_error("write", e))?;
        file.ok_or_else(|| StoreError::Task("blob writer lost its file".to_owned()))
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Completes the blob: an inline one is ready as is; a file is made
    /// durable under its final name. It is not referenced yet: attach it to
    /// a write transaction.
    pub async fn finish(mut self) -> Result<StagedBlob> {
        if let Sink::Memory(buffer) = &mut self.sink {
            return Ok(StagedBlob {
                blob: BlobRef {
                    id: format!("{INLINE_ID_PREFIX}{}", self.unique),
                    len: self.len,
                },
                payload: Some(Payload::Inline(std::mem::take(buffer))),
            });
        }
        let file = self.settle().await?;
        let Sink::File(FileSink {
            tmp_path: Some(tmp_path),
            ..
        }) = &self.sink
        else {
            return Err(StoreError::Task("blob writer finished twice".to_owned()));
        };
        let tmp_path = tmp_path.clone();
        let durable = self.files.durable;
        let final_path = blob_path(&self.files.blobs_dir, &self.unique);
        let target = final_path.clone();
        // One blocking hop: fsync the bytes, then give them their name.
        tokio::task::spawn_blocking(move || {
            if durable {
                file.sync_all()
                    .map_err(|e| StoreError::io(format!("fsync {}", tmp_path.display()), e))?;
            }
            drop(file);
            place(&tmp_path, &target, durable)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))??;
        // Renamed: nothing left for Drop to remove.
        if let Sink::File(sink) = &mut self.sink {
            sink.tmp_path = None;
        }
        Ok(StagedBlob {
            blob: BlobRef {
                id: self.unique.clone(),
                len: self.len,
            },
            payload: Some(Payload::File(final_path)),
        })
    }

    fn io_error(&self, action: &str, e: std::io::Error) -> StoreError {
        let path = match &self.sink {
            Sink::File(FileSink {
                tmp_path: Some(path), ..
            }) => path.clone(),
            _ => blob_path(&self.files.blobs_dir, &self.unique),
        };
        StoreError::io(format!("{action} {}", path.display()), e)
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if let Sink::File(FileSink {
            tmp_path: Some(tmp_path),
            ..
        }) = &self.sink
        {
            // Best effort: whatever is left is removed at the next start. A
            // write still under way ends on the unlinked file.
            let _ = std::fs::remove_file(tmp_path);
        }
    }
}

/// Writes all of `chunks`, in order, with as few system calls as it takes.
fn write_all_chunks(file: &mut std::fs::File, chunks: &[Bytes]) -> std::io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = chunks.iter().map(|chunk| IoSlice::new(chunk)).collect();
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        match file.write_vectored(rest) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
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

/// The bytes of a staged blob, as a transaction takes them over.
#[derive(Debug)]
pub(crate) enum Payload {
    /// A durable, complete file under its final name.
    File(PathBuf),
    /// The whole blob, to be stored with the attaching transaction.
    Inline(Vec<u8>),
}

/// A complete blob not yet referenced by the store. Attach it to a write
/// transaction; dropping it unattached deletes its file (an inline blob
/// just goes away).
#[derive(Debug)]
pub struct StagedBlob {
    blob: BlobRef,
    /// `None` once attached (the transaction owns the bytes then).
    payload: Option<Payload>,
}

impl StagedBlob {
    pub fn blob(&self) -> &BlobRef {
        &self.blob
    }

    /// Hands the bytes over to a transaction: from here on the transaction
    /// decides whether they are kept.
    pub(crate) fn take_for_attach(mut self) -> (BlobRef, Payload) {
        let payload = self.payload.take().unwrap_or(Payload::Inline(Vec::new()));
        (self.blob.clone(), payload)
    }
}

impl Drop for StagedBlob {
    fn drop(&mut self) {
        if let Some(Payload::File(path)) = &self.payload {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Where a reader's bytes come from.
enum Source {
    File(tokio::io::Take<tokio::fs::File>),
    /// An inline blob's range, already read.
    Memory(Bytes),
}

/// A blob (or a range of it) being read: an [`AsyncRead`], or chunks of
/// at most [`CHUNK_SIZE`] bytes via [`next_chunk`](Self::next_chunk).
pub struct BlobReader {
    source: Source,
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
        let chunk = match &mut self.source {
            Source::Memory(bytes) => bytes.split_to(want.min(bytes.len())),
            Source::File(file) => {
                let mut buf = BytesMut::with_capacity(want);
                file.read_buf(&mut buf)
                    .await
                    .map_err(|e| StoreError::io("read blob", e))?;
                buf.freeze()
            }
        };
        if chunk.is_empty() {
            // The bytes are shorter than their reference says: report, don't loop.
            return Err(truncated("read blob"));
        }
        self.remaining -= chunk.len() as u64;
        Ok(Some(chunk))
    }
}

impl BlobReader {
    /// The rest of the blob as a stream of batches of at most `batch`
    /// bytes, read up to `ahead` batches before the consumer asks (for
    /// streaming a large blob out: see [`BlobBatches`]).
    pub async fn into_batches(self, batch: usize, ahead: usize) -> BlobBatches {
        match self.source {
            Source::Memory(bytes) => BlobBatches::ready(bytes),
            Source::File(file) => {
                let file = file.into_inner().into_std().await;
                BlobBatches::read_ahead(file, self.remaining, batch, ahead)
            }
        }
    }
}

/// The bytes `range` (already clamped to the blob) of an inline blob, as of
/// `txn`.
pub(crate) fn read_inline(txn: &redb::ReadTransaction, blob: &BlobRef, range: Range<u64>) -> Result<Bytes> {
    let table = match txn.open_table(BLOB_BYTES) {
        Ok(table) => table,
        Err(redb::TableError::TableDoesNotExist(_)) => {
            return Err(StoreError::BlobMissing(blob.id.clone()));
        }
        Err(err) => return Err(err.into()),
    };
    let Some(stored) = table.get(blob.id.as_bytes())? else {
        return Err(StoreError::BlobMissing(blob.id.clone()));
    };
    let bytes = stored.value();
    let slice = usize::try_from(range.start)
        .ok()
        .zip(usize::try_from(range.end).ok())
        .and_then(|(start, end)| bytes.get(start..end))
        .ok_or_else(|| truncated(&format!("read blob {}", blob.id)))?;
    Ok(Bytes::copy_from_slice(slice))
}

/// A blob shorter than its reference says.
fn truncated(context: &str) -> StoreError {
    StoreError::io(
        context.to_owned(),
        std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "blob is truncated"),
    )
}

impl AsyncRead for BlobReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = match &mut self.source {
            Source::File(file) => Pin::new(file).poll_read(cx, buf),
            Source::Memory(bytes) => {
                let n = bytes.len().min(buf.remaining());
                buf.put_slice(&bytes.split_to(n));
                Poll::Ready(Ok(()))
            }
        };
        let read = (buf.filled().len() - before) as u64;
        self.remaining = self.remaining.saturating_sub(read);
        poll
    }
}
