//! The SNS API as nimbus serves it, generated from the model and
//! `operations.txt` (see `cargo xtask api`): the typed shapes, the
//! [`SnsApi`] trait the service implements, the [`SnsServer`] that serves
//! it, and the [`SnsClient`] other services call it with.

mod generated;

pub use generated::*;
