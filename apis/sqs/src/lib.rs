//! The SQS API as nimbus serves it, generated from the model and
//! `operations.txt` (see `cargo xtask api`): the typed shapes, the
//! [`SqsApi`] trait the service implements, the [`SqsServer`] that serves
//! it, and the [`SqsClient`] other services call it with.

mod generated;

pub use generated::*;
