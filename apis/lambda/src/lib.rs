//! The Lambda API as nimbus serves it, generated from the model and
//! `operations.txt` (see `cargo xtask api`): the typed shapes, the
//! [`LambdaApi`] trait the service implements, the [`LambdaServer`] that
//! serves it, and the [`LambdaClient`] other services call it with.

mod generated;

pub use generated::*;
