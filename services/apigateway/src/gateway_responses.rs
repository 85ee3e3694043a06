//! Gateway responses: how a REST API words the answers API Gateway gives
//! itself (a missing route, a refused key, a throttle, a failing
//! integration), by response type, with DEFAULT_4XX and DEFAULT_5XX behind
//! the others. Kept in the API's record and frozen by deployments.

use indexmap::IndexMap;
use nimbus_apigateway_api::*;
use nimbus_core::{AwsError, RequestContext};

use crate::ApiGateway;
use crate::apis::Missing;

/// Every type and the status it answers with by default.
pub const TYPES: [(&str, Option<&str>); 21] = [
    ("DEFAULT_4XX", None),
    ("DEFAULT_5XX", None),
    ("RESOURCE_NOT_FOUND", Some("404")),
    ("UNAUTHORIZED", Some("401")),
    ("INVALID_API_KEY", Some("403")),
    ("ACCESS_DENIED", Some("403")),
    ("AUTHORIZER_FAILURE", Some("500")),
    ("AUTHORIZER_CONFIGURATION_ERROR", Some("500")),
    ("INVALID_SIGNATURE", Some("403")),
    ("EXPIRED_TOKEN", Some("403")),
    ("MISSING_AUTHENTICATION_TOKEN", Some("403")),
    ("INTEGRATION_FAILURE", Some("504")),
    ("INTEGRATION_TIMEOUT", Some("504")),
    ("API_CONFIGURATION_ERROR", Some("500")),
    ("UNSUPPORTED_MEDIA_TYPE", Some("415")),
    ("BAD_REQUEST_PARAMETERS", Some("400")),
    ("BAD_REQUEST_BODY", Some("400")),
    ("REQUEST_TOO_LARGE", Some("413")),
    ("THROTTLED", Some("429")),
    ("QUOTA_EXCEEDED", Some("429")),
    ("WAF_FILTERED", Some("403")),
];

/// A type's answer when the API has not changed it.
pub(crate) fn default_response(kind: &str) -> GatewayResponse {
    let status = TYPES.iter().find(|(t, _)| *t == kind).and_then(|(_, s)| *s);
    let mut templates = IndexMap::new();
    templates.insert(
        "application/json".to_owned(),
        "{\"message\":$context.error.messageString}".to_owned(),
    );
    GatewayResponse {
        response_type: Some(kind.to_owned()),
        status_code: status.map(str::to_owned),
        response_parameters: Some(IndexMap::new()),
        response_templates: Some(templates),
        default_response: Some(true),
    }
}

pub(crate) fn type_missing() -> AwsError {
    nimbus_apigateway_api::errors::not_found("Invalid Gateway Response type specified")
}

impl ApiGateway {
    pub(crate) async fn put_gateway_response(
        &self,
        ctx: &RequestContext,
        input: PutGatewayResponseRequest,
    ) -> Result<GatewayResponse, AwsError> {
        let response = GatewayResponse {
            response_type: Some(input.response_type.clone()),
            status_code: input.status_code,
            response_parameters: Some(input.response_parameters.unwrap_or_default()),
            response_templates: Some(input.response_templates.unwrap_or_default()),
            default_response: Some(false),
        };
        let (kind, answer) = (input.response_type, response.clone());
        self.change_api(ctx, (&input.rest_api_id, Missing::Api), move |record| {
            record.gateway_responses.insert(kind, response);
            Ok(())
        })
        .await?;
        Ok(answer)
    }

    pub(crate) async fn get_gateway_response(
        &self,
        ctx: &RequestContext,
        input: GetGatewayResponseRequest,
    ) -> Result<GatewayResponse, AwsError> {
        let record = self.load_api(ctx, &input.rest_api_id, Missing::Api).await?;
        match record.gateway_responses.get(&input.response_type) {
            Some(response) => Ok(response.clone()),
            None if TYPES.iter().any(|(t, _)| *t == input.response_type) => {
                Ok(default_response(&input.response_type))
            }
            None => Err(type_missing()),
        }
    }

    pub(crate) async fn get_gateway_responses(
        &self,
        ctx: &RequestContext,
        input: GetGatewayResponsesRequest,
    ) -> Result<GatewayResponses, AwsError> {
        let record = self.load_api(ctx, &input.rest_api_id, Missing::Api).await?;
        let all: Vec<GatewayResponse> = TYPES
            .iter()
            .map(|(kind, _)| {
                record
                    .gateway_responses
                    .get(*kind)
                    .cloned()
                    .unwrap_or_else(|| default_response(kind))
            })
            .collect();
        let (items, position) = crate::paging::page(all, input.position.as_deref(), input.limit)?;
        Ok(GatewayResponses {
            items: Some(items),
            position,
        })
    }

    pub(crate) async fn delete_gateway_response(
        &self,
        ctx: &RequestContext,
        input: DeleteGatewayResponseRequest,
    ) -> Result<(), AwsError> {
        let kind = input.response_type;
        self.change_api(ctx, (&input.rest_api_id, Missing::Api), move |record| {
            record
                .gateway_responses
                .shift_remove(&kind)
                .map(|_| ())
                .ok_or_else(type_missing)
        })
        .await
    }
}
