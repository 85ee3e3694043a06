//! HTTP bindings shared by `rest-json` and `rest-xml`: URI labels, query
//! strings, headers, status codes and payload members. Bodies are delegated to
//! the JSON codec (`json::value_from_json`/`value_to_json`) or the XML codec
//! (`xml::decode_structure`/`encode_structure`).
//!
//! - [`routing`]: method + `requestUri` templates → operation, compiled once per model.
//! - [`bindings`]: scalars as label, query and header text; header lists.
//! - [`request`]: a request into a value of the input shape.
//! - [`response`]: an output value into status, headers and body.
//! - [`errors`]: error envelopes (JSON, S3's `<Error>`, `<ErrorResponse>`)
//!   and the errors of requests that do not fit the model.

// `AwsError` is the error type of every codec entry point; boxing it here alone
// would buy nothing.
#![allow(clippy::result_large_err)]

mod bindings;
mod body;
mod errors;
mod request;
mod response;
mod routing;

use nimbus_core::{AwsError, Value};

use crate::codec::Protocol;
use crate::http_types::{HttpRequest, HttpResponse};
use crate::model::{Operation, ServiceModel};

pub use request::{decode_streaming, streaming_payload_member};
pub use routing::RouteIndex;

/// Which body format the rest protocol carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Json,
    Xml,
}

impl BodyFormat {
    fn protocol(self) -> Protocol {
        match self {
            BodyFormat::Json => Protocol::RestJson,
            BodyFormat::Xml => Protocol::RestXml,
        }
    }
}

/// S3 words its errors and request ids its own way (`<Error>` without an
/// `<ErrorResponse>` wrapper, `x-amz-request-id` plus `x-amz-id-2`).
fn is_s3(model: &ServiceModel) -> bool {
    model.metadata.endpoint_prefix == "s3"
}

/// The operation whose `http.method` and `http.requestUri` match the request
/// (the most specific one when several do). For S3, `request.path` is always
/// path-style: the gateway rewrites virtual-hosted requests first.
pub fn identify<'m>(model: &'m ServiceModel, request: &HttpRequest) -> Result<&'m Operation, AwsError> {
    let params = request.query_params();
    RouteIndex::of(model)
        .find(
            model,
            request.method.as_str(),
            &request.path,
            &params,
            &request.headers,
        )
        .ok_or_else(|| errors::no_route(model, request))
}

/// The request as a value of the operation's input shape, validated.
pub fn decode(
    format: BodyFormat,
    model: &ServiceModel,
    operation: &Operation,
    request: &HttpRequest,
) -> Result<Value, AwsError> {
    request::decode(format, model, operation, request)
}

/// A successful output: status from `http.responseCode` (or a `statusCode`
/// member), header-bound members as headers, the payload member or the other
/// members as the body.
pub fn encode_response(
    format: BodyFormat,
    model: &ServiceModel,
    operation: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    response::encode(format, model, operation, output, request_id)
}

/// `operation` is `None` when no operation matched; HEAD requests get no body
/// (the caller clears it, since only it knows the method).
pub fn encode_error(
    format: BodyFormat,
    model: &ServiceModel,
    operation: Option<&Operation>,
    error: &AwsError,
    request_id: &str,
) -> HttpResponse {
    errors::encode(format, model, operation, error, request_id)
}

#[cfg(test)]
mod tests;
