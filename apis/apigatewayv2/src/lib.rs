//! The ApiGatewayV2 API as nimbus serves it, generated from the model and
//! `operations.txt` (see `cargo xtask api`): the typed shapes, the
//! [`ApiGatewayV2Api`] trait the service implements, the [`ApiGatewayV2Server`] that
//! serves it, and the [`ApiGatewayV2Client`] other services call it with.

mod generated;

pub use generated::*;
