//! The `query` and `ec2` protocols: form-encoded `Action=` requests, XML responses.

use nimbus_core::{AwsError, Value};

use crate::http_types::{HttpRequest, HttpResponse};
use crate::model::{Operation, ServiceModel};

/// Which of the two query dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Query,
    Ec2,
}

pub fn identify<'m>(model: &'m ServiceModel, request: &HttpRequest) -> Result<&'m Operation, AwsError> {
    let _ = (model, request);
    Err(AwsError::not_implemented("query protocol", "identify"))
}

pub fn decode(
    dialect: Dialect,
    model: &ServiceModel,
    operation: &Operation,
    request: &HttpRequest,
) -> Result<Value, AwsError> {
    let _ = (dialect, model, operation, request);
    Err(AwsError::not_implemented("query protocol", "decode"))
}

pub fn encode_response(
    dialect: Dialect,
    model: &ServiceModel,
    operation: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    let _ = (dialect, model, operation, output, request_id);
    HttpResponse {
        status: 501,
        ..Default::default()
    }
}

pub fn encode_error(
    dialect: Dialect,
    model: &ServiceModel,
    error: &AwsError,
    request_id: &str,
) -> HttpResponse {
    let _ = (dialect, model, request_id);
    HttpResponse {
        status: error.status,
        ..Default::default()
    }
}
