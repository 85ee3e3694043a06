//! HTTP_PROXY integrations: the request goes on to the integration's URI
//! (its `{name}` path variables filled from the request's path parameters,
//! stage variables in), with the request's method, query, headers and
//! body, and the endpoint's answer comes back as it is. Plain `http://`
//! endpoints, one connection per request; an endpoint that cannot be
//! reached is a 504, as API Gateway's integration failure.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use nimbus_apigateway_api::{ApiResponse, Integration};
use tokio::net::TcpStream;

use super::lambda::with_stage_variables;
use super::{Invocation, message};

/// Headers that describe a hop, not the request.
const HOP_HEADERS: [&str; 5] = [
    "host",
    "connection",
    "content-length",
    "transfer-encoding",
    "keep-alive",
];

/// The endpoint's URL for this request.
fn target_url(invocation: &Invocation<'_>, integration: &Integration) -> String {
    let mut url = with_stage_variables(integration.uri.as_deref().unwrap_or_default(), invocation);
    for (name, value) in &invocation.route.path_parameters {
        url = url
            .replace(&format!("{{{name}+}}"), value)
            .replace(&format!("{{{name}}}"), value);
    }
    if !invocation.request.query.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&invocation.request.query);
    }
    url
}

pub async fn forward(invocation: &Invocation<'_>, integration: &Integration) -> ApiResponse {
    let failed = || message(504, "Internal server error", "IntegrationFailureException");
    let url = target_url(invocation, integration);
    let Ok(uri) = url.parse::<Uri>() else {
        return failed();
    };
    let (Some("http"), Some(host)) = (uri.scheme_str(), uri.host()) else {
        tracing::warn!(url, "API Gateway forwards to http:// endpoints only");
        return failed();
    };
    let address = format!("{host}:{}", uri.port_u16().unwrap_or(80));
    let timeout = Duration::from_millis(
        u64::try_from(integration.timeout_in_millis.unwrap_or(29_000)).unwrap_or(29_000),
    );
    match tokio::time::timeout(timeout, send(&address, &uri, invocation)).await {
        Ok(Ok(answered)) => answered,
        Ok(Err(error)) => {
            tracing::warn!(url, error, "API Gateway could not reach the HTTP integration");
            failed()
        }
        Err(_) => message(504, "Endpoint request timed out", "IntegrationTimeoutException"),
    }
}

async fn send(address: &str, uri: &Uri, invocation: &Invocation<'_>) -> Result<ApiResponse, String> {
    let stream = TcpStream::connect(address).await.map_err(|e| e.to_string())?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let request = invocation.request;
    let method = Method::from_bytes(request.method.as_bytes()).map_err(|e| e.to_string())?;
    let path = uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), ToString::to_string);
    let mut outgoing = Request::builder()
        .method(method)
        .uri(path)
        .header("host", uri.authority().map_or(address, |a| a.as_str()));
    for (name, value) in &request.headers {
        if !HOP_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            outgoing = outgoing.header(name.as_str(), value.as_str());
        }
    }
    let outgoing = outgoing
        .body(Full::new(request.body.clone()))
        .map_err(|e| e.to_string())?;
    let response = sender.send_request(outgoing).await.map_err(|e| e.to_string())?;
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
