//! S3's static website endpoint: a bucket with a website configuration,
//! served to browsers under its website host name.
//!
//! Host names (any port, case-insensitive):
//! - `<bucket>.s3-website-<region>.amazonaws.com` and
//!   `<bucket>.s3-website.<region>.amazonaws.com` (AWS's own forms);
//! - `<bucket>.s3-website.localhost` and `<bucket>.s3-website.<region>.localhost`
//!   (local forms; `*.localhost` resolves to 127.0.0.1).
//!
//! Only GET and HEAD are served (others: 405 MethodNotAllowed). The S3
//! service resolves the request (`nimbus:WebsiteRoute`: redirects, index and
//! error documents, routing rules); the object itself is fetched with
//! GetObject/HeadObject and encoded as their response, so it takes the same
//! path as an API download. Errors are the endpoint's HTML pages.

use std::fmt::Write as _;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST, LOCATION};
use http::request::Parts;
use http::{HeaderValue, Method, StatusCode};
use nimbus_core::{AwsError, Value};
use nimbus_protocol::{HttpRequest, HttpResponse, Protocol, models};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::dispatch::Exchange;
use crate::gateway::Gateway;
use crate::s3_web::{call_s3, header, insert, s3_error, structure};

/// The bucket named by a website host, if `host` is one.
pub fn bucket_from_host(host: &str) -> Option<&str> {
    // Cheap rejection first: this runs for every request.
    const MARK: &[u8] = b".s3-website";
    let name = strip_port(host);
    if !name
        .as_bytes()
        .windows(MARK.len())
        .any(|w| w.eq_ignore_ascii_case(MARK))
    {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    let at = lower.rfind(".s3-website")?;
    let rest = lower.get(at + MARK.len()..)?;
    let region_and_domain = rest.strip_prefix('-').or_else(|| rest.strip_prefix('.'))?;
    let valid = match region_and_domain.split_once('.') {
        // `<bucket>.s3-website.localhost`
        None => rest.starts_with('.') && region_and_domain == "localhost",
        Some((region, domain)) => {
            let is_region =
                !region.is_empty() && region.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            match domain {
                "amazonaws.com" => is_region,
                "localhost" => is_region && rest.starts_with('.'),
                _ => false,
            }
        }
    };
    let bucket = name.get(..at)?;
    (valid && !bucket.is_empty()).then_some(bucket)
}

fn strip_port(host: &str) -> &str {
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// Serves one website request for `bucket`.
pub async fn serve(gateway: &Gateway, parts: &Parts, bucket: &str) -> Exchange {
    let request_id = uuid::Uuid::new_v4().to_string();
    let response = answer(gateway, parts, bucket, &request_id).await;
    Exchange {
        response,
        service: "s3",
        operation: "Website".to_owned(),
    }
}

async fn answer(gateway: &Gateway, parts: &Parts, bucket: &str, request_id: &str) -> HttpResponse {
    if parts.method != Method::GET && parts.method != Method::HEAD {
        let error = AwsError::new(
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            405,
        )
        .with_field("Method", parts.method.as_str())
        .with_field("ResourceType", "OBJECT");
        return html_error(&error, request_id);
    }
    let raw_key = parts.uri.path().strip_prefix('/').unwrap_or(parts.uri.path());
    let key = percent_decode_str(raw_key).decode_utf8_lossy().into_owned();
    let input = structure([
        ("Bucket", Value::String(bucket.to_owned())),
        ("Key", Value::String(key)),
        (
            "Host",
            Value::String(header(&parts.headers, HOST.as_str()).to_owned()),
        ),
    ]);
    let route = call_s3(gateway, request_id, &parts.headers, "nimbus:WebsiteRoute", input).await;
    let route = match route {
        Ok(route) => route,
        Err(error) => return html_error(&error, request_id),
    };
    let status = route
        .get("StatusCode")
        .and_then(Value::as_i64)
        .and_then(|code| u16::try_from(code).ok())
        .unwrap_or(200);
    let text = |name: &str| route.get(name).and_then(Value::as_str).unwrap_or_default();
    match text("Action") {
        "Redirect" => redirect(status, text("Location"), request_id),
        _ => serve_object(gateway, parts, bucket, text("Key"), status, request_id).await,
    }
}

fn redirect(status: u16, location: &str, request_id: &str) -> HttpResponse {
    let mut response = HttpResponse {
        status,
        ..HttpResponse::default()
    };
    insert(&mut response.headers, LOCATION.as_str(), location);
    insert(&mut response.headers, "x-amz-request-id", request_id);
    response
}

/// Characters kept as they are in the object's path: unreserved ones and `/`.
const KEY_PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// The object `key` as GetObject (HeadObject for HEAD) answers it, with the
/// request's conditional and range headers, under `status` (an error
/// document keeps its error's status).
async fn serve_object(
    gateway: &Gateway,
    parts: &Parts,
    bucket: &str,
    key: &str,
    status: u16,
    request_id: &str,
) -> HttpResponse {
    let name = if parts.method == Method::HEAD {
        "HeadObject"
    } else {
        "GetObject"
    };
    let Some((model, operation)) =
        models::for_protocol("s3", Protocol::RestXml).and_then(|m| Some((m, m.operation(name)?)))
    else {
        return html_error(&AwsError::not_implemented("s3", name), request_id);
    };
    let request = HttpRequest {
        method: parts.method.clone(),
        path: format!("/{bucket}/{}", utf8_percent_encode(key, KEY_PATH)),
        query: String::new(),
        headers: parts.headers.clone(),
        body: Default::default(),
    };
    let output = match Protocol::RestXml.decode_request(model, operation, &request) {
        Ok(input) => call_s3(gateway, request_id, &parts.headers, name, input).await,
        Err(error) => Err(error),
    };
    match output {
        Ok(output) => {
            let mut response = Protocol::RestXml.encode_response(model, operation, &output, request_id);
            if response.status == 200 {
                response.status = status;
            }
            response
        }
        // Not Modified carries no page.
        Err(error) if error.status == 304 => s3_error(&error, request_id),
        Err(error) => html_error(&error, request_id),
    }
}

/// An error as the website endpoint renders it: an HTML page listing the
/// code, the message and the error's members. `ErrorDocumentKey` adds the
/// section telling that the custom error document is missing too.
pub fn html_error(error: &AwsError, request_id: &str) -> HttpResponse {
    // The S3 envelope brings the request id headers; its body is replaced.
    let mut response = s3_error(error, request_id);
    let host_id = header(&response.headers, "x-amz-id-2").to_owned();
    let title = match StatusCode::from_u16(error.status) {
        Ok(code) => format!("{} {}", code.as_u16(), code.canonical_reason().unwrap_or("Error")),
        Err(_) => error.status.to_string(),
    };
    let mut page = format!("<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<ul>\n");
    list_item(&mut page, "Code", &error.code);
    list_item(&mut page, "Message", &error.message);
    for (name, value) in &error.fields {
        if !name.starts_with("ErrorDocument")
            && let Some(text) = value.as_str()
        {
            list_item(&mut page, name, text);
        }
    }
    list_item(&mut page, "RequestId", request_id);
    list_item(&mut page, "HostId", &host_id);
    page.push_str("</ul>\n");
    if let Some(document) = error.fields.get("ErrorDocumentKey").and_then(Value::as_str) {
        page.push_str(
            "<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>\n<ul>\n",
        );
        // Why the document itself could not be served (missing unless told).
        let member = |name: &str, default: &'static str| {
            error
                .fields
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or(default)
                .to_owned()
        };
        list_item(&mut page, "Code", &member("ErrorDocumentCode", "NoSuchKey"));
        list_item(
            &mut page,
            "Message",
            &member("ErrorDocumentMessage", "The specified key does not exist."),
        );
        list_item(&mut page, "Key", document);
        page.push_str("</ul>\n");
    }
    page.push_str("<hr/>\n</body>\n</html>\n");
    response
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    response.body = Bytes::from(page);
    response
}

fn list_item(page: &mut String, name: &str, value: &str) {
    let _ = writeln!(page, "<li>{}: {}</li>", escape(name), escape(value));
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn website_hosts_name_their_bucket() {
        let cases = [
            ("site.s3-website-us-east-1.amazonaws.com", Some("site")),
            ("my.site.s3-website.eu-west-1.amazonaws.com", Some("my.site")),
            ("site.s3-website.localhost:4566", Some("site")),
            ("Site.S3-Website.LOCALHOST", Some("Site")),
            ("site.s3-website.us-west-2.localhost:4566", Some("site")),
            ("s3-website.localhost", None),
            (".s3-website.localhost", None),
            ("site.s3-website-localhost", None),
            ("site.s3-website.example.com", None),
            ("site.s3.localhost:4566", None),
            ("site.localhost", None),
            ("127.0.0.1:4566", None),
        ];
        for (host, bucket) in cases {
            assert_eq!(bucket_from_host(host), bucket, "{host}");
        }
    }

    #[test]
    fn error_pages_list_the_members() {
        let error = AwsError::new("NoSuchKey", "The specified key does not exist.", 404)
            .with_field("Key", "a<b>.html")
            .with_field("ErrorDocumentKey", "error.html");
        let response = html_error(&error, "req-1");
        assert_eq!(response.status, 404);
        let page = String::from_utf8_lossy(&response.body).into_owned();
        assert!(page.contains("<title>404 Not Found</title>"), "{page}");
        assert!(page.contains("<li>Code: NoSuchKey</li>"), "{page}");
        assert!(page.contains("<li>Key: a&lt;b&gt;.html</li>"), "{page}");
        assert!(page.contains("<li>RequestId: req-1</li>"), "{page}");
        assert!(page.contains("Custom Error Document"), "{page}");
        assert!(page.contains("<li>Key: error.html</li>"), "{page}");
        assert_eq!(
            response.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()),
            Some("text/html; charset=utf-8")
        );
    }

    #[test]
    fn an_unreadable_error_document_is_told_as_denied() {
        let error = AwsError::new("AccessDenied", "Access Denied", 403)
            .with_field("ErrorDocumentKey", "error.html")
            .with_field("ErrorDocumentCode", "AccessDenied")
            .with_field("ErrorDocumentMessage", "Access Denied");
        let response = html_error(&error, "req-2");
        assert_eq!(response.status, 403);
        let page = String::from_utf8_lossy(&response.body).into_owned();
        assert!(page.contains("<title>403 Forbidden</title>"), "{page}");
        let (main, document) = page.split_once("Custom Error Document").unwrap_or_default();
        assert!(main.contains("<li>Code: AccessDenied</li>"), "{page}");
        assert!(!main.contains("ErrorDocument"), "{page}");
        assert!(document.contains("<li>Code: AccessDenied</li>"), "{page}");
        assert!(document.contains("<li>Key: error.html</li>"), "{page}");
    }
}
