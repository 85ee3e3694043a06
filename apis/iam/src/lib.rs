//! The IAM API as nimbus serves it, generated from the model and
//! `operations.txt` (see `cargo xtask api`): the typed shapes, the
//! [`IamApi`] trait the service implements, the [`IamServer`] that
//! serves it, and the [`IamClient`] other services call it with.

mod generated;

pub use generated::*;
