//! The wire layer: vendored AWS service models and one model-driven runtime
//! codec per AWS protocol.
//!
//! Flow for one request: [`Protocol::identify_operation`] finds the operation,
//! [`Protocol::decode_request`] turns the HTTP request into a [`Value`] checked
//! against the operation's input shape, the service answers, and
//! [`Protocol::encode_response`] / [`Protocol::encode_error`] render the answer
//! exactly as the real service would. Nothing here knows a service's rules.

pub mod codec;
pub mod http_types;
pub mod model;
pub mod models;
pub mod timestamp;
pub mod validate;

pub use codec::Protocol;
pub use http_types::{HttpRequest, HttpResponse};
pub use nimbus_core::{AwsError, Value};
