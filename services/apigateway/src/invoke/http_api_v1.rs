//! Payload format 1.0 of HTTP API Lambda integrations: the event REST
//! APIs' proxy integrations send (single and multi-value headers and query
//! parameters), with `version` 1.0 and the route key, and the answer read
//! as theirs is (a status document; anything else is a 500 here).

use serde_json::{Value as Json, json};

use super::http_api::Call;
use super::proxy_event::{query_pairs, single_and_multi};

impl Call<'_> {
    pub(super) fn event_v1(&self) -> Json {
        let request = self.request;
        let (headers, multi_headers) = single_and_multi(&request.headers);
        let (query, multi_query) = single_and_multi(&query_pairs(&request.query));
        let mut context = self.event()["requestContext"].clone();
        context["httpMethod"] = json!(request.method);
        context["path"] = json!(self.path);
        context["protocol"] = json!("HTTP/1.1");
        context["resourcePath"] = json!(self.route.route_key.split_once(' ').map_or("", |(_, path)| path));
        context["identity"] =
            json!({"sourceIp": "127.0.0.1", "userAgent": context["http"]["userAgent"].clone()});
        let text = std::str::from_utf8(&request.body).ok();
        json!({
            "version": "1.0",
            "resource": self.route.route_key.split_once(' ').map_or(self.route.route_key.as_str(), |(_, path)| path),
            "path": self.path,
            "httpMethod": request.method,
            "routeKey": self.route.route_key,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": query,
            "multiValueQueryStringParameters": multi_query,
            "pathParameters": if self.parameters.is_empty() { Json::Null } else { json!(self.parameters) },
            "stageVariables": self.stage.stage_variables.as_ref().filter(|v| !v.is_empty()).map_or(Json::Null, |v| json!(v)),
            "requestContext": context,
            "body": match (request.body.is_empty(), text) {
                (true, _) => Json::Null,
                (false, Some(text)) => json!(text),
                (false, None) => {
                    use base64::Engine;
                    json!(base64::engine::general_purpose::STANDARD.encode(&request.body))
                }
            },
            "isBase64Encoded": !request.body.is_empty() && text.is_none(),
        })
    }
}
