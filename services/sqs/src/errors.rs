//! The errors SQS answers, with the codes and messages SQS uses. Codes are
//! the query codes (`AWS.SimpleQueueService.*`): the query codec renders them
//! as they are, and the JSON codec finds the model's exception by them.

use nimbus_core::AwsError;

pub fn queue_does_not_exist() -> AwsError {
    AwsError::new(
        "AWS.SimpleQueueService.NonExistentQueue",
        "The specified queue does not exist.",
        400,
    )
}

pub fn queue_name_exists(attribute: &str) -> AwsError {
    AwsError::new(
        "QueueAlreadyExists",
        format!("A queue already exists with the same name and a different value for attribute {attribute}"),
        400,
    )
}

pub fn invalid_parameter(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidParameterValue", message, 400)
}

/// `Value <v> for parameter <name> is invalid. Reason: <reason>`.
pub fn invalid_value(name: &str, value: impl std::fmt::Display, reason: &str) -> AwsError {
    invalid_parameter(format!(
        "Value {value} for parameter {name} is invalid. Reason: {reason}"
    ))
}

pub fn missing_parameter(name: &str) -> AwsError {
    AwsError::new(
        "MissingParameter",
        format!("The request must contain the parameter {name}."),
        400,
    )
}

pub fn invalid_attribute_name(name: &str) -> AwsError {
    AwsError::new("InvalidAttributeName", format!("Unknown Attribute {name}."), 400)
}

pub fn invalid_attribute_value(name: &str, reason: &str) -> AwsError {
    let message = if reason.is_empty() {
        format!("Invalid value for the parameter {name}.")
    } else {
        format!("Invalid value for the parameter {name}. Reason: {reason}")
    };
    AwsError::new("InvalidAttributeValue", message, 400)
}

pub fn receipt_handle_invalid(handle: &str) -> AwsError {
    AwsError::new(
        "ReceiptHandleIsInvalid",
        format!("The input receipt handle \"{handle}\" is not a valid receipt handle."),
        404,
    )
}

pub fn receipt_handle_expired() -> AwsError {
    AwsError::new("ReceiptHandleIsInvalid", "The receipt handle has expired.", 404)
}

pub fn message_not_inflight() -> AwsError {
    AwsError::new(
        "AWS.SimpleQueueService.MessageNotInflight",
        "Message does not exist or is not available for visibility timeout change.",
        400,
    )
}

pub fn empty_batch(entry: &str) -> AwsError {
    AwsError::new(
        "AWS.SimpleQueueService.EmptyBatchRequest",
        format!("There should be at least one {entry} in the request."),
        400,
    )
}

pub fn too_many_entries(count: usize) -> AwsError {
    AwsError::new(
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        format!("Maximum number of entries per request are 10. You have sent {count}."),
        400,
    )
}

pub fn ids_not_distinct(id: &str) -> AwsError {
    AwsError::new(
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        format!("Id {id} repeated."),
        400,
    )
}

pub fn invalid_batch_entry_id() -> AwsError {
    AwsError::new(
        "AWS.SimpleQueueService.InvalidBatchEntryId",
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
        400,
    )
}

pub fn batch_too_long(limit: usize) -> AwsError {
    AwsError::new(
        "AWS.SimpleQueueService.BatchRequestTooLong",
        format!("Batch requests cannot be longer than {limit} bytes."),
        400,
    )
}

pub fn resource_not_found(message: impl Into<String>) -> AwsError {
    AwsError::new("ResourceNotFoundException", message, 404)
}

pub fn unsupported(message: impl Into<String>) -> AwsError {
    AwsError::new("AWS.SimpleQueueService.UnsupportedOperation", message, 400)
}

/// A store failure: never the client's fault.
pub fn store(err: nimbus_store::StoreError) -> AwsError {
    AwsError::internal(format!("the store failed: {err}"))
}
