//! Writing a rest response: status, request-id headers, and the output
//! through [`crate::ser::rest`].

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};
use nimbus_core::ByteStream;
use serde::Serialize;

use super::BodyFormat;
use crate::http_types::HttpResponse;
use crate::model::{Model, Operation};
use crate::ser::SerError;
use crate::ser::rest::RestOutput;

/// The headers a response makes room for at first: the request ids, the
/// content type and a GetObject's object headers.
const RESPONSE_HEADERS: usize = 12;

pub fn encode<T: Serialize + ?Sized>(
    format: BodyFormat,
    model: &Model,
    operation: &Operation,
    output: &T,
    stream: Option<ByteStream>,
    request_id: &str,
) -> Result<HttpResponse, SerError> {
    let mut response = HttpResponse {
        status: operation.http.response_code.unwrap_or(200),
        // Room for the usual headers up front: growing the map as they are
        // inserted costs more than the inserts.
        headers: HeaderMap::with_capacity(RESPONSE_HEADERS),
        ..HttpResponse::default()
    };
    // A payload already in memory is the body; only a real stream streams.
    match stream.map(ByteStream::into_bytes) {
        Some(Ok(bytes)) => response.body = bytes,
        Some(Err(stream)) => response.stream = Some(stream),
        None => {}
    }
    write_request_id(model, &mut response, request_id);
    if let Some(output_ref) = &operation.output {
        output.serialize(RestOutput {
            model,
            output: output_ref,
            format,
            response: &mut response,
        })?;
    }
    Ok(response)
}

/// The request id where the service's clients read it: `x-amzn-RequestId`,
/// or (S3-style, by profile) `x-amz-request-id` with an `x-amz-id-2` host id.
pub fn write_request_id(model: &Model, response: &mut HttpResponse, request_id: &str) {
    // Names as constants: parsing them costs more than the rest of the insert.
    const HOST_REQUEST_ID: HeaderName = HeaderName::from_static("x-amz-request-id");
    const HOST_ID: HeaderName = HeaderName::from_static("x-amz-id-2");
    const REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");
    let Ok(id) = HeaderValue::from_str(request_id) else {
        return;
    };
    if model.profile.host_id {
        response.headers.insert(HOST_REQUEST_ID, id);
        if let Ok(host_id) = HeaderValue::from_maybe_shared(Bytes::from(host_id(request_id))) {
            response.headers.insert(HOST_ID, host_id);
        }
    } else {
        response.headers.insert(REQUEST_ID, id);
    }
}

/// The extended request id; derived from the request id so both name the
/// same request.
pub fn host_id(request_id: &str) -> String {
    BASE64.encode(request_id.as_bytes())
}
