//! The wire layer: vendored AWS service models, compiled for the codecs,
//! and one model-driven codec per AWS protocol.
//!
//! Flow for one request: [`Protocol::identify_operation`] finds the operation,
//! [`Protocol::decode`] reads the HTTP request straight into the operation's
//! typed input (or [`Protocol::decode_request`] into a [`Value`]), checked
//! against the model's constraints; the service answers, and
//! [`Protocol::encode`] / [`Protocol::encode_error`] write the answer exactly
//! as the real service would. Nothing here knows a service's rules; a
//! service's wire differences are data in its model ([`model::Profile`]).

pub mod codec;
pub mod de;
pub mod front;
pub mod http_types;
pub mod model;
pub mod models;
pub mod protocol;
pub mod ser;
pub mod service;
pub mod timestamp;
pub mod validate;

pub use de::ValueSeed;
pub use http_types::{HttpRequest, HttpResponse};
pub use nimbus_core::{AwsError, Value};
pub use protocol::Protocol;
