//! Request validation: a method with a request validator refuses a request
//! that lacks a required parameter (`method.request.querystring.X` and the
//! others set to true), or whose body does not match the method's model for
//! its content type (else its `$default` model) under JSON Schema draft 4.
//! Schemas are compiled once per deployment and kept.

use std::sync::Arc;

use bytes::Bytes;
use nimbus_apigateway_api::ApiResponse;
use serde_json::Value as Json;

use super::Invocation;
use super::proxy_event::query_pairs;
use crate::ApiGateway;
use crate::records::DeploymentRecord;

/// API Gateway's refusal of an invalid request (BAD_REQUEST_PARAMETERS or
/// BAD_REQUEST_BODY, told apart by the message).
fn bad_request(text: &str) -> ApiResponse {
    ApiResponse {
        status: 400,
        headers: vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("x-amzn-ErrorType".to_owned(), "BadRequestException".to_owned()),
        ],
        body: Bytes::from(format!("{{\"message\": {}}}", Json::String(text.to_owned()))),
    }
}

/// The names of the required parameters `invocation` lacks (or has blank).
fn missing_parameters(invocation: &Invocation<'_>) -> Vec<String> {
    let query = query_pairs(&invocation.request.query);
    let present = |place: &str, name: &str| -> bool {
        let value = match place {
            "querystring" => query
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str()),
            "header" => invocation.header(name),
            "path" => invocation.route.path_parameters.get(name).map(String::as_str),
            _ => return true,
        };
        value.is_some_and(|v| !v.trim().is_empty())
    };
    let declared = invocation.route.method.request_parameters.iter().flatten();
    declared
        .filter(|(_, required)| **required)
        .filter_map(|(parameter, _)| {
            let (place, name) = parameter.strip_prefix("method.request.")?.split_once('.')?;
            (!present(place, name)).then(|| name.to_owned())
        })
        .collect()
}

impl ApiGateway {
    /// The method's request validator's verdict: `Err` is the refusal.
    pub(super) fn validate(
        &self,
        invocation: &Invocation<'_>,
        deployment: &DeploymentRecord,
    ) -> Result<(), ApiResponse> {
        let method = invocation.route.method;
        let Some(validator) = method
            .request_validator_id
            .as_ref()
            .and_then(|id| deployment.request_validators.get(id))
        else {
            return Ok(());
        };
        if validator.validate_request_parameters == Some(true) {
            let missing = missing_parameters(invocation);
            if !missing.is_empty() {
                return Err(bad_request(&format!(
                    "Missing required request parameters: [{}]",
                    missing.join(", ")
                )));
            }
        }
        if validator.validate_request_body == Some(true) && !self.body_matches(invocation, deployment) {
            return Err(bad_request("Invalid request body"));
        }
        Ok(())
    }

    /// Whether the body matches the method's model for its content type;
    /// a request no model covers is not checked.
    fn body_matches(&self, invocation: &Invocation<'_>, deployment: &DeploymentRecord) -> bool {
        let content_type = invocation.header("content-type").map_or("application/json", |t| {
            t.split(';').next().unwrap_or_default().trim()
        });
        let models = invocation.route.method.request_models.as_ref();
        let Some(name) = models.and_then(|m| m.get(content_type).or_else(|| m.get("$default"))) else {
            return true;
        };
        let Some(validator) = self.schema_of(invocation, deployment, name) else {
            return true;
        };
        let body = match invocation.request.body.is_empty() {
            true => Json::Null,
            false => match serde_json::from_slice::<Json>(&invocation.request.body) {
                Ok(body) => body,
                Err(_) => return false,
            },
        };
        validator.is_valid(&body)
    }

    /// Model `name` of the deployment, compiled (once): `None` when it
    /// does not compile (a reference nimbus cannot follow).
    fn schema_of(
        &self,
        invocation: &Invocation<'_>,
        deployment: &DeploymentRecord,
        name: &str,
    ) -> Option<Arc<jsonschema::Validator>> {
        let key = format!(
            "{}/{}/{}/{}/{name}",
            invocation.home.account,
            invocation.home.region,
            invocation.request.api_id,
            deployment.deployment.id.as_deref().unwrap_or_default()
        );
        if let Some(compiled) = self.schemas.get(&key) {
            return Some(compiled);
        }
        let schema = deployment.models.get(name)?.schema.as_deref()?;
        let doc: Json = serde_json::from_str(schema).ok()?;
        let compiled = Arc::new(jsonschema::draft4::new(&doc).ok()?);
        self.schemas.keep(key, Arc::clone(&compiled));
        Some(compiled)
    }
}
