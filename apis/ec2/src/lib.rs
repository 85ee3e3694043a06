//! The EC2 API as nimbus serves it, generated from the model and
//! `operations.txt` (see `cargo xtask api`): the typed shapes, the
//! [`Ec2Api`] trait the service implements, the [`Ec2Server`] that
//! serves it, and the [`Ec2Client`] other services call it with; written by
//! hand, the front hook ([`control`]) that fails and restores zones and
//! injects instance faults through what the service gives in [`Ec2Control`].

pub mod control;
mod generated;

pub use control::Ec2Control;
pub use generated::*;
