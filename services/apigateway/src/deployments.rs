//! Deployments: a snapshot of an API's resources and methods that stages
//! serve (a change to the API reaches callers only once deployed again).

use std::sync::Arc;

use nimbus_apigateway_api::*;
use nimbus_core::{AwsError, RequestContext};

use crate::ApiGateway;
use crate::apis::Missing;
use crate::errors;
use crate::records::{self, DeploymentRecord, deployment_key, deployments_prefix, namespace_of};
use crate::stages::StageSettings;

/// What a deployment can freeze: an API with methods, each integrated.
fn check_deployable(resources: &[ResourceShape]) -> Result<(), AwsError> {
    let methods: Vec<&Method> = resources
        .iter()
        .filter_map(|r| r.resource_methods.as_ref())
        .flat_map(|methods| methods.values())
        .collect();
    if methods.is_empty() {
        return Err(errors::bad_request("The REST API doesn't contain any methods"));
    }
    if methods.iter().any(|m| m.method_integration.is_none()) {
        return Err(errors::bad_request("No integration defined for method"));
    }
    Ok(())
}

impl ApiGateway {
    pub(crate) async fn deployment(
        &self,
        ctx: &RequestContext,
        api: &str,
        id: &str,
    ) -> Result<Arc<DeploymentRecord>, AwsError> {
        // Deployments never change: decoded once, then read from memory.
        let key = format!("{}/{}/{api}/{id}", ctx.account_id, ctx.region);
        if let Some(found) = self.deployments.get(&key) {
            return Ok(found);
        }
        let found: Option<DeploymentRecord> = self
            .store
            .get_json(&namespace_of(ctx)?, &deployment_key(api, id))
            .await?;
        let found = Arc::new(found.ok_or_else(errors::deployment_missing)?);
        self.deployments.keep(key, Arc::clone(&found));
        Ok(found)
    }

    /// Changes a deployment's record in one transaction, answering it.
    pub(crate) async fn change_deployment(
        &self,
        ctx: &RequestContext,
        api: &str,
        id: &str,
        change: impl FnOnce(&mut DeploymentRecord) -> Result<(), AwsError> + Send + 'static,
    ) -> Result<DeploymentRecord, AwsError> {
        self.load_api(ctx, api, Missing::Api).await?;
        let (ns, key) = (namespace_of(ctx)?, deployment_key(api, id));
        let changed = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut record: DeploymentRecord =
                    table.get_json(&key)?.ok_or_else(errors::deployment_missing)?;
                change(&mut record)?;
                table.put_json(&key, &record)?;
                Ok::<_, AwsError>(record)
            })
            .await;
        self.deployments
            .forget(&format!("{}/{}/{api}/{id}", ctx.account_id, ctx.region));
        changed
    }

    pub(crate) async fn create_deployment(
        &self,
        ctx: &RequestContext,
        input: CreateDeploymentRequest,
    ) -> Result<Deployment, AwsError> {
        let api = self.load_api(ctx, &input.rest_api_id, Missing::Api).await?;
        let (authorizers, gateway_responses) = (api.authorizers, api.gateway_responses);
        let (models, request_validators) = (api.models, api.request_validators);
        let policy = api.api.policy.clone();
        let resources: Vec<ResourceShape> = api.resources.into_values().collect();
        check_deployable(&resources)?;
        // A bad stage name refuses the deployment before anything is kept.
        let stage_name = input.stage_name.as_deref().filter(|s| !s.is_empty());
        stage_name.map(crate::stages::check_stage_name).transpose()?;
        if input.canary_settings.is_some() {
            // A canary joins a stage that already serves a deployment.
            let stage =
                stage_name.ok_or_else(|| errors::bad_request("Canary settings require a stage name"))?;
            self.stage(ctx, &input.rest_api_id, stage).await?;
        }
        let deployment = Deployment {
            id: Some(records::new_id(6)),
            description: input.description.clone(),
            created_date: Some(records::timestamp(&self.clock)),
            api_summary: None,
        };
        let id = deployment.id.clone().unwrap_or_default();
        let record = DeploymentRecord {
            deployment: deployment.clone(),
            resources,
            authorizers,
            gateway_responses,
            models,
            request_validators,
            policy,
        };
        self.store
            .put_json(
                &namespace_of(ctx)?,
                &deployment_key(&input.rest_api_id, &id),
                record,
            )
            .await?;
        // An empty stage name (as Terraform sends it) names no stage.
        if let Some(stage) = input.stage_name.clone().filter(|s| !s.is_empty()) {
            if let Some(canary) = input.canary_settings.clone() {
                let canary = CanarySettings {
                    deployment_id: Some(id.clone()),
                    percent_traffic: canary.percent_traffic,
                    stage_variable_overrides: canary.stage_variable_overrides,
                    use_stage_cache: canary.use_stage_cache,
                };
                self.set_canary(ctx, &input.rest_api_id, &stage, canary).await?;
                return Ok(deployment);
            }
            let settings = StageSettings {
                description: input.stage_description.clone(),
                variables: input.variables.clone(),
                cache_cluster_enabled: input.cache_cluster_enabled,
                cache_cluster_size: input.cache_cluster_size.clone(),
                tracing_enabled: input.tracing_enabled,
                canary: None,
            };
            self.point_stage(ctx, &input.rest_api_id, &stage, &id, settings)
                .await?;
        }
        Ok(deployment)
    }

    pub(crate) async fn get_deployment(
        &self,
        ctx: &RequestContext,
        input: GetDeploymentRequest,
    ) -> Result<Deployment, AwsError> {
        self.load_api(ctx, &input.rest_api_id, Missing::Api).await?;
        Ok(self
            .deployment(ctx, &input.rest_api_id, &input.deployment_id)
            .await?
            .deployment
            .clone())
    }

    pub(crate) async fn get_deployments(
        &self,
        ctx: &RequestContext,
        input: GetDeploymentsRequest,
    ) -> Result<Deployments, AwsError> {
        self.load_api(ctx, &input.rest_api_id, Missing::Api).await?;
        let stored = self
            .store
            .values_under(&namespace_of(ctx)?, &deployments_prefix(&input.rest_api_id))
            .await?;
        let mut all: Vec<Deployment> = stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<DeploymentRecord>(bytes).ok())
            .map(|record| record.deployment)
            .collect();
        all.sort_by_key(|d| {
            d.created_date
                .as_ref()
                .map(nimbus_core::Timestamp::as_epoch_millis)
        });
        let (items, position) = crate::paging::page(all, input.position.as_deref(), input.limit)?;
        Ok(Deployments {
            items: Some(items),
            position,
        })
    }

    pub(crate) async fn delete_deployment(
        &self,
        ctx: &RequestContext,
        input: DeleteDeploymentRequest,
    ) -> Result<(), AwsError> {
        self.load_api(ctx, &input.rest_api_id, Missing::Api).await?;
        self.deployment(ctx, &input.rest_api_id, &input.deployment_id)
            .await?;
        let in_use = self
            .stages_of(ctx, &input.rest_api_id)
            .await?
            .iter()
            .any(|stage| stage.deployment_id.as_deref() == Some(input.deployment_id.as_str()));
        if in_use {
            return Err(errors::bad_request(
                "Active stages pointing to this deployment must be moved or deleted",
            ));
        }
        self.deployments.forget(&format!(
            "{}/{}/{}/{}",
            ctx.account_id, ctx.region, input.rest_api_id, input.deployment_id
        ));
        self.store
            .delete(
                &namespace_of(ctx)?,
                &deployment_key(&input.rest_api_id, &input.deployment_id),
            )
            .await
            .map_err(AwsError::from)
    }
}
