//! The Elastic Load Balancing v2 API as nimbus serves it, generated from the
//! model and `operations.txt` (see `cargo xtask api`): the typed shapes, the
//! [`Elbv2Api`] trait the service implements, the [`Elbv2Server`] that
//! serves it, and the [`Elbv2Client`] other services call it with; written
//! by hand, the front hook ([`listing`]) that says where load balancers listen.

mod generated;
pub mod listing;

pub use generated::*;
pub use listing::Elbv2Listing;
