//! One runtime codec per AWS protocol, all driven by the service model.

pub mod cbor;
pub mod form;
pub mod json;
pub mod query;
pub mod rest;
pub mod xml;

use nimbus_core::{AwsError, Value};

use crate::http_types::{HttpRequest, HttpResponse};
use crate::model::{Operation, ServiceModel};
use query::Dialect;
use rest::BodyFormat;

/// The wire protocols of AWS services (botocore's `metadata.protocol(s)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `awsQuery`: form-encoded `Action=` requests, XML responses (STS, SNS, IAM).
    Query,
    /// The EC2 variant of query: different list flattening and error envelope.
    Ec2,
    /// `awsJson1_0` (DynamoDB, SQS).
    Json10,
    /// `awsJson1_1` (most json services).
    Json11,
    /// `restJson1` (Lambda, ...).
    RestJson,
    /// `restXml` (S3, Route 53).
    RestXml,
    /// `smithy-rpc-v2-cbor` (CloudWatch).
    Cbor,
}

impl Protocol {
    /// The protocol named by a model's `protocol`/`protocols` entry.
    pub fn from_model_name(name: &str, json_version: Option<&str>) -> Option<Self> {
        Some(match name {
            "query" => Protocol::Query,
            "ec2" => Protocol::Ec2,
            "json" if json_version == Some("1.0") => Protocol::Json10,
            "json" => Protocol::Json11,
            "rest-json" => Protocol::RestJson,
            "rest-xml" => Protocol::RestXml,
            "smithy-rpc-v2-cbor" => Protocol::Cbor,
            _ => return None,
        })
    }

    /// Finds the operation a request calls. `Err` is a 4xx in this protocol's
    /// shape (unknown action, missing target, no matching route).
    pub fn identify_operation<'m>(
        self,
        model: &'m ServiceModel,
        request: &HttpRequest,
    ) -> Result<&'m Operation, AwsError> {
        match self {
            Protocol::Query | Protocol::Ec2 => query::identify(model, request),
            Protocol::Json10 | Protocol::Json11 => json::identify(model, request),
            Protocol::RestJson | Protocol::RestXml => rest::identify(model, request),
            Protocol::Cbor => cbor::identify(model, request),
        }
    }

    /// Decodes the request into a value of the operation's input shape and
    /// validates it (required members, enums, lengths, ranges).
    pub fn decode_request(
        self,
        model: &ServiceModel,
        operation: &Operation,
        request: &HttpRequest,
    ) -> Result<Value, AwsError> {
        match self {
            Protocol::Query => query::decode(Dialect::Query, model, operation, request),
            Protocol::Ec2 => query::decode(Dialect::Ec2, model, operation, request),
            Protocol::Json10 | Protocol::Json11 => json::decode(model, operation, request),
            Protocol::RestJson => rest::decode(BodyFormat::Json, model, operation, request),
            Protocol::RestXml => rest::decode(BodyFormat::Xml, model, operation, request),
            Protocol::Cbor => cbor::decode(model, operation, request),
        }
    }

    /// The input member whose bytes may arrive as a stream: a streaming
    /// blob payload of a rest protocol (S3's PutObject and UploadPart `Body`).
    pub fn streaming_input_member<'m>(
        self,
        model: &'m ServiceModel,
        operation: &Operation,
    ) -> Option<&'m str> {
        match self {
            Protocol::RestJson | Protocol::RestXml => rest::streaming_payload_member(model, operation),
            _ => None,
        }
    }

    /// [`decode_request`](Self::decode_request) for a request whose
    /// [streaming member](Self::streaming_input_member) arrives as `stream`.
    pub fn decode_streaming_request(
        self,
        model: &ServiceModel,
        operation: &Operation,
        request: &HttpRequest,
        stream: nimbus_core::ByteStream,
    ) -> Result<Value, AwsError> {
        match self {
            Protocol::RestJson => rest::decode_streaming(BodyFormat::Json, model, operation, request, stream),
            Protocol::RestXml => rest::decode_streaming(BodyFormat::Xml, model, operation, request, stream),
            _ => self.decode_request(model, operation, request),
        }
    }

    /// Encodes a successful output value (a structure of the output shape).
    pub fn encode_response(
        self,
        model: &ServiceModel,
        operation: &Operation,
        output: &Value,
        request_id: &str,
    ) -> HttpResponse {
        match self {
            Protocol::Query => query::encode_response(Dialect::Query, model, operation, output, request_id),
            Protocol::Ec2 => query::encode_response(Dialect::Ec2, model, operation, output, request_id),
            Protocol::Json10 => json::encode_response("1.0", model, operation, output, request_id),
            Protocol::Json11 => json::encode_response("1.1", model, operation, output, request_id),
            Protocol::RestJson => {
                rest::encode_response(BodyFormat::Json, model, operation, output, request_id)
            }
            Protocol::RestXml => rest::encode_response(BodyFormat::Xml, model, operation, output, request_id),
            Protocol::Cbor => cbor::encode_response(model, operation, output, request_id),
        }
    }

    /// Encodes an error in this protocol's envelope. `operation` is `None` when
    /// the request could not be matched to an operation.
    pub fn encode_error(
        self,
        model: &ServiceModel,
        operation: Option<&Operation>,
        error: &AwsError,
        request_id: &str,
    ) -> HttpResponse {
        match self {
            Protocol::Query => query::encode_error(Dialect::Query, model, error, request_id),
            Protocol::Ec2 => query::encode_error(Dialect::Ec2, model, error, request_id),
            Protocol::Json10 => json::encode_error("1.0", model, error, request_id),
            Protocol::Json11 => json::encode_error("1.1", model, error, request_id),
            Protocol::RestJson => rest::encode_error(BodyFormat::Json, model, operation, error, request_id),
            Protocol::RestXml => rest::encode_error(BodyFormat::Xml, model, operation, error, request_id),
            Protocol::Cbor => cbor::encode_error(model, error, request_id),
        }
    }
}
