//! The Update* operations of what lives in an API's record (methods and
//! their responses, integrations and theirs, authorizers, gateway
//! responses) and of deployments: each a table of the paths API Gateway
//! lets a patch change, applied by [`patch`] in one transaction, then the
//! checks PutMethod and the others make on the result.

use nimbus_apigateway_api::*;
use nimbus_core::{AwsError, RequestContext};

use crate::ApiGateway;
use crate::apis::Missing;
use crate::authorizers::authorizer_missing;
use crate::errors;
use crate::gateway_responses;
use crate::methods::{MethodRef, method_mut};
use crate::patch::{self, Kind, Rule, Wording, entries, replace, set};
use crate::records::ApiRecord;

const METHOD: &[Rule] = &[
    replace("/authorizationType", Kind::Text),
    replace("/authorizerId", Kind::Text),
    replace("/apiKeyRequired", Kind::Flag),
    replace("/operationName", Kind::Text),
    replace("/requestValidatorId", Kind::Text),
    set("/authorizationScopes"),
    entries("/requestParameters", Kind::Flag),
    entries("/requestModels", Kind::Text),
];

const METHOD_RESPONSE: &[Rule] = &[
    entries("/responseModels", Kind::Text),
    entries("/responseParameters", Kind::Flag),
];

const INTEGRATION: &[Rule] = &[
    set("/cacheKeyParameters"),
    replace("/cacheNamespace", Kind::Text),
    replace("/connectionId", Kind::Text),
    replace("/connectionType", Kind::Text),
    replace("/contentHandling", Kind::Text),
    replace("/credentials", Kind::Text),
    replace("/passthroughBehavior", Kind::Text),
    replace("/timeoutInMillis", Kind::Integer),
    replace("/tlsConfig/insecureSkipVerification", Kind::Flag),
    replace("/httpMethod", Kind::Text),
    replace("/uri", Kind::Text),
    entries("/requestParameters", Kind::Text),
    entries("/requestTemplates", Kind::Text),
];

const INTEGRATION_RESPONSE: &[Rule] = &[
    replace("/contentHandling", Kind::Text),
    replace("/selectionPattern", Kind::Text),
    entries("/responseParameters", Kind::Text),
    entries("/responseTemplates", Kind::Text),
];

const AUTHORIZER: &[Rule] = &[
    replace("/authorizerUri", Kind::Text),
    replace("/authorizerCredentials", Kind::Text),
    replace("/authorizerResultTtlInSeconds", Kind::Integer),
    replace("/authType", Kind::Text),
    replace("/identityValidationExpression", Kind::Text),
    replace("/identitySource", Kind::Text),
    replace("/name", Kind::Text),
    replace("/type", Kind::Text),
    set("/providerARNs"),
];

const GATEWAY_RESPONSE: &[Rule] = &[
    replace("/statusCode", Kind::Text),
    entries("/responseParameters", Kind::Text),
    entries("/responseTemplates", Kind::Text),
];

const DEPLOYMENT: &[Rule] = &[replace("/description", Kind::Text)];

fn operations(given: Option<Vec<PatchOperation>>) -> Vec<PatchOperation> {
    given.unwrap_or_default()
}

/// What a method must hold after a patch, as PutMethod checks it: a
/// valid authorizer for CUSTOM and Cognito methods (an authorizer id is
/// dropped from the others), existing validator and models.
fn check_method(record: &ApiRecord, method: &mut Method) -> Result<(), AwsError> {
    let kind = method.authorization_type.as_deref().unwrap_or("NONE");
    if matches!(kind, "CUSTOM" | "COGNITO_USER_POOLS") {
        let known = method
            .authorizer_id
            .as_deref()
            .is_some_and(|id| record.authorizers.contains_key(id));
        if !known {
            return Err(errors::bad_request(
                "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer.",
            ));
        }
    } else {
        method.authorizer_id = None;
    }
    if let Some(id) = method.request_validator_id.as_deref()
        && !record.request_validators.contains_key(id)
    {
        return Err(errors::bad_request(
            "Invalid Request Validator identifier specified",
        ));
    }
    crate::models::check_models(record, method.request_models.iter().flat_map(|m| m.values()))
}

impl ApiGateway {
    pub(crate) async fn update_method(
        &self,
        ctx: &RequestContext,
        input: UpdateMethodRequest,
    ) -> Result<Method, AwsError> {
        let ops = operations(input.patch_operations);
        let (resource, verb) = (input.resource_id, input.http_method);
        self.change_api(ctx, (&input.rest_api_id, Missing::Resource), move |record| {
            let method = method_mut(record, &resource, &verb)?;
            let mut patched = patch::apply(method, &ops, METHOD, Wording::Bare)?;
            check_method(record, &mut patched)?;
            *method_mut(record, &resource, &verb)? = patched.clone();
            Ok(patched)
        })
        .await
    }

    pub(crate) async fn update_method_response(
        &self,
        ctx: &RequestContext,
        input: UpdateMethodResponseRequest,
    ) -> Result<MethodResponse, AwsError> {
        let ops = operations(input.patch_operations);
        let status = input.status_code;
        let at = MethodRef::new(input.rest_api_id, input.resource_id, input.http_method);
        self.change_method(ctx, at, move |method| {
            let response = method
                .method_responses
                .as_mut()
                .and_then(|responses| responses.get_mut(&status))
                .ok_or_else(errors::response_missing)?;
            *response = patch::apply(response, &ops, METHOD_RESPONSE, Wording::Bare)?;
            Ok(response.clone())
        })
        .await
    }

    pub(crate) async fn update_integration(
        &self,
        ctx: &RequestContext,
        input: UpdateIntegrationRequest,
    ) -> Result<Integration, AwsError> {
        let ops = operations(input.patch_operations);
        let at = MethodRef::new(input.rest_api_id, input.resource_id, input.http_method);
        self.change_method(ctx, at, move |method| {
            let integration = method
                .method_integration
                .as_mut()
                .ok_or_else(errors::integration_missing)?;
            let is_mock = integration.r#type.as_deref() == Some("MOCK");
            let names_backend =
                |op: &PatchOperation| matches!(op.path.as_deref(), Some("/uri" | "/httpMethod"));
            if is_mock && let Some(op) = ops.iter().find(|op| names_backend(op)) {
                return Err(errors::bad_request(format!(
                    "Invalid patch path {}",
                    op.path.as_deref().unwrap_or_default()
                )));
            }
            *integration = patch::apply(integration, &ops, INTEGRATION, Wording::Bare)?;
            Ok(integration.clone())
        })
        .await
    }

    pub(crate) async fn update_integration_response(
        &self,
        ctx: &RequestContext,
        input: UpdateIntegrationResponseRequest,
    ) -> Result<IntegrationResponse, AwsError> {
        let ops = operations(input.patch_operations);
        let status = input.status_code;
        let at = MethodRef::new(input.rest_api_id, input.resource_id, input.http_method);
        self.change_method(ctx, at, move |method| {
            let response = method
                .method_integration
                .as_mut()
                .ok_or_else(errors::integration_missing)?
                .integration_responses
                .as_mut()
                .and_then(|responses| responses.get_mut(&status))
                .ok_or_else(errors::response_missing)?;
            *response = patch::apply(response, &ops, INTEGRATION_RESPONSE, Wording::Bare)?;
            Ok(response.clone())
        })
        .await
    }

    pub(crate) async fn update_authorizer(
        &self,
        ctx: &RequestContext,
        input: UpdateAuthorizerRequest,
    ) -> Result<Authorizer, AwsError> {
        let ops = operations(input.patch_operations);
        let id = input.authorizer_id;
        self.change_api(ctx, (&input.rest_api_id, Missing::Api), move |record| {
            let authorizer = record.authorizers.get_mut(&id).ok_or_else(authorizer_missing)?;
            let patched = patch::apply(authorizer, &ops, AUTHORIZER, Wording::Bare)?;
            if !(0..=3600).contains(&patched.authorizer_result_ttl_in_seconds.unwrap_or(0)) {
                return Err(errors::bad_request(
                    "Authorizer result TTL must be between 0 and 3600 seconds",
                ));
            }
            *authorizer = patched.clone();
            Ok(patched)
        })
        .await
    }

    pub(crate) async fn update_gateway_response(
        &self,
        ctx: &RequestContext,
        input: UpdateGatewayResponseRequest,
    ) -> Result<GatewayResponse, AwsError> {
        let ops = operations(input.patch_operations);
        let kind = input.response_type;
        self.change_api(ctx, (&input.rest_api_id, Missing::Api), move |record| {
            // Changing a default response makes it the API's own.
            let current = match record.gateway_responses.get(&kind) {
                Some(response) => response.clone(),
                None if gateway_responses::TYPES.iter().any(|(t, _)| *t == kind) => {
                    gateway_responses::default_response(&kind)
                }
                None => return Err(gateway_responses::type_missing()),
            };
            let mut patched = patch::apply(&current, &ops, GATEWAY_RESPONSE, Wording::Bare)?;
            patched.default_response = Some(false);
            record.gateway_responses.insert(kind, patched.clone());
            Ok(patched)
        })
        .await
    }

    pub(crate) async fn update_deployment(
        &self,
        ctx: &RequestContext,
        input: UpdateDeploymentRequest,
    ) -> Result<Deployment, AwsError> {
        let ops = operations(input.patch_operations);
        let changed = self
            .change_deployment(ctx, &input.rest_api_id, &input.deployment_id, move |record| {
                record.deployment = patch::apply(&record.deployment, &ops, DEPLOYMENT, Wording::Bare)?;
                Ok(())
            })
            .await?;
        Ok(changed.deployment)
    }
}
