//! Input rules, worded as STS words them.
//!
//! The protocol layer checks the model's constraints before a handler runs;
//! the handlers check them again here (they are cheap, and internal callers
//! skip the protocol layer) together with STS's own rules the model does not
//! express.

use nimbus_core::AwsError;
use nimbus_sts_api::errors;

use crate::arn::is_iam_name_char;

/// Collects broken constraints into AWS's "N validation errors detected" error.
#[derive(Debug, Default)]
pub struct Violations(Vec<String>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    /// `member` as AWS prints it (`durationSeconds`), `value` already quoted
    /// or `null`, `constraint` in AWS's words.
    pub fn push(&mut self, member: &str, value: &str, constraint: &str) {
        self.0.push(format!(
            "Value {value} at '{member}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// A duration outside `min..=max` seconds.
    pub fn check_duration(&mut self, duration: Option<i32>, min: i32, max: i32) {
        let Some(duration) = duration else { return };
        let value = format!("'{duration}'");
        if duration < min {
            let constraint = format!("Member must have value greater than or equal to {min}");
            self.push("durationSeconds", &value, &constraint);
        }
        if duration > max {
            let constraint = format!("Member must have value less than or equal to {max}");
            self.push("durationSeconds", &value, &constraint);
        }
    }

    /// A name of IAM's alphabet `[\w+=,.@-]` and `min..=max` characters.
    pub fn check_name(&mut self, member: &str, name: &str, min: usize, max: usize) {
        let value = format!("'{name}'");
        if !name.chars().all(is_iam_name_char) {
            self.push(
                member,
                &value,
                r"Member must satisfy regular expression pattern: [\w+=,.@-]*",
            );
        }
        let length = name.chars().count();
        if length < min {
            let constraint = format!("Member must have length greater than or equal to {min}");
            self.push(member, &value, &constraint);
        }
        if length > max {
            let constraint = format!("Member must have length less than or equal to {max}");
            self.push(member, &value, &constraint);
        }
    }

    pub fn into_result(self) -> Result<(), AwsError> {
        let message = match self.0.len() {
            0 => return Ok(()),
            1 => format!("1 validation error detected: {}", self.0[0]),
            n => format!("{n} validation errors detected: {}", self.0.join("; ")),
        };
        Err(errors::validation_error(message))
    }
}

/// Sessions started with temporary credentials ("role chaining") last at most an hour.
pub const ROLE_CHAINING_MAX_SECONDS: i32 = 3600;

pub fn role_chaining_too_long() -> AwsError {
    errors::validation_error(
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    )
}

/// Operations that need long-term credentials, called with temporary ones.
pub fn needs_long_term_credentials(operation: &str) -> AwsError {
    errors::access_denied(format!("Cannot call {operation} with session credentials"))
}

/// The share (in percent) of the packed-policy allowance that a session
/// policy and session tags use. AWS compresses them into a binary form of
/// undisclosed layout; half the compact text per byte is a fair stand-in.
const PACKED_ALLOWANCE_BYTES: usize = 2048;

/// Checks a session policy (JSON) and sizes it with the session tags.
/// `None` when there is neither, as AWS then leaves `PackedPolicySize` out.
pub fn packed_policy_size(policy: Option<&str>, tag_bytes: usize) -> Result<Option<i32>, AwsError> {
    let policy_bytes = match policy {
        Some(text) => {
            let document: serde_json::Value = serde_json::from_str(text).map_err(|_| malformed_policy())?;
            if !document.is_object() {
                return Err(malformed_policy());
            }
            document.to_string().len()
        }
        None if tag_bytes == 0 => return Ok(None),
        None => 0,
    };
    let packed = (policy_bytes + tag_bytes).div_ceil(2);
    let percent = (packed * 100).div_ceil(PACKED_ALLOWANCE_BYTES).max(1);
    if percent > 100 {
        return Err(errors::packed_policy_too_large(format!(
            "Packed policy consumes {percent}% of allotted space, please use smaller policy."
        )));
    }
    Ok(Some(i32::try_from(percent).unwrap_or(100)))
}

fn malformed_policy() -> AwsError {
    errors::malformed_policy_document("The policy is not in the valid JSON format.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_violations_is_ok() {
        let mut v = Violations::new();
        v.check_duration(Some(900), 900, 43200);
        v.check_duration(None, 900, 43200);
        v.check_name("roleSessionName", "a.b@c-d_e+f=g,h", 2, 64);
        assert!(v.into_result().is_ok());
    }

    #[test]
    fn one_violation_reads_as_aws_writes_it() {
        let mut v = Violations::new();
        v.check_duration(Some(100), 900, 43200);
        let error = v.into_result().expect_err("too short");
        assert_eq!(error.code, "ValidationError");
        assert_eq!(error.status, 400);
        assert_eq!(
            error.message,
            "1 validation error detected: Value '100' at 'durationSeconds' failed to satisfy constraint: \
             Member must have value greater than or equal to 900"
        );
    }

    #[test]
    fn several_violations_are_joined() {
        let mut v = Violations::new();
        v.check_name("roleSessionName", "a", 2, 64);
        v.check_duration(Some(50_000), 900, 43200);
        let error = v.into_result().expect_err("two problems");
        assert_eq!(
            error.message,
            "2 validation errors detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: \
             Member must have length greater than or equal to 2; Value '50000' at 'durationSeconds' \
             failed to satisfy constraint: Member must have value less than or equal to 43200"
        );
    }

    #[test]
    fn names_outside_the_alphabet_break_the_pattern() {
        let mut v = Violations::new();
        v.check_name("roleSessionName", "has space", 2, 64);
        let error = v.into_result().expect_err("bad char");
        assert!(
            error
                .message
                .ends_with(r"Member must satisfy regular expression pattern: [\w+=,.@-]*")
        );
        let mut v = Violations::new();
        v.check_name("roleSessionName", &"x".repeat(65), 2, 64);
        let error = v.into_result().expect_err("too long");
        assert!(
            error
                .message
                .ends_with("Member must have length less than or equal to 64")
        );
    }

    #[test]
    fn policies_must_be_json_objects_and_small() {
        assert_eq!(packed_policy_size(None, 0), Ok(None));
        assert_eq!(packed_policy_size(None, 10), Ok(Some(1)));
        let policy = r#"{"Version": "2012-10-17", "Statement": []}"#;
        assert!(matches!(packed_policy_size(Some(policy), 0), Ok(Some(n)) if (1..=100).contains(&n)));
        for bad in ["not json", "[1]", "{"] {
            let error = packed_policy_size(Some(bad), 0).expect_err(bad);
            assert_eq!(error.code, "MalformedPolicyDocument");
        }
        let huge = format!(r#"{{"Sid": "{}"}}"#, "x".repeat(5000));
        let error = packed_policy_size(Some(&huge), 0).expect_err("too large");
        assert_eq!(error.code, "PackedPolicyTooLarge");
    }
}
