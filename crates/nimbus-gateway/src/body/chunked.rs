//! `aws-chunked` bodies: the framing SigV4 streaming uploads use.
//!
//! ```text
//! <hex-size>;chunk-signature=<sig>\r\n<data>\r\n
//! ...
//! 0;chunk-signature=<sig>\r\n
//! x-amz-checksum-crc32:<b64>\r\n          (trailers, when x-amz-trailer is set)
//! x-amz-trailer-signature:<sig>\r\n
//! \r\n
//! ```
//!
//! Unsigned streams (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`) carry no
//! `;chunk-signature=` extensions. The decoded data goes to the codecs; the
//! trailers are kept for S3's checksums. With signature verification on, a
//! decoder checks each chunk's signature as the chunk completes
//! ([`ChunkDecoder::verifying`]).

use std::fmt;

use bytes::{Buf, Bytes, BytesMut};
use nimbus_core::AwsError;

use crate::auth::verify::ChunkSignatureChain;

/// The smallest chunk AWS accepts in a signed stream, except for the last one.
pub const MIN_SIGNED_CHUNK: usize = 8192;

/// The longest chunk header or trailing header line accepted: a line that
/// never ends must not grow without bound.
const MAX_LINE: usize = 4096;

/// The most trailing header bytes accepted.
const MAX_TRAILERS: usize = 16 * 1024;

/// A de-chunked body and what the framing carried besides the data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecodedChunks {
    pub data: Vec<u8>,
    /// The `chunk-signature` of every chunk in order, the final empty one
    /// included; empty for unsigned streams.
    pub chunk_signatures: Vec<String>,
    /// Trailing headers (lower-case names), e.g. `x-amz-checksum-crc32`,
    /// without `x-amz-trailer-signature`.
    pub trailers: Vec<(String, String)>,
    /// `x-amz-trailer-signature`, in signed streams with trailers.
    pub trailer_signature: Option<String>,
}

/// Why a chunked body was rejected. Each maps to the error S3 returns.
#[derive(Debug, Clone, PartialEq)]
pub enum ChunkError {
    /// The framing is broken (bad size line, missing CRLF, truncated data).
    Malformed(String),
    /// A chunk other than the last was smaller than [`MIN_SIGNED_CHUNK`].
    ChunkTooSmall,
    /// A chunk's signature does not match (`SignatureDoesNotMatch`, as is).
    Signature(Box<AwsError>),
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkError::Malformed(why) => f.write_str(why),
            ChunkError::ChunkTooSmall => {
                f.write_str("Only the last chunk is allowed to have a size less than 8192 bytes")
            }
            ChunkError::Signature(error) => f.write_str(&error.message),
        }
    }
}

/// Decodes a whole `aws-chunked` body. `signed` enforces the minimum chunk
/// size of signed streams.
pub fn decode(body: &[u8], signed: bool) -> Result<DecodedChunks, ChunkError> {
    let (data, mut decoded) = decode_bytes(Bytes::copy_from_slice(body), signed)?;
    decoded.data = data.to_vec();
    Ok(decoded)
}

/// Checks the chunk signatures of a whole signed `aws-chunked` body (its
/// data is decoded, and dropped, on the way).
pub fn verify_signatures(body: Bytes, chain: ChunkSignatureChain) -> Result<(), ChunkError> {
    let mut decoder = ChunkDecoder::verifying(chain);
    decoder.feed(body)?;
    decoder.finish().map(drop)
}

/// Decodes a whole `aws-chunked` body into its data and the rest of what
/// the framing carried (whose `data` stays empty). Data sent as one chunk
/// is a slice of `body`, not a copy.
pub fn decode_bytes(body: Bytes, signed: bool) -> Result<(Bytes, DecodedChunks), ChunkError> {
    let mut decoder = ChunkDecoder::new(signed);
    let mut pieces = decoder.feed(body)?;
    let data = match pieces.len() {
        0 => Bytes::new(),
        1 => pieces.swap_remove(0),
        _ => {
            let mut joined = BytesMut::with_capacity(pieces.iter().map(Bytes::len).sum());
            for piece in &pieces {
                joined.extend_from_slice(piece);
            }
            joined.freeze()
        }
    };
    Ok((data, decoder.finish()?))
}

/// Where the decoder is in the framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a `<hex-size>[;extensions]` line.
    ChunkHeader,
    /// Passing on this many more bytes of chunk data.
    Data(usize),
    /// Expecting the CRLF after a chunk's data.
    DataEnd,
    /// After the final chunk: `name:value` lines until an empty one.
    Trailers,
    /// The empty line after the trailers was seen; anything more is ignored.
    Done,
}

/// An incremental `aws-chunked` decoder: feed it the body as it arrives and
/// it hands back the data (slices of the input, not copies); the signatures
/// and trailers are known once [`finish`](Self::finish) succeeds.
pub struct ChunkDecoder {
    signed: bool,
    state: State,
    /// Bytes of a line (or of a data-ending CRLF) split across inputs.
    pending: BytesMut,
    previous_chunk_len: Option<usize>,
    trailer_bytes: usize,
    tail: DecodedChunks,
    /// Checks each chunk's signature, when signatures are verified.
    signatures: Option<ChunkSignatureChain>,
}

impl ChunkDecoder {
    pub fn new(signed: bool) -> Self {
        ChunkDecoder {
            signed,
            state: State::ChunkHeader,
            pending: BytesMut::new(),
            previous_chunk_len: None,
            trailer_bytes: 0,
            tail: DecodedChunks::default(),
            signatures: None,
        }
    }

    /// A decoder of a signed stream that also checks every chunk's signature
    /// (the final empty chunk's included) as the chunk completes.
    pub fn verifying(chain: ChunkSignatureChain) -> Self {
        ChunkDecoder {
            signatures: Some(chain),
            ..ChunkDecoder::new(true)
        }
    }

    /// Decodes the next piece of the body: the chunk data it completes, in order.
    pub fn feed(&mut self, mut input: Bytes) -> Result<Vec<Bytes>, ChunkError> {
        let mut data = Vec::new();
        while !input.is_empty() {
            match self.state {
                State::Data(remaining) => {
                    let take = remaining.min(input.len());
                    let piece = input.split_to(take);
                    if let Some(chain) = &mut self.signatures {
                        chain.update(&piece);
                    }
                    data.push(piece);
                    self.state = if take == remaining {
                        self.end_of_chunk()?;
                        State::DataEnd
                    } else {
                        State::Data(remaining - take)
                    };
                }
                State::DataEnd => {
                    let need = 2 - self.pending.len();
                    let take = need.min(input.len());
                    self.pending.extend_from_slice(&input.split_to(take));
                    if self.pending.len() == 2 {
                        if &self.pending[..] != b"\r\n" {
                            return Err(ChunkError::Malformed(
                                "A chunk's data is not followed by CRLF.".into(),
                            ));
                        }
                        self.pending.clear();
                        self.state = State::ChunkHeader;
                    }
                }
                State::ChunkHeader | State::Trailers => {
                    let Some(line) = self.take_line(&mut input)? else {
                        continue;
                    };
                    if self.state == State::ChunkHeader {
                        self.chunk_header(&line)?;
                    } else {
                        self.trailer_line(&line)?;
                    }
                }
                State::Done => input.clear(),
            }
        }
        Ok(data)
    }

    /// The end of the body: the framing must be complete (a stream that
    /// ends right after the final chunk, without trailers or the last empty
    /// line, is accepted).
    pub fn finish(self) -> Result<DecodedChunks, ChunkError> {
        match self.state {
            State::Done => Ok(self.tail),
            State::Trailers if self.pending.is_empty() => Ok(self.tail),
            State::Trailers => Err(ChunkError::Malformed(
                "A trailing header is not terminated by CRLF.".into(),
            )),
            State::ChunkHeader => Err(ChunkError::Malformed(
                "A chunk header is not terminated by CRLF.".into(),
            )),
            State::Data(remaining) => Err(ChunkError::Malformed(format!(
                "The body ended {remaining} bytes before the end of a chunk."
            ))),
            State::DataEnd => Err(ChunkError::Malformed(
                "A chunk's data is not followed by CRLF.".into(),
            )),
        }
    }

    /// A complete line (without its CRLF) from what is pending and `input`,
    /// or `None` when `input` ran out first (it is kept for the next feed).
    fn take_line(&mut self, input: &mut Bytes) -> Result<Option<Bytes>, ChunkError> {
        // A CR at the end of the pending bytes may pair with an LF at the start of the input.
        if self.pending.last() == Some(&b'\r') && input.first() == Some(&b'\n') {
            input.advance(1);
            self.pending.truncate(self.pending.len() - 1);
            return Ok(Some(self.pending.split().freeze()));
        }
        match input.windows(2).position(|pair| pair == b"\r\n") {
            Some(end) => {
                let line = input.split_to(end);
                input.advance(2);
                if self.pending.is_empty() {
                    return Ok(Some(line));
                }
                self.pending.extend_from_slice(&line);
                Ok(Some(self.pending.split().freeze()))
            }
            None => {
                self.pending.extend_from_slice(input);
                input.clear();
                if self.pending.len() > MAX_LINE {
                    return Err(ChunkError::Malformed("A chunk header line is too long.".into()));
                }
                Ok(None)
            }
        }
    }

    /// A chunk's data is complete: its signature is checked.
    fn end_of_chunk(&mut self) -> Result<(), ChunkError> {
        match &mut self.signatures {
            Some(chain) => chain
                .end()
                .map_err(|error| ChunkError::Signature(Box::new(error))),
            None => Ok(()),
        }
    }

    fn chunk_header(&mut self, line: &[u8]) -> Result<(), ChunkError> {
        let (size, signature) = parse_chunk_header(line)?;
        if let Some(chain) = &mut self.signatures {
            chain.begin(signature.as_deref());
        }
        if let Some(signature) = signature {
            self.tail.chunk_signatures.push(signature);
        }
        if size == 0 {
            self.end_of_chunk()?;
            self.state = State::Trailers;
            return Ok(());
        }
        if self.signed && self.previous_chunk_len.is_some_and(|len| len < MIN_SIGNED_CHUNK) {
            return Err(ChunkError::ChunkTooSmall);
        }
        self.previous_chunk_len = Some(size);
        self.state = State::Data(size);
        Ok(())
    }

    fn trailer_line(&mut self, line: &[u8]) -> Result<(), ChunkError> {
        if line.is_empty() {
            self.state = State::Done;
            return Ok(());
        }
        self.trailer_bytes += line.len();
        if self.trailer_bytes > MAX_TRAILERS {
            return Err(ChunkError::Malformed("The trailing headers are too long.".into()));
        }
        let text = std::str::from_utf8(line)
            .map_err(|_| ChunkError::Malformed("A trailing header is not valid text.".into()))?;
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| ChunkError::Malformed(format!("Invalid trailing header '{text}'.")))?;
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().to_owned();
        if name == "x-amz-trailer-signature" {
            self.tail.trailer_signature = Some(value);
        } else {
            self.tail.trailers.push((name, value));
        }
        Ok(())
    }
}

/// `<hex-size>[;name=value]*` → size and the `chunk-signature` extension.
fn parse_chunk_header(line: &[u8]) -> Result<(usize, Option<String>), ChunkError> {
    let line = std::str::from_utf8(line)
        .map_err(|_| ChunkError::Malformed("A chunk header is not valid text.".into()))?;
    let mut parts = line.split(';');
    let size_text = parts.next().unwrap_or_default().trim();
    let size = usize::from_str_radix(size_text, 16)
        .ok()
        .filter(|_| !size_text.is_empty() && size_text.len() <= 16)
        .ok_or_else(|| ChunkError::Malformed(format!("Invalid chunk size '{size_text}'.")))?;
    let signature = parts
        .filter_map(|extension| extension.split_once('='))
        .find(|(name, _)| name.trim() == "chunk-signature")
        .map(|(_, value)| value.trim().to_owned());
    Ok((size, signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(c: char) -> String {
        std::iter::repeat_n(c, 64).collect()
    }

    #[test]
    fn decodes_signed_chunks_and_keeps_signatures() {
        let data = vec![b'a'; MIN_SIGNED_CHUNK];
        let mut body = Vec::new();
        body.extend_from_slice(format!("2000;chunk-signature={}\r\n", sig('1')).as_bytes());
        body.extend_from_slice(&data);
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(format!("5;chunk-signature={}\r\nhello\r\n", sig('2')).as_bytes());
        body.extend_from_slice(format!("0;chunk-signature={}\r\n\r\n", sig('3')).as_bytes());

        let decoded = decode(&body, true).expect("valid");
        assert_eq!(decoded.data.len(), MIN_SIGNED_CHUNK + 5);
        assert!(decoded.data.ends_with(b"hello"));
        assert_eq!(decoded.chunk_signatures, [sig('1'), sig('2'), sig('3')]);
        assert!(decoded.trailers.is_empty());
        assert_eq!(decoded.trailer_signature, None);
    }

    #[test]
    fn decodes_unsigned_trailer_stream_as_botocore_writes_it() {
        let body = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
        let decoded = decode(body, false).expect("valid");
        assert_eq!(decoded.data, b"hello world");
        assert!(decoded.chunk_signatures.is_empty());
        assert_eq!(
            decoded.trailers,
            [("x-amz-checksum-crc32".to_owned(), "DUoRhQ==".to_owned())]
        );
    }

    #[test]
    fn decodes_signed_trailers_and_their_signature() {
        let body = format!(
            "3;chunk-signature={a}\r\nabc\r\n0;chunk-signature={b}\r\nX-Amz-Checksum-Sha256 : abc=\r\nx-amz-trailer-signature:{c}\r\n\r\n",
            a = sig('a'),
            b = sig('b'),
            c = sig('c')
        );
        let decoded = decode(body.as_bytes(), true).expect("valid");
        assert_eq!(decoded.data, b"abc");
        assert_eq!(decoded.chunk_signatures, [sig('a'), sig('b')]);
        assert_eq!(
            decoded.trailers,
            [("x-amz-checksum-sha256".to_owned(), "abc=".to_owned())]
        );
        assert_eq!(decoded.trailer_signature, Some(sig('c')));
    }

    #[test]
    fn one_chunk_is_decoded_without_a_copy_and_several_are_joined() {
        let body = Bytes::from_static(b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n");
        let (data, tail) = decode_bytes(body.clone(), false).expect("valid");
        assert_eq!(data, &b"hello"[..]);
        assert_eq!(data.as_ptr(), body[3..].as_ptr(), "a slice of the body");
        assert_eq!(
            tail.trailers,
            [("x-amz-checksum-crc32".to_owned(), "AAAAAA==".to_owned())]
        );
        assert!(tail.data.is_empty());

        let (data, _) =
            decode_bytes(Bytes::from_static(b"2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n"), false).expect("valid");
        assert_eq!(data, &b"hello"[..]);
        assert!(matches!(
            decode_bytes(Bytes::from_static(b"5\r\nhel"), false),
            Err(ChunkError::Malformed(_))
        ));
    }

    #[test]
    fn empty_stream_and_missing_final_crlf_are_accepted() {
        assert_eq!(decode(b"0\r\n\r\n", false).expect("valid").data, b"");
        assert_eq!(decode(b"2\r\nhi\r\n0\r\n", false).expect("valid").data, b"hi");
    }

    #[test]
    fn small_chunks_before_the_last_are_rejected_only_when_signed() {
        let body = b"1;chunk-signature=00\r\na\r\n1;chunk-signature=00\r\nb\r\n0;chunk-signature=00\r\n\r\n";
        assert_eq!(decode(body, true), Err(ChunkError::ChunkTooSmall));
        assert_eq!(decode(body, false).expect("unsigned is lenient").data, b"ab");
    }

    #[test]
    fn any_split_of_the_input_decodes_the_same() {
        let body = format!(
            "3;chunk-signature={a}\r\nabc\r\n0;chunk-signature={b}\r\nx-amz-checksum-crc32:abc=\r\n\r\n",
            a = sig('a'),
            b = sig('b'),
        );
        let whole = decode(body.as_bytes(), true).expect("valid");
        for split in 1..body.len() {
            let mut decoder = ChunkDecoder::new(true);
            let mut data = Vec::new();
            for piece in body.as_bytes().chunks(split) {
                for part in decoder.feed(Bytes::copy_from_slice(piece)).expect("valid") {
                    data.extend_from_slice(&part);
                }
            }
            let mut tail = decoder.finish().expect("complete");
            tail.data = data;
            assert_eq!(tail, whole, "pieces of {split} bytes");
        }
    }

    /// The body of AWS's documented signed upload (see
    /// [`crate::auth::verify::documented_chain`]), with `second` as the signature
    /// of its second chunk.
    fn documented_body(second: &str) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(
            b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n",
        );
        body.extend_from_slice(&[b'a'; 65536]);
        body.extend_from_slice(format!("\r\n400;chunk-signature={second}\r\n").as_bytes());
        body.extend_from_slice(&[b'a'; 1024]);
        body.extend_from_slice(
            b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n",
        );
        body
    }

    #[test]
    fn verifying_decoder_checks_every_chunk_however_the_body_is_split() {
        let body = documented_body("0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
        for split in [1, 7, 4096, 65536, body.len()] {
            let mut decoder = ChunkDecoder::verifying(crate::auth::verify::documented_chain());
            let mut data = 0;
            for piece in body.chunks(split) {
                data += decoder
                    .feed(Bytes::copy_from_slice(piece))
                    .expect("signatures match")
                    .iter()
                    .map(Bytes::len)
                    .sum::<usize>();
            }
            decoder.finish().expect("complete");
            assert_eq!(data, 65536 + 1024, "pieces of {split} bytes");
        }
        let tampered = documented_body(&sig('0'));
        match verify_signatures(Bytes::from(tampered), crate::auth::verify::documented_chain()) {
            Err(ChunkError::Signature(error)) => assert_eq!(error.code, "SignatureDoesNotMatch"),
            other => panic!("expected a signature error, got {other:?}"),
        }
    }

    #[test]
    fn a_line_that_never_ends_is_refused() {
        let mut decoder = ChunkDecoder::new(false);
        let endless = Bytes::from(vec![b'a'; MAX_LINE + 1]);
        assert!(matches!(decoder.feed(endless), Err(ChunkError::Malformed(_))));
    }

    #[test]
    fn malformed_framing_is_rejected() {
        let cases: [&[u8]; 6] = [
            b"zz\r\nhello\r\n0\r\n\r\n",
            b"5\r\nhel",
            b"5\r\nhelloXX0\r\n\r\n",
            b"5",
            b"",
            b"3\r\nabc\r\n0\r\nno-colon-here\r\n\r\n",
        ];
        for body in cases {
            assert!(
                matches!(decode(body, false), Err(ChunkError::Malformed(_))),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
