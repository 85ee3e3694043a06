//! Undoing `Content-Encoding` transformations that are transport, not
//! content: `aws-chunked` framing (SigV4 streaming) and gzip request
//! compression (botocore's `requestCompression`, e.g. CloudWatch
//! PutMetricData).
//!
//! For S3, gzip is part of the object (its stored `Content-Encoding`), so it
//! is never undone there; `aws-chunked` always is.

use std::io::Read;

use bytes::Bytes;
use http::HeaderValue;
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use nimbus_core::AwsError;
use nimbus_protocol::HttpRequest;
use nimbus_protocol::model::Profile;

use crate::auth::sigv4::{PayloadHash, RequestAuth};
use crate::body::chunked::{self, ChunkError};

/// What the `aws-chunked` framing carried besides data, for verification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChunkSignatures {
    pub chunk_signatures: Vec<String>,
    pub trailer_signature: Option<String>,
}

/// Replaces an `aws-chunked` body by its data, as if the client had sent it
/// plainly: trailing headers become headers, `aws-chunked` leaves
/// Content-Encoding, Content-Length is the decoded length.
pub fn decode_aws_chunked(
    request: &mut HttpRequest,
    auth: &RequestAuth,
) -> Result<Option<ChunkSignatures>, AwsError> {
    let Some(signed) = aws_chunked_signing(request, auth) else {
        return Ok(None);
    };
    let (data, decoded) = chunked::decode_bytes(request.body.clone(), signed).map_err(chunk_error)?;

    if let Some(expected) = request.header("x-amz-decoded-content-length") {
        let matches = expected.trim().parse::<u64>().ok() == Some(data.len() as u64);
        if !matches {
            return Err(decoded_length_mismatch(expected, data.len() as u64));
        }
    }

    for (name, value) in &decoded.trailers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            request.headers.insert(name, value);
        }
    }
    remove_encoding(request, "aws-chunked");
    request
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(data.len()));
    request.body = data;
    Ok(Some(ChunkSignatures {
        chunk_signatures: decoded.chunk_signatures,
        trailer_signature: decoded.trailer_signature,
    }))
}

/// Whether the body is `aws-chunked` (listed in Content-Encoding or implied
/// by a `STREAMING-*` payload hash), and if so whether its chunks are signed.
fn aws_chunked_signing(request: &HttpRequest, auth: &RequestAuth) -> Option<bool> {
    let payload = match auth {
        RequestAuth::SigV4(sig) => sig.payload.clone(),
        _ => PayloadHash::from_headers(&request.headers),
    };
    let listed = encodings(request)
        .iter()
        .any(|e| e.eq_ignore_ascii_case("aws-chunked"));
    let streaming = payload.streaming();
    if !listed && streaming.is_none() {
        return None;
    }
    Some(streaming.is_some_and(|mode| mode.chunk_signing.is_some()))
}

/// How a streamed `aws-chunked` body is to be de-chunked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkedUpload {
    /// Signed streams require chunks of at least 8 KiB but the last.
    pub signed: bool,
    /// `x-amz-decoded-content-length`, which the data must match.
    pub decoded_len: Option<u64>,
    /// The trailing headers `x-amz-trailer` announces (lower-case).
    pub trailer_names: Vec<String>,
}

/// For a body that will be streamed: whether it is `aws-chunked`, and if
/// so the request's headers are made to look as if the client had sent the
/// data plainly (`aws-chunked` leaves Content-Encoding, Content-Length is
/// the decoded length). Its trailers only arrive with the body's end.
pub fn streamed_aws_chunked(
    request: &mut HttpRequest,
    auth: &RequestAuth,
) -> Result<Option<ChunkedUpload>, AwsError> {
    let Some(signed) = aws_chunked_signing(request, auth) else {
        return Ok(None);
    };
    let decoded_len = match request.header("x-amz-decoded-content-length") {
        None => None,
        Some(text) => Some(text.trim().parse::<u64>().map_err(|_| {
            AwsError::new(
                "InvalidArgument",
                format!("Invalid x-amz-decoded-content-length: '{text}'."),
                400,
            )
        })?),
    };
    remove_encoding(request, "aws-chunked");
    match decoded_len {
        Some(len) => {
            request.headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
        }
        None => {
            request.headers.remove(CONTENT_LENGTH);
        }
    }
    let trailer_names = request
        .header("x-amz-trailer")
        .map(|names| {
            names
                .split(',')
                .map(|name| name.trim().to_ascii_lowercase())
                .filter(|name| !name.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(ChunkedUpload {
        signed,
        decoded_len,
        trailer_names,
    }))
}

/// The error S3 answers for broken `aws-chunked` framing.
pub fn chunk_error(error: ChunkError) -> AwsError {
    match error {
        ChunkError::ChunkTooSmall => AwsError::new("InvalidChunkSizeError", error.to_string(), 400),
        ChunkError::Signature(error) => *error,
        ChunkError::Malformed(why) => AwsError::new(
            "IncompleteBody",
            format!("The aws-chunked request body is malformed: {why}"),
            400,
        ),
    }
}

/// The chunks held another number of bytes than `x-amz-decoded-content-length` said.
pub fn decoded_length_mismatch(expected: &str, actual: u64) -> AwsError {
    AwsError::new(
        "IncompleteBody",
        format!(
            "You did not provide the number of bytes specified by the x-amz-decoded-content-length \
             HTTP header ({expected}); the chunks held {actual}."
        ),
        400,
    )
}

/// Decompresses a gzip-encoded body (at most `limit` bytes of output).
pub fn gunzip(request: &mut HttpRequest, limit: usize, profile: &Profile) -> Result<(), AwsError> {
    let gzipped = encodings(request).iter().any(|e| e.eq_ignore_ascii_case("gzip"));
    if !gzipped {
        return Ok(());
    }
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&request.body[..])
        .take(limit as u64 + 1)
        .read_to_end(&mut plain)
        .map_err(|error| {
            AwsError::new(
                "SerializationException",
                format!("The request body is not valid gzip: {error}"),
                400,
            )
        })?;
    if plain.len() > limit {
        return Err(crate::body::too_large(limit, profile));
    }
    remove_encoding(request, "gzip");
    request
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(plain.len()));
    request.body = Bytes::from(plain);
    Ok(())
}

fn encodings(request: &HttpRequest) -> Vec<String> {
    request
        .headers
        .get_all(CONTENT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        .collect()
}

fn remove_encoding(request: &mut HttpRequest, encoding: &str) {
    let rest: Vec<String> = encodings(request)
        .into_iter()
        .filter(|e| !e.eq_ignore_ascii_case(encoding))
        .collect();
    request.headers.remove(CONTENT_ENCODING);
    if !rest.is_empty()
        && let Ok(value) = HeaderValue::from_str(&rest.join(","))
    {
        request.headers.insert(CONTENT_ENCODING, value);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use http::{HeaderMap, Method};

    use super::*;
    use crate::auth::sigv4;

    fn request(headers: &[(&'static str, &str)], body: &[u8]) -> HttpRequest {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(*name, HeaderValue::from_str(value).expect("valid"));
        }
        HttpRequest {
            method: Method::PUT,
            path: "/b/k".into(),
            query: String::new(),
            headers: map,
            body: Bytes::copy_from_slice(body),
        }
    }

    #[test]
    fn unsigned_trailer_upload_becomes_a_plain_request() {
        let mut req = request(
            &[
                ("content-encoding", "gzip,aws-chunked"),
                ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
                ("x-amz-decoded-content-length", "5"),
                ("x-amz-trailer", "x-amz-checksum-crc32"),
                ("content-length", "48"),
            ],
            b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n",
        );
        let auth = sigv4::parse(&req.headers, &[]).expect("auth");
        let signatures = decode_aws_chunked(&mut req, &auth)
            .expect("decodes")
            .expect("was chunked");
        assert!(signatures.chunk_signatures.is_empty());
        assert_eq!(&req.body[..], b"hello");
        assert_eq!(req.header("content-length"), Some("5"));
        assert_eq!(req.header("content-encoding"), Some("gzip"));
        assert_eq!(req.header("x-amz-checksum-crc32"), Some("NhCmhg=="));
    }

    #[test]
    fn signed_stream_keeps_chunk_signatures() {
        let mut req = request(
            &[
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
                ),
                ("content-encoding", "aws-chunked"),
                ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
                ("x-amz-decoded-content-length", "3"),
            ],
            b"3;chunk-signature=aa\r\nabc\r\n0;chunk-signature=bb\r\n\r\n",
        );
        let auth = sigv4::parse(&req.headers, &[]).expect("auth");
        let signatures = decode_aws_chunked(&mut req, &auth)
            .expect("decodes")
            .expect("was chunked");
        assert_eq!(signatures.chunk_signatures, ["aa", "bb"]);
        assert_eq!(&req.body[..], b"abc");
        assert_eq!(req.header("content-encoding"), None);
    }

    #[test]
    fn wrong_decoded_length_and_bad_framing_are_400s() {
        let mut short = request(
            &[
                ("content-encoding", "aws-chunked"),
                ("x-amz-decoded-content-length", "9"),
            ],
            b"3\r\nabc\r\n0\r\n\r\n",
        );
        let err = decode_aws_chunked(&mut short, &RequestAuth::Anonymous).expect_err("mismatch");
        assert_eq!((err.code.as_ref(), err.status), ("IncompleteBody", 400));

        let mut garbage = request(&[("content-encoding", "aws-chunked")], b"xyz\r\n");
        let err = decode_aws_chunked(&mut garbage, &RequestAuth::Anonymous).expect_err("malformed");
        assert_eq!(err.status, 400);
    }

    #[test]
    fn plain_bodies_are_left_alone() {
        let mut req = request(&[("content-type", "text/plain")], b"5\r\nhello\r\n0\r\n\r\n");
        assert_eq!(decode_aws_chunked(&mut req, &RequestAuth::Anonymous), Ok(None));
        assert_eq!(&req.body[..], b"5\r\nhello\r\n0\r\n\r\n");
    }

    #[test]
    fn streamed_uploads_look_plain_and_announce_their_trailers() {
        let mut req = request(
            &[
                ("content-encoding", "aws-chunked"),
                ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
                ("x-amz-decoded-content-length", "1048576"),
                ("x-amz-trailer", "X-Amz-Checksum-CRC32"),
                ("content-length", "1048700"),
            ],
            b"",
        );
        let auth = sigv4::parse(&req.headers, &[]).expect("auth");
        let upload = streamed_aws_chunked(&mut req, &auth)
            .expect("valid")
            .expect("chunked");
        assert_eq!(
            upload,
            ChunkedUpload {
                signed: false,
                decoded_len: Some(1_048_576),
                trailer_names: vec!["x-amz-checksum-crc32".to_owned()],
            }
        );
        assert_eq!(req.header("content-length"), Some("1048576"));
        assert_eq!(req.header("content-encoding"), None);

        let mut plain = request(&[("content-length", "9")], b"");
        assert_eq!(
            streamed_aws_chunked(&mut plain, &RequestAuth::Anonymous),
            Ok(None)
        );
        let mut bad = request(
            &[
                ("content-encoding", "aws-chunked"),
                ("x-amz-decoded-content-length", "lots"),
            ],
            b"",
        );
        let error = streamed_aws_chunked(&mut bad, &RequestAuth::Anonymous).expect_err("bad length");
        assert_eq!(error.status, 400);
    }

    #[test]
    fn gunzips_compressed_requests() {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder
            .write_all(b"Action=PutMetricData&Namespace=x")
            .expect("gzip");
        let gz = encoder.finish().expect("gzip");
        let mut req = request(&[("content-encoding", "gzip")], &gz);
        gunzip(&mut req, 1024, &Profile::default()).expect("gunzips");
        assert_eq!(&req.body[..], b"Action=PutMetricData&Namespace=x");
        assert_eq!(req.header("content-encoding"), None);

        let mut bomb = request(&[("content-encoding", "gzip")], &gz);
        assert_eq!(
            gunzip(&mut bomb, 8, &Profile::default())
                .expect_err("too large")
                .status,
            413
        );

        let mut broken = request(&[("content-encoding", "gzip")], b"not gzip");
        assert_eq!(
            gunzip(&mut broken, 1024, &Profile::default())
                .expect_err("invalid")
                .status,
            400
        );
    }
}
