//! The vocabulary every nimbus crate shares.
//!
//! Services and the protocol layer share it: the [`RequestContext`] of a
//! call, [`AwsError`], streamed bodies, and the [`Value`] tree that error
//! members, validation and typed-call checks use. Services are served
//! through their generated API crates (see `nimbus_protocol::service`).

pub mod account;
pub mod authz;
pub mod context;
pub mod error;
pub mod events;
pub mod identity;
pub mod stream;
pub mod typed;
pub mod value;

/// A boxed future that can cross threads: what object-safe async traits return.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

pub use context::RequestContext;
pub use error::{AwsError, Fields};
pub use events::EventStream;
pub use stream::{ByteReader, ByteStream};
pub use typed::{Document, RawJson, from_value, to_value};
pub use value::{Timestamp, Value};
