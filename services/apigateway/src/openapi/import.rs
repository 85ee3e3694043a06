//! Reading an OpenAPI 3 or Swagger 2 definition (JSON) with API Gateway's
//! extensions (`x-amazon-apigateway-integration`, `-any-method`,
//! `-binary-media-types`, `-api-key-source`) into resources, methods and
//! integrations, as ImportRestApi and PutRestApi do.

use indexmap::IndexMap;
use nimbus_apigateway_api::{Integration, IntegrationResponse, Method, MethodResponse, ResourceShape};
use nimbus_core::AwsError;
use serde_json::{Map, Value as Json};

use crate::errors;
use crate::records::{self, ApiRecord};

const VERBS: [&str; 8] = [
    "get",
    "put",
    "post",
    "delete",
    "patch",
    "options",
    "head",
    "x-amazon-apigateway-any-method",
];

/// What a definition says of an API.
pub struct Definition {
    pub title: Option<String>,
    pub description: Option<String>,
    pub version: Option<String>,
    pub binary_media_types: Option<Vec<String>>,
    pub api_key_source: Option<String>,
    /// Each path with its methods by verb.
    pub paths: Vec<(String, Vec<(String, Method)>)>,
}

/// The definition in `body`, refused as API Gateway refuses what it cannot
/// read.
pub fn definition(body: &[u8]) -> Result<Definition, AwsError> {
    let invalid = || errors::bad_request("Invalid OpenAPI input.");
    let doc: Json = serde_json::from_slice(body).map_err(|_| invalid())?;
    if doc.get("openapi").is_none() && doc.get("swagger").is_none() {
        return Err(invalid());
    }
    let text = |value: Option<&Json>| value.and_then(Json::as_str).map(str::to_owned);
    let info = doc.get("info");
    let schemes = security_schemes(&doc);
    let mut paths = Vec::new();
    for (path, item) in doc.get("paths").and_then(Json::as_object).into_iter().flatten() {
        if !path.starts_with('/') {
            return Err(errors::bad_request(format!("Invalid path: {path}")));
        }
        let shared = item
            .get("parameters")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        let mut methods = Vec::new();
        for verb in VERBS {
            if let Some(operation) = item.get(verb) {
                let name = if verb.starts_with("x-") {
                    "ANY".to_owned()
                } else {
                    verb.to_uppercase()
                };
                methods.push((name.clone(), method(&name, operation, &shared, &schemes)));
            }
        }
        paths.push((path.clone(), methods));
    }
    Ok(Definition {
        title: text(info.and_then(|i| i.get("title"))),
        description: text(info.and_then(|i| i.get("description"))),
        version: text(info.and_then(|i| i.get("version"))),
        binary_media_types: doc
            .get("x-amazon-apigateway-binary-media-types")
            .and_then(|types| serde_json::from_value(types.clone()).ok()),
        api_key_source: text(doc.get("x-amazon-apigateway-api-key-source")),
        paths,
    })
}

/// Security schemes by name: whether each is an API key (`x-api-key`).
fn security_schemes(doc: &Json) -> IndexMap<String, Json> {
    let schemes = doc
        .pointer("/components/securitySchemes")
        .or_else(|| doc.get("securityDefinitions"))
        .and_then(Json::as_object);
    schemes
        .into_iter()
        .flatten()
        .map(|(name, scheme)| (name.clone(), scheme.clone()))
        .collect()
}

fn method(verb: &str, operation: &Json, shared: &[Json], schemes: &IndexMap<String, Json>) -> Method {
    let mut parameters = IndexMap::new();
    for parameter in shared.iter().chain(
        operation
            .get("parameters")
            .and_then(Json::as_array)
            .into_iter()
            .flatten(),
    ) {
        let (Some(name), Some(place)) = (
            parameter.get("name").and_then(Json::as_str),
            parameter.get("in").and_then(Json::as_str),
        ) else {
            continue;
        };
        let place = match place {
            "path" => "path",
            "query" => "querystring",
            "header" => "header",
            _ => continue,
        };
        let required = parameter.get("required").and_then(Json::as_bool).unwrap_or(false);
        parameters.insert(format!("method.request.{place}.{name}"), required);
    }
    let requirements = operation
        .get("security")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let scheme_of = |name: &String| schemes.get(name).cloned().unwrap_or(Json::Null);
    let named: Vec<Json> = requirements
        .iter()
        .filter_map(Json::as_object)
        .flat_map(|requirement| requirement.keys().map(scheme_of).collect::<Vec<_>>())
        .collect();
    let api_key = named.iter().any(|s| {
        s.get("type").and_then(Json::as_str) == Some("apiKey")
            && s.get("x-amazon-apigateway-authtype").is_none()
    });
    let iam = named
        .iter()
        .any(|s| s.get("x-amazon-apigateway-authtype").and_then(Json::as_str) == Some("awsSigv4"));
    Method {
        http_method: Some(verb.to_owned()),
        authorization_type: Some(if iam { "AWS_IAM" } else { "NONE" }.to_owned()),
        api_key_required: Some(api_key),
        operation_name: operation
            .get("operationId")
            .and_then(Json::as_str)
            .map(str::to_owned),
        request_parameters: (!parameters.is_empty()).then_some(parameters),
        method_responses: method_responses(operation),
        method_integration: operation.get("x-amazon-apigateway-integration").map(integration),
        ..Default::default()
    }
}

fn method_responses(operation: &Json) -> Option<IndexMap<String, MethodResponse>> {
    let responses = operation.get("responses")?.as_object()?;
    let found: IndexMap<String, MethodResponse> = responses
        .iter()
        .filter(|(status, _)| status.len() == 3 && status.chars().all(|c| c.is_ascii_digit()))
        .map(|(status, response)| {
            let headers: IndexMap<String, bool> = response
                .get("headers")
                .and_then(Json::as_object)
                .into_iter()
                .flatten()
                .map(|(name, _)| (format!("method.response.header.{name}"), false))
                .collect();
            let answer = MethodResponse {
                status_code: Some(status.clone()),
                response_parameters: (!headers.is_empty()).then_some(headers),
                response_models: None,
            };
            (status.clone(), answer)
        })
        .collect();
    (!found.is_empty()).then_some(found)
}

fn strings(value: Option<&Json>) -> Option<IndexMap<String, String>> {
    let map: IndexMap<String, String> = value?
        .as_object()?
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
        .collect();
    (!map.is_empty()).then_some(map)
}

fn integration(extension: &Json) -> Integration {
    let text = |key: &str| extension.get(key).and_then(Json::as_str).map(str::to_owned);
    let kind = text("type").map(|t| t.to_uppercase());
    let http = matches!(kind.as_deref(), Some("HTTP" | "HTTP_PROXY"));
    let responses: IndexMap<String, IntegrationResponse> = extension
        .get("responses")
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(pattern, response)| {
            let status = response.get("statusCode").map(|s| match s {
                Json::String(text) => text.clone(),
                other => other.to_string(),
            })?;
            let answer = IntegrationResponse {
                status_code: Some(status.clone()),
                selection_pattern: (pattern != "default").then(|| pattern.clone()),
                response_parameters: strings(response.get("responseParameters")),
                response_templates: strings(response.get("responseTemplates")),
                content_handling: response
                    .get("contentHandling")
                    .and_then(Json::as_str)
                    .map(str::to_owned),
            };
            Some((status, answer))
        })
        .collect();
    Integration {
        r#type: kind,
        http_method: text("httpMethod").map(|m| m.to_uppercase()),
        uri: text("uri"),
        connection_type: text("connectionType").or_else(|| http.then(|| "INTERNET".to_owned())),
        credentials: text("credentials"),
        request_parameters: strings(extension.get("requestParameters")),
        request_templates: strings(extension.get("requestTemplates")),
        passthrough_behavior: Some(
            text("passthroughBehavior").map_or_else(|| "WHEN_NO_MATCH".to_owned(), |p| p.to_uppercase()),
        ),
        content_handling: text("contentHandling"),
        timeout_in_millis: Some(
            extension
                .get("timeoutInMillis")
                .and_then(Json::as_i64)
                .map_or(29_000, |t| t as i32),
        ),
        cache_namespace: text("cacheNamespace"),
        cache_key_parameters: Some(
            extension
                .get("cacheKeyParameters")
                .and_then(|keys| serde_json::from_value(keys.clone()).ok())
                .unwrap_or_default(),
        ),
        integration_responses: (!responses.is_empty()).then_some(responses),
        ..Default::default()
    }
}

/// The resource at `path`, made (with its parents) when missing; its id.
fn resource_at(record: &mut ApiRecord, path: &str) -> String {
    let mut at = record.api.root_resource_id.clone().unwrap_or_default();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        let existing = record
            .resources
            .values()
            .find(|r| r.parent_id.as_deref() == Some(at.as_str()) && r.path_part.as_deref() == Some(part))
            .and_then(|r| r.id.clone());
        at = match existing {
            Some(id) => id,
            None => {
                let parent_path = record
                    .resources
                    .get(&at)
                    .and_then(|r| r.path.clone())
                    .unwrap_or_default();
                let id = records::new_id(6);
                let resource = ResourceShape {
                    id: Some(id.clone()),
                    parent_id: Some(at.clone()),
                    path_part: Some(part.to_owned()),
                    path: Some(format!("{}/{part}", parent_path.trim_end_matches('/'))),
                    resource_methods: None,
                };
                record.resources.insert(id.clone(), resource);
                id
            }
        };
    }
    at
}

/// Puts the definition's paths into `record`: over what is there
/// (`merge`), or in place of it (`overwrite`).
pub fn apply(record: &mut ApiRecord, definition: Definition, overwrite: bool) {
    if overwrite {
        let root = record.api.root_resource_id.clone().unwrap_or_default();
        record.resources.retain(|id, _| *id == root);
        if let Some(root) = record.resources.get_mut(&root) {
            root.resource_methods = None;
        }
    }
    for (path, methods) in definition.paths {
        let id = resource_at(record, &path);
        let Some(resource) = record.resources.get_mut(&id) else {
            continue;
        };
        for (verb, mut method) in methods {
            if let Some(integration) = method.method_integration.as_mut() {
                integration.cache_namespace.get_or_insert_with(|| id.clone());
            }
            resource
                .resource_methods
                .get_or_insert_default()
                .insert(verb, method);
        }
    }
}

/// `Map` of string values, for the export.
pub fn string_map(map: &IndexMap<String, String>) -> Map<String, Json> {
    map.iter()
        .map(|(k, v)| (k.clone(), Json::String(v.clone())))
        .collect()
}
