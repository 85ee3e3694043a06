//! REST APIs: created with their root resource (`/`), listed, read and
//! deleted with everything under them.

use std::sync::Arc;

use indexmap::IndexMap;
use nimbus_apigateway_api::*;
use nimbus_core::{AwsError, RequestContext};

use crate::ApiGateway;
use crate::errors;
use crate::invoke::Home;
use crate::records::{self, API_PREFIX, ApiRecord, api_key, namespace_of};

/// What a missing API is called in an operation's refusal: itself, or (for
/// operations on a resource's methods) the resource, as AWS words it.
#[derive(Clone, Copy)]
pub(crate) enum Missing {
    Api,
    Resource,
}

impl Missing {
    fn error(self, ctx: &RequestContext, id: &str) -> AwsError {
        match self {
            Missing::Api => errors::api_missing(ctx, id),
            Missing::Resource => errors::resource_missing(),
        }
    }
}

impl ApiGateway {
    pub(crate) async fn load_api(
        &self,
        ctx: &RequestContext,
        id: &str,
        missing: Missing,
    ) -> Result<ApiRecord, AwsError> {
        let found: Option<ApiRecord> = self.store.get_json(&namespace_of(ctx)?, &api_key(id)).await?;
        found.ok_or_else(|| missing.error(ctx, id))
    }

    /// Changes an API's record in one transaction; `change` answers what
    /// the operation returns.
    /// Changes the record under `key` (an API key, a usage plan, a stage)
    /// in one transaction, answering it as changed.
    pub(crate) async fn change_stored<R>(
        &self,
        ctx: &RequestContext,
        key: Vec<u8>,
        missing: AwsError,
        change: impl FnOnce(&mut R) -> Result<(), AwsError> + Send + 'static,
    ) -> Result<R, AwsError>
    where
        R: serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
    {
        let ns = namespace_of(ctx)?;
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut record: R = table.get_json(&key)?.ok_or(missing)?;
                change(&mut record)?;
                table.put_json(&key, &record)?;
                Ok(record)
            })
            .await
    }

    pub(crate) async fn change_api<T: Send + 'static>(
        &self,
        ctx: &RequestContext,
        (id, missing): (&str, Missing),
        change: impl FnOnce(&mut ApiRecord) -> Result<T, AwsError> + Send + 'static,
    ) -> Result<T, AwsError> {
        let ns = namespace_of(ctx)?;
        let key = api_key(id);
        let absent = missing.error(ctx, id);
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut record: ApiRecord = table.get_json(&key)?.ok_or(absent)?;
                let answer = change(&mut record)?;
                table.put_json(&key, &record)?;
                Ok(answer)
            })
            .await
    }

    pub(crate) async fn create_rest_api(
        &self,
        ctx: &RequestContext,
        input: CreateRestApiRequest,
    ) -> Result<RestApi, AwsError> {
        if input.name.trim().is_empty() {
            return Err(nimbus_apigateway_api::errors::bad_request("Name is required"));
        }
        let id = records::new_id(10);
        let root = records::new_id(10);
        let api = RestApi {
            id: Some(id.clone()),
            name: Some(input.name),
            description: input.description,
            version: input.version,
            created_date: Some(records::timestamp(&self.clock)),
            binary_media_types: input.binary_media_types,
            minimum_compression_size: input.minimum_compression_size,
            api_key_source: Some(input.api_key_source.unwrap_or_else(|| "HEADER".to_owned())),
            endpoint_configuration: Some(input.endpoint_configuration.unwrap_or(EndpointConfiguration {
                types: Some(vec!["EDGE".to_owned()]),
                ip_address_type: Some("ipv4".to_owned()),
                vpc_endpoint_ids: None,
            })),
            policy: input.policy,
            tags: input.tags.filter(|tags| !tags.is_empty()),
            disable_execute_api_endpoint: Some(input.disable_execute_api_endpoint.unwrap_or(false)),
            root_resource_id: Some(root.clone()),
            ..Default::default()
        };
        let mut resources = IndexMap::new();
        resources.insert(
            root.clone(),
            ResourceShape {
                id: Some(root),
                path: Some("/".to_owned()),
                ..Default::default()
            },
        );
        let record = ApiRecord {
            api: api.clone(),
            resources,
            authorizers: IndexMap::new(),
            gateway_responses: IndexMap::new(),
            models: crate::models::default_models(),
            request_validators: IndexMap::new(),
        };
        self.store
            .put_json(&namespace_of(ctx)?, &api_key(&id), record)
            .await?;
        let home = Home {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            http: false,
        };
        self.store
            .put_json(&records::homes()?, &records::home_key(&id), home)
            .await?;
        Ok(api)
    }

    pub(crate) async fn get_rest_api(
        &self,
        ctx: &RequestContext,
        input: GetRestApiRequest,
    ) -> Result<RestApi, AwsError> {
        Ok(self.load_api(ctx, &input.rest_api_id, Missing::Api).await?.api)
    }

    pub(crate) async fn update_rest_api(
        &self,
        ctx: &RequestContext,
        input: UpdateRestApiRequest,
    ) -> Result<RestApi, AwsError> {
        let operations = input.patch_operations.unwrap_or_default();
        self.change_api(ctx, (&input.rest_api_id, Missing::Api), move |record| {
            for operation in &operations {
                crate::api_patch::apply(&mut record.api, operation)?;
            }
            Ok(record.api.clone())
        })
        .await
    }

    pub(crate) async fn get_rest_apis(
        &self,
        ctx: &RequestContext,
        input: GetRestApisRequest,
    ) -> Result<RestApis, AwsError> {
        let stored = self.store.values_under(&namespace_of(ctx)?, API_PREFIX).await?;
        let apis: Vec<RestApi> = stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<ApiRecord>(bytes).ok())
            .map(|record| record.api)
            .collect();
        let (items, position) = crate::paging::page(apis, input.position.as_deref(), input.limit)?;
        Ok(RestApis {
            items: Some(items),
            position,
        })
    }

    pub(crate) async fn delete_rest_api(
        &self,
        ctx: &RequestContext,
        input: DeleteRestApiRequest,
    ) -> Result<(), AwsError> {
        let id = input.rest_api_id.clone();
        self.load_api(ctx, &id, Missing::Api).await?;
        let ns = namespace_of(ctx)?;
        let prefixes = [records::deployments_prefix(&id), records::stages_prefix(&id)];
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                table.delete(&api_key(&id))?;
                for prefix in &prefixes {
                    table.delete_prefix(prefix)?;
                }
                Ok::<_, AwsError>(())
            })
            .await?;
        self.homes.forget(&input.rest_api_id);
        self.forget_stages(ctx, &input.rest_api_id);
        self.deployments.forget(&format!(
            "{}/{}/{}/",
            ctx.account_id, ctx.region, input.rest_api_id
        ));
        self.store
            .delete(&records::homes()?, &records::home_key(&input.rest_api_id))
            .await
            .map_err(AwsError::from)
    }

    /// Where API `id` lives, if it exists.
    pub(crate) async fn home_of(&self, id: &str) -> Option<Arc<Home>> {
        if let Some(home) = self.homes.get(id) {
            return Some(home);
        }
        let homes = records::homes().ok()?;
        let found: Home = self.store.get_json(&homes, &records::home_key(id)).await.ok()??;
        let found = Arc::new(found);
        self.homes.keep(id.to_owned(), Arc::clone(&found));
        Some(found)
    }
}
