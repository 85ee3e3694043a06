//! Reading a request body from the connection, within a size limit.
//!
//! Bodies are buffered whole because the codecs work on complete requests.
//! Large S3 uploads will later bypass this and stream to the store; the
//! limits (see [`crate::GatewayConfig`]) keep a client from exhausting memory
//! until then.

use bytes::Bytes;
use http::HeaderMap;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use nimbus_core::AwsError;

/// Collects the body, refusing more than `limit` bytes (before reading
/// anything when `Content-Length` already says so).
pub async fn collect(headers: &HeaderMap, body: Incoming, limit: usize, s3: bool) -> Result<Bytes, AwsError> {
    let announced = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|len| len > limit as u64) {
        return Err(too_large(limit, s3));
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => Err(too_large(limit, s3)),
        Err(error) => Err(AwsError::new(
            if s3 { "IncompleteBody" } else { "IncompleteRequest" },
            format!("The request body could not be read: {error}"),
            400,
        )),
    }
}

/// The error for a body over the limit, as S3 or as other services word it.
pub fn too_large(limit: usize, s3: bool) -> AwsError {
    if s3 {
        AwsError::new(
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed object size.",
            400,
        )
        .with_field("MaxSizeAllowed", limit as i64)
    } else {
        AwsError::new(
            "RequestEntityTooLarge",
            format!("Request body exceeds the maximum of {limit} bytes nimbus accepts."),
            413,
        )
    }
}
