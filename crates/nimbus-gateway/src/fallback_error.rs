//! Errors for requests no service model can render: an unknown service, an
//! unroutable action. They take the shape the request suggests (JSON for
//! json/cbor-looking requests, the query XML envelope otherwise) so that
//! SDKs still surface the code and message.

use bytes::Bytes;
use http::HeaderValue;
use nimbus_core::AwsError;
use nimbus_protocol::{HttpRequest, HttpResponse};

pub fn render(request: &HttpRequest, error: &AwsError, request_id: &str) -> HttpResponse {
    let mut response = if wants_json(request) {
        json(error)
    } else {
        xml(error, request_id)
    };
    response.status = error.status;
    if let Ok(id) = HeaderValue::from_str(request_id) {
        response.headers.insert("x-amzn-requestid", id.clone());
        response.headers.insert("x-amz-request-id", id);
    }
    response
}

fn wants_json(request: &HttpRequest) -> bool {
    let content_type = request.header("content-type").unwrap_or_default();
    request.header("x-amz-target").is_some()
        || request.header("smithy-protocol").is_some()
        || content_type.contains("json")
        || content_type.contains("cbor")
}

fn json(error: &AwsError) -> HttpResponse {
    let body = serde_json::json!({ "__type": error.code, "message": error.message });
    let mut response = HttpResponse {
        body: Bytes::from(body.to_string()),
        ..HttpResponse::default()
    };
    response.headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    if let Ok(code) = HeaderValue::from_str(&error.code) {
        response.headers.insert("x-amzn-errortype", code);
    }
    response
}

fn xml(error: &AwsError, request_id: &str) -> HttpResponse {
    let fault = if error.sender_fault { "Sender" } else { "Receiver" };
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Error><Type>{fault}</Type><Code>{}</Code>\
         <Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        escape(&error.code),
        escape(&error.message),
        escape(request_id)
    );
    let mut response = HttpResponse {
        body: Bytes::from(body),
        ..HttpResponse::default()
    };
    response
        .headers
        .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    response
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, Method};

    use super::*;

    fn request(headers: &[(&'static str, &'static str)]) -> HttpRequest {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_static(value));
        }
        HttpRequest {
            method: Method::POST,
            path: "/".into(),
            query: String::new(),
            headers: map,
            body: Bytes::new(),
        }
    }

    #[test]
    fn json_requests_get_json_errors() {
        let error = AwsError::new("UnknownService", "no such <service>", 400);
        let response = render(&request(&[("x-amz-target", "Nope.Op")]), &error, "rid");
        assert_eq!(response.status, 400);
        let body: serde_json::Value = serde_json::from_slice(&response.body).expect("json");
        assert_eq!(body["__type"], "UnknownService");
        assert_eq!(body["message"], "no such <service>");
        assert_eq!(response.headers["x-amzn-errortype"], "UnknownService");
    }

    #[test]
    fn other_requests_get_the_query_xml_envelope() {
        let error = AwsError::new("UnknownService", "a & b", 400);
        let response = render(&request(&[]), &error, "rid");
        let body = String::from_utf8(response.body.to_vec()).expect("utf8");
        assert!(body.contains("<Code>UnknownService</Code>"), "{body}");
        assert!(body.contains("<Message>a &amp; b</Message>"), "{body}");
        assert!(body.contains("<Type>Sender</Type>"), "{body}");
        assert_eq!(response.headers["x-amzn-requestid"], "rid");
    }
}
