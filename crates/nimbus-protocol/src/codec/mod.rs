//! One codec per AWS protocol, all driven by the compiled model: finding
//! the operation a request calls, reading its input into any serde type,
//! and writing outputs and errors in the protocol's own envelope.

pub mod cbor;
pub mod eventstream;
pub mod form;
pub mod json;
pub mod query;
pub mod rest;
pub mod xml;

use std::marker::PhantomData;

use nimbus_core::{AwsError, ByteStream, Value};
use serde::Serialize;
use serde::de::{DeserializeOwned, DeserializeSeed};

use crate::de::{self, ValueSeed};
use crate::http_types::{HttpRequest, HttpResponse};
use crate::model::{Model, Operation};
use crate::protocol::Protocol;
use query::Dialect;
use rest::BodyFormat;

impl Protocol {
    /// Finds the operation a request calls. `Err` is a 4xx in this protocol's
    /// shape (unknown action, missing target, no matching route).
    pub fn identify_operation<'m>(
        self,
        model: &'m Model,
        request: &HttpRequest,
    ) -> Result<&'m Operation, AwsError> {
        match self {
            Protocol::Query | Protocol::Ec2 => query::identify(model, request),
            Protocol::Json10 | Protocol::Json11 => json::identify(model, request),
            Protocol::RestJson | Protocol::RestXml => rest::identify(model, request),
            Protocol::Cbor => cbor::identify(model, request),
        }
    }

    /// Reads the request into the operation's typed input, checking the
    /// model's constraints (required members, enums, lengths, ranges,
    /// patterns) on the way.
    pub fn decode<T: DeserializeOwned>(
        self,
        model: &Model,
        operation: &Operation,
        request: &HttpRequest,
    ) -> Result<T, AwsError> {
        self.decode_seed(model, operation, request, PhantomData::<T>)
    }

    /// [`decode`](Self::decode) into the neutral [`Value`] tree. An
    /// operation without input reads as an empty structure.
    pub fn decode_request(
        self,
        model: &Model,
        operation: &Operation,
        request: &HttpRequest,
    ) -> Result<Value, AwsError> {
        let Some(shape) = model.input_of(operation) else {
            return Ok(Value::empty());
        };
        self.decode_seed(model, operation, request, ValueSeed::new(model, shape))
    }

    /// Decodes with any seed; an operation without input reads as `{}`.
    pub fn decode_seed<T, S>(
        self,
        model: &Model,
        operation: &Operation,
        request: &HttpRequest,
        seed: S,
    ) -> Result<T, AwsError>
    where
        S: for<'de> DeserializeSeed<'de, Value = T>,
    {
        match self {
            Protocol::Json10 | Protocol::Json11 => decode_json(self, model, operation, request, seed),
            Protocol::Cbor => decode_cbor(model, operation, request, seed),
            Protocol::Query | Protocol::Ec2 => decode_query(self, model, operation, request, seed),
            Protocol::RestJson | Protocol::RestXml => decode_rest(self, model, operation, request, seed),
        }
    }

    /// The input member whose bytes may arrive as a stream: a streaming
    /// blob payload of a rest protocol (S3's PutObject and UploadPart `Body`).
    pub fn streaming_input_member<'m>(self, model: &'m Model, operation: &Operation) -> Option<&'m str> {
        if !self.is_rest() {
            return None;
        }
        let member = model.input_of(operation)?.payload_member()?;
        (member.streaming && model.target(member).kind == crate::model::ShapeType::Blob)
            .then_some(member.name.as_str())
    }

    /// [`decode_request`](Self::decode_request) for a request whose
    /// [streaming member](Self::streaming_input_member) arrives as `stream`.
    pub fn decode_streaming_request(
        self,
        model: &Model,
        operation: &Operation,
        request: &HttpRequest,
        stream: ByteStream,
    ) -> Result<Value, AwsError> {
        let mut value = self.decode_request(model, operation, request)?;
        if let (Some(member), Value::Structure(members)) =
            (self.streaming_input_member(model, operation), &mut value)
        {
            members.insert(member.to_owned(), Value::Stream(stream));
        }
        Ok(value)
    }

    /// Writes a successful output (any value of the output shape). A
    /// streamed payload travels as `stream`, beside the value.
    pub fn encode<T: Serialize + ?Sized>(
        self,
        model: &Model,
        operation: &Operation,
        output: &T,
        stream: Option<ByteStream>,
        request_id: &str,
    ) -> HttpResponse {
        let encoded = match self {
            Protocol::Query => query::encode_response(Dialect::Query, model, operation, output, request_id),
            Protocol::Ec2 => query::encode_response(Dialect::Ec2, model, operation, output, request_id),
            Protocol::Json10 | Protocol::Json11 => {
                json::encode_response(self, model, operation, output, request_id)
            }
            Protocol::RestJson | Protocol::RestXml => {
                rest::response::encode(BodyFormat::of(self), model, operation, output, stream, request_id)
            }
            Protocol::Cbor => cbor::encode_response(model, operation, output, request_id),
        };
        encoded.unwrap_or_else(|error| {
            let error = AwsError::internal(format!(
                "cannot write the response of {}: {error}",
                operation.name
            ));
            self.encode_error(model, Some(operation), &error, request_id)
        })
    }

    /// [`encode`](Self::encode) for a [`Value`] output: a stream in the
    /// payload member is taken out and streamed.
    pub fn encode_response(
        self,
        model: &Model,
        operation: &Operation,
        output: &Value,
        request_id: &str,
    ) -> HttpResponse {
        let stream =
            self.streaming_output_member(model, operation)
                .and_then(|member| match output.get(member) {
                    Some(Value::Stream(stream)) => Some(stream.clone()),
                    _ => None,
                });
        self.encode(model, operation, output, stream, request_id)
    }

    /// The output member that may be a stream (S3 GetObject's `Body`).
    fn streaming_output_member<'m>(self, model: &'m Model, operation: &Operation) -> Option<&'m str> {
        if !self.is_rest() {
            return None;
        }
        let member = model.output_of(operation)?.payload_member()?;
        (model.target(member).kind == crate::model::ShapeType::Blob).then_some(member.name.as_str())
    }

    /// Writes an error in this protocol's envelope. `operation` is `None` when
    /// the request could not be matched to an operation.
    pub fn encode_error(
        self,
        model: &Model,
        operation: Option<&Operation>,
        error: &AwsError,
        request_id: &str,
    ) -> HttpResponse {
        match self {
            Protocol::Query => query::encode_error(Dialect::Query, model, error, request_id),
            Protocol::Ec2 => query::encode_error(Dialect::Ec2, model, error, request_id),
            Protocol::Json10 | Protocol::Json11 => json::encode_error(self, model, error, request_id),
            Protocol::RestJson | Protocol::RestXml => {
                rest::errors::encode(BodyFormat::of(self), model, operation, error, request_id)
            }
            Protocol::Cbor => cbor::encode_error(model, error, request_id),
        }
    }
}

/// An operation without input: whatever the request carries, the input is empty.
fn no_input<T, S>(seed: S) -> Result<T, AwsError>
where
    S: for<'de> DeserializeSeed<'de, Value = T>,
{
    let nothing =
        serde::de::value::MapDeserializer::<_, de::WireError>::new(std::iter::empty::<(&str, &str)>());
    seed.deserialize(nothing)
        .map_err(|e| AwsError::internal(format!("an operation without input: {e}")))
}

/// A json request (awsJson 1.0 or 1.1) into `seed`'s value.
pub fn decode_json<T, S>(
    protocol: Protocol,
    model: &Model,
    operation: &Operation,
    request: &HttpRequest,
    seed: S,
) -> Result<T, AwsError>
where
    S: for<'de> DeserializeSeed<'de, Value = T>,
{
    match model.input_of(operation) {
        Some(shape) => de::decode(
            &json::JsonReader::new(shape, &request.body),
            model,
            protocol,
            shape,
            seed,
        ),
        None => no_input(seed),
    }
}

/// A rpcv2Cbor request into `seed`'s value.
pub fn decode_cbor<T, S>(
    model: &Model,
    operation: &Operation,
    request: &HttpRequest,
    seed: S,
) -> Result<T, AwsError>
where
    S: for<'de> DeserializeSeed<'de, Value = T>,
{
    match model.input_of(operation) {
        Some(shape) => de::decode(
            &cbor::CborReader::new(shape, &request.body)?,
            model,
            Protocol::Cbor,
            shape,
            seed,
        ),
        None => no_input(seed),
    }
}

/// A query or ec2 request into `seed`'s value.
pub fn decode_query<T, S>(
    protocol: Protocol,
    model: &Model,
    operation: &Operation,
    request: &HttpRequest,
    seed: S,
) -> Result<T, AwsError>
where
    S: for<'de> DeserializeSeed<'de, Value = T>,
{
    match model.input_of(operation) {
        Some(shape) => de::decode(
            &query::QueryReader::new(shape, request, model.profile.query_path_member.as_deref()),
            model,
            protocol,
            shape,
            seed,
        ),
        None => no_input(seed),
    }
}

/// A rest-json or rest-xml request into `seed`'s value.
pub fn decode_rest<T, S>(
    protocol: Protocol,
    model: &Model,
    operation: &Operation,
    request: &HttpRequest,
    seed: S,
) -> Result<T, AwsError>
where
    S: for<'de> DeserializeSeed<'de, Value = T>,
{
    match model.input_of(operation) {
        Some(shape) => {
            let reader =
                rest::request::RestReader::new(BodyFormat::of(protocol), model, operation, shape, request)?;
            de::decode(&reader, model, protocol, shape, seed)
        }
        None => no_input(seed),
    }
}
