//! Integrations of methods (what a method calls: MOCK, a Lambda function
//! through AWS_PROXY, an HTTP endpoint) and their integration responses.

use nimbus_apigateway_api::*;
use nimbus_core::{AwsError, RequestContext};

use crate::ApiGateway;
use crate::errors;
use crate::methods::MethodRef;

/// Checks an integration as PutIntegration does.
fn check(input: &PutIntegrationRequest) -> Result<(), AwsError> {
    let kind = input.r#type.as_str();
    if kind == "MOCK" {
        return Ok(());
    }
    if input.integration_http_method.as_deref().is_none_or(str::is_empty) {
        return Err(errors::bad_request(
            "Enumeration value for HttpMethod must be non-empty",
        ));
    }
    let uri = input.uri.as_deref().unwrap_or_default();
    if uri.is_empty() {
        return Err(errors::bad_request(
            "Invalid integration URI specified: the URI is required for this integration type",
        ));
    }
    let lambda = uri.starts_with("arn:aws:apigateway:") && uri.contains(":lambda:path/");
    if kind == "AWS_PROXY" && !lambda {
        return Err(errors::bad_request(
            "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations.",
        ));
    }
    let http = matches!(kind, "HTTP" | "HTTP_PROXY");
    if http && !(uri.starts_with("http://") || uri.starts_with("https://")) {
        return Err(errors::bad_request(format!(
            "Invalid HTTP endpoint specified for URI: {uri}"
        )));
    }
    Ok(())
}

impl ApiGateway {
    pub(crate) async fn put_integration(
        &self,
        ctx: &RequestContext,
        input: PutIntegrationRequest,
    ) -> Result<Integration, AwsError> {
        check(&input)?;
        let http = matches!(input.r#type.as_str(), "HTTP" | "HTTP_PROXY");
        let integration = Integration {
            r#type: Some(input.r#type.clone()),
            http_method: input.integration_http_method.clone(),
            uri: input.uri.clone(),
            connection_type: input
                .connection_type
                .clone()
                .or_else(|| http.then(|| "INTERNET".to_owned())),
            connection_id: input.connection_id.clone(),
            credentials: input.credentials.clone(),
            request_parameters: input.request_parameters.clone().filter(|p| !p.is_empty()),
            request_templates: input.request_templates.clone().filter(|t| !t.is_empty()),
            passthrough_behavior: Some(
                input
                    .passthrough_behavior
                    .clone()
                    .unwrap_or_else(|| "WHEN_NO_MATCH".to_owned()),
            ),
            content_handling: input.content_handling.clone(),
            timeout_in_millis: Some(input.timeout_in_millis.unwrap_or(29_000)),
            cache_namespace: Some(
                input
                    .cache_namespace
                    .clone()
                    .unwrap_or_else(|| input.resource_id.clone()),
            ),
            cache_key_parameters: Some(input.cache_key_parameters.clone().unwrap_or_default()),
            tls_config: input.tls_config.clone(),
            ..Default::default()
        };
        let at = MethodRef::new(input.rest_api_id, input.resource_id, input.http_method);
        let answer = integration.clone();
        self.change_method(ctx, at, move |method| {
            method.method_integration = Some(integration);
            Ok(())
        })
        .await?;
        Ok(answer)
    }

    pub(crate) async fn get_integration(
        &self,
        ctx: &RequestContext,
        input: GetIntegrationRequest,
    ) -> Result<Integration, AwsError> {
        let at = MethodRef::new(input.rest_api_id, input.resource_id, input.http_method);
        let method = self.method(ctx, &at).await?;
        method.method_integration.ok_or_else(errors::integration_missing)
    }

    pub(crate) async fn delete_integration(
        &self,
        ctx: &RequestContext,
        input: DeleteIntegrationRequest,
    ) -> Result<(), AwsError> {
        let at = MethodRef::new(input.rest_api_id, input.resource_id, input.http_method);
        self.change_method(ctx, at, |method| {
            method
                .method_integration
                .take()
                .map(|_| ())
                .ok_or_else(errors::integration_missing)
        })
        .await
    }

    pub(crate) async fn put_integration_response(
        &self,
        ctx: &RequestContext,
        input: PutIntegrationResponseRequest,
    ) -> Result<IntegrationResponse, AwsError> {
        let response = IntegrationResponse {
            status_code: Some(input.status_code.clone()),
            selection_pattern: input.selection_pattern,
            response_parameters: input.response_parameters.filter(|p| !p.is_empty()),
            response_templates: input.response_templates.filter(|t| !t.is_empty()),
            content_handling: input.content_handling,
        };
        let (status, answer) = (input.status_code, response.clone());
        let at = MethodRef::new(input.rest_api_id, input.resource_id, input.http_method);
        self.change_method(ctx, at, move |method| {
            let integration = method
                .method_integration
                .as_mut()
                .ok_or_else(errors::integration_missing)?;
            integration
                .integration_responses
                .get_or_insert_default()
                .insert(status, response);
            Ok(())
        })
        .await?;
        Ok(answer)
    }

    pub(crate) async fn get_integration_response(
        &self,
        ctx: &RequestContext,
        input: GetIntegrationResponseRequest,
    ) -> Result<IntegrationResponse, AwsError> {
        let at = MethodRef::new(input.rest_api_id, input.resource_id, input.http_method);
        let integration = self
            .method(ctx, &at)
            .await?
            .method_integration
            .ok_or_else(errors::integration_missing)?;
        integration
            .integration_responses
            .and_then(|mut responses| responses.shift_remove(&input.status_code))
            .ok_or_else(errors::response_missing)
    }

    pub(crate) async fn delete_integration_response(
        &self,
        ctx: &RequestContext,
        input: DeleteIntegrationResponseRequest,
    ) -> Result<(), AwsError> {
        let at = MethodRef::new(input.rest_api_id, input.resource_id, input.http_method);
        let status = input.status_code;
        self.change_method(ctx, at, move |method| {
            let integration = method
                .method_integration
                .as_mut()
                .ok_or_else(errors::integration_missing)?;
            let removed = integration
                .integration_responses
                .as_mut()
                .and_then(|responses| responses.shift_remove(&status));
            removed.map(|_| ()).ok_or_else(errors::response_missing)
        })
        .await
    }
}
