//! The DynamoDB API as nimbus serves it: generated from the model and
//! `operations.txt` (see `cargo xtask api`), the typed shapes, the
//! [`DynamoDbApi`] trait the service implements, the [`DynamoDbServer`]
//! that serves it and the [`DynamoDbClient`] other services call it with;
//! written by hand, the item model the shapes carry: [`attribute`] values
//! with their [`number`]s, and the [`item`]s of answers.

pub mod attribute;
mod generated;
pub mod item;
pub mod number;

pub use generated::*;
