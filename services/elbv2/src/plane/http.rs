//! The Application Load Balancer's proxy: each listener's node serves
//! HTTP/1.1, evaluates the listener's rules, and answers with a fixed
//! response, a redirect, or the answer of a target it forwards to (with
//! X-Forwarded-For/-Proto/-Port and X-Amzn-Trace-Id), keeping sticky
//! clients on their target; ELB's own pages when no target can answer.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode, Uri};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use nimbus_elbv2_api::{FixedResponseActionConfig, RedirectActionConfig};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::bind::stopped;
use super::groups::{Group, Stickiness};
use super::lambda::{self, Forwarded, Functions};
use super::leased_body::LeasedBody;
use super::routing::{self, Request as Routed};
use super::upgrade;
use super::upstream::Upstreams;
use super::{Answer, ListenerConfig, SharedConfig, current};

pub type Body = BoxBody<Bytes, hyper::Error>;

/// How long an accept loop waits after a failed accept.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// The most addresses an X-Forwarded-For may carry before the ALB's own.
const MAX_FORWARDED_FOR: usize = 30;

const HOP_HEADERS: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
];

/// Where requests go besides HTTP targets: Lambda targets through Lambda.
#[derive(Clone, Default)]
pub struct Backends {
    pub functions: Option<Functions>,
}

/// Accepts connections until the task is aborted; each connection ends
/// when the listener is told to stop.
pub async fn serve(
    listener: TcpListener,
    config: SharedConfig,
    backends: Backends,
    stop: watch::Receiver<bool>,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(_) => {
                // Out of descriptors, say: wait rather than spin.
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (config, backends) = (Arc::clone(&config), backends.clone());
        let upstreams = Arc::new(Upstreams::default());
        let stop = stop.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let (config, backends, upstreams) =
                    (current(&config), backends.clone(), Arc::clone(&upstreams));
                async move {
                    let answer = handle(request, &config, peer, &backends, &upstreams).await;
                    Ok::<_, Infallible>(answer)
                }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .title_case_headers(true)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::select! {
                _ = connection => {}
                () = stopped(stop) => {}
            }
        });
    }
}

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed()
}

/// ELB's own error page.
pub fn page(status: u16) -> Response<Body> {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let title = match status {
        503 => "503 Service Temporarily Unavailable".to_owned(),
        504 => "504 Gateway Time-out".to_owned(),
        463 => "463".to_owned(),
        _ => format!("{} {}", status, code.canonical_reason().unwrap_or("")),
    };
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    );
    let mut response = Response::new(full(body));
    *response.status_mut() = code;
    let headers = response.headers_mut();
    headers.insert(header::SERVER, HeaderValue::from_static("awselb/2.0"));
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

async fn handle(
    request: Request<Incoming>,
    config: &ListenerConfig,
    peer: SocketAddr,
    backends: &Backends,
    upstreams: &Upstreams,
) -> Response<Body> {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().host())
        .unwrap_or_default()
        .to_owned();
    match chosen_answer(&request, &host, config, peer) {
        Some(Answer::Fixed(fixed_response)) => fixed(fixed_response),
        Some(Answer::Redirect(redirect_to)) => redirect(redirect_to, &host, config, request.uri()),
        Some(Answer::Forward(groups)) => {
            let Some(group) = chosen_group(groups) else {
                return page(503);
            };
            forward(request, group, config, peer, (backends, upstreams)).await
        }
        Some(Answer::Unavailable) | None => page(503),
    }
}

/// The answer of the first rule the request matches.
fn chosen_answer<'c>(
    request: &Request<Incoming>,
    host: &str,
    config: &'c ListenerConfig,
    peer: SocketAddr,
) -> Option<&'c Answer> {
    let host_name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    let headers = request.headers();
    let header = |name: &str| -> Vec<&str> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    };
    let view = Routed {
        host: host_name,
        path: request.uri().path(),
        query: request.uri().query().unwrap_or_default(),
        method: request.method().as_str(),
        header: &header,
        source: peer.ip(),
    };
    routing::route(&config.rules, &view)
}

fn fixed(config: &FixedResponseActionConfig) -> Response<Body> {
    let mut response = Response::new(full(config.message_body.clone().unwrap_or_default()));
    *response.status_mut() = config.status_code.parse().unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    headers.insert(header::SERVER, HeaderValue::from_static("awselb/2.0"));
    if let Some(kind) = config
        .content_type
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        headers.insert(header::CONTENT_TYPE, kind);
    }
    response
}

/// The redirect's Location, with `#{protocol}`, `#{host}`, `#{port}`,
/// `#{path}` and `#{query}` taken from the request.
pub fn location(config: &RedirectActionConfig, host: &str, port: u16, protocol: &str, uri: &Uri) -> String {
    let host_name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    let path = uri.path().trim_start_matches('/');
    let query = uri.query().unwrap_or_default();
    let fill = |template: &str| {
        template
            .replace("#{protocol}", &protocol.to_ascii_lowercase())
            .replace("#{host}", host_name)
            .replace("#{port}", &port.to_string())
            .replace("#{path}", path)
            .replace("#{query}", query)
    };
    let protocol = fill(config.protocol.as_deref().unwrap_or("#{protocol}")).to_ascii_lowercase();
    let target_host = fill(config.host.as_deref().unwrap_or("#{host}"));
    let target_port = fill(config.port.as_deref().unwrap_or("#{port}"));
    let target_path = fill(config.path.as_deref().unwrap_or("/#{path}"));
    let target_query = fill(config.query.as_deref().unwrap_or("#{query}"));
    let default_port = matches!(
        (protocol.as_str(), target_port.as_str()),
        ("http", "80") | ("https", "443")
    );
    let port_part = if default_port {
        String::new()
    } else {
        format!(":{target_port}")
    };
    let query_part = if target_query.is_empty() {
        String::new()
    } else {
        format!("?{target_query}")
    };
    format!("{protocol}://{target_host}{port_part}{target_path}{query_part}")
}

fn redirect(
    config: &RedirectActionConfig,
    host: &str,
    listener: &ListenerConfig,
    uri: &Uri,
) -> Response<Body> {
    let to = location(config, host, listener.port, &listener.protocol, uri);
    let status = if config.status_code == "HTTP_301" {
        301
    } else {
        302
    };
    let mut response = page(status);
    *response.body_mut() = full(Bytes::new());
    if let Ok(value) = HeaderValue::from_str(&to) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response.headers_mut().remove(header::CONTENT_TYPE);
    response
}

/// The group a forward goes to: the only one, or one by weight.
fn chosen_group(groups: &[(Arc<Group>, u32)]) -> Option<&Arc<Group>> {
    if let [(only, _)] = groups {
        return Some(only);
    }
    let total: u32 = groups.iter().map(|(_, weight)| weight).sum();
    if total == 0 {
        return groups.first().map(|(group, _)| group);
    }
    let mut roll = u32::try_from(uuid::Uuid::new_v4().as_u128() % u128::from(total)).unwrap_or(0);
    for (group, weight) in groups {
        if roll < *weight {
            return Some(group);
        }
        roll -= weight;
    }
    None
}

/// The value of cookie `name` in the request's Cookie headers.
fn cookie<'h>(headers: &'h http::HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn trace_id(now: SystemTime) -> String {
    let seconds = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("Root=1-{seconds:08x}-{}", &random[..24])
}

async fn forward(
    request: Request<Incoming>,
    group: &Arc<Group>,
    config: &ListenerConfig,
    peer: SocketAddr,
    (backends, upstreams): (&Backends, &Upstreams),
) -> Response<Body> {
    let settings = group.settings();
    if settings.target_type == "lambda" {
        let (Some(functions), Some(lease)) = (&backends.functions, group.pick(None)) else {
            return page(503);
        };
        let forwarded = Forwarded {
            group_arn: &group.arn,
            peer,
            port: config.port,
            protocol: &config.protocol,
            trace_id: trace_id(config.clock.now()),
            multi_value: settings.multi_value_headers,
        };
        return lambda::invoke(functions, &lease.target.id, request, forwarded).await;
    }
    let sticky_cookie = match &settings.stickiness {
        Some(Stickiness::LbCookie { .. }) => cookie(request.headers(), "AWSALB"),
        Some(Stickiness::AppCookie { .. }) => cookie(request.headers(), "AWSALBAPP-0"),
        Some(Stickiness::SourceIp) | None => None,
    };
    let Some(lease) = group.pick(sticky_cookie) else {
        return page(503);
    };
    let Some(address) = lease.target.address else {
        return page(502);
    };
    let mut request = request;
    let switch = upgrade::requested(&request).map(|protocol| (protocol, hyper::upgrade::on(&mut request)));
    let mut outgoing = match outgoing(request, address, config, peer) {
        Ok(outgoing) => outgoing,
        Err(status) => return page(status),
    };
    if let Some((protocol, _)) = &switch {
        upgrade::ask_target(outgoing.headers_mut(), protocol.clone());
    }
    let answer = tokio::time::timeout(config.idle_timeout, upstreams.send(address, outgoing)).await;
    let response = match answer {
        Err(_) => return page(504),
        Ok(Err(error)) => {
            tracing::debug!(%address, %error, "target did not answer");
            return page(502);
        }
        Ok(Ok(response)) => response,
    };
    let mut response = response;
    if let (Some((_, client_side)), StatusCode::SWITCHING_PROTOCOLS) = (switch, response.status()) {
        let target_side = hyper::upgrade::on(&mut response);
        tokio::spawn(upgrade::relay(client_side, target_side, lease));
        let (parts, _) = response.into_parts();
        return Response::from_parts(parts, full(Bytes::new()));
    }
    let (mut parts, body) = response.into_parts();
    if settings.stickiness.is_some() {
        let now = config.clock.now();
        stick(
            &mut parts.headers,
            &settings.stickiness,
            &lease.target.cookie(),
            now,
        );
    }
    Response::from_parts(parts, LeasedBody::new(body, lease).boxed())
}

/// The request as the target receives it.
fn outgoing(
    request: Request<Incoming>,
    address: SocketAddr,
    config: &ListenerConfig,
    peer: SocketAddr,
) -> Result<Request<Incoming>, u16> {
    let (mut parts, body) = request.into_parts();
    // The target gets the origin form (`/path?query`) and the client's Host.
    if parts.uri.scheme().is_some() {
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        parts.uri = path.parse().map_err(|_| 400u16)?;
    }
    if !parts.headers.contains_key(header::HOST) {
        let host = HeaderValue::from_str(&address.to_string()).map_err(|_| 400u16)?;
        parts.headers.insert(header::HOST, host);
    }
    let headers = &mut parts.headers;
    for name in HOP_HEADERS {
        headers.remove(*name);
    }
    let forwarded_for = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        // ELB refuses more than 30 addresses with its own 463.
        Some(earlier) if earlier.split(',').count() > MAX_FORWARDED_FOR => return Err(463),
        Some(earlier) => format!("{earlier}, {}", peer.ip()),
        None => peer.ip().to_string(),
    };
    let set = |headers: &mut http::HeaderMap, name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set(headers, "x-forwarded-for", &forwarded_for);
    set(
        headers,
        "x-forwarded-proto",
        &config.protocol.to_ascii_lowercase(),
    );
    set(headers, "x-forwarded-port", &config.port.to_string());
    if !headers.contains_key("x-amzn-trace-id") {
        set(headers, "x-amzn-trace-id", &trace_id(config.clock.now()));
    }
    Ok(Request::from_parts(parts, body))
}

/// Sets the stickiness cookies the group's kind calls for.
fn stick(headers: &mut http::HeaderMap, stickiness: &Option<Stickiness>, key: &str, now: SystemTime) {
    let (names, duration): (&[&str], Duration) = match stickiness {
        Some(Stickiness::LbCookie { duration }) => (&["AWSALB", "AWSALBCORS"], *duration),
        Some(Stickiness::AppCookie { name, duration }) => {
            let sets_own = headers
                .get_all(header::SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|c| c.trim_start().starts_with(&format!("{name}=")));
            if !sets_own {
                return;
            }
            (&["AWSALBAPP-0"], *duration)
        }
        Some(Stickiness::SourceIp) | None => return,
    };
    let expires = httpdate::fmt_http_date(now + duration);
    for name in names {
        let cors = if *name == "AWSALBCORS" {
            "; SameSite=None; Secure"
        } else {
            ""
        };
        if let Ok(value) = HeaderValue::from_str(&format!("{name}={key}; Expires={expires}; Path=/{cors}")) {
            headers.append(header::SET_COOKIE, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_pages_are_elbs() {
        let response = page(503);
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()[header::SERVER], "awselb/2.0");
    }

    #[test]
    fn redirects_fill_in_the_request() {
        let config = RedirectActionConfig {
            protocol: Some("HTTPS".to_owned()),
            port: Some("443".to_owned()),
            status_code: "HTTP_301".to_owned(),
            ..Default::default()
        };
        let uri: Uri = "/a/b?x=1".parse().unwrap();
        assert_eq!(
            location(&config, "example.com:8080", 8080, "HTTP", &uri),
            "https://example.com/a/b?x=1"
        );
        let moved = RedirectActionConfig {
            path: Some("/new/#{path}".to_owned()),
            query: Some("from=#{host}".to_owned()),
            status_code: "HTTP_302".to_owned(),
            ..Default::default()
        };
        assert_eq!(location(&moved, "h", 80, "HTTP", &uri), "http://h/new/a/b?from=h");
    }
}
