//! POSTs to http subscription endpoints with hyper's client, one connection
//! per delivery (SNS deliveries are independent and rare enough).

use std::time::Duration;

use bytes::Bytes;
use http::{Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// How long an endpoint may take to connect and answer (SNS waits 15 s).
const TIMEOUT: Duration = Duration::from_secs(15);

/// The outcome of one POST.
#[derive(Debug, PartialEq, Eq)]
pub enum HttpOutcome {
    Delivered,
    /// Worth another try (connection refused, timeout, 5xx, 429).
    Retry(String),
    /// Retrying cannot help (malformed URL, https without TLS, other 4xx).
    Failed(String),
}

pub async fn post(url: &str, headers: &[(String, String)], body: String) -> HttpOutcome {
    let uri: Uri = match url.parse() {
        Ok(uri) => uri,
        Err(error) => return HttpOutcome::Failed(format!("invalid endpoint {url}: {error}")),
    };
    if uri.scheme_str() != Some("http") {
        return HttpOutcome::Failed(format!("nimbus delivers to http endpoints only, not {url}"));
    }
    let Some(host) = uri.host() else {
        return HttpOutcome::Failed(format!("endpoint without a host: {url}"));
    };
    let address = format!("{host}:{}", uri.port_u16().unwrap_or(80));
    let authority = uri
        .authority()
        .map(|a| a.to_string())
        .unwrap_or_else(|| address.clone());
    let path = uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_else(|| "/".to_owned());
    match tokio::time::timeout(TIMEOUT, send(&address, &authority, &path, headers, body)).await {
        Ok(outcome) => outcome,
        Err(_) => HttpOutcome::Retry(format!("{url} did not answer within {TIMEOUT:?}")),
    }
}

async fn send(
    address: &str,
    authority: &str,
    path: &str,
    headers: &[(String, String)],
    body: String,
) -> HttpOutcome {
    let stream = match TcpStream::connect(address).await {
        Ok(stream) => stream,
        Err(error) => return HttpOutcome::Retry(format!("connecting to {address}: {error}")),
    };
    let (mut sender, connection) = match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
        Ok(pair) => pair,
        Err(error) => return HttpOutcome::Retry(format!("handshake with {address}: {error}")),
    };
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "sns http delivery connection ended");
        }
    });
    let mut request = Request::post(path)
        .header("host", authority)
        .header("content-type", "text/plain; charset=UTF-8")
        .header("user-agent", "Amazon Simple Notification Service Agent");
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let request = match request.body(Full::new(Bytes::from(body))) {
        Ok(request) => request,
        Err(error) => return HttpOutcome::Failed(format!("building the request: {error}")),
    };
    match sender.send_request(request).await {
        Ok(response) => {
            let status = response.status();
            // Drain the body so the endpoint sees a complete exchange.
            let _ = response.into_body().collect().await;
            if status.is_success() {
                HttpOutcome::Delivered
            } else if status.is_server_error() || status.as_u16() == 429 {
                HttpOutcome::Retry(format!("{address} answered {status}"))
            } else {
                HttpOutcome::Failed(format!("{address} answered {status}"))
            }
        }
        Err(error) => HttpOutcome::Retry(format!("sending to {address}: {error}")),
    }
}
