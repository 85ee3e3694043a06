//! HTTP requests and responses as the test cases and the bridge write them,
//! to and from the codecs' [`HttpRequest`]/[`HttpResponse`].

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use nimbus_protocol::{HttpRequest, HttpResponse};
use serde_json::{Value as Json, json};

use super::vectors::Case;

/// The request an input case's `serialized` describes. The cases list only
/// the headers they assert on, so the ones botocore's serializer always sets
/// are filled in when missing (`Content-Type` of query/ec2/json,
/// `X-Amz-Target` of json), as is a `Host` header (any server sees one).
pub fn request_from_case(case: &Case) -> Result<HttpRequest, String> {
    let serialized = &case.body["serialized"];
    let given_http = &case.model["operations"][&case.operation]["http"];
    let method = serialized["method"]
        .as_str()
        .or_else(|| given_http["method"].as_str())
        .unwrap_or("POST");
    let uri = serialized["uri"].as_str().unwrap_or("/");
    let body_text = serialized["body"].as_str().unwrap_or_default();
    let body = if case.protocol == "smithy-rpc-v2-cbor" {
        BASE64
            .decode(body_text)
            .map_err(|e| format!("cbor body is not base64: {e}"))?
    } else {
        body_text.as_bytes().to_vec()
    };
    let mut headers = Vec::new();
    if let Some(object) = serialized["headers"].as_object() {
        for (name, value) in object {
            let value = match value {
                Json::String(text) => text.clone(),
                other => other.to_string(),
            };
            headers.push((name.clone(), value));
        }
    }
    let has =
        |headers: &[(String, String)], name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    let metadata = &case.model["metadata"];
    match case.protocol.as_str() {
        "query" | "ec2" if !has(&headers, "content-type") => headers.push((
            "Content-Type".to_owned(),
            "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
        )),
        "json" => {
            if !has(&headers, "content-type") {
                let version = metadata["jsonVersion"].as_str().unwrap_or("1.1");
                headers.push((
                    "Content-Type".to_owned(),
                    format!("application/x-amz-json-{version}"),
                ));
            }
            if !has(&headers, "x-amz-target")
                && let Some(prefix) = metadata["targetPrefix"].as_str()
            {
                headers.push(("X-Amz-Target".to_owned(), format!("{prefix}.{}", case.operation)));
            }
        }
        _ => {}
    }
    if !has(&headers, "host") {
        let host = serialized["host"].as_str().unwrap_or("127.0.0.1:4566");
        headers.push((
            "Host".to_owned(),
            host.split('/').next().unwrap_or(host).to_owned(),
        ));
    }
    build_request(method, uri, &headers, body)
}

/// A request from the bridge's JSON: `{"method", "uri" (path and query),
/// "headers": [[name, value], ..], "body_base64"}`.
pub fn request_from_json(json: &Json) -> Result<HttpRequest, String> {
    let method = json["method"].as_str().unwrap_or("POST");
    let uri = json["uri"].as_str().unwrap_or("/");
    let mut headers = Vec::new();
    for pair in json["headers"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let (Some(name), Some(value)) = (pair[0].as_str(), pair[1].as_str()) else {
            return Err(format!("header {pair} is not [name, value]"));
        };
        headers.push((name.to_owned(), value.to_owned()));
    }
    let body = BASE64
        .decode(json["body_base64"].as_str().unwrap_or_default())
        .map_err(|e| format!("body_base64: {e}"))?;
    build_request(method, uri, &headers, body)
}

fn build_request(
    method: &str,
    uri: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> Result<HttpRequest, String> {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|e| format!("header name {name:?}: {e}"))?;
        let value = HeaderValue::from_bytes(value.as_bytes()).map_err(|e| format!("header {name}: {e}"))?;
        map.append(name, value);
    }
    Ok(HttpRequest {
        method: Method::from_bytes(method.as_bytes()).map_err(|e| format!("method {method:?}: {e}"))?,
        path: path.to_owned(),
        query: query.to_owned(),
        headers: map,
        body: Bytes::from(body),
    })
}

/// A response as the bridge hands it to Python:
/// `{"status", "headers": [[name, value], ..], "body_base64"}`.
pub fn response_to_json(response: &HttpResponse) -> Json {
    let headers: Vec<Json> = response
        .headers
        .iter()
        .map(|(name, value)| json!([name.as_str(), String::from_utf8_lossy(value.as_bytes())]))
        .collect();
    json!({
        "status": response.status,
        "headers": headers,
        "body_base64": BASE64.encode(&response.body),
    })
}

/// The request as a reader wants to see it in a failure report.
pub fn describe_request(request: &HttpRequest, binary_body: bool) -> String {
    let mut text = format!("{} {}", request.method, request.path);
    if !request.query.is_empty() {
        text.push('?');
        text.push_str(&request.query);
    }
    for (name, value) in &request.headers {
        text.push_str(&format!(
            "\n      {name}: {}",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    if !request.body.is_empty() {
        let body = if binary_body {
            format!("(base64) {}", BASE64.encode(&request.body))
        } else {
            String::from_utf8_lossy(&request.body).into_owned()
        };
        text.push_str(&format!("\n      body: {body}"));
    }
    text
}
