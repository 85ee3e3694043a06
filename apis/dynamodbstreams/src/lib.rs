//! The DynamoDB Streams API as nimbus serves it, generated from the model
//! and `operations.txt` (see `cargo xtask api`): the typed shapes (stream
//! records carry items in DynamoDB's item model), the
//! [`DynamoDbStreamsApi`] trait the service implements and the
//! [`DynamoDbStreamsServer`] that serves it.

mod generated;

pub use generated::*;
