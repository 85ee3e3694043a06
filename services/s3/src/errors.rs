//! S3's errors: every code the model declares (re-exported from the API
//! crate, codes and statuses from the model), and the usual ones with the
//! messages and extra members S3 sends.

use nimbus_core::AwsError;
use nimbus_s3_api::errors as model;
pub use nimbus_s3_api::errors::*;

pub fn no_such_bucket(bucket: &str) -> AwsError {
    model::no_such_bucket("The specified bucket does not exist").with_field("BucketName", bucket)
}

pub fn no_such_key(key: &str) -> AwsError {
    model::no_such_key("The specified key does not exist.").with_field("Key", key)
}

pub fn no_such_version(key: &str, version_id: &str) -> AwsError {
    model::no_such_version("The specified version does not exist.")
        .with_field("Key", key)
        .with_field("VersionId", version_id)
}

pub fn invalid_bucket_name(bucket: &str) -> AwsError {
    model::invalid_bucket_name("The specified bucket is not valid.").with_field("BucketName", bucket)
}

pub fn invalid_argument(message: impl Into<String>, name: &str, value: &str) -> AwsError {
    model::invalid_argument(message)
        .with_field("ArgumentName", name)
        .with_field("ArgumentValue", value)
}

pub fn malformed_xml() -> AwsError {
    model::malformed_xml(
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

pub fn precondition_failed(condition: &str) -> AwsError {
    model::precondition_failed("At least one of the pre-conditions you specified did not hold")
        .with_field("Condition", condition)
}

pub fn invalid_range(range: &str, size: u64) -> AwsError {
    model::invalid_range("The requested range is not satisfiable")
        .with_field("RangeRequested", range)
        .with_field("ActualObjectSize", size.to_string())
}

pub fn bad_digest(what: &str) -> AwsError {
    model::bad_digest(format!(
        "The {what} you specified did not match the calculated checksum."
    ))
}

pub fn no_such_upload(upload_id: &str) -> AwsError {
    model::no_such_upload("The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
    .with_field("UploadId", upload_id)
}

pub fn method_not_allowed(method: &str) -> AwsError {
    model::method_not_allowed("The specified method is not allowed against this resource.")
        .with_field("Method", method)
        .with_field("ResourceType", "DeleteMarker")
}

/// PutBucketPolicy refused: the policy is public and the bucket's
/// BlockPublicPolicy setting is on.
pub fn public_policy_blocked(account: &str, bucket: &str) -> AwsError {
    model::access_denied(format!(
        "User: arn:aws:iam::{account}:root is not authorized to perform: s3:PutBucketPolicy on resource: \
             \"arn:aws:s3:::{bucket}\" because public policies are blocked by the BlockPublicPolicy block public \
             access setting."
    ))
}

/// What S3 answers a caller without access.
pub fn access_denied() -> AwsError {
    model::access_denied("Access Denied")
}

/// AccessDenied explained (IAM's refusal, to the owner account's callers).
pub fn access_denied_because(message: String) -> AwsError {
    model::access_denied(message)
}
