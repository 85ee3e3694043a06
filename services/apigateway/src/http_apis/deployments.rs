//! Deployments of HTTP APIs: a snapshot of the routes, integrations and
//! authorizers, kept apart from the API's record (`v2deploy/<api>/<id>`).
//! A stage without auto-deploy serves its deployment's snapshot (nothing,
//! 404, before it has one); an auto-deployed stage serves the API as it is.

use indexmap::IndexMap;
use nimbus_apigatewayv2_api::errors::{bad_request, not_found};
use nimbus_apigatewayv2_api::*;
use nimbus_core::{AwsError, RequestContext};
use serde::{Deserialize, Serialize};

use super::{HttpApiRecord, api_key, api_missing, convert};
use crate::ApiGateway;
use crate::records::{self, namespace_of};

/// A deployment and what it froze.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HttpDeployment {
    pub deployment: Deployment,
    pub routes: IndexMap<String, Route>,
    pub integrations: IndexMap<String, Integration>,
    pub authorizers: IndexMap<String, Authorizer>,
}

impl HttpDeployment {
    /// The API as this deployment serves it.
    pub fn serving(self, record: &HttpApiRecord) -> HttpApiRecord {
        HttpApiRecord {
            api: record.api.clone(),
            routes: self.routes,
            integrations: self.integrations,
            stages: record.stages.clone(),
            authorizers: self.authorizers,
        }
    }
}

pub fn deployments_prefix(api: &str) -> Vec<u8> {
    format!("v2deploy/{api}/").into_bytes()
}

fn deployment_key(api: &str, id: &str) -> Vec<u8> {
    [deployments_prefix(api), id.as_bytes().to_vec()].concat()
}

fn deployment_missing(id: &str) -> AwsError {
    not_found(format!("Invalid Deployment identifier specified {id}"))
}

impl ApiGateway {
    /// Deployment `id` of HTTP API `api`.
    pub(crate) async fn http_deployment(
        &self,
        ctx: &RequestContext,
        api: &str,
        id: &str,
    ) -> Result<HttpDeployment, AwsError> {
        let found: Option<HttpDeployment> = self
            .store
            .get_json(&namespace_of(ctx)?, &deployment_key(api, id))
            .await?;
        found.ok_or_else(|| deployment_missing(id))
    }

    pub(crate) async fn create_deployment_v2(
        &self,
        ctx: &RequestContext,
        input: CreateDeploymentRequest,
    ) -> Result<CreateDeploymentResponse, AwsError> {
        let deployment = Deployment {
            auto_deployed: Some(false),
            created_date: Some(records::timestamp(&self.clock)),
            deployment_id: Some(records::new_id(6)),
            deployment_status: Some("DEPLOYED".to_owned()),
            description: input.description,
            ..Default::default()
        };
        let id = deployment.deployment_id.clone().unwrap_or_default();
        let (ns, api) = (namespace_of(ctx)?, input.api_id);
        let (record_key, key) = (api_key(&api), deployment_key(&api, &id));
        let stage = input.stage_name;
        let answer = convert(&deployment);
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut record: HttpApiRecord =
                    table.get_json(&record_key)?.ok_or_else(|| api_missing(&api))?;
                if record.routes.is_empty() {
                    return Err(bad_request(
                        "Unable to deploy API because no routes exist in this API",
                    ));
                }
                if let Some(name) = stage {
                    let stage = record
                        .stages
                        .get_mut(&name)
                        .ok_or_else(|| not_found(format!("Invalid stage identifier specified {name}")))?;
                    stage.deployment_id = Some(id);
                    table.put_json(&record_key, &record)?;
                }
                let snapshot = HttpDeployment {
                    deployment,
                    routes: record.routes,
                    integrations: record.integrations,
                    authorizers: record.authorizers,
                };
                table.put_json(&key, &snapshot)?;
                Ok(())
            })
            .await?;
        Ok(answer)
    }

    pub(crate) async fn get_deployment_v2(
        &self,
        ctx: &RequestContext,
        input: GetDeploymentRequest,
    ) -> Result<GetDeploymentResponse, AwsError> {
        self.http_api(ctx, &input.api_id).await?;
        let found = self
            .http_deployment(ctx, &input.api_id, &input.deployment_id)
            .await?;
        Ok(convert(&found.deployment))
    }

    pub(crate) async fn get_deployments_v2(
        &self,
        ctx: &RequestContext,
        input: GetDeploymentsRequest,
    ) -> Result<GetDeploymentsResponse, AwsError> {
        self.http_api(ctx, &input.api_id).await?;
        let stored = self
            .store
            .values_under(&namespace_of(ctx)?, &deployments_prefix(&input.api_id))
            .await?;
        let items = stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<HttpDeployment>(bytes).ok())
            .map(|found| found.deployment)
            .collect();
        Ok(GetDeploymentsResponse {
            items: Some(items),
            next_token: None,
        })
    }

    pub(crate) async fn update_deployment_v2(
        &self,
        ctx: &RequestContext,
        input: UpdateDeploymentRequest,
    ) -> Result<UpdateDeploymentResponse, AwsError> {
        let (ns, key) = (
            namespace_of(ctx)?,
            deployment_key(&input.api_id, &input.deployment_id),
        );
        self.http_api(ctx, &input.api_id).await?;
        let (id, description) = (input.deployment_id, input.description);
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut found: HttpDeployment =
                    table.get_json(&key)?.ok_or_else(|| deployment_missing(&id))?;
                if description.is_some() {
                    found.deployment.description = description;
                }
                table.put_json(&key, &found)?;
                Ok(convert(&found.deployment))
            })
            .await
    }

    pub(crate) async fn delete_deployment_v2(
        &self,
        ctx: &RequestContext,
        input: DeleteDeploymentRequest,
    ) -> Result<(), AwsError> {
        let (ns, api, id) = (namespace_of(ctx)?, input.api_id, input.deployment_id);
        let (record_key, key) = (api_key(&api), deployment_key(&api, &id));
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let record: HttpApiRecord = table.get_json(&record_key)?.ok_or_else(|| api_missing(&api))?;
                if table.get(&key)?.is_none() {
                    return Err(deployment_missing(&id));
                }
                if record
                    .stages
                    .values()
                    .any(|s| s.deployment_id.as_deref() == Some(id.as_str()))
                {
                    return Err(bad_request(
                        "Active stages pointing to this deployment must be moved or deleted",
                    ));
                }
                table.delete(&key)?;
                Ok(())
            })
            .await
    }
}
