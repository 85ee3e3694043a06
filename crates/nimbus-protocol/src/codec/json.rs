//! The `json` protocols (awsJson1_0, awsJson1_1), including awsQueryCompatible
//! errors.
//!
//! A request is `POST /` with `X-Amz-Target: <targetPrefix>.<Operation>` and
//! a JSON body (empty means `{}`); a response is the output structure as JSON,
//! an error `{"__type": ..., "message": ...}` plus the error's members.

pub(crate) mod error_type;

use bytes::Bytes;
use http::HeaderValue;
use nimbus_core::{AwsError, Value};
use serde::Serialize;
use serde::de::DeserializeSeed;

use crate::de::document::{Doc, Format};
use crate::de::{Reader, Session};
use crate::http_types::{HttpRequest, HttpResponse};
use crate::model::{Model, Operation, Shape};
use crate::protocol::Protocol;
use crate::ser::SerError;
use crate::ser::document::{DocSer, Keys};
use crate::ser::sink::{JsonSink, Sink};

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
pub fn identify<'m>(model: &'m Model, request: &HttpRequest) -> Result<&'m Operation, AwsError> {
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

/// A json request's body, read as the input structure.
pub(crate) struct JsonReader<'r, 'm> {
    shape: &'m Shape,
    body: &'r [u8],
}

impl<'r, 'm> JsonReader<'r, 'm> {
    pub fn new(shape: &'m Shape, body: &'r [u8]) -> Self {
        // An empty body is an empty object.
        let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            body
        };
        JsonReader { shape, body }
    }
}

impl Reader for JsonReader<'_, '_> {
    type Error = serde_json::Error;

    fn read<T, S>(&self, session: &Session<'_>, seed: S) -> Result<T, serde_json::Error>
    where
        S: for<'de> DeserializeSeed<'de, Value = T>,
    {
        // serde_json refuses nesting beyond 128 levels, so hostile input
        // cannot exhaust the stack here.
        let mut json = serde_json::Deserializer::from_slice(self.body);
        let value = seed.deserialize(Doc::top(session, Format::Json, self.shape, false, &mut json))?;
        json.end()?;
        Ok(value)
    }

    fn format_error(&self, error: serde_json::Error) -> AwsError {
        use serde_json::error::Category;
        let message = match error.classify() {
            Category::Syntax | Category::Eof => format!("Malformed JSON request body: {error}"),
            _ => error.to_string(),
        };
        AwsError::new("SerializationException", message, 400)
    }
}

/// A successful output as a json protocol response.
pub fn encode_response<T: Serialize + ?Sized>(
    protocol: Protocol,
    model: &Model,
    operation: &Operation,
    output: &T,
    request_id: &str,
) -> Result<HttpResponse, SerError> {
    let body = match model.output_of(operation) {
        Some(shape) => {
            let mut sink = JsonSink::with_capacity(256);
            output.serialize(DocSer::new(model, shape, Keys::Json, &mut sink))?;
            if sink.out.is_empty() {
                sink.out.extend_from_slice(b"{}");
            }
            sink.out
        }
        None => b"{}".to_vec(),
    };
    Ok(response(protocol, model, 200, body, request_id))
}

pub fn encode_error(protocol: Protocol, model: &Model, error: &AwsError, request_id: &str) -> HttpResponse {
    let namespace = model.profile.error_namespace.as_deref();
    let identity = error_type::identify(model, error, namespace);
    let mut sink = JsonSink::with_capacity(128);
    sink.begin_map();
    sink.key("__type");
    sink.string(&identity.type_name);
    let message_key = identity.message_key();
    if !error.message.is_empty() {
        sink.key(message_key);
        sink.string(&error.message);
    }
    let mut written = vec!["__type".to_owned(), message_key.to_owned()];
    for (name, value) in &error.fields {
        let member = identity.shape.and_then(|shape| shape.member(name));
        let key = member.map_or(name.as_str(), |member| member.json_key.as_str());
        if written.iter().any(|known| known == key) {
            continue;
        }
        written.push(key.to_owned());
        sink.key(key);
        let written_value = match member {
            Some(member) => value.serialize(DocSer {
                member: Some(member),
                ..DocSer::new(model, model.target(member), Keys::Json, &mut sink)
            }),
            None => value.serialize(untyped(model, &mut sink)),
        };
        if written_value.is_err() {
            sink.null();
        }
    }
    sink.end_map();
    let mut response = response(protocol, model, error.status, sink.out, request_id);
    insert_header(&mut response, "x-amzn-errortype", &identity.code);
    if let Some(query_error) = &identity.query_error {
        insert_header(&mut response, "x-amzn-query-error", query_error);
    }
    response
}

/// Writes plain data (no shape to follow).
pub(crate) fn untyped<'a, 'm, S: Sink>(model: &'m Model, sink: &'a mut S) -> DocSer<'a, 'm, S> {
    DocSer {
        model,
        shape: None,
        member: None,
        keys: Keys::Json,
        body_only: false,
        sparse: false,
        depth: 1,
        sink,
    }
}

/// A json protocol response: content type, request id, and the body
/// checksum some services' clients verify.
fn response(protocol: Protocol, model: &Model, status: u16, body: Vec<u8>, request_id: &str) -> HttpResponse {
    let mut response = HttpResponse {
        status,
        ..Default::default()
    };
    let content_type = match protocol {
        Protocol::Json10 => "application/x-amz-json-1.0",
        _ => "application/x-amz-json-1.1",
    };
    response
        .headers
        .insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    insert_header(&mut response, "x-amzn-requestid", request_id);
    if model.profile.response_crc32 {
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

/// The value a JSON document of `shape` decodes to (tests and tools).
pub fn value_from_json(model: &Model, shape: &Shape, json: &[u8]) -> Result<Value, AwsError> {
    let reader = JsonReader::new(shape, json);
    let protocol = model.protocol.unwrap_or(Protocol::Json10);
    crate::de::decode(
        &reader,
        model,
        protocol,
        shape,
        crate::de::ValueSeed::new(model, shape),
    )
}

#[cfg(test)]
mod tests;
