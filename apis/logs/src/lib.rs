//! The CloudWatch Logs API as nimbus serves it, generated from the model and
//! `operations.txt` (see `cargo xtask api`): the typed shapes, the
//! [`LogsApi`] trait the service implements, the [`LogsServer`] that
//! serves it, and the [`LogsClient`] other services call it with.

mod generated;

pub use generated::*;
