//! Invoking HTTP APIs: the `$default` stage serves paths as they are (a
//! named stage, paths under its name); the route is the request's method
//! and path (`GET /pets/{id}`), else `ANY` with that path, else `$default`
//! (names before `{variables}` before `{greedy+}`); its integration is a
//! Lambda function (payload format 2.0) or an HTTP endpoint. The API's CORS
//! configuration answers preflights and marks responses. A missing route
//! is 404 `{"message":"Not Found"}`.

use std::time::Duration;

use bytes::Bytes;
use indexmap::IndexMap;
use nimbus_apigateway_api::{ApiRequest, ApiResponse};
use nimbus_apigatewayv2_api::{Cors, Integration, Route, Stage};
use nimbus_core::RequestContext;
use serde_json::{Map, Value as Json, json};

use super::http_mapping;
use super::http_proxy;
use super::{Home, message};
use crate::ApiGateway;
use crate::http_apis::HttpApiRecord;

/// How well a route's path template matches a path (higher is more
/// specific), with its path parameters.
fn path_match(template: &str, path: &str) -> Option<(usize, IndexMap<String, String>)> {
    let parts: Vec<&str> = template.split('/').filter(|p| !p.is_empty()).collect();
    let segments: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let mut parameters = IndexMap::new();
    let mut score = 0;
    for (at, part) in parts.iter().enumerate() {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix("+}")) {
            if at >= segments.len() {
                return None;
            }
            parameters.insert(name.to_owned(), segments[at..].join("/"));
            return Some((score, parameters));
        }
        let segment = segments.get(at)?;
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            parameters.insert(name.to_owned(), (*segment).to_owned());
            score += 1;
        } else if part == segment {
            score += 2;
        } else {
            return None;
        }
    }
    (parts.len() == segments.len()).then_some((score + 1, parameters))
}

/// The route a request takes, with its path parameters.
fn route<'r>(
    record: &'r HttpApiRecord,
    method: &str,
    path: &str,
) -> Option<(&'r Route, IndexMap<String, String>)> {
    let mut best: Option<(usize, bool, &Route, IndexMap<String, String>)> = None;
    for route in record.routes.values() {
        let Some((verb, template)) = route.route_key.split_once(' ') else {
            continue;
        };
        if verb != method && verb != "ANY" {
            continue;
        }
        if let Some((score, parameters)) = path_match(template, path) {
            let exact_verb = verb == method;
            let better = best
                .as_ref()
                .is_none_or(|(s, e, _, _)| (score, exact_verb) > (*s, *e));
            if better {
                best = Some((score, exact_verb, route, parameters));
            }
        }
    }
    best.map(|(_, _, route, parameters)| (route, parameters))
        .or_else(|| {
            record
                .routes
                .values()
                .find(|r| r.route_key == "$default")
                .map(|r| (r, IndexMap::new()))
        })
}

fn header<'r>(request: &'r ApiRequest, name: &str) -> Option<&'r str> {
    request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// CORS headers for a request from `origin`, when the configuration allows it.
fn cors_headers(cors: &Cors, origin: &str, preflight: bool) -> Vec<(String, String)> {
    let origins = cors.allow_origins.clone().unwrap_or_default();
    let allowed = origins.iter().any(|o| o == "*" || o.eq_ignore_ascii_case(origin));
    if !allowed {
        return Vec::new();
    }
    let mut headers = vec![(
        "Access-Control-Allow-Origin".to_owned(),
        if origins.iter().any(|o| o == "*") {
            "*".to_owned()
        } else {
            origin.to_owned()
        },
    )];
    if cors.allow_credentials == Some(true) {
        headers.push(("Access-Control-Allow-Credentials".into(), "true".into()));
    }
    let list = |values: &Option<Vec<String>>| values.as_ref().filter(|v| !v.is_empty()).map(|v| v.join(","));
    if preflight {
        if let Some(methods) = list(&cors.allow_methods) {
            headers.push(("Access-Control-Allow-Methods".into(), methods));
        }
        if let Some(allowed) = list(&cors.allow_headers) {
            headers.push(("Access-Control-Allow-Headers".into(), allowed));
        }
        if let Some(age) = cors.max_age.filter(|a| *a >= 0) {
            headers.push(("Access-Control-Max-Age".into(), age.to_string()));
        }
    } else if let Some(exposed) = list(&cors.expose_headers) {
        headers.push(("Access-Control-Expose-Headers".into(), exposed));
    }
    headers
}

/// One request on its way through an HTTP API.
pub(super) struct Call<'r> {
    /// What the route's authorizer found (`{"jwt": {...}}`).
    pub(super) authorizer: Option<Json>,
    pub(super) request: &'r ApiRequest,
    pub(super) home: &'r Home,
    pub(super) stage: &'r Stage,
    pub(super) path: String,
    pub(super) route: &'r Route,
    pub(super) parameters: IndexMap<String, String>,
    pub(super) request_id: &'r str,
    pub(super) now: time::OffsetDateTime,
}

impl Call<'_> {
    /// The Lambda event, payload format 2.0.
    pub(super) fn event(&self) -> Json {
        let request = self.request;
        let mut headers = Map::new();
        let mut cookies = Vec::new();
        for (name, value) in &request.headers {
            if name.eq_ignore_ascii_case("cookie") {
                cookies.extend(value.split("; ").map(|c| json!(c)));
                continue;
            }
            let joined = match headers.get(name) {
                Some(Json::String(before)) => format!("{before},{value}"),
                _ => value.clone(),
            };
            headers.insert(name.clone(), json!(joined));
        }
        let mut query = Map::new();
        for (name, value) in super::proxy_event::query_pairs(&request.query) {
            let joined = match query.get(&name) {
                Some(Json::String(before)) => format!("{before},{value}"),
                _ => value,
            };
            query.insert(name, json!(joined));
        }
        let format = time::macros::format_description!(
            "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
        );
        let text = std::str::from_utf8(&request.body).ok();
        let mut event = json!({
            "version": "2.0",
            "routeKey": self.route.route_key,
            "rawPath": self.path,
            "rawQueryString": request.query,
            "headers": headers,
            "requestContext": {
                "accountId": self.home.account,
                "apiId": request.api_id,
                "domainName": request.domain,
                "domainPrefix": request.api_id,
                "http": {
                    "method": request.method,
                    "path": self.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1",
                    "userAgent": header(request, "user-agent"),
                },
                "requestId": self.request_id,
                "routeKey": self.route.route_key,
                "stage": self.stage.stage_name,
                "time": self.now.format(&format).unwrap_or_default(),
                "timeEpoch": (self.now.unix_timestamp_nanos() / 1_000_000) as i64,
            },
            "isBase64Encoded": !request.body.is_empty() && text.is_none(),
        });
        if !cookies.is_empty() {
            event["cookies"] = Json::Array(cookies);
        }
        if let Some(authorizer) = &self.authorizer {
            event["requestContext"]["authorizer"] = authorizer.clone();
        }
        if !query.is_empty() {
            event["queryStringParameters"] = Json::Object(query);
        }
        if !self.parameters.is_empty() {
            event["pathParameters"] = json!(self.parameters);
        }
        if let Some(variables) = self.stage.stage_variables.as_ref().filter(|v| !v.is_empty()) {
            event["stageVariables"] = json!(variables);
        }
        if !request.body.is_empty() {
            event["body"] = match text {
                Some(text) => json!(text),
                None => {
                    use base64::Engine;
                    json!(base64::engine::general_purpose::STANDARD.encode(&request.body))
                }
            };
        }
        event
    }
}

/// A function's answer in payload format 2.0: a status document, or any
/// other JSON value as a 200 JSON body.
fn lambda_response(payload: &[u8]) -> ApiResponse {
    let answer: Json = match serde_json::from_slice(payload) {
        Ok(answer) => answer,
        Err(_) => return message(500, "Internal Server Error", ""),
    };
    let Some(status) = answer
        .get("statusCode")
        .and_then(Json::as_u64)
        .and_then(|s| u16::try_from(s).ok())
    else {
        return ApiResponse {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Bytes::from(answer.to_string()),
        };
    };
    let mut headers: Vec<(String, String)> = answer
        .get("headers")
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
        .map(|(name, value)| {
            (
                name.clone(),
                value.as_str().map_or_else(|| value.to_string(), str::to_owned),
            )
        })
        .collect();
    for cookie in answer
        .get("cookies")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        headers.push((
            "Set-Cookie".into(),
            cookie.as_str().unwrap_or_default().to_owned(),
        ));
    }
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".into(), "application/json".into()));
    }
    let body = answer.get("body").and_then(Json::as_str).unwrap_or_default();
    let body = match answer.get("isBase64Encoded").and_then(Json::as_bool) {
        Some(true) => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .map(Bytes::from)
                .unwrap_or_default()
        }
        _ => Bytes::from(body.to_owned()),
    };
    ApiResponse {
        status,
        headers,
        body,
    }
}

/// A 1.0 answer, read as REST APIs read theirs; malformed, a 500.
fn v1_response(payload: &[u8]) -> ApiResponse {
    let answered = super::proxy_event::response(payload);
    match answered.status {
        502 => message(500, "Internal Server Error", ""),
        _ => answered,
    }
}

impl ApiGateway {
    /// The API as `stage` serves it: as it is when auto-deployed, else as
    /// its deployment froze it (none before it has one).
    async fn deployed(
        &self,
        ctx: &RequestContext,
        record: HttpApiRecord,
        stage: &Stage,
    ) -> Option<HttpApiRecord> {
        if stage.auto_deploy == Some(true) {
            return Some(record);
        }
        let id = stage.deployment_id.as_deref()?;
        let api = record.api.api_id.clone().unwrap_or_default();
        let deployment = self.http_deployment(ctx, &api, id).await.ok()?;
        Some(deployment.serving(&record))
    }

    pub(super) async fn serve_http_api(
        &self,
        (ctx, caller): (&RequestContext, &RequestContext),
        request: &ApiRequest,
        home: &Home,
        ids: &(String, String),
    ) -> ApiResponse {
        let not_found = || message(404, "Not Found", "");
        let Ok(record) = self.http_api(ctx, &request.api_id).await else {
            return not_found();
        };
        // A named stage takes the first segment; `$default` the whole path.
        let (stage, path) = match record.stages.get(&request.stage) {
            Some(stage) => (stage.clone(), request.path.clone()),
            None => match record.stages.get("$default") {
                Some(stage) => (
                    stage.clone(),
                    format!("/{}{}", request.stage, request.path).replace("//", "/"),
                ),
                None => return not_found(),
            },
        };
        let Some(record) = self.deployed(ctx, record, &stage).await else {
            return not_found();
        };
        let stage = &stage;
        let cors = record.api.cors_configuration.clone();
        let origin = header(request, "origin").map(str::to_owned);
        if let (Some(cors), Some(origin)) = (&cors, &origin)
            && request.method == "OPTIONS"
            && header(request, "access-control-request-method").is_some()
        {
            return ApiResponse {
                status: 204,
                headers: cors_headers(cors, origin, true),
                body: Bytes::new(),
            };
        }
        let Some((route, parameters)) = route(&record, &request.method, &path) else {
            return not_found();
        };
        let integration = route
            .target
            .as_deref()
            .and_then(|t| t.strip_prefix("integrations/"))
            .and_then(|id| record.integrations.get(id));
        let Some(integration) = integration else {
            return not_found();
        };
        let mut call = Call {
            authorizer: None,
            request,
            home,
            stage,
            path,
            route,
            parameters,
            // HTTP APIs' request id is the one `apigw-requestid` carries.
            request_id: &ids.1,
            now: time::OffsetDateTime::from(self.clock.now()),
        };
        if route.authorization_type.as_deref() == Some("AWS_IAM") {
            match self.authorize_iam_route(caller, &call).await {
                Ok(context) => call.authorizer = Some(context),
                Err(refused) => return refused,
            }
        } else if route.authorization_type.as_deref().is_some_and(|t| t != "NONE") {
            let found = route
                .authorizer_id
                .as_ref()
                .and_then(|id| record.authorizers.get(id));
            let Some(found) = found else {
                return message(500, "Internal Server Error", "");
            };
            match self.authorize_route(found, &call).await {
                Ok(context) => call.authorizer = Some(context),
                Err(refused) => return refused,
            }
        }
        let mut answered = self.integrate_http(&call, integration).await;
        if let Some(parameters) = integration.response_parameters.as_ref() {
            answered = http_mapping::map_response(parameters, answered, &|name, answer| {
                call.response_value(name, answer)
            });
        }
        if let (Some(cors), Some(origin)) = (&cors, &origin) {
            answered.headers.extend(cors_headers(cors, origin, false));
        }
        answered.headers.push(("apigw-requestid".into(), ids.1.clone()));
        if let Some(settings) = &stage.access_log_settings
            && let (Some(arn), Some(format)) = (&settings.destination_arn, &settings.format)
        {
            let mut context = call.event()["requestContext"].clone();
            context["identity"] = json!({"sourceIp": "127.0.0.1"});
            context["httpMethod"] = json!(request.method);
            context["path"] = json!(call.path);
            context["protocol"] = json!("HTTP/1.1");
            self.access_log(super::access_log::Destination { arn, format }, context, &answered);
        }
        answered
    }

    async fn integrate_http(&self, call: &Call<'_>, integration: &Integration) -> ApiResponse {
        let failed = || message(500, "Internal Server Error", "");
        let uri = integration.integration_uri.clone().unwrap_or_default();
        match integration.integration_type.as_deref() {
            Some("AWS_PROXY") => {
                let function = super::lambda::function_of(&uri).unwrap_or(&uri).to_owned();
                let source = format!(
                    "arn:aws:execute-api:{}:{}:{}/{}/{}",
                    call.home.region,
                    call.home.account,
                    call.request.api_id,
                    call.stage.stage_name,
                    call.route.route_key.replacen(' ', "", 1)
                );
                let v1 = integration.payload_format_version.as_deref() == Some("1.0");
                let event = if v1 { call.event_v1() } else { call.event() };
                let payload = event.to_string().into_bytes();
                match self
                    .invoke_function(&function, payload, (&source, &call.home.account))
                    .await
                {
                    Ok(answered) if answered.function_error.is_none() => {
                        let payload = answered.payload.as_deref().unwrap_or_default();
                        match v1 {
                            true => v1_response(payload),
                            false => lambda_response(payload),
                        }
                    }
                    _ => failed(),
                }
            }
            Some("HTTP_PROXY") => {
                let outgoing = call.outgoing(uri, integration.request_parameters.as_ref());
                let timeout = Duration::from_millis(
                    u64::try_from(integration.timeout_in_millis.unwrap_or(30_000)).unwrap_or(30_000),
                );
                http_proxy::exchange(&outgoing, timeout)
                    .await
                    .unwrap_or_else(|failure| failure)
            }
            _ => failed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_paths_and_take_their_parameters() {
        assert_eq!(path_match("/pets", "/pets").map(|m| m.0), Some(3));
        let (score, parameters) = path_match("/pets/{id}", "/pets/7").unwrap_or_default();
        assert_eq!((score, parameters.get("id").map(String::as_str)), (4, Some("7")));
        let (_, greedy) = path_match("/{proxy+}", "/a/b").unwrap_or_default();
        assert_eq!(greedy.get("proxy").map(String::as_str), Some("a/b"));
        assert!(path_match("/{proxy+}", "/").is_none());
        assert!(path_match("/pets", "/pets/7").is_none());
    }
}
