//! The `smithy-rpc-v2-cbor` protocol.
//!
//! A request is `POST /service/<ServiceName>/operation/<Operation>` (the
//! service name is the model's `targetPrefix`, e.g. CloudWatch's
//! `GraniteServiceVersion20100801`) with a CBOR body; every response carries
//! `smithy-protocol: rpc-v2-cbor`, errors a map with `__type` and the
//! error's members. Structures are maps keyed by member name, blobs byte
//! strings, timestamps tag 1 around epoch seconds.

use bytes::Bytes;
use ciborium::value::Value as Cbor;
use nimbus_core::AwsError;
use serde::Serialize;
use serde::de::DeserializeSeed;

use super::json::{error_type, insert_header};
use crate::de::cbor::CborDe;
use crate::de::document::{Doc, Format, serialization_error};
use crate::de::{Reader, Session, WireError};
use crate::http_types::{HttpRequest, HttpResponse};
use crate::model::{Model, Operation, Shape};
use crate::ser::SerError;
use crate::ser::document::{DocSer, Keys};
use crate::ser::sink::{CborSink, Sink};

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
pub fn identify<'m>(model: &'m Model, request: &HttpRequest) -> Result<&'m Operation, AwsError> {
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

/// A cbor request's body, parsed, read as the input structure.
pub(crate) struct CborReader<'m> {
    shape: &'m Shape,
    body: Cbor,
}

impl<'m> CborReader<'m> {
    pub fn new(shape: &'m Shape, body: &[u8]) -> Result<Self, AwsError> {
        let body = if body.is_empty() {
            Cbor::Map(Vec::new())
        } else {
            // ciborium refuses nesting beyond 256 levels rather than
            // recursing without bound; the shape walk stops at MAX_DEPTH.
            ciborium::de::from_reader(body)
                .map_err(|e| serialization_error(format!("Malformed CBOR request body: {e}")))?
        };
        Ok(CborReader { shape, body })
    }
}

impl Reader for CborReader<'_> {
    type Error = WireError;

    fn read<T, S>(&self, session: &Session<'_>, seed: S) -> Result<T, WireError>
    where
        S: for<'de> DeserializeSeed<'de, Value = T>,
    {
        seed.deserialize(Doc::top(
            session,
            Format::Cbor,
            self.shape,
            false,
            CborDe(&self.body),
        ))
    }

    fn format_error(&self, error: WireError) -> AwsError {
        serialization_error(error.to_string())
    }
}

pub fn encode_response<T: Serialize + ?Sized>(
    model: &Model,
    operation: &Operation,
    output: &T,
    request_id: &str,
) -> Result<HttpResponse, SerError> {
    // No output shape: no body at all (and so no Content-Type).
    let body = match model.output_of(operation) {
        Some(shape) => {
            let mut sink = CborSink::default();
            output.serialize(DocSer::new(model, shape, Keys::Name, &mut sink))?;
            Some(sink.out)
        }
        None => None,
    };
    Ok(response(200, body, request_id))
}

pub fn encode_error(model: &Model, error: &AwsError, request_id: &str) -> HttpResponse {
    let namespace = error_type::cbor_namespace(model);
    let identity = error_type::identify(model, error, Some(&namespace));
    let mut sink = CborSink::default();
    sink.begin_map();
    sink.key("__type");
    sink.string(&identity.type_name);
    let message_key = identity.message_key().to_owned();
    if !error.message.is_empty() {
        sink.key(&message_key);
        sink.string(&error.message);
    }
    let mut written = vec!["__type".to_owned(), message_key];
    for (name, value) in &error.fields {
        if written.iter().any(|known| known == name) {
            continue;
        }
        written.push(name.clone());
        let member = identity.shape.and_then(|shape| shape.member(name));
        sink.key(name);
        let result = match member {
            Some(member) => value.serialize(DocSer {
                member: Some(member),
                ..DocSer::new(model, model.target(member), Keys::Name, &mut sink)
            }),
            None => value.serialize(DocSer {
                keys: Keys::Name,
                ..super::json::untyped(model, &mut sink)
            }),
        };
        if result.is_err() {
            sink.null();
        }
    }
    sink.end_map();
    let mut response = response(error.status, Some(sink.out), request_id);
    if let Some(query_error) = &identity.query_error {
        insert_header(&mut response, "x-amzn-query-error", query_error);
    }
    response
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
