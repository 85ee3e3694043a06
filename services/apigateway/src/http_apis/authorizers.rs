//! Authorizers of HTTP APIs: JWT authorizers (issuer and audiences), kept
//! in the API's record.

use nimbus_apigatewayv2_api::errors::{bad_request, conflict, not_found};
use nimbus_apigatewayv2_api::*;
use nimbus_core::{AwsError, RequestContext};

use super::convert;
use crate::ApiGateway;
use crate::records;

fn missing(id: &str) -> AwsError {
    not_found(format!("Invalid Authorizer identifier specified {id}"))
}

impl ApiGateway {
    pub(crate) async fn create_authorizer_v2(
        &self,
        ctx: &RequestContext,
        input: CreateAuthorizerRequest,
    ) -> Result<CreateAuthorizerResponse, AwsError> {
        match input.authorizer_type.as_str() {
            "JWT" => {
                let config = input.jwt_configuration.clone().unwrap_or_default();
                if config.issuer.as_deref().is_none_or(str::is_empty)
                    || config.audience.as_ref().is_none_or(Vec::is_empty)
                {
                    return Err(bad_request(
                        "JwtConfiguration must name an Issuer and at least one Audience",
                    ));
                }
            }
            "REQUEST" => {
                if input.authorizer_uri.as_deref().is_none_or(str::is_empty) {
                    return Err(bad_request("AuthorizerUri is required for REQUEST authorizers"));
                }
                let version = input.authorizer_payload_format_version.as_deref();
                if !matches!(version, Some("1.0" | "2.0")) {
                    return Err(bad_request(
                        "AuthorizerPayloadFormatVersion must be 1.0 or 2.0 for REQUEST authorizers",
                    ));
                }
                if input.enable_simple_responses == Some(true) && version != Some("2.0") {
                    return Err(bad_request(
                        "Simple responses need AuthorizerPayloadFormatVersion 2.0",
                    ));
                }
            }
            other => {
                return Err(bad_request(format!(
                    "nimbus serves JWT and REQUEST authorizers of HTTP APIs, not {other} ones"
                )));
            }
        }
        let authorizer = Authorizer {
            authorizer_id: Some(records::new_id(6)),
            authorizer_type: Some(input.authorizer_type),
            identity_source: Some(input.identity_source),
            jwt_configuration: input.jwt_configuration,
            authorizer_uri: input.authorizer_uri,
            authorizer_payload_format_version: input.authorizer_payload_format_version,
            enable_simple_responses: input.enable_simple_responses,
            authorizer_result_ttl_in_seconds: input.authorizer_result_ttl_in_seconds,
            name: input.name,
            ..Default::default()
        };
        self.change_http_api(ctx, &input.api_id, move |record| {
            record.authorizers.insert(
                authorizer.authorizer_id.clone().unwrap_or_default(),
                authorizer.clone(),
            );
            Ok(convert(&authorizer))
        })
        .await
    }

    pub(crate) async fn get_authorizer_v2(
        &self,
        ctx: &RequestContext,
        input: GetAuthorizerRequest,
    ) -> Result<GetAuthorizerResponse, AwsError> {
        let record = self.http_api(ctx, &input.api_id).await?;
        let found = record
            .authorizers
            .get(&input.authorizer_id)
            .ok_or_else(|| missing(&input.authorizer_id))?;
        Ok(convert(found))
    }

    pub(crate) async fn get_authorizers_v2(
        &self,
        ctx: &RequestContext,
        input: GetAuthorizersRequest,
    ) -> Result<GetAuthorizersResponse, AwsError> {
        let record = self.http_api(ctx, &input.api_id).await?;
        Ok(GetAuthorizersResponse {
            items: Some(record.authorizers.into_values().collect()),
            next_token: None,
        })
    }

    pub(crate) async fn delete_authorizer_v2(
        &self,
        ctx: &RequestContext,
        input: DeleteAuthorizerRequest,
    ) -> Result<(), AwsError> {
        let id = input.authorizer_id;
        self.change_http_api(ctx, &input.api_id, move |record| {
            if record
                .routes
                .values()
                .any(|r| r.authorizer_id.as_deref() == Some(id.as_str()))
            {
                return Err(conflict(format!(
                    "Authorizer {id} is used by a route and cannot be deleted"
                )));
            }
            record
                .authorizers
                .shift_remove(&id)
                .map(|_| ())
                .ok_or_else(|| missing(&id))
        })
        .await
    }
}
