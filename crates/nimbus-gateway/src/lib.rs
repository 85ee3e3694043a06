//! The front door of nimbus: one HTTP server that tells which AWS service
//! and protocol each request is for, parses its signature, unwraps its body,
//! and hands it to the service through the model-driven codecs.
//!
//! Modules, in the order a request meets them: [`server`] (connections),
//! [`gateway`] (per request: internal endpoint or AWS API, access log),
//! [`internal`] (nimbus's own endpoints), [`front`] (services' front hooks),
//! [`dispatch`] (the AWS pipeline), [`presign`] (expiry),
//! [`sigv4`], [`identify`] with [`catalog`], [`body`],
//! [`content_encoding`] with [`chunked`], [`caller`], [`fallback_error`].

// AwsError is the project's error vocabulary; errors are the cold path, so
// its size is not worth boxing at every call site.
#![allow(clippy::result_large_err)]

pub mod body;
pub mod caller;
pub mod catalog;
pub mod chunked;
pub mod config;
pub mod content_encoding;
pub mod dispatch;
pub mod fallback_error;
pub mod front;
pub mod gateway;
pub mod health;
pub mod identify;
pub mod internal;
pub mod presign;
pub mod server;
pub mod services;
pub mod sigv4;
pub mod snapshots;
pub mod test_hooks;
pub mod verify;
pub mod verify_v2;

pub use config::GatewayConfig;
pub use gateway::Gateway;
pub use server::serve;
