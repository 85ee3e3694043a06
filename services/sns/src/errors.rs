//! The errors SNS answers with, worded as SNS words them.

use nimbus_core::AwsError;

/// `InvalidParameter` (400): SNS prefixes every message with "Invalid parameter: ".
pub fn invalid_parameter(detail: impl AsRef<str>) -> AwsError {
    AwsError::new(
        "InvalidParameter",
        format!("Invalid parameter: {}", detail.as_ref()),
        400,
    )
}

/// `ParameterValueInvalid` (400): bad message attributes.
pub fn invalid_parameter_value(message: impl Into<String>) -> AwsError {
    AwsError::new("ParameterValueInvalid", message, 400)
}

/// `NotFound` (404) for a missing topic.
pub fn topic_not_found() -> AwsError {
    AwsError::new("NotFound", "Topic does not exist", 404)
}

/// `NotFound` (404) for a missing subscription.
pub fn subscription_not_found() -> AwsError {
    AwsError::new("NotFound", "Subscription does not exist", 404)
}

/// `ResourceNotFound` (404): the tagging operations' word for a missing topic.
pub fn resource_not_found() -> AwsError {
    AwsError::new("ResourceNotFound", "Resource does not exist", 404)
}
