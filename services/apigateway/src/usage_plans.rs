//! Usage plans: which API stages a set of API keys may call, with a
//! throttle and a quota, and the keys that belong to each plan.

use nimbus_apigateway_api::*;
use nimbus_core::{AwsError, RequestContext};

use crate::ApiGateway;
use crate::api_keys;
use crate::errors;
use crate::patch::{self, Kind, Rule, Wording, field, removable, replace};
use crate::records::{self, namespace_of};

pub const PLAN_PREFIX: &[u8] = b"plan/";

pub(crate) fn plan_key(id: &str) -> Vec<u8> {
    [PLAN_PREFIX, id.as_bytes()].concat()
}

fn plan_keys_prefix(plan: &str) -> Vec<u8> {
    format!("plankey/{plan}/").into_bytes()
}

fn plan_key_key(plan: &str, key: &str) -> Vec<u8> {
    [plan_keys_prefix(plan), key.as_bytes().to_vec()].concat()
}

pub(crate) fn plan_missing() -> AwsError {
    nimbus_apigateway_api::errors::not_found("Invalid Usage Plan ID specified")
}

const USAGE_PLAN: &[Rule] = &[
    replace("/name", Kind::Text),
    replace("/description", Kind::Text),
    field("/productCode", Kind::Text),
    removable("/quota"),
    Rule {
        remove: false,
        ..field("/quota/limit", Kind::Integer)
    },
    Rule {
        remove: false,
        ..field("/quota/offset", Kind::Integer)
    },
    Rule {
        remove: false,
        ..field("/quota/period", Kind::Text)
    },
    removable("/throttle"),
    Rule {
        remove: false,
        ..field("/throttle/burstLimit", Kind::Integer)
    },
    Rule {
        remove: false,
        ..field("/throttle/rateLimit", Kind::Number)
    },
];

/// Adds or removes the API stage (`apiId:stage`) a patch names.
fn patch_api_stages(plan: &mut UsagePlan, op: &PatchOperation) -> Result<(), AwsError> {
    let value = op.value.as_deref().unwrap_or_default();
    let Some((api, stage)) = value.split_once(':') else {
        return Err(errors::bad_request(format!(
            "Invalid API Stage specified: {value}. Must be in the format apiId:stage"
        )));
    };
    let stages = plan.api_stages.get_or_insert_default();
    let same = |s: &ApiStage| s.api_id.as_deref() == Some(api) && s.stage.as_deref() == Some(stage);
    match op.op.as_deref() {
        Some("add") if !stages.iter().any(same) => stages.push(ApiStage {
            api_id: Some(api.to_owned()),
            stage: Some(stage.to_owned()),
            throttle: None,
        }),
        Some("add") => {}
        Some("remove") => stages.retain(|s| !same(s)),
        other => {
            return Err(errors::bad_request(format!(
                "Invalid patch path  '/apiStages' specified for op '{}'. Please choose supported operations",
                other.unwrap_or_default()
            )));
        }
    }
    Ok(())
}

impl ApiGateway {
    pub(crate) async fn update_usage_plan(
        &self,
        ctx: &RequestContext,
        input: UpdateUsagePlanRequest,
    ) -> Result<UsagePlan, AwsError> {
        let ops = input.patch_operations.unwrap_or_default();
        for op in ops.iter().filter(|op| op.path.as_deref() == Some("/apiStages")) {
            let (api, stage) = op
                .value
                .as_deref()
                .unwrap_or_default()
                .split_once(':')
                .unwrap_or_default();
            if op.op.as_deref() == Some("add") && self.stage(ctx, api, stage).await.is_err() {
                return Err(errors::bad_request(format!(
                    "Invalid API Stage {{api: {api}, stage: {stage}}} specified"
                )));
            }
        }
        self.change_stored::<UsagePlan>(ctx, plan_key(&input.usage_plan_id), plan_missing(), move |plan| {
            for op in &ops {
                match op.path.as_deref() {
                    Some("/apiStages") => patch_api_stages(plan, op)?,
                    _ => *plan = patch::apply(plan, std::slice::from_ref(op), USAGE_PLAN, Wording::Listed)?,
                }
            }
            Ok(())
        })
        .await
    }

    pub(crate) async fn usage_plan(&self, ctx: &RequestContext, id: &str) -> Result<UsagePlan, AwsError> {
        let found: Option<UsagePlan> = self.store.get_json(&namespace_of(ctx)?, &plan_key(id)).await?;
        found.ok_or_else(plan_missing)
    }

    pub(crate) async fn all_usage_plans(&self, ctx: &RequestContext) -> Result<Vec<UsagePlan>, AwsError> {
        let stored = self.store.values_under(&namespace_of(ctx)?, PLAN_PREFIX).await?;
        Ok(stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice(bytes).ok())
            .collect())
    }

    /// The ids of the keys in plan `plan`.
    pub(crate) async fn plan_key_ids(
        &self,
        ctx: &RequestContext,
        plan: &str,
    ) -> Result<Vec<String>, AwsError> {
        let stored = self
            .store
            .values_under(&namespace_of(ctx)?, &plan_keys_prefix(plan))
            .await?;
        Ok(stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<UsagePlanKey>(bytes).ok())
            .filter_map(|key| key.id)
            .collect())
    }

    pub(crate) async fn create_usage_plan(
        &self,
        ctx: &RequestContext,
        input: CreateUsagePlanRequest,
    ) -> Result<UsagePlan, AwsError> {
        for stage in input.api_stages.iter().flatten() {
            let (api, name) = (
                stage.api_id.clone().unwrap_or_default(),
                stage.stage.clone().unwrap_or_default(),
            );
            if self.stage(ctx, &api, &name).await.is_err() {
                return Err(errors::bad_request(format!(
                    "Invalid API Stage {{api: {api}, stage: {name}}} specified"
                )));
            }
        }
        let plan = UsagePlan {
            id: Some(records::new_id(6)),
            name: Some(input.name),
            description: input.description,
            api_stages: Some(input.api_stages.unwrap_or_default()),
            throttle: input.throttle,
            quota: input.quota,
            product_code: None,
            tags: input.tags.filter(|t| !t.is_empty()),
        };
        let id = plan.id.clone().unwrap_or_default();
        self.store
            .put_json(&namespace_of(ctx)?, &plan_key(&id), plan.clone())
            .await?;
        Ok(plan)
    }

    pub(crate) async fn get_usage_plan(
        &self,
        ctx: &RequestContext,
        input: GetUsagePlanRequest,
    ) -> Result<UsagePlan, AwsError> {
        self.usage_plan(ctx, &input.usage_plan_id).await
    }

    pub(crate) async fn get_usage_plans(
        &self,
        ctx: &RequestContext,
        input: GetUsagePlansRequest,
    ) -> Result<UsagePlans, AwsError> {
        let mut plans = Vec::new();
        for plan in self.all_usage_plans(ctx).await? {
            let id = plan.id.clone().unwrap_or_default();
            let holds_key = match &input.key_id {
                Some(key) => self.plan_key_ids(ctx, &id).await?.contains(key),
                None => true,
            };
            if holds_key {
                plans.push(plan);
            }
        }
        let (items, position) = crate::paging::page(plans, input.position.as_deref(), input.limit)?;
        Ok(UsagePlans {
            items: Some(items),
            position,
        })
    }

    pub(crate) async fn delete_usage_plan(
        &self,
        ctx: &RequestContext,
        input: DeleteUsagePlanRequest,
    ) -> Result<(), AwsError> {
        self.usage_plan(ctx, &input.usage_plan_id).await?;
        let ns = namespace_of(ctx)?;
        let (plan, keys) = (
            plan_key(&input.usage_plan_id),
            plan_keys_prefix(&input.usage_plan_id),
        );
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                table.delete(&plan)?;
                table.delete_prefix(&keys)?;
                Ok::<_, AwsError>(())
            })
            .await
    }

    pub(crate) async fn create_usage_plan_key(
        &self,
        ctx: &RequestContext,
        input: CreateUsagePlanKeyRequest,
    ) -> Result<UsagePlanKey, AwsError> {
        self.usage_plan(ctx, &input.usage_plan_id).await?;
        if input.key_type != "API_KEY" {
            return Err(errors::bad_request(format!(
                "Invalid key type specified: {}",
                input.key_type
            )));
        }
        let key = self.api_key(ctx, &input.key_id).await?;
        if self
            .plan_key_ids(ctx, &input.usage_plan_id)
            .await?
            .contains(&input.key_id)
        {
            return Err(nimbus_apigateway_api::errors::conflict(format!(
                "Usage Plan {} cannot be added because API Key {} cannot reference multiple Usage Plans with the same API Stage",
                input.usage_plan_id, input.key_id
            )));
        }
        let member = UsagePlanKey {
            id: key.id,
            r#type: Some("API_KEY".to_owned()),
            value: key.value,
            name: key.name,
        };
        self.store
            .put_json(
                &namespace_of(ctx)?,
                &plan_key_key(&input.usage_plan_id, &input.key_id),
                member.clone(),
            )
            .await?;
        Ok(member)
    }

    pub(crate) async fn get_usage_plan_key(
        &self,
        ctx: &RequestContext,
        input: GetUsagePlanKeyRequest,
    ) -> Result<UsagePlanKey, AwsError> {
        self.usage_plan(ctx, &input.usage_plan_id).await?;
        let found: Option<UsagePlanKey> = self
            .store
            .get_json(
                &namespace_of(ctx)?,
                &plan_key_key(&input.usage_plan_id, &input.key_id),
            )
            .await?;
        found.ok_or_else(api_keys::key_missing)
    }

    pub(crate) async fn get_usage_plan_keys(
        &self,
        ctx: &RequestContext,
        input: GetUsagePlanKeysRequest,
    ) -> Result<UsagePlanKeys, AwsError> {
        self.usage_plan(ctx, &input.usage_plan_id).await?;
        let stored = self
            .store
            .values_under(&namespace_of(ctx)?, &plan_keys_prefix(&input.usage_plan_id))
            .await?;
        let keys: Vec<UsagePlanKey> = stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<UsagePlanKey>(bytes).ok())
            .filter(|k| {
                input
                    .name_query
                    .as_ref()
                    .is_none_or(|q| k.name.as_deref().is_some_and(|n| n.starts_with(q.as_str())))
            })
            .collect();
        let (items, position) = crate::paging::page(keys, input.position.as_deref(), input.limit)?;
        Ok(UsagePlanKeys {
            items: Some(items),
            position,
        })
    }

    pub(crate) async fn delete_usage_plan_key(
        &self,
        ctx: &RequestContext,
        input: DeleteUsagePlanKeyRequest,
    ) -> Result<(), AwsError> {
        self.get_usage_plan_key(
            ctx,
            GetUsagePlanKeyRequest {
                usage_plan_id: input.usage_plan_id.clone(),
                key_id: input.key_id.clone(),
            },
        )
        .await?;
        self.store
            .delete(
                &namespace_of(ctx)?,
                &plan_key_key(&input.usage_plan_id, &input.key_id),
            )
            .await
            .map_err(AwsError::from)
    }
}
