//! API Gateway's front hook: invoking deployed REST APIs over HTTP. A
//! request reaches an API at `<api-id>.execute-api.<region>.<domain>`
//! (the Host as AWS names it; `localhost` resolves to loopback), at
//! `/_aws/execute-api/<api-id>/<stage>/<path>` (no DNS needed), or at
//! LocalStack's `/restapis/<api-id>/<stage>/_user_request_/<path>`, or
//! at one of the account's custom domain names (the Host). This
//! module speaks HTTP; what an invocation does is the service's
//! ([`ApiInvoke`]).

use bytes::Bytes;
use http::header::HOST;
use nimbus_core::RequestContext;
use nimbus_protocol::HttpResponse;
use nimbus_protocol::front::{Answer, FrontHook, Head};
use nimbus_protocol::service::BoxFuture;

use crate::{ApiGatewayApi, ApiGatewayServer};

/// An invocation of a REST API, as the service reads it.
#[derive(Debug, Clone, Default)]
pub struct ApiRequest {
    pub api_id: String,
    pub stage: String,
    /// The path after the stage, still encoded, starting with `/`.
    pub path: String,
    pub method: String,
    /// The query string, still encoded.
    pub query: String,
    /// Header names in lower case, in the order they came.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// The host the client named.
    pub domain: String,
    /// On a custom domain, the path the client asked for, base path
    /// included (a Lambda proxy event's `path`); `api_id`, `stage` and
    /// `path` are empty until its mappings fill them in.
    pub domain_path: Option<String>,
}

/// What the API answers.
#[derive(Debug, Clone, Default)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

/// What the service does with invocations.
pub trait ApiInvoke: ApiGatewayApi {
    fn invoke_api<'a>(&'a self, ctx: &'a RequestContext, request: ApiRequest) -> BoxFuture<'a, ApiResponse>;

    /// Whether `host` (without its port) is a custom domain name.
    fn serves_domain(&self, _host: &str) -> bool {
        false
    }
}

fn without_port(host: &str) -> &str {
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// The API id a host names: `<id>.execute-api.<...>`.
pub fn api_id(host: &str) -> Option<&str> {
    let (id, rest) = host.split_once('.')?;
    (rest.starts_with("execute-api.") && !id.is_empty()).then_some(id)
}

/// `(api id, stage, path)` of a request in one of the three forms.
pub fn target<'h>(host: Option<&'h str>, path: &'h str) -> Option<(&'h str, &'h str, &'h str)> {
    if let Some(id) = host.and_then(api_id) {
        let rest = path.strip_prefix('/').unwrap_or(path);
        let (stage, tail) = rest.split_once('/').map_or((rest, ""), |(s, t)| (s, t));
        return Some((id, stage, tail));
    }
    if let Some(rest) = path.strip_prefix("/_aws/execute-api/") {
        let (id, rest) = rest.split_once('/')?;
        let (stage, tail) = rest.split_once('/').map_or((rest, ""), |(s, t)| (s, t));
        return Some((id, stage, tail));
    }
    let rest = path.strip_prefix("/restapis/")?;
    let mut parts = rest.splitn(4, '/');
    let (id, stage, marker) = (parts.next()?, parts.next()?, parts.next()?);
    (marker == "_user_request_").then(|| (id, stage, parts.next().unwrap_or("")))
}

impl<S: ApiInvoke> FrontHook for ApiGatewayServer<S> {
    fn claims(&self, head: &Head<'_>) -> bool {
        let host = head.header(HOST);
        target(host, head.path).is_some() || host.is_some_and(|h| self.0.serves_domain(without_port(h)))
    }

    fn serve<'a>(&'a self, ctx: &'a RequestContext, head: Head<'a>, body: Bytes) -> BoxFuture<'a, Answer> {
        Box::pin(async move {
            let host = head.header(HOST).unwrap_or_default();
            let found = target(Some(host), head.path);
            let (id, stage, path) = found.unwrap_or_default();
            let request = ApiRequest {
                api_id: id.to_owned(),
                stage: stage.to_owned(),
                path: found.map(|_| format!("/{path}")).unwrap_or_default(),
                method: head.method.as_str().to_owned(),
                query: head.query.to_owned(),
                headers: head.header_pairs(),
                body,
                domain: without_port(host).to_owned(),
                domain_path: found.is_none().then(|| head.path.to_owned()),
            };
            let answered = self.0.invoke_api(ctx, request).await;
            Answer {
                response: http_response(answered),
                operation: "Invoke",
            }
        })
    }
}

fn http_response(answered: ApiResponse) -> HttpResponse {
    nimbus_protocol::front::response(answered.status, answered.headers, answered.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_forms_name_the_api_stage_and_path() {
        let host = Some("abc123defg.execute-api.localhost:4566");
        assert_eq!(
            target(host, "/prod/pets/7"),
            Some(("abc123defg", "prod", "pets/7"))
        );
        assert_eq!(target(host, "/prod"), Some(("abc123defg", "prod", "")));
        let plain = Some("127.0.0.1:4566");
        assert_eq!(
            target(plain, "/_aws/execute-api/abc/prod/pets"),
            Some(("abc", "prod", "pets"))
        );
        assert_eq!(
            target(plain, "/restapis/abc/dev/_user_request_/a/b"),
            Some(("abc", "dev", "a/b"))
        );
        assert_eq!(target(plain, "/restapis/abc/resources"), None);
        assert_eq!(target(plain, "/restapis/abc/stages/dev"), None);
    }
}
