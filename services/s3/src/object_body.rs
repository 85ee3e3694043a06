//! Object bytes in and out.
//!
//! In: an upload's body (buffered when small, a [`ByteStream`] when large)
//! becomes a staged blob together with its MD5 and flexible checksum. A
//! streamed body is written to the store in batches as it arrives while a
//! blocking thread hashes the same bytes, so neither the body nor the
//! hashing ever holds the whole object. Out: a blob range as a stream.

use bytes::Bytes;
use md5::{Digest, Md5};
use nimbus_core::stream::aws_error_of;
use nimbus_core::{AwsError, ByteStream};
use nimbus_store::{BlobRef, Blobs, StagedBlob};
use tokio::sync::mpsc;

use crate::checksums::{self, Requested, Running};
use crate::errors;
use crate::records::StoredChecksum;

/// Streamed bytes are written and hashed in batches of this size: few
/// blocking hops per object, bounded memory per transfer.
const BATCH_BYTES: usize = 1024 * 1024;

/// Batches in flight to the hashing thread before the upload waits for it.
const HASH_QUEUE: usize = 4;

/// Reads at least this large are streamed to the client; smaller ones are
/// answered from memory, which is cheaper for them.
pub const STREAM_READS_FROM: u64 = 256 * 1024;

/// An upload's body as the handler receives it.
pub enum UploadBody {
    Buffered(Bytes),
    Streamed(ByteStream),
}

impl UploadBody {
    /// The `Body` of a PutObject or UploadPart input: a small upload was
    /// read whole, a large one streams.
    pub fn of(body: Option<ByteStream>) -> UploadBody {
        match body.map(ByteStream::into_bytes) {
            None => UploadBody::Buffered(Bytes::new()),
            Some(Ok(bytes)) => UploadBody::Buffered(bytes),
            Some(Err(stream)) => UploadBody::Streamed(stream),
        }
    }
}

/// An upload written to the store (not yet referenced) and what was learnt
/// from its bytes.
pub struct Ingested {
    /// `None` for an empty body.
    pub staged: Option<StagedBlob>,
    pub size: u64,
    pub md5: Vec<u8>,
    /// The checksum computed with the algorithm asked for (base64).
    pub checksum: Option<String>,
    /// Trailing headers of an `aws-chunked` upload (lower-case names).
    pub trailers: Vec<(String, String)>,
}

impl Ingested {
    /// The value of the checksum trailer for `algorithm`, if the body carried one.
    pub fn trailing_checksum(&self, algorithm: Option<&str>) -> Option<&str> {
        let name = format!("x-amz-checksum-{}", algorithm?.to_ascii_lowercase());
        self.trailers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// The checksum algorithm an upload's announced trailers will carry
/// (`x-amz-checksum-crc32` gives `CRC32`), so it is computed on the way.
fn trailing_checksum_algorithm(body: &UploadBody) -> Option<String> {
    let UploadBody::Streamed(stream) = body else {
        return None;
    };
    stream
        .announced_trailers()
        .iter()
        .find_map(|name| name.strip_prefix("x-amz-checksum-"))
        .map(str::to_ascii_uppercase)
}

/// Writes an upload and checks it against what the request said of it:
/// Content-MD5 and the flexible checksum (given as a header or announced as
/// a trailer). On a mismatch the staged blob is dropped, so nothing is stored.
pub async fn ingest_checked(
    blobs: &Blobs,
    body: UploadBody,
    requested: &Requested<'_>,
    content_md5: Option<&str>,
) -> Result<(Ingested, Option<StoredChecksum>), AwsError> {
    let trailing = trailing_checksum_algorithm(&body);
    let algorithm = requested.algorithm_to_compute(trailing.as_deref())?;
    let ingested = ingest(blobs, body, algorithm.as_deref()).await?;
    checksums::check_content_md5(content_md5, &ingested.md5)?;
    let checksum = requested.conclude(
        algorithm.as_deref(),
        ingested.checksum.clone(),
        ingested.trailing_checksum(algorithm.as_deref()),
    )?;
    Ok((ingested, checksum))
}

/// Writes an upload as a staged blob, computing its MD5 and the checksum
/// `algorithm` (an algorithm nimbus knows, or none) on the way. Nothing
/// stays behind when this fails: a partial blob is removed.
pub async fn ingest(blobs: &Blobs, body: UploadBody, algorithm: Option<&str>) -> Result<Ingested, AwsError> {
    match body {
        UploadBody::Buffered(bytes) => ingest_buffered(blobs, bytes, algorithm).await,
        UploadBody::Streamed(stream) => ingest_streamed(blobs, stream, algorithm).await,
    }
}

async fn ingest_buffered(blobs: &Blobs, body: Bytes, algorithm: Option<&str>) -> Result<Ingested, AwsError> {
    let stage = async {
        if body.is_empty() {
            return Ok::<_, AwsError>(None);
        }
        let mut writer = blobs.create().await?;
        writer.write_owned(vec![body.clone()]).await?;
        Ok(Some(writer.finish().await?))
    };
    let hash = hash_buffered(body.clone(), algorithm.map(str::to_owned));
    let (staged, hashes) = tokio::join!(stage, hash);
    let (md5, checksum) = hashes?;
    Ok(Ingested {
        staged: staged?,
        size: body.len() as u64,
        md5,
        checksum,
        trailers: Vec::new(),
    })
}

/// MD5 and checksum of a buffered body, off the async workers when it is
/// large (MD5 runs well under 1 GB/s).
async fn hash_buffered(
    body: Bytes,
    algorithm: Option<String>,
) -> Result<(Vec<u8>, Option<String>), AwsError> {
    let small = body.len() < BATCH_BYTES;
    let hash = move || {
        let mut hasher = Hasher::new(algorithm.as_deref());
        hasher.update(&body);
        hasher.finish()
    };
    if small {
        return Ok(hash());
    }
    tokio::task::spawn_blocking(hash)
        .await
        .map_err(|e| AwsError::internal(format!("hashing task failed: {e}")))
}

async fn ingest_streamed(
    blobs: &Blobs,
    stream: ByteStream,
    algorithm: Option<&str>,
) -> Result<Ingested, AwsError> {
    let mut reader = stream.into_reader();
    let mut writer = blobs.create().await?;
    // The hashing thread takes batches as they are written: MD5 runs in
    // parallel with receiving and writing instead of after them.
    let (to_hasher, mut batches) = mpsc::channel::<Vec<Bytes>>(HASH_QUEUE);
    let algorithm = algorithm.map(str::to_owned);
    let hashing = tokio::task::spawn_blocking(move || {
        let mut hasher = Hasher::new(algorithm.as_deref());
        while let Some(batch) = batches.blocking_recv() {
            for chunk in &batch {
                hasher.update(chunk);
            }
        }
        hasher.finish()
    });
    // The received buffers themselves are batched, not copies of them: the
    // file write and the hashing read them where they arrived.
    let mut batch = Vec::new();
    let mut batched = 0usize;
    let mut size = 0u64;
    loop {
        let chunk = match reader.next_chunk().await {
            None => None,
            Some(Ok(chunk)) => Some(chunk),
            Some(Err(error)) => return Err(body_error(&error)),
        };
        let last = chunk.is_none();
        if let Some(chunk) = chunk {
            size += chunk.len() as u64;
            batched += chunk.len();
            batch.push(chunk);
        }
        if batched >= BATCH_BYTES || (last && batched > 0) {
            write_batch(&mut writer, &to_hasher, std::mem::take(&mut batch)).await?;
            batched = 0;
        }
        if last {
            break;
        }
    }
    drop(to_hasher);
    let (md5, checksum) = hashing
        .await
        .map_err(|e| AwsError::internal(format!("hashing task failed: {e}")))?;
    let staged = if size == 0 {
        None
    } else {
        Some(writer.finish().await?)
    };
    let trailers = [
        "x-amz-checksum-crc32",
        "x-amz-checksum-crc32c",
        "x-amz-checksum-crc64nvme",
        "x-amz-checksum-sha1",
        "x-amz-checksum-sha256",
    ]
    .into_iter()
    .filter_map(|name| {
        reader
            .trailer(name)
            .map(|value| (name.to_owned(), value.to_owned()))
    })
    .collect();
    Ok(Ingested {
        staged,
        size,
        md5,
        checksum,
        trailers,
    })
}

async fn write_batch(
    writer: &mut nimbus_store::BlobWriter,
    to_hasher: &mpsc::Sender<Vec<Bytes>>,
    batch: Vec<Bytes>,
) -> Result<(), AwsError> {
    // Hashing starts before the write, so both run at once.
    to_hasher
        .send(batch.clone())
        .await
        .map_err(|_| AwsError::internal("the hashing thread stopped"))?;
    writer.write_owned(batch).await?;
    Ok(())
}

/// What an upload that could not be read answers: the gateway's own error
/// (size limit, broken framing), else S3's for a body cut short.
fn body_error(error: &std::io::Error) -> AwsError {
    aws_error_of(error).unwrap_or_else(|| {
        errors::incomplete_body(format!("The request body could not be read to its end: {error}"))
    })
}

/// MD5 (the ETag) and one flexible checksum over the same bytes.
struct Hasher {
    md5: Md5,
    checksum: Option<Running>,
}

impl Hasher {
    fn new(algorithm: Option<&str>) -> Self {
        Hasher {
            md5: Md5::new(),
            checksum: algorithm.and_then(Running::new),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        self.md5.update(bytes);
        if let Some(checksum) = &mut self.checksum {
            checksum.update(bytes);
        }
    }

    fn finish(self) -> (Vec<u8>, Option<String>) {
        (self.md5.finalize().to_vec(), self.checksum.map(Running::finish))
    }
}

/// The bytes `start..end` of a blob as a stream read ahead by a task, a
/// batch at a time. The blob is opened before this returns, so a missing
/// one is an error of the request, not a broken response.
pub async fn read_stream(
    blobs: &Blobs,
    blob: &BlobRef,
    start: u64,
    end: u64,
) -> Result<ByteStream, AwsError> {
    let reader = blobs.open_range(blob, start..end).await?;
    let len = reader.remaining();
    let batches = reader.into_batches(BATCH_BYTES, 2).await;
    Ok(ByteStream::new(batches, Some(len)))
}
