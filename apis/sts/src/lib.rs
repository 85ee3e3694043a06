//! The STS API as nimbus serves it, generated from the model and
//! `operations.txt` (see `cargo xtask api`): the typed shapes, the
//! [`StsApi`] trait the service implements, the [`StsServer`] that serves
//! it, and the [`StsClient`] other services call it with.

mod generated;

pub use generated::*;
