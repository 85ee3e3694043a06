//! Authorizers of REST APIs: Lambda authorizers (TOKEN, REQUEST) and
//! Cognito user pool ones (stored), kept in the API's record so that a
//! deployment freezes them with the methods that name them.

use nimbus_apigateway_api::*;
use nimbus_core::{AwsError, RequestContext};

use crate::ApiGateway;
use crate::apis::Missing;
use crate::errors;
use crate::records;

pub fn authorizer_missing() -> AwsError {
    nimbus_apigateway_api::errors::not_found("Invalid Authorizer identifier specified")
}

fn check(input: &CreateAuthorizerRequest) -> Result<(), AwsError> {
    match input.r#type.as_str() {
        "TOKEN" | "REQUEST" if input.authorizer_uri.as_deref().is_none_or(str::is_empty) => Err(
            errors::bad_request("Authorizer URI must be specified for authorizer of type TOKEN or REQUEST"),
        ),
        "TOKEN" if input.identity_source.as_deref().is_none_or(str::is_empty) => Err(errors::bad_request(
            "Identity Source must be specified for authorizer of type TOKEN",
        )),
        "COGNITO_USER_POOLS" if input.provider_ar_ns.as_ref().is_none_or(Vec::is_empty) => Err(
            errors::bad_request("ProviderARNs must be specified for authorizer of type COGNITO_USER_POOLS"),
        ),
        _ => Ok(()),
    }
}

impl ApiGateway {
    pub(crate) async fn create_authorizer(
        &self,
        ctx: &RequestContext,
        input: CreateAuthorizerRequest,
    ) -> Result<Authorizer, AwsError> {
        check(&input)?;
        let ttl = input.authorizer_result_ttl_in_seconds.unwrap_or(300);
        if !(0..=3600).contains(&ttl) {
            return Err(errors::bad_request(
                "Authorizer result TTL must be between 0 and 3600 seconds",
            ));
        }
        let authorizer = Authorizer {
            id: Some(records::new_id(6)),
            name: Some(input.name),
            r#type: Some(input.r#type),
            provider_ar_ns: input.provider_ar_ns,
            auth_type: input.auth_type,
            authorizer_uri: input.authorizer_uri,
            authorizer_credentials: input.authorizer_credentials,
            identity_source: input.identity_source,
            identity_validation_expression: input.identity_validation_expression,
            authorizer_result_ttl_in_seconds: Some(ttl),
        };
        let answer = authorizer.clone();
        self.change_api(ctx, (&input.rest_api_id, Missing::Api), move |record| {
            let id = authorizer.id.clone().unwrap_or_default();
            record.authorizers.insert(id, authorizer);
            Ok(())
        })
        .await?;
        Ok(answer)
    }

    pub(crate) async fn get_authorizer(
        &self,
        ctx: &RequestContext,
        input: GetAuthorizerRequest,
    ) -> Result<Authorizer, AwsError> {
        let record = self.load_api(ctx, &input.rest_api_id, Missing::Api).await?;
        record
            .authorizers
            .get(&input.authorizer_id)
            .cloned()
            .ok_or_else(authorizer_missing)
    }

    pub(crate) async fn get_authorizers(
        &self,
        ctx: &RequestContext,
        input: GetAuthorizersRequest,
    ) -> Result<Authorizers, AwsError> {
        let record = self.load_api(ctx, &input.rest_api_id, Missing::Api).await?;
        let all: Vec<Authorizer> = record.authorizers.into_values().collect();
        let (items, position) = crate::paging::page(all, input.position.as_deref(), input.limit)?;
        Ok(Authorizers {
            items: Some(items),
            position,
        })
    }

    pub(crate) async fn delete_authorizer(
        &self,
        ctx: &RequestContext,
        input: DeleteAuthorizerRequest,
    ) -> Result<(), AwsError> {
        let id = input.authorizer_id;
        self.change_api(ctx, (&input.rest_api_id, Missing::Api), move |record| {
            let in_use = record
                .resources
                .values()
                .filter_map(|r| r.resource_methods.as_ref())
                .flat_map(|methods| methods.values())
                .any(|m| m.authorizer_id.as_deref() == Some(id.as_str()));
            if in_use {
                return Err(nimbus_apigateway_api::errors::conflict(
                    "Cannot delete authorizer, is referenced in method",
                ));
            }
            record
                .authorizers
                .shift_remove(&id)
                .map(|_| ())
                .ok_or_else(authorizer_missing)
        })
        .await
    }
}
