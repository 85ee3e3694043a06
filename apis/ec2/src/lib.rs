//! The EC2 API as nimbus serves it, generated from the model and
//! `operations.txt` (see `cargo xtask api`): the typed shapes, the
//! [`Ec2Api`] trait the service implements, the [`Ec2Server`] that
//! serves it, and the [`Ec2Client`] other services call it with.

mod generated;

pub use generated::*;
