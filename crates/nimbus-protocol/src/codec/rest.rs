//! HTTP bindings shared by `rest-json` and `rest-xml`: URI labels, query
//! strings, headers, status codes and payload members. Bodies are delegated to
//! the JSON codec (`json::value_from_json`/`value_to_json`) or the XML codec
//! (`xml::decode_structure`/`encode_structure`).

use nimbus_core::{AwsError, Value};

use crate::http_types::{HttpRequest, HttpResponse};
use crate::model::{Operation, ServiceModel};

/// Which body format the rest protocol carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Json,
    Xml,
}

/// The operation whose `http.method` and `http.requestUri` match the request
/// (the most specific one when several do). For S3, `request.path` is always
/// path-style: the gateway rewrites virtual-hosted requests first.
pub fn identify<'m>(model: &'m ServiceModel, request: &HttpRequest) -> Result<&'m Operation, AwsError> {
    let _ = (model, request);
    Err(AwsError::not_implemented("rest protocol", "identify"))
}

pub fn decode(
    format: BodyFormat,
    model: &ServiceModel,
    operation: &Operation,
    request: &HttpRequest,
) -> Result<Value, AwsError> {
    let _ = (format, model, operation, request);
    Err(AwsError::not_implemented("rest protocol", "decode"))
}

pub fn encode_response(
    format: BodyFormat,
    model: &ServiceModel,
    operation: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    let _ = (format, model, operation, output, request_id);
    HttpResponse {
        status: 501,
        ..Default::default()
    }
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
    let _ = (format, model, operation, request_id);
    HttpResponse {
        status: error.status,
        ..Default::default()
    }
}
