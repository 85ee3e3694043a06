//! Streaming bodies: object bytes that flow between the connection and the
//! store chunk by chunk, never whole in memory.
//!
//! A [`ByteStream`] travels in the value tree as [`Value::Stream`](crate::Value::Stream)
//! for blob members the model marks `streaming` (S3's PutObject, UploadPart
//! and GetObject `Body`). Services see chunks of bytes, not HTTP: the gateway
//! turns the request body into one (de-chunking `aws-chunked` as it goes)
//! and a streamed output back into the response body.
//!
//! The handle is cheap to clone (the value tree is `Clone`), but the chunks
//! can be taken once: whoever reads the body owns it.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};

use bytes::Bytes;
pub use futures_core::Stream;
use tokio::sync::mpsc;

use crate::AwsError;

/// The chunks of a body; an error ends it (see [`failure`] for errors that
/// carry an AWS error).
pub type ChunkStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// A body of bytes that arrives or leaves in chunks.
#[derive(Clone)]
pub struct ByteStream {
    chunks: Arc<Mutex<Option<ChunkStream>>>,
    /// The number of bytes the stream yields, when known up front.
    len: Option<u64>,
    trailers: Trailers,
    /// The whole body, when it was in memory from the start: readers that
    /// can take it at once skip the chunk machinery.
    whole: Option<Bytes>,
}

impl ByteStream {
    pub fn new(chunks: impl Stream<Item = io::Result<Bytes>> + Send + 'static, len: Option<u64>) -> Self {
        ByteStream {
            chunks: Arc::new(Mutex::new(Some(Box::pin(chunks)))),
            len,
            trailers: Trailers::default(),
            whole: None,
        }
    }

    /// A stream of one chunk: a body already in memory (small uploads and
    /// downloads), which [`Self::into_bytes`] gives back whole.
    pub fn from_bytes(bytes: Bytes) -> Self {
        let len = bytes.len() as u64;
        let mut stream = ByteStream::new(Once(Some(bytes.clone())), Some(len));
        stream.whole = Some(bytes);
        stream
    }

    /// The bytes of a stream made [`from_bytes`](Self::from_bytes) that no
    /// one has read yet; any other stream comes back as it is.
    pub fn into_bytes(self) -> Result<Bytes, ByteStream> {
        match &self.whole {
            Some(bytes) if self.take().is_some() => Ok(bytes.clone()),
            _ => Err(self),
        }
    }

    /// A stream fed by a task: send chunks through the [`ChunkSender`]; the
    /// stream ends when the sender is dropped. `capacity` chunks may wait.
    pub fn channel(len: Option<u64>, capacity: usize) -> (ChunkSender, ByteStream) {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        (ChunkSender(sender), ByteStream::new(Received(receiver), len))
    }

    /// Where the producer leaves trailing values (an `aws-chunked` body's
    /// trailing checksum headers) for the reader to find at the end.
    pub fn with_trailers(mut self, trailers: Trailers) -> Self {
        self.trailers = trailers;
        self
    }

    /// The number of bytes the stream yields, when known up front.
    pub fn len(&self) -> Option<u64> {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == Some(0)
    }

    /// The trailer names announced before the body (lower-case).
    pub fn announced_trailers(&self) -> &[String] {
        self.trailers.names()
    }

    /// The chunks, once: `None` if they were taken already.
    pub fn take(&self) -> Option<ChunkStream> {
        self.chunks.lock().ok().and_then(|mut slot| slot.take())
    }

    /// A reader of the chunks (an empty one if they were taken already).
    pub fn into_reader(self) -> ByteReader {
        ByteReader {
            chunks: self.take(),
            trailers: self.trailers,
        }
    }
}

impl fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteStream")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

/// Two handles are equal when they share their chunks.
impl PartialEq for ByteStream {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.chunks, &other.chunks)
    }
}

/// Reads a [`ByteStream`] chunk by chunk.
pub struct ByteReader {
    chunks: Option<ChunkStream>,
    trailers: Trailers,
}

impl ByteReader {
    /// The next chunk; `None` at the end.
    pub async fn next_chunk(&mut self) -> Option<io::Result<Bytes>> {
        let chunks = self.chunks.as_mut()?;
        std::future::poll_fn(|cx| chunks.as_mut().poll_next(cx)).await
    }

    /// A trailing value (lower-case name), known once the stream has ended.
    pub fn trailer(&self, name: &str) -> Option<&str> {
        self.trailers.get(name)
    }

    /// The trailer names announced before the body (lower-case).
    pub fn announced_trailers(&self) -> &[String] {
        self.trailers.names()
    }
}

/// Trailing `name: value` pairs a producer learns only at the end of a body,
/// and the names it announced up front (so a reader can prepare, e.g. pick
/// the checksum to compute while the bytes pass).
#[derive(Clone, Default)]
pub struct Trailers(Arc<TrailerSlots>);

#[derive(Default)]
struct TrailerSlots {
    announced: Vec<String>,
    values: OnceLock<Vec<(String, String)>>,
}

impl Trailers {
    /// Trailers whose names (lower-case) are known before the body.
    pub fn announced(names: Vec<String>) -> Self {
        Trailers(Arc::new(TrailerSlots {
            announced: names,
            values: OnceLock::new(),
        }))
    }

    /// Records the trailers (lower-case names); only the first call counts.
    pub fn set(&self, trailers: Vec<(String, String)>) {
        let _ = self.0.values.set(trailers);
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .values
            .get()?
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The names announced before the body.
    pub fn names(&self) -> &[String] {
        &self.0.announced
    }
}

/// The sending half of [`ByteStream::channel`].
pub struct ChunkSender(mpsc::Sender<io::Result<Bytes>>);

impl ChunkSender {
    /// Sends one chunk (or the error that ends the stream); `false` when the
    /// reader is gone and producing more is pointless.
    pub async fn send(&self, chunk: io::Result<Bytes>) -> bool {
        self.0.send(chunk).await.is_ok()
    }
}

/// An I/O error that carries the AWS error a reader should answer with
/// (a body over the size limit, broken chunk framing).
pub fn failure(error: AwsError) -> io::Error {
    io::Error::other(error)
}

/// The AWS error inside an error made by [`failure`], if it is one.
pub fn aws_error_of(error: &io::Error) -> Option<AwsError> {
    error.get_ref()?.downcast_ref::<AwsError>().cloned()
}

struct Once(Option<Bytes>);

impl Stream for Once {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.0.take().filter(|bytes| !bytes.is_empty()).map(Ok))
    }
}

struct Received(mpsc::Receiver<io::Result<Bytes>>);

impl Stream for Received {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn chunks_are_taken_once_and_trailers_seen_at_the_end() {
        let trailers = Trailers::announced(vec!["x-amz-checksum-crc32".into()]);
        let (sender, stream) = ByteStream::channel(Some(5), 2);
        let stream = stream.with_trailers(trailers.clone());
        let clone = stream.clone();
        assert_eq!(clone, stream);
        tokio::spawn(async move {
            sender.send(Ok(Bytes::from_static(b"he"))).await;
            sender.send(Ok(Bytes::from_static(b"llo"))).await;
            trailers.set(vec![("x-amz-checksum-crc32".into(), "abc=".into())]);
        });
        let mut reader = stream.into_reader();
        let mut all = Vec::new();
        while let Some(chunk) = reader.next_chunk().await {
            all.extend_from_slice(&chunk.unwrap_or_default());
        }
        assert_eq!(all, b"hello");
        assert_eq!(reader.trailer("X-Amz-Checksum-CRC32"), Some("abc="));
        assert_eq!(reader.announced_trailers(), ["x-amz-checksum-crc32"]);
        assert!(clone.take().is_none(), "the chunks went to the first reader");
    }

    #[test]
    fn aws_errors_survive_the_io_error() {
        let error = failure(AwsError::new("IncompleteBody", "short", 400));
        assert_eq!(
            aws_error_of(&error).map(|e| e.code),
            Some("IncompleteBody".into())
        );
        assert!(aws_error_of(&io::Error::other("plain")).is_none());
    }
}
