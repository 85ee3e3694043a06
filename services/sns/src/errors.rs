//! The errors SNS answers with, worded as SNS words them; codes and
//! statuses come from the model (the generated [`errors`] constructors).

use nimbus_core::AwsError;
use nimbus_sns_api::errors;

/// `InvalidParameter` (400): SNS prefixes every message with "Invalid parameter: ".
pub fn invalid_parameter(detail: impl AsRef<str>) -> AwsError {
    errors::invalid_parameter(format!("Invalid parameter: {}", detail.as_ref()))
}

/// `ParameterValueInvalid` (400): bad message attributes.
pub fn invalid_parameter_value(message: impl Into<String>) -> AwsError {
    errors::invalid_parameter_value(message)
}

/// `NotFound` (404) for a missing topic.
pub fn topic_not_found() -> AwsError {
    errors::not_found("Topic does not exist")
}

/// `NotFound` (404) for a missing subscription.
pub fn subscription_not_found() -> AwsError {
    errors::not_found("Subscription does not exist")
}

/// `ResourceNotFound` (404): the tagging operations' word for a missing topic.
pub fn resource_not_found() -> AwsError {
    errors::resource_not_found("Resource does not exist")
}
