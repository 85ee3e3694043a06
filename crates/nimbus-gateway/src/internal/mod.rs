//! nimbus's own endpoints beside the AWS APIs. The router is a plain match
//! so that new endpoints (snapshots, zone failures, ...) are one arm and one
//! handler each.

use bytes::Bytes;
use http::{HeaderValue, Method};
use nimbus_protocol::HttpResponse;
use serde_json::json;

use crate::gateway::Gateway;
pub mod health;
pub mod snapshots;
pub mod test_hooks;

/// An internal endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /_nimbus/health`
    NimbusHealth,
    /// `GET /_localstack/health`
    LocalStackHealth,
    /// `POST /_nimbus/reset`
    Reset,
    /// `POST /moto-api/reset` (moto server mode's reset)
    MotoReset,
    /// `GET /_nimbus/snapshots`
    ListSnapshots,
    /// `POST /_nimbus/snapshots/<name>` (also `POST /_nimbus/snapshot?name=<name>`)
    SaveSnapshot,
    /// `POST /_nimbus/snapshots/<name>/restore` (also `POST /_nimbus/restore?name=<name>`)
    RestoreSnapshot,
    /// `DELETE /_nimbus/snapshots/<name>`
    DeleteSnapshot,
}

/// The result of matching a path under the internal prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InternalRoute {
    Endpoint(Endpoint),
    NotFound,
    MethodNotAllowed,
}

impl Endpoint {
    /// The name used in request logs.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::NimbusHealth | Endpoint::LocalStackHealth => "health",
            Endpoint::Reset | Endpoint::MotoReset => "reset",
            Endpoint::ListSnapshots => "list-snapshots",
            Endpoint::SaveSnapshot => "save-snapshot",
            Endpoint::RestoreSnapshot => "restore-snapshot",
            Endpoint::DeleteSnapshot => "delete-snapshot",
        }
    }
}

/// Matches internal endpoints; `None` means the request is for an AWS API.
/// `/moto-api/reset` is only taken on POST: `moto-api` is a valid S3 bucket.
pub fn route(method: &Method, path: &str) -> Option<InternalRoute> {
    let readable = method == Method::GET || method == Method::HEAD;
    let writable = method == Method::POST;
    let only = |allowed: bool, endpoint| {
        if allowed {
            InternalRoute::Endpoint(endpoint)
        } else {
            InternalRoute::MethodNotAllowed
        }
    };
    Some(match path.trim_end_matches('/') {
        "/_nimbus/health" => only(readable, Endpoint::NimbusHealth),
        "/_localstack/health" => only(readable, Endpoint::LocalStackHealth),
        "/_nimbus/reset" => only(writable, Endpoint::Reset),
        "/moto-api/reset" if writable => InternalRoute::Endpoint(Endpoint::MotoReset),
        "/_nimbus/snapshots" => only(readable, Endpoint::ListSnapshots),
        "/_nimbus/snapshot" => only(writable, Endpoint::SaveSnapshot),
        "/_nimbus/restore" => only(writable, Endpoint::RestoreSnapshot),
        other if other.starts_with("/_nimbus/snapshots/") => {
            let rest = &other["/_nimbus/snapshots/".len()..];
            if rest.ends_with("/restore") {
                only(writable, Endpoint::RestoreSnapshot)
            } else if method == Method::DELETE {
                InternalRoute::Endpoint(Endpoint::DeleteSnapshot)
            } else {
                only(writable, Endpoint::SaveSnapshot)
            }
        }
        "/_nimbus" | "/_localstack" => InternalRoute::NotFound,
        other if other.starts_with("/_nimbus/") || other.starts_with("/_localstack/") => {
            InternalRoute::NotFound
        }
        _ => return None,
    })
}

/// Answers an internal endpoint. `query` is the raw query string.
pub async fn serve(gateway: &Gateway, route: InternalRoute, path: &str, query: &str) -> HttpResponse {
    match route {
        InternalRoute::Endpoint(
            endpoint @ (Endpoint::ListSnapshots
            | Endpoint::SaveSnapshot
            | Endpoint::RestoreSnapshot
            | Endpoint::DeleteSnapshot),
        ) => match snapshots::serve(gateway, endpoint, path, query).await {
            Ok(body) => ok(body),
            Err(snapshots::Failure { status, message }) => respond(status, json!({ "error": message })),
        },
        InternalRoute::Endpoint(Endpoint::NimbusHealth) => ok(health::nimbus(gateway.services())),
        InternalRoute::Endpoint(Endpoint::LocalStackHealth) => ok(health::localstack(gateway.services())),
        InternalRoute::Endpoint(endpoint @ (Endpoint::Reset | Endpoint::MotoReset)) => {
            match gateway.reset().await {
                Ok(()) if endpoint == Endpoint::MotoReset => ok(json!({ "status": "ok" })),
                Ok(()) => ok(json!({ "reset": true })),
                Err(snapshots::Failure { status, message }) => respond(status, json!({ "error": message })),
            }
        }
        InternalRoute::NotFound => respond(404, json!({ "error": format!("No internal endpoint {path}") })),
        InternalRoute::MethodNotAllowed => respond(
            405,
            json!({ "error": format!("Method not allowed for internal endpoint {path}") }),
        ),
    }
}

fn ok(body: serde_json::Value) -> HttpResponse {
    respond(200, body)
}

fn respond(status: u16, body: serde_json::Value) -> HttpResponse {
    let mut response = HttpResponse {
        status,
        body: Bytes::from(body.to_string()),
        ..HttpResponse::default()
    };
    response.headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_internal_paths_only() {
        use InternalRoute::*;
        let cases = [
            (
                Method::GET,
                "/_nimbus/health",
                Some(Endpoint(self::Endpoint::NimbusHealth)),
            ),
            (
                Method::HEAD,
                "/_localstack/health",
                Some(Endpoint(self::Endpoint::LocalStackHealth)),
            ),
            (
                Method::POST,
                "/_nimbus/reset",
                Some(Endpoint(self::Endpoint::Reset)),
            ),
            (
                Method::POST,
                "/moto-api/reset",
                Some(Endpoint(self::Endpoint::MotoReset)),
            ),
            (Method::GET, "/_nimbus/reset", Some(MethodNotAllowed)),
            (
                Method::GET,
                "/_nimbus/snapshots",
                Some(Endpoint(self::Endpoint::ListSnapshots)),
            ),
            (
                Method::POST,
                "/_nimbus/snapshots/base",
                Some(Endpoint(self::Endpoint::SaveSnapshot)),
            ),
            (
                Method::POST,
                "/_nimbus/snapshots/base/restore",
                Some(Endpoint(self::Endpoint::RestoreSnapshot)),
            ),
            (
                Method::DELETE,
                "/_nimbus/snapshots/base",
                Some(Endpoint(self::Endpoint::DeleteSnapshot)),
            ),
            (Method::GET, "/_nimbus/snapshots/base", Some(MethodNotAllowed)),
            (Method::GET, "/_nimbus/nope", Some(NotFound)),
            (Method::GET, "/moto-api/reset", None),
            (Method::GET, "/", None),
            (Method::PUT, "/bucket/_nimbus/health", None),
        ];
        for (method, path, expected) in cases {
            assert_eq!(route(&method, path), expected, "{method} {path}");
        }
    }
}
