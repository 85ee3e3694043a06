//! EC2's errors: its model names none, so each is a code and a message
//! as EC2 words them (400 unless said otherwise).

use nimbus_core::AwsError;

pub fn client(code: &'static str, message: impl Into<String>) -> AwsError {
    AwsError::new(code, message, 400)
}

/// `DryRun=true`: what the request would do is allowed, and nothing is done.
pub fn check_dry_run(dry_run: Option<bool>) -> Result<(), AwsError> {
    match dry_run {
        Some(true) => Err(AwsError::new(
            "DryRunOperation",
            "Request would have succeeded, but DryRun flag is set.",
            412,
        )),
        _ => Ok(()),
    }
}

pub fn invalid_parameter(message: impl Into<String>) -> AwsError {
    client("InvalidParameterValue", message)
}

pub fn vpc_missing(id: &str) -> AwsError {
    client(
        "InvalidVpcID.NotFound",
        format!("The vpc ID '{id}' does not exist"),
    )
}

pub fn subnet_missing(id: &str) -> AwsError {
    client(
        "InvalidSubnetID.NotFound",
        format!("The subnet ID '{id}' does not exist"),
    )
}
