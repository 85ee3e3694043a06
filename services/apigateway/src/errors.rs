//! API Gateway's words for what is missing or refused.

use nimbus_apigateway_api::errors;

pub use nimbus_apigateway_api::errors::bad_request;
use nimbus_core::{AwsError, RequestContext};

pub fn api_missing(ctx: &RequestContext, id: &str) -> AwsError {
    errors::not_found(format!(
        "Invalid API identifier specified {}:{id}",
        ctx.account_id
    ))
}

pub fn resource_missing() -> AwsError {
    errors::not_found("Invalid Resource identifier specified")
}

pub fn method_missing() -> AwsError {
    errors::not_found("Invalid Method identifier specified")
}

pub fn integration_missing() -> AwsError {
    errors::not_found("Invalid Integration identifier specified")
}

pub fn response_missing() -> AwsError {
    errors::not_found("Invalid Response status code specified")
}

pub fn deployment_missing() -> AwsError {
    errors::not_found("Invalid Deployment identifier specified")
}

pub fn stage_missing() -> AwsError {
    errors::not_found("Invalid stage identifier specified")
}
