//! S3's browser-facing features, in front of the AWS pipeline: the static
//! website endpoint ([`s3_website`](crate::s3_website)), CORS preflights
//! (`OPTIONS /bucket[/key]`, on either endpoint) and the CORS headers of
//! cross-origin requests.
//!
//! The rules (which CORS rule matches, what a website request resolves to)
//! are S3's, reached through the Service trait with internal operations
//! (`nimbus:CorsPreflight`, `nimbus:CorsRequest`, `nimbus:WebsiteRoute`);
//! this module only speaks HTTP. Requests without an `Origin` header that
//! are neither OPTIONS nor for a website host go straight to dispatch.

use http::header::{AsHeaderName, HOST, ORIGIN};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method};
use hyper::body::Incoming;
use indexmap::IndexMap;
use nimbus_core::{AwsError, RequestContext, Value};
use nimbus_protocol::{HttpResponse, Protocol, models};

use crate::caller::Caller;
use crate::dispatch::{Exchange, dispatch};
use crate::gateway::Gateway;
use crate::sigv4::RequestAuth;
use crate::{s3_host, s3_website};

/// Serves a request that did not go to an internal endpoint.
pub async fn serve(gateway: &Gateway, parts: Parts, incoming: Incoming) -> Exchange {
    let host = header(&parts.headers, HOST);
    if let Some(bucket) = s3_website::bucket_from_host(host) {
        let bucket = bucket.to_owned();
        return serve_website(gateway, &parts, bucket).await;
    }
    let target = || Target::of(&parts);
    if parts.method == Method::OPTIONS
        && let Some(target) = target()
    {
        return preflight(gateway, &parts.headers, &target).await;
    }
    // Cross-origin requests learn their CORS headers after the answer.
    let Some(origin) = parts.headers.get(ORIGIN).and_then(|o| o.to_str().ok()) else {
        return dispatch(gateway, parts, incoming).await;
    };
    let origin = origin.to_owned();
    let (target, method) = (target(), parts.method.clone());
    let mut exchange = dispatch(gateway, parts, incoming).await;
    if exchange.service == "s3"
        && let Some(target) = target
    {
        add_cors_headers(gateway, &mut exchange.response, &target.bucket, &origin, &method).await;
    }
    exchange
}

/// The website endpoint, with the bucket's CORS rules applied as on the
/// API endpoint (preflights, and headers for requests with an `Origin`).
async fn serve_website(gateway: &Gateway, parts: &Parts, bucket: String) -> Exchange {
    if parts.method == Method::OPTIONS {
        let key = parts.uri.path().strip_prefix('/').unwrap_or_default().to_owned();
        return preflight(gateway, &parts.headers, &Target { bucket, key }).await;
    }
    let mut exchange = s3_website::serve(gateway, parts, &bucket).await;
    if let Some(origin) = parts.headers.get(ORIGIN).and_then(|o| o.to_str().ok()) {
        add_cors_headers(gateway, &mut exchange.response, &bucket, origin, &parts.method).await;
    }
    exchange
}

/// The bucket (and key) a request names, virtual-hosted or path style.
struct Target {
    bucket: String,
    key: String,
}

impl Target {
    fn of(parts: &Parts) -> Option<Self> {
        let path = parts.uri.path().strip_prefix('/').unwrap_or(parts.uri.path());
        let host = header(&parts.headers, HOST);
        let (bucket, key) = match s3_host::bucket_from_host(host) {
            Some(bucket) => (bucket, path),
            None => path.split_once('/').unwrap_or((path, "")),
        };
        (!bucket.is_empty()).then(|| Target {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }
}

/// The methods a CORS rule can allow (and so a preflight can ask about).
const CORS_METHODS: [&str; 5] = ["GET", "PUT", "POST", "DELETE", "HEAD"];

/// Answers `OPTIONS /bucket[/key]` from the bucket's CORS rules.
async fn preflight(gateway: &Gateway, headers: &HeaderMap, target: &Target) -> Exchange {
    let request_id = uuid::Uuid::new_v4().to_string();
    let answer = match preflight_query(headers, target) {
        Ok(input) => call_s3(gateway, &request_id, headers, "nimbus:CorsPreflight", input).await,
        Err(error) => Err(error),
    };
    let response = match answer {
        Ok(grant) => {
            let mut response = HttpResponse {
                status: 200,
                ..HttpResponse::default()
            };
            insert(&mut response.headers, "x-amz-request-id", &request_id);
            write_grant(&mut response.headers, &grant);
            response
        }
        Err(error) => s3_error(&error, &request_id),
    };
    Exchange {
        response,
        service: "s3",
        operation: "PreflightRequest".to_owned(),
    }
}

/// The preflight's question for the S3 service, or S3's 400 when the
/// request lacks what a preflight must carry.
fn preflight_query(headers: &HeaderMap, target: &Target) -> Result<Value, AwsError> {
    let origin = headers
        .get(ORIGIN)
        .and_then(|o| o.to_str().ok())
        .ok_or_else(|| bad_request("Insufficient information. Origin request header needed."))?;
    let method = header(headers, "access-control-request-method");
    if !CORS_METHODS.contains(&method) {
        let shown = if method.is_empty() { "null" } else { method };
        return Err(bad_request(&format!(
            "Invalid Access-Control-Request-Method: {shown}"
        )));
    }
    let requested: Vec<Value> = headers
        .get_all("access-control-request-headers")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|list| list.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .map(Value::String)
        .collect();
    Ok(structure([
        ("Bucket", Value::String(target.bucket.clone())),
        ("Key", Value::String(target.key.clone())),
        ("Origin", Value::String(origin.to_owned())),
        ("Method", Value::String(method.to_owned())),
        ("RequestHeaders", Value::List(requested)),
    ]))
}

/// Adds the grant of the bucket's first matching CORS rule to an S3 answer.
/// Nothing is added when no rule matches or the bucket is gone.
async fn add_cors_headers(
    gateway: &Gateway,
    response: &mut HttpResponse,
    bucket: &str,
    origin: &str,
    method: &Method,
) {
    let input = structure([
        ("Bucket", Value::String(bucket.to_owned())),
        ("Origin", Value::String(origin.to_owned())),
        ("Method", Value::String(method.as_str().to_owned())),
    ]);
    let request_id = header(&response.headers, "x-amz-request-id").to_owned();
    let no_headers = HeaderMap::new();
    if let Ok(grant) = call_s3(gateway, &request_id, &no_headers, "nimbus:CorsRequest", input).await {
        write_grant(&mut response.headers, &grant);
    }
}

/// The `Access-Control-*` headers of a grant (an empty grant writes none).
fn write_grant(headers: &mut HeaderMap, grant: &Value) {
    let text = |name: &str| grant.get(name).and_then(Value::as_str);
    let Some(origin) = text("AllowOrigin") else {
        return;
    };
    insert(headers, "access-control-allow-origin", origin);
    if let Some(methods) = text("AllowMethods") {
        insert(headers, "access-control-allow-methods", methods);
    }
    if let Some(allowed) = text("AllowHeaders") {
        insert(headers, "access-control-allow-headers", allowed);
    }
    if let Some(exposed) = text("ExposeHeaders") {
        insert(headers, "access-control-expose-headers", exposed);
    }
    if let Some(max_age) = grant.get("MaxAgeSeconds").and_then(Value::as_i64) {
        insert(headers, "access-control-max-age", &max_age.to_string());
    }
    if grant.get("AllowCredentials").and_then(Value::as_bool) == Some(true) {
        insert(headers, "access-control-allow-credentials", "true");
    }
    headers.append(
        http::header::VARY,
        HeaderValue::from_static("Origin, Access-Control-Request-Headers, Access-Control-Request-Method"),
    );
}

/// Calls an S3 operation through the Service trait, as an anonymous caller.
pub(crate) async fn call_s3(
    gateway: &Gateway,
    request_id: &str,
    headers: &HeaderMap,
    operation: &str,
    input: Value,
) -> Result<Value, AwsError> {
    let Some(s3) = gateway.services().legacy("s3").cloned() else {
        return Err(AwsError::not_implemented("s3", operation));
    };
    let caller = Caller::resolve(&RequestAuth::Anonymous, gateway.credentials(), gateway.config());
    let ctx = RequestContext {
        request_id: request_id.to_owned(),
        account_id: caller.account_id,
        region: caller.region,
        access_key_id: None,
        service: "s3",
        operation: operation.to_owned(),
        host: header(headers, HOST).to_owned(),
    };
    s3.handle(&ctx, operation, input).await
}

/// An error in S3's XML envelope.
pub(crate) fn s3_error(error: &AwsError, request_id: &str) -> HttpResponse {
    match models::for_protocol("s3", Protocol::RestXml) {
        Some(model) => Protocol::RestXml.encode_error(model, None, error, request_id),
        // The S3 model is vendored; without it there is no envelope to use.
        None => HttpResponse {
            status: error.status,
            ..HttpResponse::default()
        },
    }
}

fn bad_request(message: &str) -> AwsError {
    AwsError::new("BadRequest", message, 400)
}

pub(crate) fn structure<const N: usize>(members: [(&str, Value); N]) -> Value {
    Value::Structure(
        members
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect::<IndexMap<_, _>>(),
    )
}

pub(crate) fn header(headers: &HeaderMap, name: impl AsHeaderName) -> &str {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

pub(crate) fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}
