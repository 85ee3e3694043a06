//! The `json` protocols (awsJson1_0, awsJson1_1), including awsQueryCompatible
//! errors, and the shape-driven JSON body codec that rest-json shares.
//!
//! A request is `POST /` with `X-Amz-Target: <targetPrefix>.<Operation>` and
//! a JSON body (empty means `{}`); a response is the output structure as JSON,
//! an error `{"__type": ..., "message": ...}` plus the error's members.

// AwsError is the error every codec returns, whatever its size.
#![allow(clippy::result_large_err)]

mod body;
pub(crate) mod error_type;
mod writer;

use bytes::Bytes;
use http::HeaderValue;
use nimbus_core::{AwsError, Value};
use serde_json::{Map, Value as Json};

pub(crate) use body::{
    integer_in_range, java_type, member_to_json, serialization_error, too_deep, untyped_json, wire_name,
};
pub use body::{value_from_json, value_to_json};
pub use writer::write_value;

use crate::codec::Protocol;
use crate::http_types::{HttpRequest, HttpResponse};
use crate::model::{Operation, ServiceModel};
use crate::validate;

/// Splits an `X-Amz-Target` value into its prefix and operation name
/// (`DynamoDB_20120810.GetItem` → `("DynamoDB_20120810", "GetItem")`); the
/// gateway uses the prefix to find the service.
pub fn split_target(target: &str) -> Option<(&str, &str)> {
    target
        .rsplit_once('.')
        .filter(|(prefix, op)| !prefix.is_empty() && !op.is_empty())
}

fn unknown_operation(message: String) -> AwsError {
    AwsError::new("UnknownOperationException", message, 400)
}

/// The operation named by `X-Amz-Target: <targetPrefix>.<Operation>`.
pub fn identify<'m>(model: &'m ServiceModel, request: &HttpRequest) -> Result<&'m Operation, AwsError> {
    let Some(target) = request.header("x-amz-target") else {
        return Err(unknown_operation(
            "Missing X-Amz-Target header: json requests name their operation as <service>.<Operation>"
                .to_owned(),
        ));
    };
    let operation_name = match model.metadata.target_prefix.as_deref() {
        // The prefix may itself contain dots (`com.amazonaws.foo`).
        Some(prefix) => target
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('.'))
            .ok_or_else(|| {
                unknown_operation(format!(
                    "X-Amz-Target '{target}' does not name an operation of {prefix}"
                ))
            })?,
        None => split_target(target).map_or(target, |(_, op)| op),
    };
    model
        .operation(operation_name)
        .ok_or_else(|| unknown_operation(format!("Unknown operation {operation_name}")))
}

pub fn decode(model: &ServiceModel, operation: &Operation, request: &HttpRequest) -> Result<Value, AwsError> {
    let Some(input) = &operation.input else {
        return Ok(Value::empty());
    };
    let json = parse_body(&request.body)?;
    if !json.is_object() {
        return Err(serialization_error(
            "The request body must be a JSON object".to_owned(),
        ));
    }
    let value = value_from_json(model, &input.shape, &json)?;
    let protocol = if model.metadata.json_version.as_deref() == Some("1.0") {
        Protocol::Json10
    } else {
        Protocol::Json11
    };
    validate::check(protocol, model, &input.shape, &value)?;
    Ok(value)
}

/// The request body as JSON; an empty body is an empty object.
fn parse_body(body: &[u8]) -> Result<Json, AwsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Json::Object(Map::new()));
    }
    // serde_json refuses nesting beyond 128 levels, so hostile input cannot
    // exhaust the stack here.
    serde_json::from_slice(body).map_err(|e| serialization_error(format!("Malformed JSON request body: {e}")))
}

/// `json_version` is "1.0" or "1.1" (the Content-Type suffix).
pub fn encode_response(
    json_version: &str,
    model: &ServiceModel,
    operation: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    let body = match &operation.output {
        Some(output_ref) => {
            let mut body = Vec::with_capacity(256);
            write_value(model, &output_ref.shape, output, &mut body);
            body
        }
        None => b"{}".to_vec(),
    };
    response(json_version, model, 200, body, request_id)
}

pub fn encode_error(
    json_version: &str,
    model: &ServiceModel,
    error: &AwsError,
    request_id: &str,
) -> HttpResponse {
    let namespace = error_type::json_namespace(model);
    let identity = error_type::identify(model, error, namespace.as_deref());
    let mut object = Map::new();
    object.insert("__type".to_owned(), Json::String(identity.type_name.clone()));
    if !error.message.is_empty() {
        object.insert(
            identity.message_key().to_owned(),
            Json::String(error.message.clone()),
        );
    }
    for (name, value) in &error.fields {
        let member = identity
            .shape
            .and_then(|(_, shape)| shape.members.get_key_value(name));
        let (key, json) = match member {
            Some((name, member)) => (wire_name(name, member), member_to_json(model, member, value)),
            None => (name.as_str(), untyped_json(value)),
        };
        object.entry(key).or_insert(json);
    }
    let body = serde_json::to_vec(&Json::Object(object)).unwrap_or_default();
    let mut response = response(json_version, model, error.status, body, request_id);
    insert_header(&mut response, "x-amzn-errortype", &identity.code);
    if let Some(query_error) = &identity.query_error {
        insert_header(&mut response, "x-amzn-query-error", query_error);
    }
    response
}

/// A json protocol response: content type, request id, and for DynamoDB the
/// body checksum its clients verify.
fn response(
    json_version: &str,
    model: &ServiceModel,
    status: u16,
    body: Vec<u8>,
    request_id: &str,
) -> HttpResponse {
    let mut response = HttpResponse {
        status,
        ..Default::default()
    };
    insert_header(
        &mut response,
        "content-type",
        &format!("application/x-amz-json-{json_version}"),
    );
    insert_header(&mut response, "x-amzn-requestid", request_id);
    if matches!(
        model.metadata.endpoint_prefix.as_str(),
        "dynamodb" | "streams.dynamodb"
    ) {
        insert_header(&mut response, "x-amz-crc32", &crc32fast::hash(&body).to_string());
    }
    response.body = Bytes::from(body);
    response
}

/// Sets a header; a value that is not a valid header is dropped rather than
/// failing the response (all values here are ours, never raw client input).
pub(crate) fn insert_header(response: &mut HttpResponse, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers.insert(name, value);
    }
}

#[cfg(test)]
mod tests;
