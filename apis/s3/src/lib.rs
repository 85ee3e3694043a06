//! The S3 API as nimbus serves it: generated from the model and
//! `operations.txt` (see `cargo xtask api`), the typed shapes, the
//! [`S3Api`] trait the service implements, the [`S3Server`] that serves it
//! and the [`S3Client`] other services call it with; written by hand, the
//! front hook ([`front`]) that serves S3's browser-facing endpoints from the
//! rules the service gives through [`S3Browser`].

pub mod browser;
mod front;
mod generated;
pub mod hosts;
pub mod website;

pub use browser::S3Browser;
pub use generated::*;
