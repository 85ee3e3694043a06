//! DynamoDB's errors: every code the model declares (re-exported from the
//! API crate, codes and statuses from the model), and the usual ones with
//! DynamoDB's messages.

use nimbus_core::AwsError;
use nimbus_dynamodb_api::errors as model;
pub use nimbus_dynamodb_api::errors::{resource_in_use, validation};

/// What item operations say about a table that does not exist.
pub fn resource_not_found() -> AwsError {
    model::resource_not_found("Requested resource not found")
}

/// What table operations say about a table that does not exist.
pub fn table_not_found(table: &str) -> AwsError {
    model::resource_not_found(format!("Requested resource not found: Table: {table} not found"))
}

pub fn conditional_check_failed() -> AwsError {
    model::conditional_check_failed("The conditional request failed")
}
