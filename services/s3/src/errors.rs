//! S3's errors, with the codes, statuses, messages and extra members S3 sends.

use nimbus_core::AwsError;

pub fn no_such_bucket(bucket: &str) -> AwsError {
    AwsError::new("NoSuchBucket", "The specified bucket does not exist", 404).with_field("BucketName", bucket)
}

pub fn no_such_key(key: &str) -> AwsError {
    AwsError::new("NoSuchKey", "The specified key does not exist.", 404).with_field("Key", key)
}

pub fn no_such_version(key: &str, version_id: &str) -> AwsError {
    AwsError::new("NoSuchVersion", "The specified version does not exist.", 404)
        .with_field("Key", key)
        .with_field("VersionId", version_id)
}

pub fn invalid_bucket_name(bucket: &str) -> AwsError {
    AwsError::new("InvalidBucketName", "The specified bucket is not valid.", 400)
        .with_field("BucketName", bucket)
}

pub fn invalid_argument(message: impl Into<String>, name: &str, value: &str) -> AwsError {
    AwsError::new("InvalidArgument", message, 400)
        .with_field("ArgumentName", name)
        .with_field("ArgumentValue", value)
}

pub fn invalid_request(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidRequest", message, 400)
}

pub fn malformed_xml() -> AwsError {
    AwsError::new(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
        400,
    )
}

pub fn precondition_failed(condition: &str) -> AwsError {
    AwsError::new(
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        412,
    )
    .with_field("Condition", condition)
}

pub fn invalid_range(range: &str, size: u64) -> AwsError {
    AwsError::new("InvalidRange", "The requested range is not satisfiable", 416)
        .with_field("RangeRequested", range)
        .with_field("ActualObjectSize", size.to_string())
}

pub fn bad_digest(what: &str) -> AwsError {
    AwsError::new(
        "BadDigest",
        format!("The {what} you specified did not match the calculated checksum."),
        400,
    )
}

pub fn no_such_upload(upload_id: &str) -> AwsError {
    AwsError::new(
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        404,
    )
    .with_field("UploadId", upload_id)
}

pub fn method_not_allowed(method: &str) -> AwsError {
    AwsError::new(
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        405,
    )
    .with_field("Method", method)
    .with_field("ResourceType", "DeleteMarker")
}

/// PutBucketPolicy refused: the policy is public and the bucket's
/// BlockPublicPolicy setting is on.
pub fn public_policy_blocked(account: &str, bucket: &str) -> AwsError {
    AwsError::new(
        "AccessDenied",
        format!(
            "User: arn:aws:iam::{account}:root is not authorized to perform: s3:PutBucketPolicy on resource: \
             \"arn:aws:s3:::{bucket}\" because public policies are blocked by the BlockPublicPolicy block public \
             access setting."
        ),
        403,
    )
}

/// What S3 answers a caller without access.
pub fn access_denied() -> AwsError {
    AwsError::new("AccessDenied", "Access Denied", 403)
}
