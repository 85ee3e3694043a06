//! The Update* operations of HTTP APIs: each member the request gives
//! replaces the stored one (members it leaves out stay), then the checks
//! the Create* operation makes hold the result to the same rules.

use nimbus_apigatewayv2_api::errors::not_found;
use nimbus_apigatewayv2_api::*;
use nimbus_core::{AwsError, RequestContext};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use super::parts::{check_authorizer, check_mappings, check_route_key, check_target};
use super::{HttpApiRecord, convert};
use crate::ApiGateway;
use crate::records;

/// `stored` with every member `update` gives (the path's own members,
/// `keep`, left alone).
fn merged<S, U>(stored: &S, update: &U, keep: &[&str]) -> Result<S, AwsError>
where
    S: Serialize + DeserializeOwned,
    U: Serialize,
{
    let internal = |error: serde_json::Error| AwsError::new("InternalError", error.to_string(), 500);
    let mut base = serde_json::to_value(stored).map_err(internal)?;
    let changes = serde_json::to_value(update).map_err(internal)?;
    if let (Some(base), Json::Object(changes)) = (base.as_object_mut(), changes) {
        for (name, value) in changes {
            if !value.is_null() && !keep.contains(&name.as_str()) {
                base.insert(name, value);
            }
        }
    }
    serde_json::from_value(base).map_err(internal)
}

fn route_missing(id: &str) -> AwsError {
    not_found(format!("Invalid Route identifier specified {id}"))
}

fn integration_missing(id: &str) -> AwsError {
    not_found(format!("Invalid Integration identifier specified {id}"))
}

fn stage_missing(name: &str) -> AwsError {
    not_found(format!("Invalid stage identifier specified {name}"))
}

fn authorizer_missing(id: &str) -> AwsError {
    not_found(format!("Invalid Authorizer identifier specified {id}"))
}

/// A route as it may be kept: a valid key no other route has, a target
/// that exists, the authorizer its authorization needs.
fn check_route(record: &HttpApiRecord, route: &Route) -> Result<(), AwsError> {
    check_route_key(&route.route_key)?;
    let taken = record
        .routes
        .values()
        .any(|r| r.route_key == route.route_key && r.route_id != route.route_id);
    if taken {
        return Err(nimbus_apigatewayv2_api::errors::conflict(format!(
            "Route with key {} already exists for this API",
            route.route_key
        )));
    }
    check_target(record, route.target.as_deref())?;
    check_authorizer(
        record,
        route.authorization_type.as_deref(),
        route.authorizer_id.as_deref(),
    )
}

impl ApiGateway {
    pub(crate) async fn update_api(
        &self,
        ctx: &RequestContext,
        input: UpdateApiRequest,
    ) -> Result<UpdateApiResponse, AwsError> {
        let id = input.api_id.clone();
        self.change_http_api(ctx, &id, move |record| {
            record.api = merged(
                &record.api,
                &input,
                &["ApiId", "RouteKey", "Target", "CredentialsArn"],
            )?;
            Ok(convert(&record.api))
        })
        .await
    }

    pub(crate) async fn update_route(
        &self,
        ctx: &RequestContext,
        input: UpdateRouteRequest,
    ) -> Result<UpdateRouteResult, AwsError> {
        let (api, id) = (input.api_id.clone(), input.route_id.clone());
        self.change_http_api(ctx, &api, move |record| {
            let stored = record.routes.get(&id).ok_or_else(|| route_missing(&id))?;
            let route: Route = merged(stored, &input, &["ApiId", "RouteId"])?;
            check_route(record, &route)?;
            record.routes.insert(id, route.clone());
            Ok(convert(&route))
        })
        .await
    }

    pub(crate) async fn update_integration_v2(
        &self,
        ctx: &RequestContext,
        input: UpdateIntegrationRequest,
    ) -> Result<UpdateIntegrationResult, AwsError> {
        let (api, id) = (input.api_id.clone(), input.integration_id.clone());
        check_mappings(
            input.request_parameters.as_ref(),
            input.response_parameters.as_ref(),
        )?;
        self.change_http_api(ctx, &api, move |record| {
            let stored = record
                .integrations
                .get(&id)
                .ok_or_else(|| integration_missing(&id))?;
            let integration: Integration = merged(stored, &input, &["ApiId", "IntegrationId"])?;
            record.integrations.insert(id, integration.clone());
            Ok(convert(&integration))
        })
        .await
    }

    pub(crate) async fn update_stage_v2(
        &self,
        ctx: &RequestContext,
        input: UpdateStageRequest,
    ) -> Result<UpdateStageResponse, AwsError> {
        let (api, name) = (input.api_id.clone(), input.stage_name.clone());
        if let Some(id) = &input.deployment_id {
            self.http_deployment(ctx, &api, id).await?;
        }
        let now = records::timestamp(&self.clock);
        self.change_http_api(ctx, &api, move |record| {
            let stored = record.stages.get(&name).ok_or_else(|| stage_missing(&name))?;
            let mut stage: Stage = merged(stored, &input, &["ApiId", "StageName"])?;
            stage.last_updated_date = Some(now);
            record.stages.insert(name, stage.clone());
            Ok(convert(&stage))
        })
        .await
    }

    pub(crate) async fn update_authorizer_v2(
        &self,
        ctx: &RequestContext,
        input: UpdateAuthorizerRequest,
    ) -> Result<UpdateAuthorizerResponse, AwsError> {
        let (api, id) = (input.api_id.clone(), input.authorizer_id.clone());
        self.change_http_api(ctx, &api, move |record| {
            let stored = record
                .authorizers
                .get(&id)
                .ok_or_else(|| authorizer_missing(&id))?;
            let authorizer: Authorizer = merged(stored, &input, &["ApiId", "AuthorizerId"])?;
            record.authorizers.insert(id, authorizer.clone());
            Ok(convert(&authorizer))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_members_replace_and_the_rest_stay() {
        let stored = Route {
            route_id: Some("r1".into()),
            route_key: "GET /a".into(),
            target: Some("integrations/i1".into()),
            ..Default::default()
        };
        let update = UpdateRouteRequest {
            api_id: "api".into(),
            route_id: "other".into(),
            route_key: Some("GET /b".into()),
            ..Default::default()
        };
        let route: Route = merged(&stored, &update, &["ApiId", "RouteId"]).unwrap();
        assert_eq!(route.route_key, "GET /b");
        assert_eq!(route.route_id.as_deref(), Some("r1"));
        assert_eq!(route.target.as_deref(), Some("integrations/i1"));
    }
}
