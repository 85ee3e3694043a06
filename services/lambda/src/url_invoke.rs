//! A request to a function URL, run: the event Lambda builds (payload
//! format 2.0), the function invoked, and its answer turned into the HTTP
//! response (a `statusCode` document, or any other value as a JSON body),
//! with the URL's CORS rules and AuthType applied.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use nimbus_core::{BoxFuture, RequestContext};
use nimbus_lambda_api::{Cors, InvocationRequest, LambdaUrls, UrlRequest, UrlResponse};
use serde_json::{Map, Value as Json, json};

use crate::Lambda;
use crate::names::FunctionRef;

fn message(status: u16, text: &str) -> UrlResponse {
    UrlResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: Bytes::from(json!({ "Message": text }).to_string()),
    }
}

fn header<'r>(request: &'r UrlRequest, name: &str) -> Option<&'r str> {
    request
        .headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Whether a body travels as text in the event (else base64).
fn is_text(content_type: Option<&str>) -> bool {
    let kind = content_type.unwrap_or_default().to_ascii_lowercase();
    kind.is_empty()
        || kind.starts_with("text/")
        || ["json", "xml", "javascript", "x-www-form-urlencoded"]
            .iter()
            .any(|k| kind.contains(k))
}

fn decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// The event Lambda sends for a URL request (payload format 2.0).
/// The event a function URL request becomes (payload format 2.0); `iam`:
/// the signed caller of an AWS_IAM URL.
fn event(
    request: &UrlRequest,
    iam: Option<&RequestContext>,
    request_id: &str,
    now: std::time::SystemTime,
) -> Json {
    let mut headers = Map::new();
    for (name, value) in request.headers.iter().filter(|(n, _)| n != "cookie") {
        match headers.get_mut(name) {
            Some(Json::String(joined)) => *joined = format!("{joined},{value}"),
            _ => {
                headers.insert(name.clone(), json!(value));
            }
        }
    }
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    });
    let cookies: Vec<&str> = header(request, "cookie")
        .map(|c| c.split("; ").collect())
        .unwrap_or_default();
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    event["headers"] = Json::Object(headers);
    if !request.raw_query.is_empty() {
        let mut parameters = Map::new();
        for pair in request.raw_query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (name, value) = (decoded(name), decoded(value));
            match parameters.get_mut(&name) {
                Some(Json::String(joined)) => *joined = format!("{joined},{value}"),
                _ => {
                    parameters.insert(name, json!(value));
                }
            }
        }
        event["queryStringParameters"] = Json::Object(parameters);
    }
    let at = time::OffsetDateTime::from(now);
    let format =
        time::macros::format_description!("[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000");
    event["requestContext"] = json!({
        "accountId": iam.map_or("anonymous", |caller| caller.account_id.as_str()),
        "apiId": request.url_id,
        "domainName": request.domain,
        "domainPrefix": request.url_id,
        "http": {
            "method": request.method,
            "path": decoded(&request.raw_path.replace('+', "%2B")),
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": header(request, "user-agent"),
        },
        "requestId": request_id,
        "routeKey": "$default",
        "stage": "$default",
        "time": at.format(&format).unwrap_or_default(),
        "timeEpoch": (at.unix_timestamp_nanos() / 1_000_000) as i64,
    });
    if let Some(caller) = iam {
        event["requestContext"]["authorizer"] = json!({"iam": {
            "accessKey": caller.access_key_id,
            "accountId": caller.account_id,
            "cognitoIdentity": null,
            "principalOrgId": null,
        }});
    }
    let text = is_text(header(request, "content-type")) && std::str::from_utf8(&request.body).is_ok();
    if !request.body.is_empty() {
        event["body"] = match text {
            true => json!(String::from_utf8_lossy(&request.body)),
            false => json!(BASE64.encode(&request.body)),
        };
    }
    event["isBase64Encoded"] = json!(!request.body.is_empty() && !text);
    event
}

/// The HTTP response for what the function returned.
fn response(payload: &[u8]) -> UrlResponse {
    let document: Option<Json> = serde_json::from_slice(payload).ok();
    let Some(Json::Object(answer)) = document.filter(|d| d.get("statusCode").is_some()) else {
        // Any other value is the body, as JSON.
        return UrlResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Bytes::copy_from_slice(payload),
        };
    };
    let status = answer["statusCode"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or(200);
    let mut headers: Vec<(String, String)> = answer
        .get("headers")
        .and_then(Json::as_object)
        .map(|h| {
            h.iter()
                .map(|(k, v)| {
                    (
                        k.to_ascii_lowercase(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if !headers.iter().any(|(k, _)| k == "content-type") {
        headers.push(("content-type".into(), "application/json".into()));
    }
    for cookie in answer
        .get("cookies")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(cookie) = cookie.as_str() {
            headers.push(("set-cookie".into(), cookie.to_owned()));
        }
    }
    let text = answer
        .get("body")
        .map(|b| b.as_str().map_or_else(|| b.to_string(), str::to_owned));
    let body = match (text, answer.get("isBase64Encoded").and_then(Json::as_bool)) {
        (Some(text), Some(true)) => Bytes::from(BASE64.decode(text.as_bytes()).unwrap_or_default()),
        (Some(text), _) => Bytes::from(text),
        (None, _) => Bytes::new(),
    };
    UrlResponse {
        status,
        headers,
        body,
    }
}

/// The CORS headers a URL's rules give a request from `origin`.
fn cors_headers(cors: &Cors, origin: &str, preflight: bool) -> Vec<(String, String)> {
    let origins = cors.allow_origins.clone().unwrap_or_default();
    let allowed = origins.iter().any(|o| o == "*" || o == origin);
    if !allowed {
        return Vec::new();
    }
    let mut headers = vec![("access-control-allow-origin".to_owned(), origin.to_owned())];
    if cors.allow_credentials == Some(true) {
        headers.push(("access-control-allow-credentials".into(), "true".into()));
    }
    let listed =
        |values: &Option<Vec<String>>| values.as_ref().filter(|v| !v.is_empty()).map(|v| v.join(","));
    if let Some(exposed) = listed(&cors.expose_headers) {
        headers.push(("access-control-expose-headers".into(), exposed));
    }
    if preflight {
        if let Some(methods) = listed(&cors.allow_methods) {
            headers.push(("access-control-allow-methods".into(), methods));
        }
        if let Some(allowed) = listed(&cors.allow_headers) {
            headers.push(("access-control-allow-headers".into(), allowed));
        }
        if let Some(age) = cors.max_age {
            headers.push(("access-control-max-age".into(), age.to_string()));
        }
    }
    headers
}

impl Lambda {
    async fn serve_url(&self, caller: &RequestContext, request: UrlRequest) -> UrlResponse {
        let Some((target, url)) = self.url_by_id(&request.url_id).await else {
            return message(403, "Forbidden");
        };
        let origin = header(&request, "origin").map(str::to_owned);
        let cors = url.config.cors.clone().unwrap_or_default();
        let preflight =
            request.method == "OPTIONS" && header(&request, "access-control-request-method").is_some();
        // Browsers send preflights unsigned: CORS answers them before IAM.
        let answers_preflight = preflight && url.config.cors.is_some();
        if !answers_preflight && !self.url_allowed(caller, &target, &url.config.auth_type).await {
            return message(403, "Forbidden");
        }
        if answers_preflight {
            let headers = origin
                .as_deref()
                .map(|o| cors_headers(&cors, o, true))
                .unwrap_or_default();
            return UrlResponse {
                status: 200,
                headers,
                body: Bytes::new(),
            };
        }
        let ctx = RequestContext::internal("lambda", "InvokeFunctionUrl", &target.account, &target.region);
        let mut answered = self
            .run_url(&ctx, caller, &target, &request, &url.config.auth_type)
            .await;
        if let Some(origin) = origin.filter(|_| url.config.cors.is_some()) {
            answered.headers.extend(cors_headers(&cors, &origin, false));
        }
        answered
    }

    async fn run_url(
        &self,
        ctx: &RequestContext,
        caller: &RequestContext,
        target: &crate::function_urls::UrlTarget,
        request: &UrlRequest,
        auth: &str,
    ) -> UrlResponse {
        let function = FunctionRef {
            name: target.function.clone(),
            qualifier: target.qualifier.clone(),
        };
        let Ok(record) = self.load(ctx, &function).await else {
            return message(403, "Forbidden");
        };
        let request_id = uuid::Uuid::new_v4().to_string();
        let iam = (auth == "AWS_IAM").then_some(caller);
        let payload = event(request, iam, &request_id, self.clock.now()).to_string();
        let input = InvocationRequest {
            function_name: target.function.clone(),
            ..Default::default()
        };
        match self
            .invoke_now(ctx, &record, payload.into_bytes().into(), &input, &request_id)
            .await
        {
            Ok(invoked) if invoked.function_error.is_none() => {
                response(invoked.payload.as_deref().unwrap_or_default())
            }
            Ok(_) => message(502, "Internal Server Error"),
            Err(error) if error.status == 429 => message(429, "Rate Exceeded."),
            Err(_) => message(502, "Internal Server Error"),
        }
    }
}

impl LambdaUrls for Lambda {
    fn invoke_url<'a>(&'a self, ctx: &'a RequestContext, request: UrlRequest) -> BoxFuture<'a, UrlResponse> {
        Box::pin(self.serve_url(ctx, request))
    }

    fn download_code<'a>(&'a self, path: &'a str, query: &'a str) -> BoxFuture<'a, UrlResponse> {
        Box::pin(self.download(path, query))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, query: &str, body: &str, content_type: &str) -> UrlRequest {
        UrlRequest {
            url_id: "abc".into(),
            domain: "abc.lambda-url.us-east-1.localhost".into(),
            method: method.into(),
            raw_path: "/items/7".into(),
            raw_query: query.into(),
            headers: vec![
                ("content-type".into(), content_type.into()),
                ("x-many".into(), "a".into()),
                ("x-many".into(), "b".into()),
                ("cookie".into(), "s=1; t=2".into()),
            ],
            body: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn the_event_is_payload_format_2() {
        let built = event(
            &request("POST", "a=1&b=x%20y&a=2", "{\"k\":1}", "application/json"),
            None,
            "r",
            std::time::UNIX_EPOCH,
        );
        assert_eq!(built["version"], "2.0");
        assert_eq!(built["rawPath"], "/items/7");
        assert_eq!(built["queryStringParameters"], json!({ "a": "1,2", "b": "x y" }));
        assert_eq!(built["headers"]["x-many"], "a,b");
        assert_eq!(built["cookies"], json!(["s=1", "t=2"]));
        assert_eq!(built["requestContext"]["http"]["method"], "POST");
        assert_eq!(built["requestContext"]["time"], "01/Jan/1970:00:00:00 +0000");
        assert_eq!(
            (built["body"].as_str(), built["isBase64Encoded"].as_bool()),
            (Some("{\"k\":1}"), Some(false))
        );
        let binary = event(
            &request("POST", "", "\u{1}\u{2}", "application/octet-stream"),
            None,
            "r",
            std::time::UNIX_EPOCH,
        );
        assert_eq!(binary["isBase64Encoded"], true);
        assert_eq!(binary["body"], BASE64.encode([1u8, 2]));
    }

    #[test]
    fn answers_are_a_status_document_or_a_json_body() {
        let plain = response(br#"{"hello":"world"}"#);
        assert_eq!(
            (plain.status, plain.body.as_ref()),
            (200, &br#"{"hello":"world"}"#[..])
        );
        let shaped = response(
            br#"{"statusCode":201,"headers":{"Content-Type":"text/plain"},"body":"made","cookies":["a=1"]}"#,
        );
        assert_eq!(shaped.status, 201);
        assert_eq!(shaped.body.as_ref(), b"made");
        assert!(
            shaped
                .headers
                .contains(&("content-type".into(), "text/plain".into()))
        );
        assert!(shaped.headers.contains(&("set-cookie".into(), "a=1".into())));
        let binary = response(
            format!(
                r#"{{"statusCode":200,"body":"{}","isBase64Encoded":true}}"#,
                BASE64.encode(b"\x00\x01")
            )
            .as_bytes(),
        );
        assert_eq!(binary.body.as_ref(), b"\x00\x01");
    }
}
