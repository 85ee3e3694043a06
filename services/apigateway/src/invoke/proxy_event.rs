//! The Lambda proxy integration (AWS_PROXY) of REST APIs: the event a
//! function receives (payload format 1.0, as API Gateway shapes it) and
//! how its answer becomes the HTTP response (a malformed one is a 502).

use bytes::Bytes;
use indexmap::IndexMap;
use nimbus_apigateway_api::ApiResponse;
use serde_json::{Map, Value as Json, json};

use super::{Invocation, message};

/// Query parameters decoded (`+` is a space), in order.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decoded(name), form_decoded(value))
        })
        .collect()
}

fn form_decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// `{name: last value}` and `{name: [every value]}` of pairs; both null
/// when there are none.
pub(super) fn single_and_multi(pairs: &[(String, String)]) -> (Json, Json) {
    if pairs.is_empty() {
        return (Json::Null, Json::Null);
    }
    let mut single = Map::new();
    let mut multi: Map<String, Json> = Map::new();
    for (name, value) in pairs {
        single.insert(name.clone(), json!(value));
        match multi.get_mut(name) {
            Some(Json::Array(values)) => values.push(json!(value)),
            _ => {
                multi.insert(name.clone(), json!([value]));
            }
        }
    }
    (Json::Object(single), Json::Object(multi))
}

fn null_if_empty(map: &IndexMap<String, String>) -> Json {
    match map.is_empty() {
        true => Json::Null,
        false => json!(map),
    }
}

/// The event of `invocation` for a Lambda proxy integration.
pub fn event(invocation: &Invocation<'_>) -> Json {
    let request = invocation.request;
    let (headers, multi_headers) = single_and_multi(&invocation.headers_as_sent());
    let (query, multi_query) = single_and_multi(&query_pairs(&request.query));
    let text = std::str::from_utf8(&request.body).ok();
    let binary = !request.body.is_empty() && text.is_none();
    let body = match (request.body.is_empty(), text) {
        (true, _) => Json::Null,
        (false, Some(text)) => json!(text),
        (false, None) => json!(base64_encode(&request.body)),
    };
    json!({
        "resource": invocation.resource_path(),
        "path": request.domain_path.as_deref().unwrap_or(&request.path),
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": null_if_empty(&invocation.route.path_parameters),
        "stageVariables": null_if_empty(&invocation.stage_variables),
        "requestContext": invocation.request_context(),
        "body": body,
        "isBase64Encoded": binary,
    })
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The HTTP response a function's answer describes, or a 502 when it is
/// not the shape API Gateway requires.
pub fn response(payload: &[u8]) -> ApiResponse {
    let malformed = || message(502, "Internal server error", "InternalServerErrorException");
    let Ok(Json::Object(answer)) = serde_json::from_slice::<Json>(payload) else {
        return malformed();
    };
    let allowed = [
        "statusCode",
        "headers",
        "multiValueHeaders",
        "body",
        "isBase64Encoded",
        "cookies",
    ];
    if answer.keys().any(|key| !allowed.contains(&key.as_str())) {
        return malformed();
    }
    let Some(status) = answer
        .get("statusCode")
        .and_then(|s| s.as_u64().or_else(|| s.as_str()?.parse().ok()))
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (100..600).contains(s))
    else {
        return malformed();
    };
    let body = match answer.get("body") {
        None | Some(Json::Null) => String::new(),
        Some(Json::String(text)) => text.clone(),
        Some(_) => return malformed(),
    };
    let base64 = answer
        .get("isBase64Encoded")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    let body = match base64 {
        true => {
            use base64::Engine;
            match base64::engine::general_purpose::STANDARD.decode(body.as_bytes()) {
                Ok(bytes) => Bytes::from(bytes),
                Err(_) => return malformed(),
            }
        }
        false => Bytes::from(body),
    };
    let mut headers: IndexMap<String, Vec<String>> = IndexMap::new();
    if let Some(Json::Object(single)) = answer.get("headers") {
        for (name, value) in single {
            headers.insert(name.clone(), vec![scalar(value)]);
        }
    }
    if let Some(Json::Object(multi)) = answer.get("multiValueHeaders") {
        for (name, values) in multi {
            let values = values
                .as_array()
                .map(|v| v.iter().map(scalar).collect())
                .unwrap_or_default();
            headers.insert(name.clone(), values);
        }
    }
    if !headers
        .keys()
        .any(|name| name.eq_ignore_ascii_case("content-type"))
    {
        headers.insert("Content-Type".to_owned(), vec!["application/json".to_owned()]);
    }
    ApiResponse {
        status,
        headers: headers
            .into_iter()
            .flat_map(|(name, values)| values.into_iter().map(move |value| (name.clone(), value)))
            .collect(),
        body,
    }
}

fn scalar(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_keep_every_value_and_decode_plus_as_space() {
        let pairs = query_pairs("a=1&b=x+y&a=2&c=%2B");
        let (single, multi) = single_and_multi(&pairs);
        assert_eq!(single, json!({"a": "2", "b": "x y", "c": "+"}));
        assert_eq!(multi, json!({"a": ["1", "2"], "b": ["x y"], "c": ["+"]}));
        assert_eq!(single_and_multi(&[]), (Json::Null, Json::Null));
    }

    #[test]
    fn an_answer_is_a_status_headers_and_a_string_body_or_it_is_a_502() {
        let ok = response(br#"{"statusCode": 201, "headers": {"X-A": "1"}, "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}, "body": "hi"}"#);
        assert_eq!((ok.status, ok.body.as_ref()), (201, b"hi".as_ref()));
        assert!(ok.headers.contains(&("Set-Cookie".to_owned(), "b=2".to_owned())));
        assert!(
            ok.headers
                .contains(&("Content-Type".to_owned(), "application/json".to_owned()))
        );
        for bad in [
            &b"null"[..],
            b"{\"body\": \"x\"}",
            b"{\"statusCode\": 200, \"body\": {\"a\": 1}}",
            b"{\"statusCode\": 200, \"extra\": 1}",
            b"not json",
        ] {
            assert_eq!(response(bad).status, 502, "{}", String::from_utf8_lossy(bad));
        }
    }
}
