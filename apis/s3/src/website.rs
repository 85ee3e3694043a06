//! S3's static website endpoint: a bucket with a website configuration,
//! served to browsers under its website host name (see [`crate::hosts`]).
//!
//! Only GET and HEAD are served (others: 405 MethodNotAllowed). The service
//! resolves the request ([`S3Browser::website_route`]: redirects, index and
//! error documents, routing rules); the object itself is fetched with
//! GetObject/HeadObject and written as their response, so it takes the
//! same path as an API download. Errors are the endpoint's HTML pages.

use std::fmt::Write as _;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST, LOCATION, ORIGIN};
use http::{HeaderValue, Method, StatusCode};
use nimbus_core::{AwsError, RequestContext, Value};
use nimbus_protocol::front::{Answer, Head};
use nimbus_protocol::service::{Output, Wire};
use nimbus_protocol::{HttpRequest, HttpResponse, Protocol, models};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::browser::{S3Browser, WebsiteAnswer, WebsiteRequest};
use crate::front::{add_cors_headers, insert, s3_error};
use crate::{GetObjectRequest, S3Server, errors};

/// Serves one website request for `bucket`, with the bucket's CORS rules
/// applied as on the API endpoint.
pub(crate) async fn serve<S: S3Browser>(
    server: &S3Server<S>,
    ctx: &RequestContext,
    head: &Head<'_>,
    bucket: &str,
) -> Answer {
    let mut response = answer(&server.0, ctx, head, bucket).await;
    if let Some(origin) = head.header(ORIGIN) {
        add_cors_headers(&server.0, ctx, bucket, origin, head.method, &mut response);
    }
    Answer {
        response,
        operation: "Website",
    }
}

async fn answer<S: S3Browser>(s3: &S, ctx: &RequestContext, head: &Head<'_>, bucket: &str) -> HttpResponse {
    if *head.method != Method::GET && *head.method != Method::HEAD {
        let error = errors::method_not_allowed("The specified method is not allowed against this resource.")
            .with_field("Method", head.method.as_str())
            .with_field("ResourceType", "OBJECT");
        return html_error(&error, &ctx.request_id);
    }
    let raw_key = head.path.strip_prefix('/').unwrap_or(head.path);
    let request = WebsiteRequest {
        bucket: bucket.to_owned(),
        key: percent_decode_str(raw_key).decode_utf8_lossy().into_owned(),
        host: head.header(HOST).unwrap_or_default().to_owned(),
    };
    match s3.website_route(ctx, &request) {
        Ok(WebsiteAnswer::Redirect { location, status }) => redirect(status, &location, &ctx.request_id),
        Ok(WebsiteAnswer::Serve { key, status }) => serve_object(s3, ctx, head, bucket, &key, status).await,
        Err(error) => html_error(&error, &ctx.request_id),
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
async fn serve_object<S: S3Browser>(
    s3: &S,
    ctx: &RequestContext,
    head: &Head<'_>,
    bucket: &str,
    key: &str,
    status: u16,
) -> HttpResponse {
    let name = if *head.method == Method::HEAD {
        "HeadObject"
    } else {
        "GetObject"
    };
    let Some((model, operation)) =
        models::for_protocol(crate::SERVICE, Protocol::RestXml).and_then(|m| Some((m, m.operation(name)?)))
    else {
        return html_error(&AwsError::not_implemented(crate::SERVICE, name), &ctx.request_id);
    };
    let request = HttpRequest {
        method: head.method.clone(),
        path: format!("/{bucket}/{}", utf8_percent_encode(key, KEY_PATH)),
        query: String::new(),
        headers: head.headers.clone(),
        body: Bytes::new(),
    };
    let wire = Wire {
        protocol: Protocol::RestXml,
        model,
        operation,
        request: &request,
        stream: None,
        request_id: &ctx.request_id,
    };
    let output = match wire.decode_rest::<GetObjectRequest>() {
        Ok(input) if name == "HeadObject" => s3.head_object(ctx, input).await,
        Ok(input) => s3.get_object(ctx, input).await,
        Err(error) => Err(error),
    };
    match output {
        Ok(mut output) => {
            let stream = output.take_stream();
            let mut response = wire.encode_rest(&output, stream);
            if response.status == 200 {
                response.status = status;
            }
            response
        }
        // Not Modified carries no page.
        Err(error) if error.status == 304 => s3_error(&error, &ctx.request_id),
        Err(error) => html_error(&error, &ctx.request_id),
    }
}

/// An error as the website endpoint renders it: an HTML page listing the
/// code, the message and the error's members. `ErrorDocumentKey` adds the
/// section telling that the custom error document is missing too.
pub fn html_error(error: &AwsError, request_id: &str) -> HttpResponse {
    // The S3 envelope brings the request id headers; its body is replaced.
    let mut response = s3_error(error, request_id);
    let host_id = response
        .headers
        .get("x-amz-id-2")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
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
        error_document_section(&mut page, error, document);
    }
    page.push_str("<hr/>\n</body>\n</html>\n");
    response
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    response.body = Bytes::from(page);
    response
}

/// Why the custom error document could not be served (missing unless told).
fn error_document_section(page: &mut String, error: &AwsError, document: &str) {
    page.push_str("<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>\n<ul>\n");
    let member = |name: &str, default: &'static str| {
        error
            .fields
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or(default)
            .to_owned()
    };
    list_item(page, "Code", &member("ErrorDocumentCode", "NoSuchKey"));
    list_item(
        page,
        "Message",
        &member("ErrorDocumentMessage", "The specified key does not exist."),
    );
    list_item(page, "Key", document);
    page.push_str("</ul>\n");
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
