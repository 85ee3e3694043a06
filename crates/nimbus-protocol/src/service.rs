//! The contract between the gateway and a service, and between services.
//!
//! A service's generated API crate implements [`Service`] for the service:
//! each call names an operation by its [`OperationId`] and carries either a
//! request off the wire ([`Wire`]), which the generated code decodes into the
//! operation's typed input and whose typed output it encodes, or a typed
//! input from another service (a port), which it checks against the model
//! like a client's and answers with the typed output. Services never see
//! HTTP: only this glue does.

use std::any::Any;

use nimbus_core::{AwsError, ByteStream, RequestContext, Value, to_value};
use serde::Serialize;
use serde::de::DeserializeOwned;

use std::marker::PhantomData;

use crate::codec::query::Dialect;
use crate::codec::rest::BodyFormat;
use crate::codec::{self};
use crate::http_types::{HttpRequest, HttpResponse};
use crate::model::{Model, Operation, OperationId};
use crate::protocol::Protocol;
use crate::ser::SerError;
use crate::validate;

pub use nimbus_core::BoxFuture;

/// One AWS service, as the gateway and other services reach it.
pub trait Service: Send + Sync + 'static {
    /// The model name (botocore's data directory name), e.g. `sts`.
    fn model_name(&self) -> &'static str;

    /// Serves one call of one operation.
    fn call<'a>(&'a self, ctx: &'a RequestContext, call: Call<'a>) -> BoxFuture<'a, Reply>;

    /// Requests the service answers before (or around) the AWS pipeline:
    /// S3's website endpoint, CORS and virtual-hosted buckets.
    fn front(&self) -> Option<&dyn crate::front::FrontHook> {
        None
    }

    /// Forgets what the service keeps in memory (reset, snapshot restore).
    fn reset(&self) {}
}

/// A typed input: the generated input struct of an operation.
pub trait Input: DeserializeOwned + Serialize + Send + 'static {
    /// Takes a streaming payload's bytes (S3's PutObject `Body`).
    fn set_stream(&mut self, _stream: ByteStream) {}

    /// The resources the input names, as operations.txt says (`queue` is
    /// `QueueUrl`): the service turns each into an ARN and a policy.
    fn resources(&self) -> Vec<ResourceRef<'_>> {
        Vec::new()
    }

    /// The condition keys members of the input give values to, as
    /// operations.txt says (`s3:prefix=Prefix`).
    fn condition_keys(&self) -> nimbus_core::authz::ConditionKeys {
        Vec::new()
    }

    /// The action the operation asks for instead of its own when a member
    /// is present (`VersionId?s3:GetObjectVersion`).
    fn action_variant(&self) -> Option<&'static str> {
        None
    }
}

pub use nimbus_core::authz::ResourceRef;

/// A typed output: the generated output struct of an operation (`()` for
/// operations without one).
pub trait Output: Serialize + Send + 'static {
    /// Gives up a streaming payload's bytes (S3's GetObject `Body`), which
    /// travel beside the encoded headers.
    fn take_stream(&mut self) -> Option<ByteStream> {
        None
    }
}

impl Output for () {}

/// The input of an operation that has none.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct NoInput {}

impl Input for NoInput {}

/// One call of an operation.
pub struct Call<'a> {
    pub operation: OperationId,
    source: Source<'a>,
}

enum Source<'a> {
    Wire(Wire<'a>),
    Typed(Box<dyn Any + Send>),
}

/// A request off the wire, with what decoding and encoding it needs.
pub struct Wire<'a> {
    pub protocol: Protocol,
    /// The model the request is read with (a wire variant's, for SQS query).
    pub model: &'static Model,
    pub operation: &'static Operation,
    pub request: &'a HttpRequest,
    /// A streamed payload (S3 object uploads), read instead of the body.
    pub stream: Option<ByteStream>,
    pub request_id: &'a str,
}

/// What a call gives back: a response for the wire, or a typed output.
pub enum Reply {
    Wire(HttpResponse),
    Typed(Result<Box<dyn Any + Send>, AwsError>),
}

impl<'a> Call<'a> {
    /// A request off the wire.
    pub fn wire(wire: Wire<'a>) -> Self {
        Call {
            operation: wire.operation.id,
            source: Source::Wire(wire),
        }
    }

    /// A typed input from another service.
    pub fn typed<I: Input>(operation: OperationId, input: I) -> Self {
        Call {
            operation,
            source: Source::Typed(Box::new(input)),
        }
    }

    /// The request of a wire call, for services that read it themselves.
    pub fn into_wire(self) -> Option<Wire<'a>> {
        match self.source {
            Source::Wire(wire) => Some(wire),
            Source::Typed(_) => None,
        }
    }

    /// The protocol of a wire call.
    pub fn protocol(&self) -> Option<Protocol> {
        match &self.source {
            Source::Wire(wire) => Some(wire.protocol),
            Source::Typed(_) => None,
        }
    }

    /// The typed input: decoded from the wire with `decode` (the service's
    /// protocols), or checked against the model when another service built it.
    pub fn input<I: Input>(
        &mut self,
        service: &'static str,
        decode: impl FnOnce(&Wire<'a>) -> Result<I, AwsError>,
    ) -> Result<I, AwsError> {
        match &mut self.source {
            Source::Wire(wire) => {
                let mut input = decode(wire)?;
                match wire.stream.take() {
                    Some(stream) => input.set_stream(stream),
                    // A small upload was read whole: its bytes are the stream.
                    None if wire
                        .protocol
                        .streaming_input_member(wire.model, wire.operation)
                        .is_some() =>
                    {
                        input.set_stream(ByteStream::from_bytes(wire.request.body.clone()));
                    }
                    None => {}
                }
                Ok(input)
            }
            Source::Typed(input) => {
                let input = std::mem::replace(input, Box::new(()));
                let input = input
                    .downcast::<I>()
                    .map_err(|_| AwsError::internal("a typed call carries another operation's input"))?;
                let model = crate::models::get(service)
                    .ok_or_else(|| AwsError::internal(format!("model {service} is not vendored")))?;
                check_typed(model, self.operation, &*input)?;
                Ok(*input)
            }
        }
    }

    /// Answers the call with a handler's result.
    pub fn reply<O: Output>(
        self,
        result: Result<O, AwsError>,
        encode: impl FnOnce(&Wire<'a>, &O, Option<ByteStream>) -> HttpResponse,
    ) -> Reply {
        match self.source {
            Source::Wire(wire) => Reply::Wire(match result {
                Ok(mut output) => {
                    let stream = output.take_stream();
                    encode(&wire, &output, stream)
                }
                Err(error) => wire.error(&error),
            }),
            Source::Typed(_) => Reply::Typed(result.map(|output| Box::new(output) as Box<dyn Any + Send>)),
        }
    }

    /// Answers with an error.
    pub fn fail(self, error: AwsError) -> Reply {
        match self.source {
            Source::Wire(wire) => Reply::Wire(wire.error(&error)),
            Source::Typed(_) => Reply::Typed(Err(error)),
        }
    }

    /// An operation the service's API does not list.
    pub fn not_implemented(self, service: &str) -> Reply {
        let name = match &self.source {
            Source::Wire(wire) => wire.operation.name.clone(),
            Source::Typed(_) => crate::models::get(service)
                .and_then(|model| model.operation_by_id(self.operation))
                .map_or_else(
                    || format!("#{}", self.operation.0),
                    |operation| operation.name.clone(),
                ),
        };
        self.fail(AwsError::not_implemented(service, &name))
    }
}

/// Each protocol family's codec on its own, so that a service's generated
/// code compiles only the codecs of the protocols its model speaks.
impl Wire<'_> {
    pub fn decode_json<I: DeserializeOwned>(&self) -> Result<I, AwsError> {
        codec::decode_json(
            self.protocol,
            self.model,
            self.operation,
            self.request,
            PhantomData::<I>,
        )
    }

    pub fn decode_query<I: DeserializeOwned>(&self) -> Result<I, AwsError> {
        codec::decode_query(
            self.protocol,
            self.model,
            self.operation,
            self.request,
            PhantomData::<I>,
        )
    }

    pub fn decode_rest<I: DeserializeOwned>(&self) -> Result<I, AwsError> {
        codec::decode_rest(
            self.protocol,
            self.model,
            self.operation,
            self.request,
            PhantomData::<I>,
        )
    }

    pub fn decode_cbor<I: DeserializeOwned>(&self) -> Result<I, AwsError> {
        codec::decode_cbor(self.model, self.operation, self.request, PhantomData::<I>)
    }

    pub fn encode_json<O: Serialize + ?Sized>(&self, output: &O) -> HttpResponse {
        let encoded =
            codec::json::encode_response(self.protocol, self.model, self.operation, output, self.request_id);
        self.encoded(encoded)
    }

    pub fn encode_query<O: Serialize + ?Sized>(&self, output: &O) -> HttpResponse {
        let dialect = match self.protocol {
            Protocol::Ec2 => Dialect::Ec2,
            _ => Dialect::Query,
        };
        let encoded =
            codec::query::encode_response(dialect, self.model, self.operation, output, self.request_id);
        self.encoded(encoded)
    }

    pub fn encode_rest<O: Serialize + ?Sized>(&self, output: &O, stream: Option<ByteStream>) -> HttpResponse {
        let format = BodyFormat::of(self.protocol);
        let encoded = codec::rest::response::encode(
            format,
            self.model,
            self.operation,
            output,
            stream,
            self.request_id,
        );
        self.encoded(encoded)
    }

    pub fn encode_cbor<O: Serialize + ?Sized>(&self, output: &O) -> HttpResponse {
        let encoded = codec::cbor::encode_response(self.model, self.operation, output, self.request_id);
        self.encoded(encoded)
    }

    fn encoded(&self, encoded: Result<HttpResponse, SerError>) -> HttpResponse {
        encoded.unwrap_or_else(|error| {
            let error = AwsError::internal(format!(
                "cannot write the response of {}: {error}",
                self.operation.name
            ));
            self.error(&error)
        })
    }

    /// Encodes an error in the protocol's envelope.
    pub fn error(&self, error: &AwsError) -> HttpResponse {
        self.protocol
            .encode_error(self.model, Some(self.operation), error, self.request_id)
    }

    /// The error of a protocol the service's model does not speak.
    pub fn unsupported(&self) -> AwsError {
        AwsError::internal(format!(
            "{} requests are not read by this service",
            protocol_name(self.protocol)
        ))
    }
}

fn protocol_name(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Query => "query",
        Protocol::Ec2 => "ec2",
        Protocol::Json10 | Protocol::Json11 => "json",
        Protocol::RestJson => "rest-json",
        Protocol::RestXml => "rest-xml",
        Protocol::Cbor => "rpc-v2-cbor",
    }
}

/// A typed input from another service breaks no constraint of the model,
/// as a client's request would not: checked on its value tree.
fn check_typed<I: Serialize>(model: &Model, operation: OperationId, input: &I) -> Result<(), AwsError> {
    let Some(shape) = model
        .operation_by_id(operation)
        .and_then(|operation| model.input_of(operation))
    else {
        return Ok(());
    };
    let protocol = model.protocol.unwrap_or(Protocol::Json10);
    let value: Value = to_value(input);
    validate::check(protocol, model, shape, &value)
}

impl Reply {
    /// The typed output of a typed call.
    pub fn into_typed<O: 'static>(self) -> Result<O, AwsError> {
        match self {
            Reply::Typed(result) => result?
                .downcast::<O>()
                .map(|output| *output)
                .map_err(|_| AwsError::internal("a typed call answered with another operation's output")),
            Reply::Wire(_) => Err(AwsError::internal("a typed call answered for the wire")),
        }
    }

    /// The response of a wire call.
    pub fn into_response(self) -> HttpResponse {
        match self {
            Reply::Wire(response) => response,
            Reply::Typed(_) => HttpResponse {
                status: 500,
                ..HttpResponse::default()
            },
        }
    }
}
