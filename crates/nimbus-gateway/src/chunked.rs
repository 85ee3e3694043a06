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
//! signatures and trailers are kept for verification and for S3's checksums.

use std::fmt;

/// The smallest chunk AWS accepts in a signed stream, except for the last one.
pub const MIN_SIGNED_CHUNK: usize = 8192;

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkError {
    /// The framing is broken (bad size line, missing CRLF, truncated data).
    Malformed(String),
    /// A chunk other than the last was smaller than [`MIN_SIGNED_CHUNK`].
    ChunkTooSmall,
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkError::Malformed(why) => f.write_str(why),
            ChunkError::ChunkTooSmall => {
                f.write_str("Only the last chunk is allowed to have a size less than 8192 bytes")
            }
        }
    }
}

/// Decodes an `aws-chunked` body. `signed` enforces the minimum chunk size
/// of signed streams.
pub fn decode(body: &[u8], signed: bool) -> Result<DecodedChunks, ChunkError> {
    let mut decoded = DecodedChunks::default();
    let mut rest = body;
    let mut previous_chunk_len: Option<usize> = None;
    loop {
        let (line, after_line) = split_line(rest)
            .ok_or_else(|| ChunkError::Malformed("A chunk header is not terminated by CRLF.".into()))?;
        let (size, signature) = parse_chunk_header(line)?;
        if let Some(signature) = signature {
            decoded.chunk_signatures.push(signature);
        }
        if size == 0 {
            parse_trailers(after_line, &mut decoded)?;
            return Ok(decoded);
        }
        if signed && previous_chunk_len.is_some_and(|len| len < MIN_SIGNED_CHUNK) {
            return Err(ChunkError::ChunkTooSmall);
        }
        if after_line.len() < size {
            return Err(ChunkError::Malformed(format!(
                "A chunk announced {size} bytes but only {} remain.",
                after_line.len()
            )));
        }
        let (data, after_data) = after_line.split_at(size);
        decoded.data.extend_from_slice(data);
        rest = after_data
            .strip_prefix(b"\r\n")
            .ok_or_else(|| ChunkError::Malformed("A chunk's data is not followed by CRLF.".into()))?;
        previous_chunk_len = Some(size);
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

/// The trailer section after the final chunk: `name:value` lines ended by an
/// empty line. A stream that simply ends after the final chunk is accepted.
fn parse_trailers(mut rest: &[u8], decoded: &mut DecodedChunks) -> Result<(), ChunkError> {
    while !rest.is_empty() {
        let (line, after) = split_line(rest)
            .ok_or_else(|| ChunkError::Malformed("A trailing header is not terminated by CRLF.".into()))?;
        if line.is_empty() {
            return Ok(());
        }
        let text = std::str::from_utf8(line)
            .map_err(|_| ChunkError::Malformed("A trailing header is not valid text.".into()))?;
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| ChunkError::Malformed(format!("Invalid trailing header '{text}'.")))?;
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().to_owned();
        if name == "x-amz-trailer-signature" {
            decoded.trailer_signature = Some(value);
        } else {
            decoded.trailers.push((name, value));
        }
        rest = after;
    }
    Ok(())
}

/// Splits at the first CRLF: the line without it, and what follows.
fn split_line(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = input.windows(2).position(|pair| pair == b"\r\n")?;
    Some((&input[..end], &input[end + 2..]))
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
