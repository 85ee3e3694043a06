//! DynamoDB's error vocabulary, with its exact codes and statuses.

use nimbus_core::AwsError;

pub fn validation(message: impl Into<String>) -> AwsError {
    AwsError::new("ValidationException", message, 400)
}

/// What item operations say about a table that does not exist.
pub fn resource_not_found() -> AwsError {
    AwsError::new("ResourceNotFoundException", "Requested resource not found", 400)
}

/// What table operations say about a table that does not exist.
pub fn table_not_found(table: &str) -> AwsError {
    AwsError::new(
        "ResourceNotFoundException",
        format!("Requested resource not found: Table: {table} not found"),
        400,
    )
}

pub fn resource_in_use(message: impl Into<String>) -> AwsError {
    AwsError::new("ResourceInUseException", message, 400)
}

pub fn conditional_check_failed() -> AwsError {
    AwsError::new(
        "ConditionalCheckFailedException",
        "The conditional request failed",
        400,
    )
}

/// A malformed request the model cannot catch (a member of the wrong shape).
pub fn serialization(message: impl Into<String>) -> AwsError {
    AwsError::new("SerializationException", message, 400)
}
