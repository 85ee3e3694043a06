//! What S3 decides for browsers, outside the AWS API: which CORS rule
//! grants a cross-origin request, and what a website endpoint request is
//! answered with. The service implements [`S3Browser`]; the front hook
//! ([`crate::front`]) asks it and speaks the HTTP.

use nimbus_core::{AwsError, RequestContext};

use crate::S3Api;

/// A CORS preflight: `OPTIONS /bucket[/key]` with the browser's question.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Preflight {
    pub bucket: String,
    /// The object the preflight names, if any (only the error's
    /// ResourceType depends on it).
    pub key: Option<String>,
    pub origin: String,
    /// `Access-Control-Request-Method`.
    pub method: String,
    /// `Access-Control-Request-Headers`, split and lower-cased.
    pub request_headers: Vec<String>,
}

/// The `Access-Control-*` headers a matching CORS rule grants.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CorsGrant {
    /// The request's origin, or `*` when the rule allows any origin.
    pub allow_origin: String,
    pub allow_methods: String,
    /// The requested headers the rule allows (preflight only).
    pub allow_headers: Option<String>,
    pub expose_headers: Option<String>,
    pub max_age_seconds: Option<i32>,
    /// Sent for a named origin, never with `*`.
    pub allow_credentials: bool,
}

/// A request to a bucket's website endpoint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebsiteRequest {
    pub bucket: String,
    /// Decoded, without the leading `/`.
    pub key: String,
    /// The Host the request named (redirects without a HostName keep it).
    pub host: String,
}

/// How to answer a website request.
#[derive(Debug, Clone, PartialEq)]
pub enum WebsiteAnswer {
    Redirect {
        location: String,
        status: u16,
    },
    /// The object `key` as GetObject answers it, under `status` (an error
    /// document keeps its error's status).
    Serve {
        key: String,
        status: u16,
    },
}

/// S3's rules for browsers, as the front hook asks for them.
pub trait S3Browser: S3Api {
    /// The grant of the bucket's first CORS rule that allows the preflight;
    /// S3's 403 AccessForbidden when none does.
    fn cors_preflight(&self, ctx: &RequestContext, preflight: &Preflight) -> Result<CorsGrant, AwsError>;

    /// The grant for an actual cross-origin request, if a rule allows it
    /// (the request is answered either way).
    fn cors_grant(&self, ctx: &RequestContext, bucket: &str, origin: &str, method: &str)
    -> Option<CorsGrant>;

    /// What a website request resolves to: redirects, index and error
    /// documents, routing rules, anonymous access. Errors are S3's, which
    /// the front hook renders as the endpoint's HTML pages.
    fn website_route(
        &self,
        ctx: &RequestContext,
        request: &WebsiteRequest,
    ) -> Result<WebsiteAnswer, AwsError>;
}
