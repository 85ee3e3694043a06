//! Acting on a bucket's CORS configuration: which rule grants a browser's
//! request, and what the grant says.
//!
//! The API crate's front hook asks this through [`nimbus_s3_api::S3Browser`]:
//! a preflight gets the grant, or S3's 403 when no rule allows the request;
//! an actual request gets the grant, or none when nothing matches (it is
//! served either way).
//!
//! Matching as S3 does it: the first rule whose AllowedOrigins match the
//! origin (one `*` wildcard allowed, case-sensitive), whose AllowedMethods
//! hold the method, and (preflight only) whose AllowedHeaders match every
//! requested header (case-insensitive, one `*` wildcard allowed).

use nimbus_core::AwsError;
use nimbus_s3_api::CORSRule;
use nimbus_s3_api::browser::{CorsGrant, Preflight};

use crate::{S3, errors};

impl S3 {
    pub(crate) fn cors_preflight(&self, query: &Preflight) -> Result<CorsGrant, AwsError> {
        let resource_type = if query.key.as_deref().is_some_and(|key| !key.is_empty()) {
            "OBJECT"
        } else {
            "BUCKET"
        };
        let forbidden = |why: &str| {
            errors::access_forbidden(format!("CORSResponse: {why}"))
                .with_field("Method", query.method.clone())
                .with_field("ResourceType", resource_type)
        };
        let record = self.load_bucket(&query.bucket)?;
        let Some(cors) = record.cors else {
            return Err(forbidden("CORS is not enabled for this bucket."));
        };
        cors.cors_rules
            .iter()
            .find_map(|rule| grant(rule, &query.origin, &query.method, Some(&query.request_headers)))
            .ok_or_else(|| {
                forbidden(
                    "This CORS request is not allowed. This is usually because the evalution of Origin, \
                     request method / Access-Control-Request-Method or Access-Control-Request-Headers \
                     are not whitelisted by the resource's CORS spec.",
                )
            })
    }

    pub(crate) fn cors_grant(&self, bucket: &str, origin: &str, method: &str) -> Option<CorsGrant> {
        let rules = self.load_bucket(bucket).ok()?.cors?.cors_rules;
        rules.iter().find_map(|rule| grant(rule, origin, method, None))
    }
}

/// The grant of `rule` for this request, if the rule matches it.
/// `request_headers` is `None` for actual requests (headers are not checked).
fn grant(
    rule: &CORSRule,
    origin: &str,
    method: &str,
    request_headers: Option<&[String]>,
) -> Option<CorsGrant> {
    let matched_origin = rule
        .allowed_origins
        .iter()
        .find(|allowed| wildcard_match(allowed, origin))?;
    if !rule.allowed_methods.iter().any(|allowed| allowed == method) {
        return None;
    }
    let allowed_headers: Vec<String> = rule
        .allowed_headers
        .iter()
        .flatten()
        .map(|header| header.to_ascii_lowercase())
        .collect();
    let header_allowed = |header: &String| {
        allowed_headers
            .iter()
            .any(|allowed| wildcard_match(allowed, header))
    };
    if let Some(requested) = request_headers
        && !requested.iter().all(header_allowed)
    {
        return None;
    }
    let any_origin = matched_origin == "*";
    Some(CorsGrant {
        allow_origin: if any_origin {
            "*".to_owned()
        } else {
            origin.to_owned()
        },
        allow_methods: rule.allowed_methods.join(", "),
        allow_headers: request_headers
            .filter(|requested| !requested.is_empty())
            .map(|requested| requested.join(", ")),
        expose_headers: rule
            .expose_headers
            .as_ref()
            .filter(|headers| !headers.is_empty())
            .map(|headers| headers.join(", ")),
        max_age_seconds: rule.max_age_seconds,
        allow_credentials: !any_origin,
    })
}

/// `pattern` with at most one `*` standing for any run of characters.
fn wildcard_match(pattern: &str, value: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == value,
        Some((prefix, suffix)) => {
            value.len() >= prefix.len() + suffix.len() && value.starts_with(prefix) && value.ends_with(suffix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(origins: &[&str], methods: &[&str], headers: &[&str]) -> CORSRule {
        let strings = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        CORSRule {
            allowed_origins: strings(origins),
            allowed_methods: strings(methods),
            allowed_headers: (!headers.is_empty()).then(|| strings(headers)),
            expose_headers: Some(vec!["ETag".to_owned(), "x-amz-request-id".to_owned()]),
            max_age_seconds: Some(3000),
            id: None,
        }
    }

    #[test]
    fn wildcards_match_one_run_of_characters() {
        assert!(wildcard_match("*", "http://anything"));
        assert!(wildcard_match("http://*.example.com", "http://www.example.com"));
        assert!(!wildcard_match("http://*.example.com", "http://example.com"));
        assert!(!wildcard_match("http://*.example.com", "https://www.example.com"));
        assert!(wildcard_match("x-amz-*", "x-amz-date"));
        assert!(wildcard_match("http://a.com", "http://a.com"));
        assert!(!wildcard_match("http://a.com", "http://a.co"));
        // The prefix and suffix may not overlap.
        assert!(!wildcard_match("ab*ba", "aba"));
    }

    #[test]
    fn a_named_origin_is_echoed_with_credentials() {
        let rule = rule(&["http://*.example.com"], &["GET", "PUT"], &["*"]);
        let headers = vec!["content-type".to_owned(), "x-amz-date".to_owned()];
        let grant = grant(&rule, "http://www.example.com", "PUT", Some(&headers)).expect("grants");
        assert_eq!(grant.allow_origin, "http://www.example.com");
        assert!(grant.allow_credentials);
        assert_eq!(grant.allow_methods, "GET, PUT");
        assert_eq!(grant.allow_headers.as_deref(), Some("content-type, x-amz-date"));
        assert_eq!(grant.expose_headers.as_deref(), Some("ETag, x-amz-request-id"));
        assert_eq!(grant.max_age_seconds, Some(3000));
    }

    #[test]
    fn any_origin_answers_star_without_credentials() {
        let rule = rule(&["*"], &["GET"], &[]);
        let grant = grant(&rule, "http://x.test", "GET", None).expect("grants");
        assert_eq!(grant.allow_origin, "*");
        assert!(!grant.allow_credentials);
        assert_eq!(grant.allow_headers, None);
    }

    #[test]
    fn method_and_headers_must_be_allowed() {
        let rule = rule(&["*"], &["GET"], &["Content-Type", "x-amz-*"]);
        assert!(grant(&rule, "http://x.test", "DELETE", None).is_none());
        let allowed = vec!["content-type".to_owned(), "x-amz-meta-a".to_owned()];
        assert!(grant(&rule, "http://x.test", "GET", Some(&allowed)).is_some());
        let refused = vec!["authorization".to_owned()];
        assert!(grant(&rule, "http://x.test", "GET", Some(&refused)).is_none());
        // Actual requests are not held to the header list.
        assert!(grant(&rule, "http://x.test", "GET", None).is_some());
    }
}
