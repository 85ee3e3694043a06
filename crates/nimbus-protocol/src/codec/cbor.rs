//! The `smithy-rpc-v2-cbor` protocol.
//!
//! A request is `POST /service/<ServiceName>/operation/<Operation>` (the
//! service name is the model's `targetPrefix`, e.g. CloudWatch's
//! `GraniteServiceVersion20100801`) with a CBOR body; every response carries
//! `smithy-protocol: rpc-v2-cbor`, errors a map with `__type` and the
//! error's members.

// AwsError is the error every codec returns, whatever its size.
#![allow(clippy::result_large_err)]

mod body;

use bytes::Bytes;
use ciborium::value::Value as Cbor;
use nimbus_core::{AwsError, Value};

pub use body::{value_from_cbor, value_to_cbor};

use crate::codec::Protocol;
use crate::codec::json::{error_type, insert_header, serialization_error};
use crate::http_types::{HttpRequest, HttpResponse};
use crate::model::{Operation, ServiceModel};
use crate::validate;

/// The `smithy-protocol` header value of this protocol.
pub const PROTOCOL_HEADER_VALUE: &str = "rpc-v2-cbor";

/// `(service name, operation name)` of a `/service/<S>/operation/<O>` path;
/// the path may carry a prefix before `/service/`.
pub fn split_path(path: &str) -> Option<(&str, &str)> {
    let path = path.split('?').next().unwrap_or(path);
    let mut segments = path.trim_end_matches('/').rsplit('/');
    let operation = segments.next()?;
    let operation_keyword = segments.next()?;
    let service = segments.next()?;
    let service_keyword = segments.next()?;
    (operation_keyword == "operation"
        && service_keyword == "service"
        && !service.is_empty()
        && !operation.is_empty())
    .then_some((service, operation))
}

/// Smithy servers answer an unknown service or operation with a 404.
fn unknown_operation(message: String) -> AwsError {
    AwsError::new("UnknownOperationException", message, 404)
}

/// The operation named by the path `/service/<ServiceName>/operation/<Operation>`.
pub fn identify<'m>(model: &'m ServiceModel, request: &HttpRequest) -> Result<&'m Operation, AwsError> {
    let Some((service, operation)) = split_path(&request.path) else {
        return Err(unknown_operation(format!(
            "'{}' is not an rpcv2Cbor path: expected /service/<ServiceName>/operation/<Operation>",
            request.path
        )));
    };
    if let Some(prefix) = model.metadata.target_prefix.as_deref()
        && service != prefix
    {
        return Err(unknown_operation(format!("Unknown service {service}")));
    }
    model
        .operation(operation)
        .ok_or_else(|| unknown_operation(format!("Unknown operation {operation}")))
}

pub fn decode(model: &ServiceModel, operation: &Operation, request: &HttpRequest) -> Result<Value, AwsError> {
    let Some(input) = &operation.input else {
        return Ok(Value::empty());
    };
    let value = if request.body.is_empty() {
        Value::empty()
    } else {
        // ciborium refuses nesting beyond 256 levels rather than recursing
        // without bound; the shape walk stops at MAX_DEPTH.
        let cbor: Cbor = ciborium::de::from_reader(request.body.as_ref())
            .map_err(|e| serialization_error(format!("Malformed CBOR request body: {e}")))?;
        if !matches!(cbor, Cbor::Map(_)) {
            return Err(serialization_error("The request body must be a CBOR map"));
        }
        value_from_cbor(model, &input.shape, &cbor)?
    };
    validate::check(Protocol::Cbor, model, &input.shape, &value)?;
    Ok(value)
}

pub fn encode_response(
    model: &ServiceModel,
    operation: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    // No output shape: no body at all (and so no Content-Type).
    let body = operation
        .output
        .as_ref()
        .map(|output_ref| encode(&value_to_cbor(model, &output_ref.shape, output)));
    response(200, body, request_id)
}

pub fn encode_error(model: &ServiceModel, error: &AwsError, request_id: &str) -> HttpResponse {
    let namespace = error_type::cbor_namespace(model);
    let identity = error_type::identify(model, error, namespace.as_deref());
    let mut entries = vec![(
        Cbor::Text("__type".to_owned()),
        Cbor::Text(identity.type_name.clone()),
    )];
    if !error.message.is_empty() {
        entries.push((
            Cbor::Text(identity.message_key().to_owned()),
            Cbor::Text(error.message.clone()),
        ));
    }
    for (name, value) in &error.fields {
        let already_set = entries
            .iter()
            .any(|(key, _)| matches!(key, Cbor::Text(k) if k == name));
        if already_set {
            continue;
        }
        let member = identity.shape.and_then(|(_, shape)| shape.members.get(name));
        let item = match member {
            Some(member) => body::member_to_cbor(model, member, value),
            None => body::untyped_cbor(value),
        };
        entries.push((Cbor::Text(name.clone()), item));
    }
    let mut response = response(error.status, Some(encode(&Cbor::Map(entries))), request_id);
    if let Some(query_error) = &identity.query_error {
        insert_header(&mut response, "x-amzn-query-error", query_error);
    }
    response
}

fn encode(cbor: &Cbor) -> Vec<u8> {
    let mut bytes = Vec::new();
    // Writing into a Vec cannot fail; an empty map is the safe fallback.
    if ciborium::ser::into_writer(cbor, &mut bytes).is_err() {
        bytes = vec![0xa0];
    }
    bytes
}

fn response(status: u16, body: Option<Vec<u8>>, request_id: &str) -> HttpResponse {
    let mut response = HttpResponse {
        status,
        ..Default::default()
    };
    insert_header(&mut response, "smithy-protocol", PROTOCOL_HEADER_VALUE);
    insert_header(&mut response, "x-amzn-requestid", request_id);
    if let Some(body) = body {
        insert_header(&mut response, "content-type", "application/cbor");
        response.body = Bytes::from(body);
    }
    response
}

#[cfg(test)]
mod tests;
