//! The vocabulary every nimbus crate shares.
//!
//! Services depend on this crate only: they receive a decoded [`Value`] (or a
//! typed input built from it), return a [`Value`] or an [`AwsError`], and never
//! see HTTP or a wire protocol.

pub mod account;
pub mod context;
pub mod error;
pub mod identity;
pub mod service;
pub mod stream;
pub mod typed;
pub mod value;

pub use context::RequestContext;
pub use error::AwsError;
pub use service::{BoxFuture, Service};
pub use stream::{ByteReader, ByteStream};
pub use typed::{Document, RawJson, from_value, handle_typed, handle_typed_async, to_value};
pub use value::{Timestamp, Value};
