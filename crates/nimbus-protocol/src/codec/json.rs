//! The `json` protocols (awsJson1_0, awsJson1_1), including awsQueryCompatible
//! errors, and the shape-driven JSON body codec that rest-json shares.

use nimbus_core::{AwsError, Value};

use crate::http_types::{HttpRequest, HttpResponse};
use crate::model::{Operation, ServiceModel};

/// The operation named by `X-Amz-Target: <targetPrefix>.<Operation>`.
pub fn identify<'m>(model: &'m ServiceModel, request: &HttpRequest) -> Result<&'m Operation, AwsError> {
    let _ = (model, request);
    Err(AwsError::not_implemented("json protocol", "identify"))
}

pub fn decode(model: &ServiceModel, operation: &Operation, request: &HttpRequest) -> Result<Value, AwsError> {
    let _ = (model, operation, request);
    Err(AwsError::not_implemented("json protocol", "decode"))
}

/// `json_version` is "1.0" or "1.1" (the Content-Type suffix).
pub fn encode_response(
    json_version: &str,
    model: &ServiceModel,
    operation: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    let _ = (json_version, model, operation, output, request_id);
    HttpResponse {
        status: 501,
        ..Default::default()
    }
}

pub fn encode_error(
    json_version: &str,
    model: &ServiceModel,
    error: &AwsError,
    request_id: &str,
) -> HttpResponse {
    let _ = (json_version, model, request_id);
    HttpResponse {
        status: error.status,
        ..Default::default()
    }
}

/// A JSON document to a value of the shape `shape_name` (used by rest-json bodies too).
pub fn value_from_json(
    model: &ServiceModel,
    shape_name: &str,
    json: &serde_json::Value,
) -> Result<Value, AwsError> {
    let _ = (model, shape_name, json);
    Err(AwsError::not_implemented("json protocol", "value_from_json"))
}

/// A value of the shape `shape_name` to a JSON document (used by rest-json bodies too).
pub fn value_to_json(model: &ServiceModel, shape_name: &str, value: &Value) -> serde_json::Value {
    let _ = (model, shape_name, value);
    serde_json::Value::Null
}
