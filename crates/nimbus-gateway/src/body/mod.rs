//! Request and response bodies.
//!
//! Most request bodies are read whole ([`collect`]), within a size limit,
//! because the codecs work on complete documents. The bytes of an S3 object
//! upload instead pass through as a [`ByteStream`] ([`stream`]): de-chunked
//! as they arrive, still within the limit, never whole in memory. Responses
//! are a buffered body or a streamed one ([`ResponseBody`]).

pub mod chunked;
pub mod encoding;

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::HeaderMap;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use nimbus_core::stream::{self, ChunkStream, Stream, Trailers};
use nimbus_core::{AwsError, ByteStream};
use nimbus_protocol::model::Profile;

use crate::auth::verify::{ChunkSignatureChain, DeclaredSha256, RunningSha256};
use chunked::ChunkDecoder;
use encoding::ChunkedUpload;

/// Collects the body, refusing more than `limit` bytes (before reading
/// anything when `Content-Length` already says so).
pub async fn collect(
    headers: &HeaderMap,
    body: Incoming,
    limit: usize,
    profile: &Profile,
) -> Result<Bytes, AwsError> {
    if announced_length(headers).is_some_and(|len| len > limit as u64) {
        return Err(too_large(limit, profile));
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => Err(too_large(limit, profile)),
        Err(error) => Err(unreadable(&error.to_string(), profile)),
    }
}

/// The `Content-Length` the client announced, if any.
pub fn announced_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// The body of a streamed upload (S3's objects) as a stream of its data: at most `limit`
/// bytes on the wire, `aws-chunked` framing removed as it arrives (its
/// trailers reach the reader at the end). Errors end the stream with the
/// AWS error to answer (see [`nimbus_core::stream::aws_error_of`]).
/// `wire_len` is the Content-Length the client sent (before any header
/// was rewritten for the de-chunked data). With `declared_sha256` the body
/// is hashed as it arrives and the stream fails at its end, before the last
/// read returns, when the hash differs: the upload is then not stored. With
/// `chunk_signatures` every chunk's signature is checked as it completes.
pub fn stream(
    wire_len: Option<u64>,
    incoming: Incoming,
    limit: usize,
    chunked: Option<ChunkedUpload>,
    declared_sha256: Option<DeclaredSha256>,
    chunk_signatures: Option<ChunkSignatureChain>,
    profile: &'static Profile,
) -> Result<ByteStream, AwsError> {
    let chunked_framing = chunked.as_ref().map(|upload| (upload.signed, upload.decoded_len));
    if wire_len.is_some_and(|len| len > limit as u64) {
        return Err(too_large(limit, profile));
    }
    let data_len = match &chunked {
        Some(upload) => upload.decoded_len,
        None => wire_len,
    };
    let trailers = Trailers::announced(chunked.map(|upload| upload.trailer_names).unwrap_or_default());
    let upload = UploadStream {
        incoming,
        limit: limit as u64,
        received: 0,
        decoder: chunked_framing.map(|(signed, _)| match chunk_signatures {
            Some(chain) => ChunkDecoder::verifying(chain),
            None => ChunkDecoder::new(signed),
        }),
        expected_len: chunked_framing.and_then(|(_, decoded_len)| decoded_len),
        yielded: 0,
        ready: VecDeque::new(),
        trailers: trailers.clone(),
        ended: false,
        sha256: declared_sha256.map(RunningSha256::new),
        profile,
    };
    Ok(ByteStream::new(upload, data_len).with_trailers(trailers))
}

/// The error for a body over the limit, as the service words it.
pub fn too_large(limit: usize, profile: &Profile) -> AwsError {
    match &profile.body_too_large {
        Some(spec) => spec.error_with_limit(limit as u64),
        None => AwsError::new(
            "RequestEntityTooLarge",
            format!("Request body exceeds the maximum of {limit} bytes nimbus accepts."),
            413,
        ),
    }
}

/// A body that could not be read to its end (the client went away, or sent
/// less than it announced).
fn unreadable(why: &str, profile: &Profile) -> AwsError {
    AwsError::new(
        profile
            .incomplete_body_code
            .clone()
            .unwrap_or_else(|| "IncompleteRequest".to_owned()),
        format!("The request body could not be read: {why}"),
        400,
    )
}

/// An upload's data as it arrives; see [`stream`].
struct UploadStream {
    incoming: Incoming,
    limit: u64,
    /// Bytes received on the wire so far (framing included).
    received: u64,
    decoder: Option<ChunkDecoder>,
    /// The decoded length the client announced, checked at the end.
    expected_len: Option<u64>,
    /// Data bytes handed on so far.
    yielded: u64,
    /// Decoded data waiting to be handed on.
    ready: VecDeque<Bytes>,
    trailers: Trailers,
    /// The body ended (or failed): nothing more is read.
    ended: bool,
    /// How the service words a body over the limit.
    profile: &'static Profile,
    /// The hash of the body as sent, when `x-amz-content-sha256` declared one.
    sha256: Option<RunningSha256>,
}

impl UploadStream {
    /// Ends the stream with `error`.
    fn fail(&mut self, error: AwsError) -> Poll<Option<io::Result<Bytes>>> {
        self.ended = true;
        self.ready.clear();
        Poll::Ready(Some(Err(stream::failure(error))))
    }

    /// The wire body ended: the framing must be complete and the length right.
    fn finish(&mut self) -> Result<(), AwsError> {
        self.ended = true;
        if let Some(sha256) = self.sha256.take() {
            sha256.finish()?;
        }
        if let Some(decoder) = self.decoder.take() {
            let tail = decoder.finish().map_err(encoding::chunk_error)?;
            self.trailers.set(tail.trailers);
        }
        match self.expected_len {
            Some(expected) if expected != self.yielded => Err(encoding::decoded_length_mismatch(
                &expected.to_string(),
                self.yielded,
            )),
            _ => Ok(()),
        }
    }
}

impl Stream for UploadStream {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(data) = this.ready.pop_front() {
                this.yielded += data.len() as u64;
                return Poll::Ready(Some(Ok(data)));
            }
            if this.ended {
                return Poll::Ready(None);
            }
            let frame = match Pin::new(&mut this.incoming).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => match this.finish() {
                    Ok(()) => continue,
                    Err(error) => return this.fail(error),
                },
                Poll::Ready(Some(Err(error))) => {
                    return this.fail(unreadable(&error.to_string(), this.profile));
                }
                Poll::Ready(Some(Ok(frame))) => frame,
            };
            // HTTP trailers (not aws-chunked ones) carry nothing S3 reads.
            let Ok(data) = frame.into_data() else {
                continue;
            };
            this.received += data.len() as u64;
            if this.received > this.limit {
                return this.fail(too_large(this.limit as usize, this.profile));
            }
            if let Some(sha256) = &mut this.sha256 {
                sha256.update(&data);
            }
            match &mut this.decoder {
                None => this.ready.push_back(data),
                Some(decoder) => match decoder.feed(data) {
                    Ok(pieces) => this
                        .ready
                        .extend(pieces.into_iter().filter(|piece| !piece.is_empty())),
                    Err(error) => return this.fail(encoding::chunk_error(error)),
                },
            }
        }
    }
}

/// A response body: buffered, or streamed with a known length.
pub enum ResponseBody {
    Full(Option<Bytes>),
    Stream {
        chunks: ChunkStream,
        /// Bytes still to come, when known (hyper then sends Content-Length).
        remaining: Option<u64>,
    },
}

impl ResponseBody {
    pub fn full(bytes: Bytes) -> Self {
        ResponseBody::Full((!bytes.is_empty()).then_some(bytes))
    }

    pub fn empty() -> Self {
        ResponseBody::Full(None)
    }

    /// The stream's chunks; an empty body if they were taken already.
    pub fn streamed(stream: &ByteStream) -> Self {
        match stream.take() {
            Some(chunks) => ResponseBody::Stream {
                chunks,
                remaining: stream.len(),
            },
            None => ResponseBody::empty(),
        }
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.get_mut() {
            ResponseBody::Full(bytes) => Poll::Ready(bytes.take().map(|bytes| Ok(Frame::data(bytes)))),
            ResponseBody::Stream { chunks, remaining } => match chunks.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    if let Some(remaining) = remaining {
                        *remaining = remaining.saturating_sub(chunk.len() as u64);
                    }
                    Poll::Ready(Some(Ok(Frame::data(chunk))))
                }
                // A failed read ends the connection: the client sees a short body.
                Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(error))),
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ResponseBody::Full(bytes) => bytes.is_none(),
            ResponseBody::Stream { remaining, .. } => *remaining == Some(0),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseBody::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            ResponseBody::Stream {
                remaining: Some(remaining),
                ..
            } => SizeHint::with_exact(*remaining),
            ResponseBody::Stream { remaining: None, .. } => SizeHint::default(),
        }
    }
}
