//! Provisioned concurrency: a version or alias kept ready with N warm
//! execution environments (Put/Get/Delete/ListProvisionedConcurrency-
//! Configs). Put answers 202 IN_PROGRESS, starts the environments, then the
//! configuration reads READY; the pool keeps that many idle environments
//! of the version past the idle time.

use std::sync::Arc;

use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::*;
use serde::{Deserialize, Serialize};

use crate::Lambda;
use crate::functions::namespace;
use crate::names::{self, FunctionRef};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ProvisionedRecord {
    function_arn: String,
    requested: i32,
    ready: bool,
    last_modified: String,
}

fn key(name: &str, qualifier: &str) -> Vec<u8> {
    format!("provisioned/{name}/{qualifier}").into_bytes()
}

fn prefix(name: &str) -> Vec<u8> {
    format!("provisioned/{name}/").into_bytes()
}

/// Every configuration of every account and region, so a restart can start
/// their environments again (global `lambda` namespace).
const INDEX: &str = "provisioned-index/";

/// Where a configuration is, as the index keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Indexed {
    account: String,
    region: String,
    name: String,
    qualifier: String,
}

fn index() -> Result<nimbus_store::Namespace, AwsError> {
    nimbus_store::Namespace::global("lambda").map_err(AwsError::from)
}

fn index_prefix(ctx: &RequestContext, name: &str) -> Vec<u8> {
    format!("{INDEX}{}/{}/{name}/", ctx.account_id, ctx.region).into_bytes()
}

fn index_key(ctx: &RequestContext, name: &str, qualifier: &str) -> Vec<u8> {
    [index_prefix(ctx, name), qualifier.as_bytes().to_vec()].concat()
}

fn not_configured() -> AwsError {
    errors::provisioned_concurrency_config_not_found(
        "No Provisioned Concurrency Config found for this function",
    )
    .with_field("Type", "User")
}

/// The qualifier a configuration needs: a version or an alias.
fn qualifier_of(function: &FunctionRef) -> Result<String, AwsError> {
    match function.qualifier.as_deref() {
        Some(q) if q != "$LATEST" => Ok(q.to_owned()),
        _ => Err(errors::invalid_parameter_value(
            "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
        )),
    }
}

impl ProvisionedRecord {
    fn answered(&self) -> GetProvisionedConcurrencyConfigResponse {
        let available = if self.ready { self.requested } else { 0 };
        GetProvisionedConcurrencyConfigResponse {
            requested_provisioned_concurrent_executions: Some(self.requested),
            available_provisioned_concurrent_executions: Some(available),
            allocated_provisioned_concurrent_executions: Some(available),
            status: Some(if self.ready { "READY" } else { "IN_PROGRESS" }.to_owned()),
            status_reason: None,
            last_modified: Some(self.last_modified.clone()),
        }
    }
}

impl Lambda {
    async fn provisioned(
        &self,
        ctx: &RequestContext,
        name: &str,
        qualifier: &str,
    ) -> Result<Option<ProvisionedRecord>, AwsError> {
        let ns = namespace(ctx)?;
        let key = key(name, qualifier);
        self.store.get_json(&ns, &key).await.map_err(AwsError::from)
    }

    async fn keep_provisioned(
        &self,
        ctx: &RequestContext,
        name: &str,
        qualifier: &str,
        record: ProvisionedRecord,
    ) -> Result<(), AwsError> {
        let ns = namespace(ctx)?;
        let key = key(name, qualifier);
        let indexed = Indexed {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            name: name.to_owned(),
            qualifier: qualifier.to_owned(),
        };
        let index_key = index_key(ctx, name, qualifier);
        self.store
            .write(move |txn| {
                txn.open(&ns)?.put_json(&key, &record)?;
                txn.open(&index()?)?.put_json(&index_key, &indexed)?;
                Ok::<_, AwsError>(())
            })
            .await
    }

    /// Forgets the index entries of a function's configurations (deleted).
    pub(crate) async fn forget_provisioned(&self, ctx: &RequestContext, name: &str) -> Result<(), AwsError> {
        let prefix = index_prefix(ctx, name);
        self.store
            .write(move |txn| {
                txn.open(&index()?)?.delete_prefix(&prefix)?;
                Ok::<_, AwsError>(())
            })
            .await
    }

    /// Starts again the environments of every configuration a previous run
    /// kept.
    pub(crate) async fn resume_provisioned(&self) {
        let Ok(ns) = index() else { return };
        let entries = match self.store.values_under(&ns, INDEX.as_bytes()).await {
            Ok(entries) => entries,
            Err(error) => return tracing::error!(%error, "lambda could not read its provisioned concurrency"),
        };
        for indexed in entries
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<Indexed>(bytes).ok())
        {
            let ctx = RequestContext::internal(
                "lambda",
                "PutProvisionedConcurrencyConfig",
                &indexed.account,
                &indexed.region,
            );
            let function = FunctionRef {
                name: indexed.name.clone(),
                qualifier: Some(indexed.qualifier.clone()),
            };
            let (Ok(Some(config)), Ok(version)) = (
                self.provisioned(&ctx, &indexed.name, &indexed.qualifier).await,
                self.load(&ctx, &function).await,
            ) else {
                continue;
            };
            self.prewarm(&ctx, &version, usize::try_from(config.requested).unwrap_or(0))
                .await;
        }
    }

    pub(crate) async fn put_provisioned_concurrency_config(
        &self,
        ctx: &RequestContext,
        input: PutProvisionedConcurrencyConfigRequest,
    ) -> Result<PutProvisionedConcurrencyConfigResponse, AwsError> {
        let function = names::parse(ctx, &input.function_name, Some(&input.qualifier))?;
        let qualifier = qualifier_of(&function)?;
        let version = self.load(ctx, &function).await?;
        let record = ProvisionedRecord {
            function_arn: format!("{}:{qualifier}", names::function_arn(ctx, &function.name)),
            requested: input.provisioned_concurrent_executions,
            ready: false,
            last_modified: crate::functions::last_modified(&self.clock),
        };
        self.keep_provisioned(ctx, &function.name, &qualifier, record.clone())
            .await?;
        let lambda = self.clone();
        let owner = ctx.clone();
        let name = function.name.clone();
        tokio::spawn(async move {
            let count = usize::try_from(record.requested).unwrap_or(0);
            let started = lambda.prewarm(&owner, &version, count).await;
            let ready = ProvisionedRecord {
                ready: started == count,
                ..record
            };
            if let Err(error) = lambda.keep_provisioned(&owner, &name, &qualifier, ready).await {
                tracing::warn!(%error, "lambda could not record provisioned concurrency as ready");
            }
        });
        let answered = ProvisionedRecord {
            function_arn: String::new(),
            requested: input.provisioned_concurrent_executions,
            ready: false,
            last_modified: crate::functions::last_modified(&self.clock),
        }
        .answered();
        Ok(PutProvisionedConcurrencyConfigResponse {
            requested_provisioned_concurrent_executions: answered.requested_provisioned_concurrent_executions,
            available_provisioned_concurrent_executions: answered.available_provisioned_concurrent_executions,
            allocated_provisioned_concurrent_executions: answered.allocated_provisioned_concurrent_executions,
            status: answered.status,
            status_reason: answered.status_reason,
            last_modified: answered.last_modified,
        })
    }

    /// Starts `count` environments of a version and leaves them warm in the
    /// pool, which keeps that many past the idle time; how many started.
    async fn prewarm(
        &self,
        ctx: &RequestContext,
        record: &crate::records::FunctionRecord,
        count: usize,
    ) -> usize {
        let name = record.config.function_name.clone().unwrap_or_default();
        let version = record
            .config
            .version
            .clone()
            .unwrap_or_else(|| "$LATEST".to_owned());
        let key = self.pool_key(ctx, &name, &version);
        let mut started = Vec::new();
        for _ in 0..count {
            match self.start_environment(ctx, record).await {
                Ok(environment) => {
                    environment.started_ahead();
                    started.push(Arc::new(environment));
                }
                Err(error) => {
                    tracing::warn!(function = name, %error, "a provisioned environment did not start");
                    break;
                }
            }
        }
        let ready = started.len();
        self.pool.keep_warm(&key, record.revision(), ready);
        for environment in started {
            self.pool
                .give_back(&key, record.revision(), environment, self.clock.now());
        }
        ready
    }

    pub(crate) async fn get_provisioned_concurrency_config(
        &self,
        ctx: &RequestContext,
        input: GetProvisionedConcurrencyConfigRequest,
    ) -> Result<GetProvisionedConcurrencyConfigResponse, AwsError> {
        let function = names::parse(ctx, &input.function_name, Some(&input.qualifier))?;
        let qualifier = qualifier_of(&function)?;
        self.load(ctx, &function).await?;
        let record = self
            .provisioned(ctx, &function.name, &qualifier)
            .await?
            .ok_or_else(not_configured)?;
        Ok(record.answered())
    }

    pub(crate) async fn delete_provisioned_concurrency_config(
        &self,
        ctx: &RequestContext,
        input: DeleteProvisionedConcurrencyConfigRequest,
    ) -> Result<(), AwsError> {
        let function = names::parse(ctx, &input.function_name, Some(&input.qualifier))?;
        let qualifier = qualifier_of(&function)?;
        let version = self.load(ctx, &function).await?;
        self.provisioned(ctx, &function.name, &qualifier)
            .await?
            .ok_or_else(not_configured)?;
        let ns = namespace(ctx)?;
        let stored = key(&function.name, &qualifier);
        let indexed = index_key(ctx, &function.name, &qualifier);
        self.store
            .write(move |txn| {
                txn.open(&ns)?.delete(&stored)?;
                txn.open(&index()?)?.delete(&indexed)?;
                Ok::<_, AwsError>(())
            })
            .await?;
        let resolved = version.config.version.unwrap_or_else(|| "$LATEST".to_owned());
        self.pool.keep_warm(
            &self.pool_key(ctx, &function.name, &resolved),
            version.config.revision_id.as_deref().unwrap_or_default(),
            0,
        );
        Ok(())
    }

    pub(crate) async fn list_provisioned_concurrency_configs(
        &self,
        ctx: &RequestContext,
        input: ListProvisionedConcurrencyConfigsRequest,
    ) -> Result<ListProvisionedConcurrencyConfigsResponse, AwsError> {
        let function = names::parse(ctx, &input.function_name, None)?;
        self.load(ctx, &function).await?;
        let ns = namespace(ctx)?;
        let listed = self
            .store
            .values_under(&ns, &prefix(&function.name))
            .await?
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<ProvisionedRecord>(bytes).ok())
            .map(|record| {
                let answered = record.answered();
                ProvisionedConcurrencyConfigListItem {
                    function_arn: Some(record.function_arn),
                    requested_provisioned_concurrent_executions: answered
                        .requested_provisioned_concurrent_executions,
                    available_provisioned_concurrent_executions: answered
                        .available_provisioned_concurrent_executions,
                    allocated_provisioned_concurrent_executions: answered
                        .allocated_provisioned_concurrent_executions,
                    status: answered.status,
                    status_reason: answered.status_reason,
                    last_modified: answered.last_modified,
                }
            })
            .collect();
        Ok(ListProvisionedConcurrencyConfigsResponse {
            provisioned_concurrency_configs: Some(listed),
            next_marker: None,
        })
    }
}
