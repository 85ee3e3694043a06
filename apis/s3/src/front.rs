//! S3's front hook: what S3 answers around the AWS pipeline.
//!
//! - Virtual-hosted buckets: the bucket in the Host becomes the first path
//!   segment before the pipeline reads the path ([`hosts`]).
//! - The static website endpoint ([`website`]), claimed by its host name.
//! - CORS preflights (`OPTIONS /bucket[/key]`, on either endpoint), answered
//!   from the bucket's CORS rules; and the CORS headers of cross-origin
//!   requests, added to the service's answer.
//!
//! The rules are the service's ([`S3Browser`]); this module speaks HTTP.

use http::header::{HOST, ORIGIN};
use http::{HeaderMap, HeaderValue, Method};
use nimbus_core::{AwsError, RequestContext};
use nimbus_protocol::front::{Answer, FrontHook, Head};
use nimbus_protocol::service::BoxFuture;
use nimbus_protocol::{HttpResponse, Protocol, models};

use crate::browser::{CorsGrant, Preflight, S3Browser};
use crate::{S3Server, errors, hosts, website};

impl<S: S3Browser> FrontHook for S3Server<S> {
    fn host_path(&self, host: &str, path: &str) -> Option<String> {
        hosts::virtual_bucket(host).map(|bucket| hosts::path_style(bucket, path))
    }

    fn claims(&self, head: &Head<'_>) -> bool {
        let website = head.header(HOST).and_then(hosts::website_bucket).is_some();
        website || (*head.method == Method::OPTIONS && Target::of(head).is_some())
    }

    fn serve<'a>(
        &'a self,
        ctx: &'a RequestContext,
        head: Head<'a>,
        _body: bytes::Bytes,
    ) -> BoxFuture<'a, Answer> {
        Box::pin(async move {
            let website = head.header(HOST).and_then(hosts::website_bucket);
            match (website, Target::of(&head)) {
                (Some(bucket), _) if *head.method == Method::OPTIONS => {
                    let key = head.path.strip_prefix('/').unwrap_or_default();
                    let target = Target {
                        bucket: bucket.to_owned(),
                        key: key.to_owned(),
                    };
                    preflight(&self.0, ctx, &head, &target)
                }
                (Some(bucket), _) => website::serve(self, ctx, &head, bucket).await,
                (None, Some(target)) => preflight(&self.0, ctx, &head, &target),
                (None, None) => Answer {
                    response: s3_error(&AwsError::internal("no front request"), &ctx.request_id),
                    operation: "-",
                },
            }
        })
    }

    fn amends(&self, head: &Head<'_>) -> bool {
        head.headers.contains_key(ORIGIN) && Target::of(head).is_some()
    }

    fn amend<'a>(
        &'a self,
        ctx: &'a RequestContext,
        head: Head<'a>,
        response: &'a mut HttpResponse,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let (Some(origin), Some(target)) = (head.header(ORIGIN), Target::of(&head)) else {
                return;
            };
            add_cors_headers(&self.0, ctx, &target.bucket, origin, head.method, response);
        })
    }
}

/// The bucket (and key) a request names, virtual-hosted or path style.
struct Target {
    bucket: String,
    key: String,
}

impl Target {
    fn of(head: &Head<'_>) -> Option<Self> {
        let path = head.path.strip_prefix('/').unwrap_or(head.path);
        let (bucket, key) = match head.header(HOST).and_then(hosts::virtual_bucket) {
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
fn preflight<S: S3Browser>(s3: &S, ctx: &RequestContext, head: &Head<'_>, target: &Target) -> Answer {
    let grant = preflight_question(head, target).and_then(|question| s3.cors_preflight(ctx, &question));
    let response = match grant {
        Ok(grant) => {
            let mut response = HttpResponse {
                status: 200,
                ..HttpResponse::default()
            };
            insert(&mut response.headers, "x-amz-request-id", &ctx.request_id);
            write_grant(&mut response.headers, &grant);
            response
        }
        Err(error) => s3_error(&error, &ctx.request_id),
    };
    Answer {
        response,
        operation: "PreflightRequest",
    }
}

/// The preflight's question, or S3's 400 when the request lacks what a
/// preflight must carry.
fn preflight_question(head: &Head<'_>, target: &Target) -> Result<Preflight, AwsError> {
    let origin = head
        .header(ORIGIN)
        .ok_or_else(|| errors::bad_request("Insufficient information. Origin request header needed."))?;
    let method = head.header("access-control-request-method").unwrap_or_default();
    if !CORS_METHODS.contains(&method) {
        let shown = if method.is_empty() { "null" } else { method };
        return Err(errors::bad_request(format!(
            "Invalid Access-Control-Request-Method: {shown}"
        )));
    }
    let request_headers = head
        .headers
        .get_all("access-control-request-headers")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|list| list.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .collect();
    Ok(Preflight {
        bucket: target.bucket.clone(),
        key: Some(target.key.clone()).filter(|key| !key.is_empty()),
        origin: origin.to_owned(),
        method: method.to_owned(),
        request_headers,
    })
}

/// Adds the grant of the bucket's first matching CORS rule to an answer;
/// nothing when no rule matches or the bucket is gone.
pub(crate) fn add_cors_headers<S: S3Browser>(
    s3: &S,
    ctx: &RequestContext,
    bucket: &str,
    origin: &str,
    method: &Method,
    response: &mut HttpResponse,
) {
    if let Some(grant) = s3.cors_grant(ctx, bucket, origin, method.as_str()) {
        write_grant(&mut response.headers, &grant);
    }
}

/// The `Access-Control-*` headers of a grant.
fn write_grant(headers: &mut HeaderMap, grant: &CorsGrant) {
    insert(headers, "access-control-allow-origin", &grant.allow_origin);
    insert(headers, "access-control-allow-methods", &grant.allow_methods);
    if let Some(allowed) = &grant.allow_headers {
        insert(headers, "access-control-allow-headers", allowed);
    }
    if let Some(exposed) = &grant.expose_headers {
        insert(headers, "access-control-expose-headers", exposed);
    }
    if let Some(max_age) = grant.max_age_seconds {
        insert(headers, "access-control-max-age", &max_age.to_string());
    }
    if grant.allow_credentials {
        insert(headers, "access-control-allow-credentials", "true");
    }
    headers.append(
        http::header::VARY,
        HeaderValue::from_static("Origin, Access-Control-Request-Headers, Access-Control-Request-Method"),
    );
}

/// An error in S3's XML envelope.
pub(crate) fn s3_error(error: &AwsError, request_id: &str) -> HttpResponse {
    match models::for_protocol(crate::SERVICE, Protocol::RestXml) {
        Some(model) => Protocol::RestXml.encode_error(model, None, error, request_id),
        // The S3 model is vendored; without it there is no envelope to use.
        None => HttpResponse {
            status: error.status,
            ..HttpResponse::default()
        },
    }
}

pub(crate) fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}
