//! The API Gateway API as nimbus serves it, generated from the model and
//! `operations.txt` (see `cargo xtask api`): the typed shapes, the
//! [`ApiGatewayApi`] trait the service implements, the [`ApiGatewayServer`] that
//! serves it, and the [`ApiGatewayClient`] other services call it with; written
//! by hand, the front hook ([`invoke`]) that invokes deployed APIs over HTTP
//! through what the service gives in [`ApiInvoke`].

mod generated;
pub mod invoke;

pub use generated::*;
pub use invoke::{ApiInvoke, ApiRequest, ApiResponse};
