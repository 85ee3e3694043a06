//! Models (JSON schemas, draft 4, by name) and request validators of REST
//! APIs, kept in the API's record so that a deployment freezes them with
//! the methods that name them; invocations check requests against them
//! (`invoke::validate`).

use indexmap::IndexMap;
use nimbus_apigateway_api::*;
use nimbus_core::{AwsError, RequestContext};
use serde_json::Value as Json;

use crate::ApiGateway;
use crate::apis::Missing;
use crate::errors;
use crate::patch::{self, Kind, Rule, Wording, replace};
use crate::records::{self, ApiRecord};

const MODEL: &[Rule] = &[
    replace("/description", Kind::Text),
    replace("/schema", Kind::Text),
];

const VALIDATOR: &[Rule] = &[
    replace("/name", Kind::Text),
    replace("/validateRequestParameters", Kind::Flag),
    replace("/validateRequestBody", Kind::Flag),
];

/// The two models every REST API starts with, as API Gateway writes them.
pub fn default_models() -> IndexMap<String, Model> {
    let model = |name: &str, description: &str, schema: &str| Model {
        id: Some(records::new_id(6)),
        name: Some(name.to_owned()),
        description: Some(description.to_owned()),
        schema: Some(schema.to_owned()),
        content_type: Some("application/json".to_owned()),
    };
    IndexMap::from([
        (
            "Empty".to_owned(),
            model(
                "Empty",
                "This is a default empty schema model",
                "{\n  \"$schema\": \"http://json-schema.org/draft-04/schema#\",\n  \"title\" : \"Empty Schema\",\n  \"type\" : \"object\"\n}",
            ),
        ),
        (
            "Error".to_owned(),
            model(
                "Error",
                "This is a default error schema model",
                "{\n  \"$schema\" : \"http://json-schema.org/draft-04/schema#\",\n  \"title\" : \"Error Schema\",\n  \"type\" : \"object\",\n  \"properties\" : {\n    \"message\" : { \"type\" : \"string\" }\n  }\n}",
            ),
        ),
    ])
}

fn model_missing(name: &str) -> AwsError {
    nimbus_apigateway_api::errors::not_found(format!("Invalid model name specified: {name}"))
}

fn validator_missing() -> AwsError {
    nimbus_apigateway_api::errors::not_found("Invalid Request Validator identifier specified")
}

/// Every model `names` names exists (PutMethod's and UpdateMethod's check).
pub fn check_models<'n>(
    record: &ApiRecord,
    names: impl IntoIterator<Item = &'n String>,
) -> Result<(), AwsError> {
    match names.into_iter().find(|name| !record.models.contains_key(*name)) {
        Some(name) => Err(errors::bad_request(format!(
            "Invalid model identifier specified: {name}"
        ))),
        None => Ok(()),
    }
}

fn check_name(name: &str) -> Result<(), AwsError> {
    if name.is_empty() {
        return Err(errors::bad_request("Model name must be non-empty"));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(errors::bad_request(format!(
            "Model name must be alphanumeric: {name}"
        )));
    }
    Ok(())
}

/// A schema API Gateway accepts: JSON that is a draft 4 schema, with
/// something in it.
fn check_schema(schema: Option<&str>) -> Result<(), AwsError> {
    let empty = || errors::bad_request("Model schema must have at least 1 property or array items defined");
    let text = schema.filter(|s| !s.trim().is_empty()).ok_or_else(empty)?;
    let invalid = || {
        errors::bad_request(
            "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified]",
        )
    };
    let doc: Json = serde_json::from_str(text).map_err(|_| invalid())?;
    if doc.as_object().is_none_or(|members| members.is_empty()) {
        return Err(empty());
    }
    jsonschema::draft4::new(&doc).map_err(|_| invalid())?;
    Ok(())
}

/// Where a method names `model`, as API Gateway words it (`/pets/POST`,
/// `//ANY` for the root).
fn referenced_in(record: &ApiRecord, model: &str) -> Option<String> {
    record.resources.values().find_map(|resource| {
        let (verb, _) = resource.resource_methods.as_ref()?.iter().find(|(_, method)| {
            method
                .request_models
                .as_ref()
                .is_some_and(|models| models.values().any(|m| m == model))
        })?;
        Some(format!("{}/{verb}", resource.path.as_deref().unwrap_or("/")))
    })
}

/// A mapping template that builds a body of the model's shape (what the
/// console offers): sample values by type.
fn template_of(schema: &Json) -> String {
    fn sample(schema: &Json, indent: usize) -> String {
        let pad = "  ".repeat(indent + 1);
        match schema.get("type").and_then(Json::as_str) {
            Some("object") => {
                let properties = schema.get("properties").and_then(Json::as_object);
                let members: Vec<String> = properties
                    .into_iter()
                    .flatten()
                    .map(|(name, member)| format!("{pad}\"{name}\" : {}", sample(member, indent + 1)))
                    .collect();
                format!("{{\n{}\n{}}}", members.join(",\n"), "  ".repeat(indent))
            }
            Some("array") => {
                let item = schema
                    .get("items")
                    .map_or_else(|| "\"foo\"".to_owned(), |i| sample(i, indent + 1));
                format!("[ {item} ]")
            }
            Some("number") => "3.1415".to_owned(),
            Some("integer") => "42".to_owned(),
            Some("boolean") => "true".to_owned(),
            _ => "\"foo\"".to_owned(),
        }
    }
    format!("#set($inputRoot = $input.path('$'))\n{}", sample(schema, 0))
}

impl ApiGateway {
    pub(crate) async fn create_model(
        &self,
        ctx: &RequestContext,
        input: CreateModelRequest,
    ) -> Result<Model, AwsError> {
        check_name(&input.name)?;
        if input.content_type.contains("json") {
            check_schema(input.schema.as_deref())?;
        }
        let model = Model {
            id: Some(records::new_id(6)),
            name: Some(input.name.clone()),
            description: input.description.filter(|d| !d.is_empty()),
            schema: input.schema,
            content_type: Some(input.content_type),
        };
        let (name, answer) = (input.name, model.clone());
        self.change_api(ctx, (&input.rest_api_id, Missing::Api), move |record| {
            if record.models.contains_key(&name) {
                return Err(nimbus_apigateway_api::errors::conflict(
                    "Model name already exists for this REST API",
                ));
            }
            record.models.insert(name, model);
            Ok(())
        })
        .await?;
        Ok(answer)
    }

    async fn model(&self, ctx: &RequestContext, api: &str, name: &str) -> Result<Model, AwsError> {
        let record = self
            .load_api(ctx, api, Missing::Api)
            .await
            .map_err(|_| model_missing(name))?;
        record
            .models
            .get(name)
            .cloned()
            .ok_or_else(|| model_missing(name))
    }

    pub(crate) async fn get_model(
        &self,
        ctx: &RequestContext,
        input: GetModelRequest,
    ) -> Result<Model, AwsError> {
        self.model(ctx, &input.rest_api_id, &input.model_name).await
    }

    pub(crate) async fn get_models(
        &self,
        ctx: &RequestContext,
        input: GetModelsRequest,
    ) -> Result<Models, AwsError> {
        let record = self.load_api(ctx, &input.rest_api_id, Missing::Api).await?;
        let all: Vec<Model> = record.models.into_values().collect();
        let (items, position) = crate::paging::page(all, input.position.as_deref(), input.limit)?;
        Ok(Models {
            items: Some(items),
            position,
        })
    }

    pub(crate) async fn update_model(
        &self,
        ctx: &RequestContext,
        input: UpdateModelRequest,
    ) -> Result<Model, AwsError> {
        let ops = input.patch_operations.unwrap_or_default();
        let name = input.model_name;
        let missing = model_missing(&name);
        let unknown_api = model_missing(&name);
        self.change_api(ctx, (&input.rest_api_id, Missing::Api), move |record| {
            let model = record.models.get_mut(&name).ok_or(missing)?;
            let patched = patch::apply(model, &ops, MODEL, Wording::Listed)?;
            if patched
                .content_type
                .as_deref()
                .is_some_and(|t| t.contains("json"))
            {
                check_schema(patched.schema.as_deref())?;
            }
            *model = patched.clone();
            Ok(patched)
        })
        .await
        .map_err(|error| match error.status {
            404 => unknown_api,
            _ => error,
        })
    }

    pub(crate) async fn delete_model(
        &self,
        ctx: &RequestContext,
        input: DeleteModelRequest,
    ) -> Result<(), AwsError> {
        let name = input.model_name;
        let (missing, unknown_api) = (model_missing(&name), model_missing(&name));
        self.change_api(ctx, (&input.rest_api_id, Missing::Api), move |record| {
            if !record.models.contains_key(&name) {
                return Err(missing);
            }
            if let Some(place) = referenced_in(record, &name) {
                return Err(nimbus_apigateway_api::errors::conflict(format!(
                    "Cannot delete model '{name}', is referenced in method request: {place}"
                )));
            }
            record.models.shift_remove(&name);
            Ok(())
        })
        .await
        .map_err(|error| match error.status {
            404 => unknown_api,
            _ => error,
        })
    }

    pub(crate) async fn get_model_template(
        &self,
        ctx: &RequestContext,
        input: GetModelTemplateRequest,
    ) -> Result<Template, AwsError> {
        let model = self.model(ctx, &input.rest_api_id, &input.model_name).await?;
        let schema: Json =
            serde_json::from_str(model.schema.as_deref().unwrap_or("{}")).unwrap_or(Json::Null);
        Ok(Template {
            value: Some(template_of(&schema)),
        })
    }

    pub(crate) async fn create_request_validator(
        &self,
        ctx: &RequestContext,
        input: CreateRequestValidatorRequest,
    ) -> Result<RequestValidator, AwsError> {
        let validator = RequestValidator {
            id: Some(records::new_id(6)),
            name: input.name,
            validate_request_body: Some(input.validate_request_body.unwrap_or(false)),
            validate_request_parameters: Some(input.validate_request_parameters.unwrap_or(false)),
        };
        let answer = validator.clone();
        self.change_api(ctx, (&input.rest_api_id, Missing::Api), move |record| {
            let id = validator.id.clone().unwrap_or_default();
            record.request_validators.insert(id, validator);
            Ok(())
        })
        .await
        // API Gateway words this one missing API as a bad request.
        .map_err(|error| match error.status {
            404 => errors::bad_request("Invalid REST API identifier specified"),
            _ => error,
        })?;
        Ok(answer)
    }

    pub(crate) async fn get_request_validator(
        &self,
        ctx: &RequestContext,
        input: GetRequestValidatorRequest,
    ) -> Result<RequestValidator, AwsError> {
        let record = self
            .load_api(ctx, &input.rest_api_id, Missing::Api)
            .await
            .map_err(|_| validator_missing())?;
        let found = record.request_validators.get(&input.request_validator_id);
        found.cloned().ok_or_else(validator_missing)
    }

    pub(crate) async fn get_request_validators(
        &self,
        ctx: &RequestContext,
        input: GetRequestValidatorsRequest,
    ) -> Result<RequestValidators, AwsError> {
        let record = self.load_api(ctx, &input.rest_api_id, Missing::Api).await?;
        let all: Vec<RequestValidator> = record.request_validators.into_values().collect();
        let (items, position) = crate::paging::page(all, input.position.as_deref(), input.limit)?;
        Ok(RequestValidators {
            items: Some(items),
            position,
        })
    }

    pub(crate) async fn update_request_validator(
        &self,
        ctx: &RequestContext,
        input: UpdateRequestValidatorRequest,
    ) -> Result<RequestValidator, AwsError> {
        let ops = input.patch_operations.unwrap_or_default();
        let id = input.request_validator_id;
        self.change_api(ctx, (&input.rest_api_id, Missing::Api), move |record| {
            let validator = record
                .request_validators
                .get_mut(&id)
                .ok_or_else(validator_missing)?;
            let patched = patch::apply(validator, &ops, VALIDATOR, Wording::Listed)?;
            if patched.name.as_deref().is_none_or(str::is_empty) {
                return Err(errors::bad_request("Request Validator name cannot be blank"));
            }
            *validator = patched.clone();
            Ok(patched)
        })
        .await
    }

    pub(crate) async fn delete_request_validator(
        &self,
        ctx: &RequestContext,
        input: DeleteRequestValidatorRequest,
    ) -> Result<(), AwsError> {
        let id = input.request_validator_id;
        self.change_api(ctx, (&input.rest_api_id, Missing::Api), move |record| {
            record
                .request_validators
                .shift_remove(&id)
                .map(|_| ())
                .ok_or_else(validator_missing)
        })
        .await
        .map_err(|error| match error.status {
            404 => validator_missing(),
            _ => error,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn schemas_must_be_draft_4_json_with_something_in_them() {
        assert!(check_schema(Some("{\"type\": \"object\", \"required\": [\"a\"]}")).is_ok());
        let message = |schema| check_schema(schema).unwrap_err().message;
        assert_eq!(
            message(None),
            "Model schema must have at least 1 property or array items defined"
        );
        assert_eq!(
            message(Some("{\"type\": ")),
            "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified]"
        );
        assert!(message(Some("{\"type\": 7}")).starts_with("Invalid model specified"));
    }

    #[test]
    fn a_models_template_has_a_sample_of_each_member() {
        let schema =
            json!({"type": "object", "properties": {"a": {"type": "number"}, "op": {"type": "string"}}});
        assert_eq!(
            template_of(&schema),
            "#set($inputRoot = $input.path('$'))\n{\n  \"a\" : 3.1415,\n  \"op\" : \"foo\"\n}"
        );
    }
}
