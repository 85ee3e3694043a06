//! Lambda targets: the ALB turns a request into its Lambda event
//! (`requestContext.elb`, method, path, query, lower-cased headers, the body
//! as text or base64), invokes the function synchronously as
//! `elasticloadbalancing.amazonaws.com` for the target group, and turns the
//! function's answer (statusCode, headers, body) back into HTTP; a failed or
//! malformed answer is ELB's 502.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use nimbus_core::context::ServicePrincipal;
use nimbus_lambda_api::{InvocationRequest, LambdaClient};
use serde_json::{Map, Value, json};

use super::http::{Body, full, page};

/// Lambda's limit on a request body a load balancer hands a function.
const BODY_LIMIT: usize = 1024 * 1024;

/// What invokes functions: Lambda's client, as ELB's principal.
#[derive(Clone)]
pub struct Functions {
    pub lambda: LambdaClient,
    pub principal: ServicePrincipal,
}

/// Forwarding facts the event carries (`x-forwarded-*`, the trace id).
pub struct Forwarded<'a> {
    pub group_arn: &'a str,
    pub peer: SocketAddr,
    pub port: u16,
    pub protocol: &'a str,
    pub trace_id: String,
    pub multi_value: bool,
}

fn query_parameters(query: &str, multi: bool) -> Value {
    let mut single = Map::new();
    let mut many: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        single.insert(key.to_owned(), json!(value));
        many.entry(key.to_owned()).or_default().push(json!(value));
    }
    if multi { json!(many) } else { Value::Object(single) }
}

/// The event a request makes.
pub fn event(parts: &http::request::Parts, body: &[u8], forwarded: &Forwarded<'_>) -> Value {
    let mut headers = Map::new();
    let mut many: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers.insert(name.as_str().to_owned(), json!(value));
        many.entry(name.as_str().to_owned())
            .or_default()
            .push(json!(value));
    }
    let extra = [
        ("x-forwarded-for", forwarded.peer.ip().to_string()),
        ("x-forwarded-port", forwarded.port.to_string()),
        ("x-forwarded-proto", forwarded.protocol.to_ascii_lowercase()),
        ("x-amzn-trace-id", forwarded.trace_id.clone()),
    ];
    for (name, value) in extra {
        headers.insert(name.to_owned(), json!(value));
        many.insert(name.to_owned(), vec![json!(value)]);
    }
    let (body, encoded) = match std::str::from_utf8(body) {
        Ok(text) => (text.to_owned(), false),
        Err(_) => (STANDARD.encode(body), true),
    };
    let query = parts.uri.query().unwrap_or_default();
    let mut event = json!({
        "requestContext": { "elb": { "targetGroupArn": forwarded.group_arn } },
        "httpMethod": parts.method.as_str(),
        "path": parts.uri.path(),
        "body": body,
        "isBase64Encoded": encoded,
    });
    if forwarded.multi_value {
        event["multiValueQueryStringParameters"] = query_parameters(query, true);
        event["multiValueHeaders"] = json!(many);
    } else {
        event["queryStringParameters"] = query_parameters(query, false);
        event["headers"] = Value::Object(headers);
    }
    event
}

/// The HTTP answer a function's result makes (`None`: not one ELB accepts).
pub fn answer(result: &Value) -> Option<Response<Body>> {
    let status = result.get("statusCode")?.as_u64()?;
    let status = StatusCode::from_u16(u16::try_from(status).ok()?).ok()?;
    let body = result.get("body").and_then(Value::as_str).unwrap_or_default();
    let body = if result.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) {
        STANDARD.decode(body).ok()?
    } else {
        body.as_bytes().to_vec()
    };
    let mut response = Response::new(full(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let single = result
        .get("headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten();
    for (name, value) in single {
        if let (Ok(name), Some(Ok(value))) = (
            HeaderName::from_bytes(name.as_bytes()),
            value.as_str().map(HeaderValue::from_str),
        ) {
            headers.insert(name, value);
        }
    }
    let many = result
        .get("multiValueHeaders")
        .and_then(Value::as_object)
        .into_iter()
        .flatten();
    for (name, values) in many {
        for value in values.as_array().into_iter().flatten().filter_map(Value::as_str) {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                headers.append(name, value);
            }
        }
    }
    Some(response)
}

/// Invokes `function` with the request and answers what it returned.
pub async fn invoke(
    functions: &Functions,
    function: &str,
    request: Request<Incoming>,
    forwarded: Forwarded<'_>,
) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let Ok(body) = Limited::new(body, BODY_LIMIT).collect().await else {
        return page(413);
    };
    let payload = event(&parts, &body.to_bytes(), &forwarded);
    let fields: Vec<&str> = function.split(':').collect();
    let (Some(region), Some(account)) = (fields.get(3), fields.get(4)) else {
        return page(502);
    };
    let group_account = forwarded.group_arn.split(':').nth(4).unwrap_or_default();
    let ctx = functions.principal.call(
        ("lambda", "Invoke"),
        (account, region),
        forwarded.group_arn,
        group_account,
    );
    let input = InvocationRequest {
        function_name: function.to_owned(),
        payload: Some(payload.to_string().into_bytes().into()),
        ..Default::default()
    };
    let result = match functions.lambda.invoke(&ctx, input).await {
        Ok(result) if result.function_error.is_none() => result,
        Ok(_) => return page(502),
        Err(error) => {
            tracing::info!(%function, %error, "a load balancer's Lambda target could not be invoked");
            return page(502);
        }
    };
    let returned: Option<Value> = result
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_slice(p).ok());
    returned.as_ref().and_then(answer).unwrap_or_else(|| page(502))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_becomes_an_answer() {
        let result = json!({
            "statusCode": 201,
            "statusDescription": "201 Created",
            "headers": {"content-type": "text/plain"},
            "body": "aGk=",
            "isBase64Encoded": true
        });
        let response = answer(&result).unwrap();
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()["content-type"], "text/plain");
        assert!(answer(&json!({"body": "no status"})).is_none());
    }

    #[test]
    fn an_event_has_the_alb_shape() {
        let request = Request::post("/path?a=1&a=2&b=x")
            .header("Host", "lb")
            .body(())
            .unwrap();
        let (parts, ()) = request.into_parts();
        let forwarded = Forwarded {
            group_arn: "arn:tg",
            peer: "127.0.0.1:5000".parse().unwrap(),
            port: 80,
            protocol: "HTTP",
            trace_id: "Root=1-0-0".to_owned(),
            multi_value: false,
        };
        let event = event(&parts, b"hello", &forwarded);
        assert_eq!(event["requestContext"]["elb"]["targetGroupArn"], "arn:tg");
        assert_eq!(event["httpMethod"], "POST");
        assert_eq!(event["path"], "/path");
        assert_eq!(event["queryStringParameters"]["b"], "x");
        assert_eq!(event["headers"]["host"], "lb");
        assert_eq!(event["headers"]["x-forwarded-for"], "127.0.0.1");
        assert_eq!(event["body"], "hello");
        assert_eq!(event["isBase64Encoded"], false);
    }
}
