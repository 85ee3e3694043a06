//! Model validation: required members, enums, lengths, ranges and patterns.
//! Decoders check the constraints as they read (see [`rules`]); a request
//! that breaks one is read again into a [`Value`] and walked here, which
//! words every violation as AWS does, in the order AWS lists them:
//! `2 validation errors detected: Value null at 'roleArn' failed to satisfy
//! constraint: Member must not be null; Value 'x' at 'tags.1.member.key' ...`
//! Only the error code differs by protocol and service
//! (see [`validation_error`]).

pub mod rules;
mod walk;

use nimbus_core::{AwsError, Value};

use crate::model::{Model, Shape};
use crate::protocol::Protocol;

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

/// Whether a protocol's services check the models' `pattern` constraints:
/// EC2 does not (some of its patterns, such as
/// `...:placement-group/^.{1,255}$`, could never match).
pub fn checks_patterns(protocol: Protocol) -> bool {
    protocol != Protocol::Ec2
}

/// Every violation of `value` against `shape`.
pub fn validate(model: &Model, protocol: Protocol, shape: &Shape, value: &Value) -> Vec<Violation> {
    let mut walker = walk::Walker::new(model, checks_patterns(protocol));
    walker.value(shape, value, "", "", 0);
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
/// - EC2, and services whose profile says so (SQS), name the parameter: a
///   missing one is `MissingParameter` ("The request must contain the
///   parameter X."), any other violation `InvalidParameterValue`;
/// - a profile's own code otherwise (S3's `InvalidArgument`, Route 53's `InvalidInput`).
pub fn validation_error(protocol: Protocol, model: &Model, violations: &[Violation]) -> AwsError {
    let profile = &model.profile;
    if profile.validation_names_parameter || protocol == Protocol::Ec2 {
        if let Some(missing) = violations.iter().find(|v| v.is_missing()) {
            return AwsError::new(
                "MissingParameter",
                format!("The request must contain the parameter {}.", missing.member),
                400,
            );
        }
        return AwsError::new("InvalidParameterValue", message(violations), 400);
    }
    let code = match (&profile.validation_code, protocol) {
        (Some(code), _) => code.as_str(),
        (None, Protocol::Query) => "ValidationError",
        (None, _) if model.metadata.is_query_compatible() => "ValidationError",
        (None, _) => "ValidationException",
    };
    AwsError::new(code.to_owned(), message(violations), 400)
}

/// Validates a value of `shape`; `Err` is the protocol's validation error.
pub fn check(protocol: Protocol, model: &Model, shape: &Shape, value: &Value) -> Result<(), AwsError> {
    let violations = validate(model, protocol, shape, value);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(validation_error(protocol, model, &violations))
    }
}

#[cfg(test)]
mod tests;
