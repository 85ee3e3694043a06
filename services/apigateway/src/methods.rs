//! Methods of resources and their method responses.

use nimbus_apigateway_api::*;
use nimbus_core::{AwsError, RequestContext};

use crate::ApiGateway;
use crate::apis::Missing;
use crate::errors;
use crate::records::ApiRecord;

const VERBS: [&str; 8] = ["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY"];

/// The method `verb` of resource `resource_id`.
pub(crate) fn method_mut<'r>(
    record: &'r mut ApiRecord,
    resource_id: &str,
    verb: &str,
) -> Result<&'r mut Method, AwsError> {
    record
        .resources
        .get_mut(resource_id)
        .ok_or_else(errors::resource_missing)?
        .resource_methods
        .as_mut()
        .and_then(|methods| methods.get_mut(verb))
        .ok_or_else(errors::method_missing)
}

/// A method's identity in an input: its API (a missing one is a missing
/// resource, as AWS words it), resource and verb.
pub(crate) struct MethodRef {
    pub api: String,
    pub resource: String,
    pub verb: String,
}

impl MethodRef {
    pub(crate) fn new(api: String, resource: String, verb: String) -> Self {
        MethodRef { api, resource, verb }
    }
}

impl ApiGateway {
    /// Changes one method in one transaction.
    pub(crate) async fn change_method<T: Send + 'static>(
        &self,
        ctx: &RequestContext,
        at: MethodRef,
        change: impl FnOnce(&mut Method) -> Result<T, AwsError> + Send + 'static,
    ) -> Result<T, AwsError> {
        self.change_api(ctx, (&at.api, Missing::Resource), move |record| {
            change(method_mut(record, &at.resource, &at.verb)?)
        })
        .await
    }

    /// One method, read.
    pub(crate) async fn method(&self, ctx: &RequestContext, at: &MethodRef) -> Result<Method, AwsError> {
        let mut record = self.load_api(ctx, &at.api, Missing::Resource).await?;
        method_mut(&mut record, &at.resource, &at.verb).cloned()
    }

    pub(crate) async fn put_method(
        &self,
        ctx: &RequestContext,
        input: PutMethodRequest,
    ) -> Result<Method, AwsError> {
        if !VERBS.contains(&input.http_method.as_str()) {
            return Err(errors::bad_request(
                "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY",
            ));
        }
        let needs_authorizer = matches!(input.authorization_type.as_str(), "CUSTOM" | "COGNITO_USER_POOLS");
        if needs_authorizer && input.authorizer_id.is_none() {
            return Err(errors::bad_request(
                "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer.",
            ));
        }
        let method = Method {
            http_method: Some(input.http_method.clone()),
            authorization_type: Some(input.authorization_type),
            authorizer_id: input.authorizer_id,
            api_key_required: Some(input.api_key_required.unwrap_or(false)),
            request_validator_id: input.request_validator_id,
            operation_name: input.operation_name,
            request_parameters: input.request_parameters.filter(|p| !p.is_empty()),
            request_models: input.request_models.filter(|m| !m.is_empty()),
            authorization_scopes: input.authorization_scopes,
            ..Default::default()
        };
        let (resource, verb, answer) = (input.resource_id, input.http_method, method.clone());
        self.change_api(ctx, (&input.rest_api_id, Missing::Resource), move |record| {
            let authorizer = method.authorizer_id.as_deref();
            if needs_authorizer && !authorizer.is_some_and(|id| record.authorizers.contains_key(id)) {
                return Err(errors::bad_request(
                    "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer.",
                ));
            }
            if let Some(id) = method.request_validator_id.as_deref()
                && !record.request_validators.contains_key(id)
            {
                return Err(errors::bad_request("Invalid Request Validator identifier specified"));
            }
            crate::models::check_models(record, method.request_models.iter().flat_map(|m| m.values()))?;
            let target = record
                .resources
                .get_mut(&resource)
                .ok_or_else(errors::resource_missing)?;
            let methods = target.resource_methods.get_or_insert_default();
            if methods.contains_key(&verb) {
                return Err(nimbus_apigateway_api::errors::conflict(
                    "Method already exists for this resource",
                ));
            }
            methods.insert(verb, method);
            Ok(())
        })
        .await?;
        Ok(answer)
    }

    pub(crate) async fn get_method(
        &self,
        ctx: &RequestContext,
        input: GetMethodRequest,
    ) -> Result<Method, AwsError> {
        self.method(
            ctx,
            &MethodRef::new(input.rest_api_id, input.resource_id, input.http_method),
        )
        .await
    }

    pub(crate) async fn delete_method(
        &self,
        ctx: &RequestContext,
        input: DeleteMethodRequest,
    ) -> Result<(), AwsError> {
        let (resource, verb) = (input.resource_id, input.http_method);
        self.change_api(ctx, (&input.rest_api_id, Missing::Resource), move |record| {
            let target = record
                .resources
                .get_mut(&resource)
                .ok_or_else(errors::resource_missing)?;
            let removed = target
                .resource_methods
                .as_mut()
                .and_then(|methods| methods.shift_remove(&verb));
            removed.map(|_| ()).ok_or_else(errors::method_missing)
        })
        .await
    }

    pub(crate) async fn put_method_response(
        &self,
        ctx: &RequestContext,
        input: PutMethodResponseRequest,
    ) -> Result<MethodResponse, AwsError> {
        let response = MethodResponse {
            status_code: Some(input.status_code.clone()),
            response_parameters: input.response_parameters.filter(|p| !p.is_empty()),
            response_models: input.response_models.filter(|m| !m.is_empty()),
        };
        let (status, answer) = (input.status_code, response.clone());
        let at = MethodRef::new(input.rest_api_id, input.resource_id, input.http_method);
        self.change_method(ctx, at, move |method| {
            method
                .method_responses
                .get_or_insert_default()
                .insert(status, response);
            Ok(())
        })
        .await?;
        Ok(answer)
    }

    pub(crate) async fn get_method_response(
        &self,
        ctx: &RequestContext,
        input: GetMethodResponseRequest,
    ) -> Result<MethodResponse, AwsError> {
        let at = MethodRef::new(input.rest_api_id, input.resource_id, input.http_method);
        let method = self.method(ctx, &at).await?;
        method
            .method_responses
            .and_then(|mut responses| responses.shift_remove(&input.status_code))
            .ok_or_else(errors::response_missing)
    }

    pub(crate) async fn delete_method_response(
        &self,
        ctx: &RequestContext,
        input: DeleteMethodResponseRequest,
    ) -> Result<(), AwsError> {
        let at = MethodRef::new(input.rest_api_id, input.resource_id, input.http_method);
        let status = input.status_code;
        self.change_method(ctx, at, move |method| {
            let removed = method
                .method_responses
                .as_mut()
                .and_then(|responses| responses.shift_remove(&status));
            removed.map(|_| ()).ok_or_else(errors::response_missing)
        })
        .await
    }
}
