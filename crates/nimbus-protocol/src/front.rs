//! Front hooks: requests a service answers before or around the AWS
//! pipeline (S3's website endpoint, CORS and virtual-hosted buckets).

/// A service's say over requests before the AWS pipeline routes them.
pub trait FrontHook: Send + Sync {}
