//! Checks a decoded input value against its shape: required members, enums,
//! lengths, ranges and patterns. Codecs call [`check`] after decoding; each
//! protocol words the violations as its services do.
//!
//! AWS's message, for every protocol:
//! `2 validation errors detected: Value null at 'roleArn' failed to satisfy
//! constraint: Member must not be null; Value 'x' at 'tags.1.member.key' ...`
//! Only the error code differs (see [`validation_error`]).

// AwsError is the error every codec returns, whatever its size.
#![allow(clippy::result_large_err)]

mod pattern;
mod walk;

use nimbus_core::{AwsError, Value};

use crate::codec::Protocol;
use crate::model::ServiceModel;

/// The deepest nesting of structures, lists and maps a request may carry.
/// Decoders refuse deeper input with an error instead of recursing further
/// (DynamoDB's 32 levels of nested attribute values need about 70).
pub const MAX_DEPTH: usize = 128;

/// One broken constraint, located by its member path (`roleArn`, `tags.1.member.key`).
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The member path in AWS's style (first letter of each member lowercased).
    pub path: String,
    /// The offending value as AWS prints it (`null`, `'abc'`, `'5'`); empty for
    /// sensitive members, whose value AWS leaves out (`Value at 'password'`).
    pub value: String,
    /// The constraint in AWS's words, e.g. `Member must not be null`.
    pub constraint: String,
    /// The model name of the member holding the value (`QueueUrl`), for
    /// services that name the parameter instead (`MissingParameter`).
    pub member: String,
}

impl Violation {
    /// `Value 'x' at 'a.b' failed to satisfy constraint: ...`
    pub fn sentence(&self) -> String {
        let value = if self.value.is_empty() {
            String::new()
        } else {
            format!(" {}", self.value)
        };
        format!(
            "Value{value} at '{}' failed to satisfy constraint: {}",
            self.path, self.constraint
        )
    }

    pub fn is_missing(&self) -> bool {
        self.constraint == "Member must not be null"
    }
}

/// Every violation of `value` against the shape named `shape_name`.
pub fn validate(model: &ServiceModel, shape_name: &str, value: &Value) -> Vec<Violation> {
    let mut walker = walk::Walker::new(model);
    if walker.is_valid(shape_name, value, 0) {
        return Vec::new();
    }
    walker.value(shape_name, value, "", "", 0);
    walker.violations
}

/// `1 validation error detected: ...` / `2 validation errors detected: ...; ...`
pub fn message(violations: &[Violation]) -> String {
    let count = violations.len();
    let noun = if count == 1 { "error" } else { "errors" };
    let sentences: Vec<String> = violations.iter().map(Violation::sentence).collect();
    format!("{count} validation {noun} detected: {}", sentences.join("; "))
}

/// The error a service of this protocol returns for these violations.
///
/// - json, rest-json and cbor services: `ValidationException`;
/// - query services and json/cbor services that keep their query error codes
///   (awsQueryCompatible, e.g. CloudWatch): `ValidationError`;
/// - SQS and EC2 never adopted the generic wording: a missing parameter is
///   `MissingParameter` ("The request must contain the parameter X."), any
///   other violation `InvalidParameterValue`;
/// - S3 answers `InvalidArgument`, Route 53 its modeled `InvalidInput`.
pub fn validation_error(protocol: Protocol, model: &ServiceModel, violations: &[Violation]) -> AwsError {
    let metadata = &model.metadata;
    let names_the_parameter = metadata.endpoint_prefix == "sqs" || protocol == Protocol::Ec2;
    if names_the_parameter {
        if let Some(missing) = violations.iter().find(|v| v.is_missing()) {
            return AwsError::new(
                "MissingParameter",
                format!("The request must contain the parameter {}.", missing.member),
                400,
            );
        }
        return AwsError::new("InvalidParameterValue", message(violations), 400);
    }
    let code = match protocol {
        Protocol::RestXml if metadata.endpoint_prefix == "s3" => "InvalidArgument",
        Protocol::RestXml if model.shapes.contains_key("InvalidInput") => "InvalidInput",
        Protocol::Query => "ValidationError",
        _ if metadata.is_query_compatible() => "ValidationError",
        _ => "ValidationException",
    };
    AwsError::new(code, message(violations), 400)
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

#[cfg(test)]
mod tests;
