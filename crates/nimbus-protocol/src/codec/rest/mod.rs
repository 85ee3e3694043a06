//! HTTP bindings shared by `rest-json` and `rest-xml`: URI labels, query
//! strings, headers, status codes and payload members, around a JSON or
//! XML body.
//!
//! - [`routing`]: method + `requestUri` templates → operation, compiled once per model.
//! - [`bindings`]: header lists.
//! - [`request`]: a request read as the input structure.
//! - [`response`]: an output onto status, headers and body.
//! - [`errors`]: error envelopes (JSON, a bare `<Error>`, `<ErrorResponse>`)
//!   and the errors of requests that do not fit the model.

pub(crate) mod bindings;
pub(crate) mod body;
pub(crate) mod errors;
pub(crate) mod request;
pub(crate) mod response;
mod routing;

use nimbus_core::AwsError;

use crate::http_types::HttpRequest;
use crate::model::{Model, Operation};
use crate::protocol::Protocol;

pub use routing::RouteIndex;

/// Which body format the rest protocol carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Json,
    Xml,
}

impl BodyFormat {
    pub fn of(protocol: Protocol) -> BodyFormat {
        match protocol {
            Protocol::RestXml => BodyFormat::Xml,
            _ => BodyFormat::Json,
        }
    }
}

/// The operation whose `http.method` and `http.requestUri` match the request
/// (the most specific one when several do). `request.path` is path-style:
/// a front hook rewrites virtual-hosted requests first.
pub fn identify<'m>(model: &'m Model, request: &HttpRequest) -> Result<&'m Operation, AwsError> {
    let params = request.query_params();
    RouteIndex::of(model)
        .find(
            model,
            request.method.as_str(),
            &request.path,
            &params,
            &request.headers,
        )
        .ok_or_else(|| errors::no_route(model, request))
}

#[cfg(test)]
mod tests;
