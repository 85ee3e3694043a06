//! SigV4 signing, from the workspace's signer (crates/nimbus-sigv4).

pub use nimbus_sigv4::*;
