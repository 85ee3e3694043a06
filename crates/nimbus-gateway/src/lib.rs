//! The front door of nimbus: one HTTP server that tells which AWS service
//! and protocol each request is for, parses its signature, unwraps its body,
//! and hands it to the service through its generated API. It names no
//! service: what differs between services is the model's data (its
//! protocols and `nimbus` profile) or the service's own front hook.
//!
//! Modules, in the order a request meets them: [`server`] (connections),
//! [`gateway`] (per request: internal endpoint or AWS API, access log),
//! [`internal`] (nimbus's own endpoints), [`front`] (services' front hooks),
//! [`dispatch`] (the AWS pipeline, stage by stage), [`auth`] (signatures,
//! presigned URLs, the caller), [`route`] (which service and protocol),
//! [`body`] (reading, de-chunking, decompressing), [`services`],
//! [`fallback_error`].

pub mod auth;
pub mod body;
pub mod config;
pub mod dispatch;
pub mod fallback_error;
pub mod front;
pub mod gateway;
pub mod internal;
pub mod route;
pub mod server;
pub mod services;

pub use config::GatewayConfig;
pub use gateway::Gateway;
pub use server::serve;
