//! GetExport: a stage's deployment as an OpenAPI 3.0.1 (`oas30`) or
//! Swagger 2.0 (`swagger`) definition in JSON, with API Gateway's
//! integration extension when `extensions` asks for `integrations` or
//! `apigateway`.

use nimbus_apigateway_api::{Method, ResourceShape, RestApi};
use serde_json::{Map, Value as Json, json};

use super::import::string_map;

/// What the export is of.
pub struct Exported<'a> {
    pub api: &'a RestApi,
    pub stage: &'a str,
    pub resources: &'a [ResourceShape],
    pub swagger: bool,
    pub extensions: bool,
    /// The API's invoke host (`<id>.execute-api.<region>.localhost`).
    pub host: String,
}

fn operation(method: &Method, extensions: bool) -> Json {
    let mut operation = Map::new();
    if let Some(name) = &method.operation_name {
        operation.insert("operationId".into(), json!(name));
    }
    let mut responses = Map::new();
    for (status, response) in method.method_responses.iter().flatten() {
        let mut described = Map::new();
        described.insert("description".into(), json!(format!("{status} response")));
        let headers: Map<String, Json> = response
            .response_parameters
            .iter()
            .flatten()
            .filter_map(|(name, _)| name.strip_prefix("method.response.header."))
            .map(|name| (name.to_owned(), json!({"schema": {"type": "string"}})))
            .collect();
        if !headers.is_empty() {
            described.insert("headers".into(), Json::Object(headers));
        }
        responses.insert(status.clone(), Json::Object(described));
    }
    operation.insert("responses".into(), Json::Object(responses));
    if let (true, Some(integration)) = (extensions, &method.method_integration) {
        let mut extension = Map::new();
        let mut put = |key: &str, value: Option<Json>| {
            if let Some(value) = value {
                extension.insert(key.into(), value);
            }
        };
        put(
            "type",
            integration.r#type.as_ref().map(|t| json!(t.to_lowercase())),
        );
        put("httpMethod", integration.http_method.as_ref().map(|m| json!(m)));
        put("uri", integration.uri.as_ref().map(|u| json!(u)));
        put(
            "passthroughBehavior",
            integration
                .passthrough_behavior
                .as_ref()
                .map(|p| json!(p.to_lowercase())),
        );
        put(
            "requestTemplates",
            integration
                .request_templates
                .as_ref()
                .map(|t| Json::Object(string_map(t))),
        );
        put(
            "requestParameters",
            integration
                .request_parameters
                .as_ref()
                .map(|p| Json::Object(string_map(p))),
        );
        put("timeoutInMillis", integration.timeout_in_millis.map(|t| json!(t)));
        let responses: Map<String, Json> = integration
            .integration_responses
            .iter()
            .flatten()
            .map(|(status, response)| {
                let mut described = Map::new();
                described.insert("statusCode".into(), json!(status));
                if let Some(templates) = &response.response_templates {
                    described.insert("responseTemplates".into(), Json::Object(string_map(templates)));
                }
                if let Some(parameters) = &response.response_parameters {
                    described.insert("responseParameters".into(), Json::Object(string_map(parameters)));
                }
                let pattern = response
                    .selection_pattern
                    .clone()
                    .unwrap_or_else(|| "default".to_owned());
                (pattern, Json::Object(described))
            })
            .collect();
        if !responses.is_empty() {
            put("responses", Some(Json::Object(responses)));
        }
        operation.insert("x-amazon-apigateway-integration".into(), Json::Object(extension));
    }
    Json::Object(operation)
}

/// The definition, as JSON.
pub fn document(exported: &Exported<'_>) -> Json {
    let mut paths = Map::new();
    for resource in exported.resources {
        let Some(methods) = resource.resource_methods.as_ref().filter(|m| !m.is_empty()) else {
            continue;
        };
        let item: Map<String, Json> = methods
            .iter()
            .map(|(verb, method)| {
                let key = match verb.as_str() {
                    "ANY" => "x-amazon-apigateway-any-method".to_owned(),
                    other => other.to_lowercase(),
                };
                (key, operation(method, exported.extensions))
            })
            .collect();
        paths.insert(
            resource.path.clone().unwrap_or_else(|| "/".to_owned()),
            Json::Object(item),
        );
    }
    let api = exported.api;
    let info = json!({
        "title": api.name,
        "version": api.version.clone().unwrap_or_else(|| "1.0".to_owned()),
    });
    match exported.swagger {
        true => json!({
            "swagger": "2.0",
            "info": info,
            "host": exported.host,
            "basePath": format!("/{}", exported.stage),
            "schemes": ["http"],
            "paths": paths,
        }),
        false => json!({
            "openapi": "3.0.1",
            "info": info,
            "servers": [{
                "url": format!("http://{}/{{basePath}}", exported.host),
                "variables": {"basePath": {"default": exported.stage}},
            }],
            "paths": paths,
        }),
    }
}
