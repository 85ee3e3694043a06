//! Front hooks: requests a service answers before or around the AWS
//! pipeline. S3 has one (its website endpoint, CORS, virtual-hosted
//! buckets); the gateway consults every service's hook the same way and
//! never knows what a hook is about.

use http::{HeaderMap, Method};
use nimbus_core::RequestContext;

use crate::http_types::HttpResponse;
use crate::service::BoxFuture;

/// The head of a request, as it arrived (path and query still encoded).
#[derive(Debug, Clone, Copy)]
pub struct Head<'r> {
    pub method: &'r Method,
    pub path: &'r str,
    pub query: &'r str,
    pub headers: &'r HeaderMap,
}

impl<'r> Head<'r> {
    pub fn header(&self, name: impl http::header::AsHeaderName) -> Option<&'r str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Every header as text (names in lower case), in the order they came:
    /// what a hook hands its service, which never sees HTTP types.
    pub fn header_pairs(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect()
    }
}

/// A response of a status, headers as text (those HTTP cannot carry are
/// left out) and a body: what a hook's service answered.
pub fn response(status: u16, headers: Vec<(String, String)>, body: bytes::Bytes) -> crate::HttpResponse {
    let mut response = crate::HttpResponse {
        status,
        body,
        ..Default::default()
    };
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            http::header::HeaderName::try_from(name),
            http::header::HeaderValue::try_from(value),
        ) {
            response.headers.append(name, value);
        }
    }
    response
}

/// A request a hook answered itself.
pub struct Answer {
    pub response: HttpResponse,
    /// What the access log calls it (`Website`, `PreflightRequest`).
    pub operation: &'static str,
}

/// A service's say over requests around the AWS pipeline. The checks
/// (`host_path`, `claims`, `amends`) run for every request and must be
/// cheap; the work runs only for the requests they pick.
pub trait FrontHook: Send + Sync {
    /// The path-style path of a request that names its resource in the
    /// Host (S3's `<bucket>.s3.localhost`): the pipeline decodes, signs and
    /// routes that path instead. `None` when the host names nothing.
    fn host_path(&self, _host: &str, _path: &str) -> Option<String> {
        None
    }

    /// Whether the hook answers this request itself, outside the pipeline.
    fn claims(&self, _head: &Head<'_>) -> bool {
        false
    }

    /// Answers a claimed request, with its body; `ctx` is an anonymous
    /// caller's.
    fn serve<'a>(
        &'a self,
        ctx: &'a RequestContext,
        head: Head<'a>,
        body: bytes::Bytes,
    ) -> BoxFuture<'a, Answer>;

    /// Whether the service's answer to this request, once the pipeline
    /// served it, gets more from the hook.
    fn amends(&self, _head: &Head<'_>) -> bool {
        false
    }

    /// Adds to the service's answer (S3: a cross-origin request's CORS headers).
    fn amend<'a>(
        &'a self,
        _ctx: &'a RequestContext,
        _head: Head<'a>,
        _response: &'a mut HttpResponse,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}
