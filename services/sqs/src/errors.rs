//! The errors SQS answers, with the messages SQS uses; codes and statuses
//! come from the model (the generated [`errors`] constructors).

use nimbus_core::AwsError;
use nimbus_sqs_api::errors;

pub fn queue_does_not_exist() -> AwsError {
    errors::queue_does_not_exist("The specified queue does not exist.")
}

pub fn queue_name_exists(attribute: &str) -> AwsError {
    errors::queue_name_exists(format!(
        "A queue already exists with the same name and a different value for attribute {attribute}"
    ))
}

pub fn invalid_parameter(message: impl Into<String>) -> AwsError {
    errors::invalid_parameter_value(message)
}

/// `Value <v> for parameter <name> is invalid. Reason: <reason>`.
pub fn invalid_value(name: &str, value: impl std::fmt::Display, reason: &str) -> AwsError {
    invalid_parameter(format!(
        "Value {value} for parameter {name} is invalid. Reason: {reason}"
    ))
}

pub fn missing_parameter(name: &str) -> AwsError {
    errors::missing_parameter(format!("The request must contain the parameter {name}."))
}

pub fn invalid_attribute_name(name: &str) -> AwsError {
    errors::invalid_attribute_name(format!("Unknown Attribute {name}."))
}

pub fn invalid_attribute_value(name: &str, reason: &str) -> AwsError {
    let message = if reason.is_empty() {
        format!("Invalid value for the parameter {name}.")
    } else {
        format!("Invalid value for the parameter {name}. Reason: {reason}")
    };
    errors::invalid_attribute_value(message)
}

pub fn receipt_handle_invalid(handle: &str) -> AwsError {
    errors::receipt_handle_is_invalid(format!(
        "The input receipt handle \"{handle}\" is not a valid receipt handle."
    ))
}

pub fn receipt_handle_expired() -> AwsError {
    errors::receipt_handle_is_invalid("The receipt handle has expired.")
}

pub fn message_not_inflight() -> AwsError {
    errors::message_not_inflight("Message does not exist or is not available for visibility timeout change.")
}

pub fn empty_batch(entry: &str) -> AwsError {
    errors::empty_batch_request(format!("There should be at least one {entry} in the request."))
}

pub fn too_many_entries(count: usize) -> AwsError {
    errors::too_many_entries_in_batch_request(format!(
        "Maximum number of entries per request are 10. You have sent {count}."
    ))
}

pub fn ids_not_distinct(id: &str) -> AwsError {
    errors::batch_entry_ids_not_distinct(format!("Id {id} repeated."))
}

pub fn invalid_batch_entry_id() -> AwsError {
    errors::invalid_batch_entry_id(
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
    )
}

pub fn batch_too_long(limit: usize) -> AwsError {
    errors::batch_request_too_long(format!("Batch requests cannot be longer than {limit} bytes."))
}

pub fn resource_not_found(message: impl Into<String>) -> AwsError {
    errors::resource_not_found(message)
}

pub fn unsupported(message: impl Into<String>) -> AwsError {
    errors::unsupported_operation(message)
}

/// A store failure: never the client's fault.
pub fn store(err: nimbus_store::StoreError) -> AwsError {
    AwsError::internal(format!("the store failed: {err}"))
}
