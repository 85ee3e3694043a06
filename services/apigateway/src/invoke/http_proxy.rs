//! HTTP integrations. HTTP_PROXY passes the request on to the
//! integration's URI (its `{name}` path variables filled from the
//! request's path parameters, stage variables in) with the request's
//! method, query, headers and body, and the endpoint's answer comes back
//! as it is. HTTP (non-proxy) sends what the request template renders (or
//! the body, passed through) with the integration's own method and the
//! parameters its mappings name, and answers through the integration
//! responses. Plain `http://` endpoints, one connection per request; one
//! that cannot be reached is a 504, as API Gateway's integration failure.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use nimbus_apigateway_api::{ApiResponse, Integration};
use tokio::net::TcpStream;

use super::lambda::with_stage_variables;
use super::{Invocation, message, mock, templates};

/// How long an integration's endpoint may take.
pub(super) fn timeout_of(integration: &Integration) -> Duration {
    Duration::from_millis(u64::try_from(integration.timeout_in_millis.unwrap_or(29_000)).unwrap_or(29_000))
}

/// Headers that describe a hop, not the request.
const HOP_HEADERS: [&str; 5] = [
    "host",
    "connection",
    "content-length",
    "transfer-encoding",
    "keep-alive",
];

/// A request to an endpoint.
pub(super) struct Outgoing {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

/// The endpoint's URL for this request (without its query).
fn target_url(invocation: &Invocation<'_>, integration: &Integration) -> String {
    let mut url = with_stage_variables(integration.uri.as_deref().unwrap_or_default(), invocation);
    for (name, value) in &invocation.route.path_parameters {
        url = url
            .replace(&format!("{{{name}+}}"), value)
            .replace(&format!("{{{name}}}"), value);
    }
    url
}

fn with_query(mut url: String, query: &str) -> String {
    if !query.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(query);
    }
    url
}

pub async fn forward(invocation: &Invocation<'_>, integration: &Integration) -> ApiResponse {
    let request = invocation.request;
    let outgoing = Outgoing {
        method: request.method.clone(),
        url: with_query(target_url(invocation, integration), &request.query),
        headers: request.headers.clone(),
        body: request.body.clone(),
    };
    exchange(&outgoing, timeout_of(integration))
        .await
        .unwrap_or_else(|failed| failed)
}

/// The headers and query parameters (encoded `name=value`) the
/// integration's request parameter mappings give.
pub(super) fn mapped_parameters(
    invocation: &Invocation<'_>,
    integration: &Integration,
) -> (Vec<(String, String)>, Vec<String>) {
    let (mut headers, mut query) = (Vec::new(), Vec::new());
    for (target, source) in integration.request_parameters.iter().flatten() {
        let Some(value) = mapped(invocation, source) else {
            continue;
        };
        if let Some(name) = target.strip_prefix("integration.request.querystring.") {
            let value = percent_encoding::utf8_percent_encode(&value, percent_encoding::NON_ALPHANUMERIC);
            query.push(format!("{name}={value}"));
        } else if let Some(name) = target.strip_prefix("integration.request.header.") {
            headers.retain(|(n, _): &(String, String)| !n.eq_ignore_ascii_case(name));
            headers.push((name.to_owned(), value));
        }
    }
    (headers, query)
}

/// The value a request parameter mapping takes (`'literal'`, or
/// `method.request.<place>.<name>`).
fn mapped(invocation: &Invocation<'_>, source: &str) -> Option<String> {
    if let Some(literal) = source.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return Some(literal.to_owned());
    }
    let request = invocation.request;
    if let Some(name) = source.strip_prefix("method.request.querystring.") {
        let pairs = super::proxy_event::query_pairs(&request.query);
        return pairs.into_iter().rev().find(|(n, _)| n == name).map(|(_, v)| v);
    }
    if let Some(name) = source.strip_prefix("method.request.header.") {
        return request
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone());
    }
    let name = source.strip_prefix("method.request.path.")?;
    invocation.route.path_parameters.get(name).cloned()
}

pub async fn http(invocation: &Invocation<'_>, integration: &Integration) -> ApiResponse {
    let request = invocation.request;
    let body = match mock::request_template(invocation, integration) {
        Some(template) => Bytes::from(templates::render(
            &template,
            invocation,
            &String::from_utf8_lossy(&request.body),
        )),
        None if integration.passthrough_behavior.as_deref() == Some("NEVER") => {
            return message(415, "Unsupported Media Type", "UnsupportedMediaTypeException");
        }
        None => request.body.clone(),
    };
    let mut url = target_url(invocation, integration);
    for (target, source) in integration.request_parameters.iter().flatten() {
        if let (Some(name), Some(value)) = (
            target.strip_prefix("integration.request.path."),
            mapped(invocation, source),
        ) {
            url = url.replace(&format!("{{{name}}}"), &value);
        }
    }
    let (mut headers, query) = mapped_parameters(invocation, integration);
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
    }
    let outgoing = Outgoing {
        method: integration
            .http_method
            .clone()
            .unwrap_or_else(|| request.method.clone()),
        url: with_query(url, &query.join("&")),
        headers,
        body,
    };
    match exchange(&outgoing, timeout_of(integration)).await {
        Ok(backend) => mock::respond(invocation, integration, &backend.status.to_string(), &backend),
        Err(failed) => failed,
    }
}

/// The endpoint's answer, or API Gateway's own when it cannot have one.
pub(super) async fn exchange(outgoing: &Outgoing, timeout: Duration) -> Result<ApiResponse, ApiResponse> {
    let failed = || message(504, "Internal server error", "IntegrationFailureException");
    let Ok(uri) = outgoing.url.parse::<Uri>() else {
        return Err(failed());
    };
    let (Some("http"), Some(host)) = (uri.scheme_str(), uri.host()) else {
        tracing::warn!(url = outgoing.url, "API Gateway calls http:// endpoints only");
        return Err(failed());
    };
    let address = format!("{host}:{}", uri.port_u16().unwrap_or(80));
    match tokio::time::timeout(timeout, send(&address, &uri, outgoing)).await {
        Ok(Ok(answered)) => Ok(answered),
        Ok(Err(error)) => {
            tracing::warn!(
                url = outgoing.url,
                error,
                "API Gateway could not reach the HTTP integration"
            );
            Err(failed())
        }
        Err(_) => Err(message(
            504,
            "Endpoint request timed out",
            "IntegrationTimeoutException",
        )),
    }
}

async fn send(address: &str, uri: &Uri, outgoing: &Outgoing) -> Result<ApiResponse, String> {
    let stream = TcpStream::connect(address).await.map_err(|e| e.to_string())?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let method = Method::from_bytes(outgoing.method.as_bytes()).map_err(|e| e.to_string())?;
    let path = uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), ToString::to_string);
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", uri.authority().map_or(address, |a| a.as_str()));
    for (name, value) in &outgoing.headers {
        if !HOP_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            request = request.header(name.as_str(), value.as_str());
        }
    }
    let request = request
        .body(Full::new(outgoing.body.clone()))
        .map_err(|e| e.to_string())?;
    let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter(|(name, _)| !HOP_HEADERS.contains(&name.as_str()))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body: Bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok(ApiResponse {
        status,
        headers,
        body,
    })
}
