//! Errors ELB words itself, beside the model's (`nimbus_elbv2_api::errors`).

use nimbus_core::AwsError;

/// `ValidationError`: a request the API refuses as malformed.
pub fn validation(message: impl Into<String>) -> AwsError {
    AwsError::new("ValidationError", message, 400)
}

pub use nimbus_elbv2_api::errors::*;
