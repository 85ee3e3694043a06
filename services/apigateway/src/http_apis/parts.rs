//! Routes, integrations and stages of HTTP APIs.

use indexmap::IndexMap;
use nimbus_apigatewayv2_api::errors::{bad_request, conflict, not_found};
use nimbus_apigatewayv2_api::*;
use nimbus_core::{AwsError, RequestContext};
use nimbus_runtime::Clock;

use super::{HttpApiRecord, convert};
use crate::ApiGateway;
use crate::records;

const VERBS: [&str; 8] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY"];

/// A route key HTTP APIs take: `$default` or `<METHOD> /<path>`.
pub(super) fn check_route_key(key: &str) -> Result<(), AwsError> {
    if key == "$default" {
        return Ok(());
    }
    let valid = key
        .split_once(' ')
        .is_some_and(|(verb, path)| VERBS.contains(&verb) && path.starts_with('/') && !path.contains(' '));
    match valid {
        true => Ok(()),
        false => Err(bad_request(format!(
            "Unable to create route {key}: the route key must be $default or a method and a path"
        ))),
    }
}

/// The integration a new route targets must exist.
pub(super) fn check_target(record: &HttpApiRecord, target: Option<&str>) -> Result<(), AwsError> {
    let Some(target) = target else {
        return Ok(());
    };
    let id = target.strip_prefix("integrations/").unwrap_or_default();
    match record.integrations.contains_key(id) {
        true => Ok(()),
        false => Err(bad_request(format!(
            "Invalid target {target}: the integration does not exist"
        ))),
    }
}

/// A route's authorization: AWS_IAM routes need no authorizer; JWT and
/// CUSTOM ones one of the API's.
pub(super) fn check_authorizer(
    record: &HttpApiRecord,
    kind: Option<&str>,
    id: Option<&str>,
) -> Result<(), AwsError> {
    let needs_one = kind.is_some_and(|t| t != "NONE" && t != "AWS_IAM");
    if needs_one && !id.is_some_and(|id| record.authorizers.contains_key(id)) {
        return Err(bad_request(
            "Invalid authorizer ID specified for the route's authorization type",
        ));
    }
    Ok(())
}

/// An integration of `kind` to `uri`, as HTTP APIs default it.
/// Parameter mappings API Gateway takes: known keys only.
pub(super) fn check_mappings(
    request: Option<&IndexMap<String, String>>,
    response: Option<&IndexMap<String, IndexMap<String, String>>>,
) -> Result<(), AwsError> {
    use crate::invoke::http_mapping::valid_key;
    let invalid = |key: &str| bad_request(format!("Invalid mapping expression specified: {key}"));
    if let Some(key) = request
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
        .find(|k| !valid_key(k, false))
    {
        return Err(invalid(key));
    }
    for (status, changes) in response.into_iter().flatten() {
        if !status.parse::<u16>().is_ok_and(|s| (200..600).contains(&s)) {
            return Err(bad_request(format!("Invalid status code specified: {status}")));
        }
        if let Some(key) = changes.keys().find(|k| !valid_key(k, true)) {
            return Err(invalid(key));
        }
    }
    Ok(())
}

fn integration(
    kind: &str,
    uri: Option<String>,
    method: Option<String>,
    payload: Option<String>,
) -> Integration {
    let lambda = kind == "AWS_PROXY";
    Integration {
        connection_type: Some("INTERNET".into()),
        integration_id: Some(records::new_id(7)),
        integration_method: method.or_else(|| lambda.then(|| "POST".into())),
        integration_type: Some(kind.to_owned()),
        integration_uri: uri,
        payload_format_version: Some(payload.unwrap_or_else(|| if lambda { "2.0" } else { "1.0" }.into())),
        timeout_in_millis: Some(30_000),
        ..Default::default()
    }
}

/// Quick create: the target's integration, a route to it and an
/// auto-deployed `$default` stage.
pub fn quick_create(record: &mut HttpApiRecord, target: &str, route_key: Option<&str>, clock: &Clock) {
    let kind = if target.starts_with("arn:") {
        "AWS_PROXY"
    } else {
        "HTTP_PROXY"
    };
    let method = (kind == "HTTP_PROXY").then(|| "ANY".to_owned());
    let created = integration(kind, Some(target.to_owned()), method, None);
    let integration_id = created.integration_id.clone().unwrap_or_default();
    record.integrations.insert(integration_id.clone(), created);
    let route = Route {
        route_id: Some(records::new_id(7)),
        route_key: route_key.unwrap_or("$default").to_owned(),
        target: Some(format!("integrations/{integration_id}")),
        authorization_type: Some("NONE".into()),
        api_key_required: Some(false),
        ..Default::default()
    };
    record
        .routes
        .insert(route.route_id.clone().unwrap_or_default(), route);
    let now = records::timestamp(clock);
    let stage = Stage {
        stage_name: "$default".into(),
        auto_deploy: Some(true),
        created_date: Some(now),
        last_updated_date: Some(now),
        ..Default::default()
    };
    record.stages.insert("$default".into(), stage);
}

impl ApiGateway {
    pub(crate) async fn create_route(
        &self,
        ctx: &RequestContext,
        input: CreateRouteRequest,
    ) -> Result<CreateRouteResult, AwsError> {
        check_route_key(&input.route_key)?;
        self.change_http_api(ctx, &input.api_id.clone(), move |record| {
            if record.routes.values().any(|r| r.route_key == input.route_key) {
                return Err(conflict(format!(
                    "Route with key {} already exists for this API",
                    input.route_key
                )));
            }
            check_target(record, input.target.as_deref())?;
            check_authorizer(
                record,
                input.authorization_type.as_deref(),
                input.authorizer_id.as_deref(),
            )?;
            let route = Route {
                api_key_required: Some(input.api_key_required.unwrap_or(false)),
                authorization_scopes: input.authorization_scopes,
                authorization_type: Some(input.authorization_type.unwrap_or_else(|| "NONE".into())),
                authorizer_id: input.authorizer_id,
                operation_name: input.operation_name,
                request_parameters: input.request_parameters,
                route_id: Some(records::new_id(7)),
                route_key: input.route_key,
                target: input.target,
                ..Default::default()
            };
            record
                .routes
                .insert(route.route_id.clone().unwrap_or_default(), route.clone());
            Ok(convert(&route))
        })
        .await
    }

    pub(crate) async fn get_route(
        &self,
        ctx: &RequestContext,
        input: GetRouteRequest,
    ) -> Result<GetRouteResult, AwsError> {
        let record = self.http_api(ctx, &input.api_id).await?;
        let route = record
            .routes
            .get(&input.route_id)
            .ok_or_else(|| not_found(format!("Invalid Route identifier specified {}", input.route_id)))?;
        Ok(convert(route))
    }

    pub(crate) async fn get_routes(
        &self,
        ctx: &RequestContext,
        input: GetRoutesRequest,
    ) -> Result<GetRoutesResponse, AwsError> {
        let record = self.http_api(ctx, &input.api_id).await?;
        Ok(GetRoutesResponse {
            items: Some(record.routes.into_values().collect()),
            next_token: None,
        })
    }

    pub(crate) async fn delete_route(
        &self,
        ctx: &RequestContext,
        input: DeleteRouteRequest,
    ) -> Result<(), AwsError> {
        let id = input.route_id;
        self.change_http_api(ctx, &input.api_id, move |record| {
            record
                .routes
                .shift_remove(&id)
                .map(|_| ())
                .ok_or_else(|| not_found(format!("Invalid Route identifier specified {id}")))
        })
        .await
    }

    pub(crate) async fn create_integration(
        &self,
        ctx: &RequestContext,
        input: CreateIntegrationRequest,
    ) -> Result<CreateIntegrationResult, AwsError> {
        let kind = input.integration_type.clone();
        match kind.as_str() {
            "AWS_PROXY" if input.payload_format_version.is_none() => {
                return Err(bad_request(
                    "PayloadFormatVersion is required for AWS_PROXY integrations",
                ));
            }
            "HTTP_PROXY" if input.integration_method.is_none() => {
                return Err(bad_request(
                    "IntegrationMethod is required for HTTP_PROXY integrations",
                ));
            }
            "AWS_PROXY" | "HTTP_PROXY" if input.integration_uri.is_none() => {
                return Err(bad_request("IntegrationUri is required"));
            }
            "AWS_PROXY" | "HTTP_PROXY" => {}
            other => {
                return Err(bad_request(format!(
                    "nimbus serves AWS_PROXY and HTTP_PROXY integrations of HTTP APIs, not {other}"
                )));
            }
        }
        let mut created = integration(
            &kind,
            input.integration_uri,
            input.integration_method,
            input.payload_format_version,
        );
        created.description = input.description;
        check_mappings(
            input.request_parameters.as_ref(),
            input.response_parameters.as_ref(),
        )?;
        created.request_parameters = input.request_parameters;
        created.response_parameters = input.response_parameters;
        if let Some(timeout) = input.timeout_in_millis {
            created.timeout_in_millis = Some(timeout);
        }
        self.change_http_api(ctx, &input.api_id, move |record| {
            record.integrations.insert(
                created.integration_id.clone().unwrap_or_default(),
                created.clone(),
            );
            Ok(convert(&created))
        })
        .await
    }

    pub(crate) async fn get_integration_v2(
        &self,
        ctx: &RequestContext,
        input: GetIntegrationRequest,
    ) -> Result<GetIntegrationResult, AwsError> {
        let record = self.http_api(ctx, &input.api_id).await?;
        let found = record.integrations.get(&input.integration_id).ok_or_else(|| {
            not_found(format!(
                "Invalid Integration identifier specified {}",
                input.integration_id
            ))
        })?;
        Ok(convert(found))
    }

    pub(crate) async fn get_integrations(
        &self,
        ctx: &RequestContext,
        input: GetIntegrationsRequest,
    ) -> Result<GetIntegrationsResponse, AwsError> {
        let record = self.http_api(ctx, &input.api_id).await?;
        Ok(GetIntegrationsResponse {
            items: Some(record.integrations.into_values().collect()),
            next_token: None,
        })
    }

    pub(crate) async fn delete_integration_v2(
        &self,
        ctx: &RequestContext,
        input: DeleteIntegrationRequest,
    ) -> Result<(), AwsError> {
        let id = input.integration_id;
        self.change_http_api(ctx, &input.api_id, move |record| {
            let target = format!("integrations/{id}");
            if record
                .routes
                .values()
                .any(|r| r.target.as_deref() == Some(target.as_str()))
            {
                return Err(conflict(format!(
                    "Integration {id} is used by a route and cannot be deleted"
                )));
            }
            record
                .integrations
                .shift_remove(&id)
                .map(|_| ())
                .ok_or_else(|| not_found(format!("Invalid Integration identifier specified {id}")))
        })
        .await
    }

    pub(crate) async fn create_stage_v2(
        &self,
        ctx: &RequestContext,
        input: CreateStageRequest,
    ) -> Result<CreateStageResponse, AwsError> {
        if let Some(id) = &input.deployment_id {
            self.http_deployment(ctx, &input.api_id, id).await?;
        }
        let now = records::timestamp(&self.clock);
        let stage = Stage {
            auto_deploy: Some(input.auto_deploy.unwrap_or(false)),
            created_date: Some(now),
            last_updated_date: Some(now),
            deployment_id: input.deployment_id,
            description: input.description,
            stage_name: input.stage_name.clone(),
            stage_variables: input.stage_variables.filter(|v| !v.is_empty()),
            tags: input.tags.filter(|t| !t.is_empty()),
            default_route_settings: input.default_route_settings,
            route_settings: input.route_settings,
            ..Default::default()
        };
        self.change_http_api(ctx, &input.api_id, move |record| {
            if record.stages.contains_key(&stage.stage_name) {
                return Err(conflict(format!("Stage {} already exists", stage.stage_name)));
            }
            record.stages.insert(stage.stage_name.clone(), stage.clone());
            Ok(convert(&stage))
        })
        .await
    }

    pub(crate) async fn get_stage_v2(
        &self,
        ctx: &RequestContext,
        input: GetStageRequest,
    ) -> Result<GetStageResponse, AwsError> {
        let record = self.http_api(ctx, &input.api_id).await?;
        let stage = record
            .stages
            .get(&input.stage_name)
            .ok_or_else(|| not_found(format!("Invalid stage identifier specified {}", input.stage_name)))?;
        Ok(convert(stage))
    }

    pub(crate) async fn get_stages_v2(
        &self,
        ctx: &RequestContext,
        input: GetStagesRequest,
    ) -> Result<GetStagesResponse, AwsError> {
        let record = self.http_api(ctx, &input.api_id).await?;
        Ok(GetStagesResponse {
            items: Some(record.stages.into_values().collect()),
            next_token: None,
        })
    }

    pub(crate) async fn delete_stage_v2(
        &self,
        ctx: &RequestContext,
        input: DeleteStageRequest,
    ) -> Result<(), AwsError> {
        let name = input.stage_name;
        self.change_http_api(ctx, &input.api_id, move |record| {
            record
                .stages
                .shift_remove(&name)
                .map(|_| ())
                .ok_or_else(|| not_found(format!("Invalid stage identifier specified {name}")))
        })
        .await
    }
}
