//! The Lambda API as nimbus serves it, generated from the model and
//! `operations.txt` (see `cargo xtask api`): the typed shapes, the
//! [`LambdaApi`] trait the service implements, the [`LambdaServer`] that
//! serves it, and the [`LambdaClient`] other services call it with; written
//! by hand, the front hook ([`urls`]) that serves function URLs through
//! what the service gives in [`LambdaUrls`].

mod generated;
pub mod urls;

pub use generated::*;
pub use urls::{LambdaUrls, UrlRequest, UrlResponse};
