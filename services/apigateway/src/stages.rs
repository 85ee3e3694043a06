//! Stages: a name callers use in the invoke URL, pointing at a deployment,
//! with stage variables and method settings (changed with patch
//! operations, as UpdateStage takes them).

use std::sync::Arc;

use indexmap::IndexMap;
use nimbus_apigateway_api::*;
use nimbus_core::{AwsError, RequestContext};

use crate::ApiGateway;
use crate::apis::Missing;
use crate::errors;
use crate::records::{self, namespace_of, stage_key, stages_prefix};

/// What CreateStage and CreateDeployment's stage settings give a stage.
#[derive(Default)]
pub(crate) struct StageSettings {
    pub description: Option<String>,
    pub variables: Option<IndexMap<String, String>>,
    pub cache_cluster_enabled: Option<bool>,
    pub cache_cluster_size: Option<String>,
    pub tracing_enabled: Option<bool>,
    /// A canary: a deployment that takes a share of the stage's traffic.
    pub canary: Option<CanarySettings>,
}

pub(crate) fn check_stage_name(name: &str) -> Result<(), AwsError> {
    let valid = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    match valid {
        true => Ok(()),
        false => Err(errors::bad_request(
            "Stage name only allows a-zA-Z0-9_ and -, and must be at most 128 characters",
        )),
    }
}

impl ApiGateway {
    pub(crate) async fn stage(&self, ctx: &RequestContext, api: &str, name: &str) -> Result<Stage, AwsError> {
        Ok(self.kept_stage(ctx, api, name).await?.as_ref().clone())
    }

    /// Stage `name` of `api`, kept decoded between writes (every
    /// invocation reads its stage).
    pub(crate) async fn kept_stage(
        &self,
        ctx: &RequestContext,
        api: &str,
        name: &str,
    ) -> Result<Arc<Stage>, AwsError> {
        let key = kept_stage_key(ctx, api, name);
        if let Some(stage) = self.stages.get(&key) {
            return Ok(stage);
        }
        let generation = self.stages.generation();
        let found: Option<Stage> = self
            .store
            .get_json(&namespace_of(ctx)?, &stage_key(api, name))
            .await?;
        let found = Arc::new(found.ok_or_else(errors::stage_missing)?);
        self.stages.keep_read(generation, key, Arc::clone(&found));
        Ok(found)
    }

    /// Forgets the kept stages of `api` (after a write to any of them).
    pub(crate) fn forget_stages(&self, ctx: &RequestContext, api: &str) {
        self.stages.forget(&kept_stage_key(ctx, api, ""));
    }

    pub(crate) async fn stages_of(&self, ctx: &RequestContext, api: &str) -> Result<Vec<Stage>, AwsError> {
        let stored = self
            .store
            .values_under(&namespace_of(ctx)?, &stages_prefix(api))
            .await?;
        Ok(stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<Stage>(bytes).ok())
            .collect())
    }

    async fn put_stage(&self, ctx: &RequestContext, api: &str, stage: &Stage) -> Result<(), AwsError> {
        let name = stage.stage_name.clone().unwrap_or_default();
        let stored = self
            .store
            .put_json(&namespace_of(ctx)?, &stage_key(api, &name), stage.clone())
            .await;
        self.forget_stages(ctx, api);
        stored.map_err(AwsError::from)
    }

    /// Creates stage `name` on deployment `deployment`, or points it there.
    pub(crate) async fn point_stage(
        &self,
        ctx: &RequestContext,
        api: &str,
        name: &str,
        deployment: &str,
        settings: StageSettings,
    ) -> Result<Stage, AwsError> {
        check_stage_name(name)?;
        let now = records::timestamp(&self.clock);
        let mut stage = match self.stage(ctx, api, name).await {
            Ok(stage) => stage,
            Err(_) => Stage {
                stage_name: Some(name.to_owned()),
                created_date: Some(now),
                cache_cluster_enabled: Some(false),
                cache_cluster_status: Some("NOT_AVAILABLE".to_owned()),
                method_settings: Some(IndexMap::new()),
                tracing_enabled: Some(false),
                ..Default::default()
            },
        };
        stage.deployment_id = Some(deployment.to_owned());
        stage.last_updated_date = Some(now);
        if settings.description.is_some() {
            stage.description = settings.description;
        }
        if let Some(variables) = settings.variables.filter(|v| !v.is_empty()) {
            stage.variables = Some(variables);
        }
        if let Some(enabled) = settings.cache_cluster_enabled {
            stage.cache_cluster_enabled = Some(enabled);
            stage.cache_cluster_status = Some(if enabled { "AVAILABLE" } else { "NOT_AVAILABLE" }.to_owned());
        }
        if settings.cache_cluster_size.is_some() {
            stage.cache_cluster_size = settings.cache_cluster_size;
        }
        if let Some(tracing) = settings.tracing_enabled {
            stage.tracing_enabled = Some(tracing);
        }
        if settings.canary.is_some() {
            stage.canary_settings = settings.canary;
        }
        self.put_stage(ctx, api, &stage).await?;
        Ok(stage)
    }

    pub(crate) async fn create_stage(
        &self,
        ctx: &RequestContext,
        input: CreateStageRequest,
    ) -> Result<Stage, AwsError> {
        self.load_api(ctx, &input.rest_api_id, Missing::Api).await?;
        check_stage_name(&input.stage_name)?;
        self.deployment(ctx, &input.rest_api_id, &input.deployment_id)
            .await?;
        if self
            .stage(ctx, &input.rest_api_id, &input.stage_name)
            .await
            .is_ok()
        {
            return Err(nimbus_apigateway_api::errors::conflict("Stage already exists"));
        }
        let canary_deployment = input
            .canary_settings
            .as_ref()
            .and_then(|c| c.deployment_id.as_deref());
        if let Some(canary) = canary_deployment {
            self.deployment(ctx, &input.rest_api_id, canary).await?;
        }
        let settings = StageSettings {
            description: input.description,
            variables: input.variables,
            cache_cluster_enabled: input.cache_cluster_enabled,
            cache_cluster_size: input.cache_cluster_size,
            tracing_enabled: input.tracing_enabled,
            canary: input.canary_settings,
        };
        let mut stage = self
            .point_stage(
                ctx,
                &input.rest_api_id,
                &input.stage_name,
                &input.deployment_id,
                settings,
            )
            .await?;
        if let Some(tags) = input.tags.filter(|t| !t.is_empty()) {
            stage.tags = Some(tags);
            self.put_stage(ctx, &input.rest_api_id, &stage).await?;
        }
        Ok(stage)
    }

    pub(crate) async fn get_stage(
        &self,
        ctx: &RequestContext,
        input: GetStageRequest,
    ) -> Result<Stage, AwsError> {
        self.load_api(ctx, &input.rest_api_id, Missing::Api).await?;
        self.stage(ctx, &input.rest_api_id, &input.stage_name).await
    }

    pub(crate) async fn get_stages(
        &self,
        ctx: &RequestContext,
        input: GetStagesRequest,
    ) -> Result<Stages, AwsError> {
        self.load_api(ctx, &input.rest_api_id, Missing::Api).await?;
        let stages = self
            .stages_of(ctx, &input.rest_api_id)
            .await?
            .into_iter()
            .filter(|s| input.deployment_id.is_none() || s.deployment_id == input.deployment_id)
            .collect();
        Ok(Stages { item: Some(stages) })
    }

    pub(crate) async fn delete_stage(
        &self,
        ctx: &RequestContext,
        input: DeleteStageRequest,
    ) -> Result<(), AwsError> {
        self.load_api(ctx, &input.rest_api_id, Missing::Api).await?;
        self.stage(ctx, &input.rest_api_id, &input.stage_name).await?;
        let deleted = self
            .store
            .delete(
                &namespace_of(ctx)?,
                &stage_key(&input.rest_api_id, &input.stage_name),
            )
            .await;
        self.forget_stages(ctx, &input.rest_api_id);
        deleted.map_err(AwsError::from)
    }

    pub(crate) async fn update_stage(
        &self,
        ctx: &RequestContext,
        input: UpdateStageRequest,
    ) -> Result<Stage, AwsError> {
        self.load_api(ctx, &input.rest_api_id, Missing::Api).await?;
        let mut stage = self.stage(ctx, &input.rest_api_id, &input.stage_name).await?;
        self.check_logging_allowed(ctx, input.patch_operations.iter().flatten())
            .await?;
        for operation in input.patch_operations.iter().flatten() {
            crate::stage_patch::apply(&mut stage, operation)?;
        }
        let canary = stage
            .canary_settings
            .as_ref()
            .and_then(|c| c.deployment_id.as_ref());
        for deployment in stage.deployment_id.iter().chain(canary) {
            self.deployment(ctx, &input.rest_api_id, deployment).await?;
        }
        if let Some(id) = stage.client_certificate_id.clone().filter(|id| !id.is_empty()) {
            let request = GetClientCertificateRequest {
                client_certificate_id: id,
            };
            self.get_client_certificate(ctx, request).await?;
        }
        stage.last_updated_date = Some(records::timestamp(&self.clock));
        self.put_stage(ctx, &input.rest_api_id, &stage).await?;
        Ok(stage)
    }
}

impl ApiGateway {
    /// Makes `deployment` the canary of an existing stage (CreateDeployment
    /// with canary settings): the stage's own deployment stays.
    pub(crate) async fn set_canary(
        &self,
        ctx: &RequestContext,
        api: &str,
        name: &str,
        canary: CanarySettings,
    ) -> Result<(), AwsError> {
        let mut stage = self.stage(ctx, api, name).await?;
        stage.canary_settings = Some(canary);
        stage.last_updated_date = Some(records::timestamp(&self.clock));
        self.put_stage(ctx, api, &stage).await
    }

    /// Execution logging needs the account's CloudWatch role, as AWS
    /// requires it.
    async fn check_logging_allowed(
        &self,
        ctx: &RequestContext,
        mut operations: impl Iterator<Item = &PatchOperation>,
    ) -> Result<(), AwsError> {
        let enables = operations.any(|op| {
            op.path
                .as_deref()
                .is_some_and(|p| p.ends_with("/logging/loglevel"))
                && matches!(op.value.as_deref(), Some("INFO" | "ERROR"))
        });
        if enables && self.get_account(ctx).await?.cloudwatch_role_arn.is_none() {
            return Err(errors::bad_request(
                "CloudWatch Logs role ARN must be set in account settings to enable logging",
            ));
        }
        Ok(())
    }
}

/// Where a stage is kept in memory: API ids are unique, the account and
/// region make it certain.
fn kept_stage_key(ctx: &RequestContext, api: &str, name: &str) -> String {
    format!("{}/{}/{api}/{name}", ctx.account_id, ctx.region)
}
