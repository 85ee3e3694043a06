//! The `smithy-rpc-v2-cbor` protocol.

use nimbus_core::{AwsError, Value};

use crate::http_types::{HttpRequest, HttpResponse};
use crate::model::{Operation, ServiceModel};

/// The operation named by the path `/service/<ServiceName>/operation/<Operation>`.
pub fn identify<'m>(model: &'m ServiceModel, request: &HttpRequest) -> Result<&'m Operation, AwsError> {
    let _ = (model, request);
    Err(AwsError::not_implemented("cbor protocol", "identify"))
}

pub fn decode(model: &ServiceModel, operation: &Operation, request: &HttpRequest) -> Result<Value, AwsError> {
    let _ = (model, operation, request);
    Err(AwsError::not_implemented("cbor protocol", "decode"))
}

pub fn encode_response(
    model: &ServiceModel,
    operation: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    let _ = (model, operation, output, request_id);
    HttpResponse {
        status: 501,
        ..Default::default()
    }
}

pub fn encode_error(model: &ServiceModel, error: &AwsError, request_id: &str) -> HttpResponse {
    let _ = (model, request_id);
    HttpResponse {
        status: error.status,
        ..Default::default()
    }
}
