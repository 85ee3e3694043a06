//! Function URLs: Create/Get/Update/Delete/ListFunctionUrlConfigs, one URL
//! per function or alias, kept under `url/<name>/<qualifier>` with an index
//! from the URL's id to its function (global `lambda` namespace,
//! `url-id/<id>`), which the front hook reads to answer
//! `http://<id>.lambda-url.<region>.localhost:<port>/`.

use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::*;
use nimbus_store::Namespace;
use serde::{Deserialize, Serialize};

use crate::Lambda;
use crate::functions::namespace;
use crate::names::{self, FunctionRef};
use crate::versions::is_version_number;

/// A URL's configuration and id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UrlRecord {
    pub id: String,
    pub config: FunctionUrlConfig,
}

/// Where a URL id leads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UrlTarget {
    pub account: String,
    pub region: String,
    pub function: String,
    pub qualifier: Option<String>,
}

fn url_key(name: &str, qualifier: Option<&str>) -> Vec<u8> {
    format!("url/{name}/{}", qualifier.unwrap_or("$LATEST")).into_bytes()
}

/// Every URL of `name` lies under this.
pub fn urls_prefix(name: &str) -> Vec<u8> {
    format!("url/{name}/").into_bytes()
}

pub fn index() -> Result<Namespace, AwsError> {
    Namespace::global("lambda").map_err(AwsError::from)
}

pub fn index_key(id: &str) -> Vec<u8> {
    format!("url-id/{id}").into_bytes()
}

fn no_url() -> AwsError {
    errors::resource_not_found("The resource you requested does not exist.").with_field("Type", "User")
}

/// `2021-10-27T18:30:12.345678Z`, as Lambda writes a URL's times.
fn url_time(clock: &nimbus_runtime::Clock) -> String {
    let now = time::OffsetDateTime::from(clock.now());
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    now.format(&format).unwrap_or_default()
}

impl Lambda {
    /// The URL clients call for `id`: nimbus's own address, under the
    /// function URL host name.
    fn url_of(&self, ctx: &RequestContext, id: &str) -> String {
        let port = self.endpoint.rsplit(':').next().unwrap_or("4566");
        format!("http://{id}.lambda-url.{}.localhost:{port}/", ctx.region)
    }

    /// A URL's qualifier is the function itself or an alias of it.
    async fn url_target(&self, ctx: &RequestContext, function: &FunctionRef) -> Result<String, AwsError> {
        if function.qualifier.as_deref().is_some_and(is_version_number) {
            return Err(errors::invalid_parameter_value(
                "Function URLs can be created for the unqualified function ($LATEST) or an alias only.",
            ));
        }
        self.load(ctx, function).await?;
        let arn = names::function_arn(ctx, &function.name);
        Ok(match function.qualifier.as_deref() {
            Some(q) if q != "$LATEST" => format!("{arn}:{q}"),
            _ => arn,
        })
    }

    async fn url_record(
        &self,
        ctx: &RequestContext,
        function: &FunctionRef,
    ) -> Result<Option<UrlRecord>, AwsError> {
        let ns = namespace(ctx)?;
        let key = url_key(&function.name, function.qualifier.as_deref());
        self.store.get_json(&ns, &key).await.map_err(AwsError::from)
    }

    pub(crate) async fn create_function_url_config(
        &self,
        ctx: &RequestContext,
        input: CreateFunctionUrlConfigRequest,
    ) -> Result<CreateFunctionUrlConfigResponse, AwsError> {
        let function = names::parse(ctx, &input.function_name, input.qualifier.as_deref())?;
        let arn = self.url_target(ctx, &function).await?;
        let id = uuid::Uuid::new_v4().simple().to_string();
        let now = url_time(&self.clock);
        let config = FunctionUrlConfig {
            function_url: self.url_of(ctx, &id),
            function_arn: arn.clone(),
            creation_time: now.clone(),
            last_modified_time: now,
            cors: input.cors,
            auth_type: input.auth_type,
            invoke_mode: Some(input.invoke_mode.unwrap_or_else(|| "BUFFERED".to_owned())),
        };
        let record = UrlRecord {
            id: id.clone(),
            config: config.clone(),
        };
        let target = UrlTarget {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            function: function.name.clone(),
            qualifier: function.qualifier.clone().filter(|q| q != "$LATEST"),
        };
        let ns = namespace(ctx)?;
        let key = url_key(&function.name, target.qualifier.as_deref());
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                if table.get(&key)?.is_some() {
                    return Err(errors::resource_conflict(format!(
                        "Failed to create function url config for [functionArn = {arn}]. Error message:  \
                         FunctionUrlConfig exists for this Lambda function"
                    ))
                    .with_field("Type", "User"));
                }
                table.put_json(&key, &record)?;
                // One table at a time: the index shares the service's table.
                drop(table);
                txn.open(&index()?)?.put_json(&index_key(&id), &target)?;
                Ok(())
            })
            .await?;
        Ok(CreateFunctionUrlConfigResponse {
            function_url: config.function_url,
            function_arn: config.function_arn,
            auth_type: config.auth_type,
            cors: config.cors,
            creation_time: config.creation_time,
            invoke_mode: config.invoke_mode,
        })
    }

    pub(crate) async fn get_function_url_config(
        &self,
        ctx: &RequestContext,
        input: GetFunctionUrlConfigRequest,
    ) -> Result<GetFunctionUrlConfigResponse, AwsError> {
        let function = names::parse(ctx, &input.function_name, input.qualifier.as_deref())?;
        self.url_target(ctx, &function).await?;
        let config = self.url_record(ctx, &function).await?.ok_or_else(no_url)?.config;
        Ok(GetFunctionUrlConfigResponse {
            function_url: config.function_url,
            function_arn: config.function_arn,
            auth_type: config.auth_type,
            cors: config.cors,
            creation_time: config.creation_time,
            last_modified_time: config.last_modified_time,
            invoke_mode: config.invoke_mode,
        })
    }

    pub(crate) async fn update_function_url_config(
        &self,
        ctx: &RequestContext,
        input: UpdateFunctionUrlConfigRequest,
    ) -> Result<UpdateFunctionUrlConfigResponse, AwsError> {
        let function = names::parse(ctx, &input.function_name, input.qualifier.as_deref())?;
        self.url_target(ctx, &function).await?;
        let mut record = self.url_record(ctx, &function).await?.ok_or_else(no_url)?;
        if let Some(auth) = input.auth_type {
            record.config.auth_type = auth;
        }
        if let Some(cors) = input.cors {
            record.config.cors = Some(cors);
        }
        if let Some(mode) = input.invoke_mode {
            record.config.invoke_mode = Some(mode);
        }
        record.config.last_modified_time = url_time(&self.clock);
        let ns = namespace(ctx)?;
        let key = url_key(
            &function.name,
            function.qualifier.as_deref().filter(|q| *q != "$LATEST"),
        );
        let stored = record.clone();
        self.store
            .put_json(&ns, &key, stored)
            .await
            .map_err(AwsError::from)?;
        let config = record.config;
        Ok(UpdateFunctionUrlConfigResponse {
            function_url: config.function_url,
            function_arn: config.function_arn,
            auth_type: config.auth_type,
            cors: config.cors,
            creation_time: config.creation_time,
            last_modified_time: config.last_modified_time,
            invoke_mode: config.invoke_mode,
        })
    }

    pub(crate) async fn delete_function_url_config(
        &self,
        ctx: &RequestContext,
        input: DeleteFunctionUrlConfigRequest,
    ) -> Result<(), AwsError> {
        let function = names::parse(ctx, &input.function_name, input.qualifier.as_deref())?;
        self.url_target(ctx, &function).await?;
        let record = self.url_record(ctx, &function).await?.ok_or_else(no_url)?;
        let ns = namespace(ctx)?;
        let key = url_key(
            &function.name,
            function.qualifier.as_deref().filter(|q| *q != "$LATEST"),
        );
        self.store
            .write(move |txn| {
                txn.open(&ns)?.delete(&key)?;
                txn.open(&index()?)?.delete(&index_key(&record.id))?;
                Ok::<_, AwsError>(())
            })
            .await
    }

    pub(crate) async fn list_function_url_configs(
        &self,
        ctx: &RequestContext,
        input: ListFunctionUrlConfigsRequest,
    ) -> Result<ListFunctionUrlConfigsResponse, AwsError> {
        let function = names::parse(ctx, &input.function_name, None)?;
        self.load(ctx, &function).await?;
        let ns = namespace(ctx)?;
        let configs: Vec<FunctionUrlConfig> = self
            .store
            .values_under(&ns, &urls_prefix(&function.name))
            .await?
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<UrlRecord>(bytes).ok())
            .map(|record| record.config)
            .collect();
        Ok(ListFunctionUrlConfigsResponse {
            function_url_configs: configs,
            next_marker: None,
        })
    }

    /// Removes the URL of a function or alias that goes away, if it has one.
    pub(crate) async fn forget_url(
        &self,
        ctx: &RequestContext,
        function: &FunctionRef,
    ) -> Result<(), AwsError> {
        let Some(record) = self.url_record(ctx, function).await? else {
            return Ok(());
        };
        let ns = namespace(ctx)?;
        let key = url_key(&function.name, function.qualifier.as_deref());
        self.store
            .write(move |txn| {
                txn.open(&ns)?.delete(&key)?;
                txn.open(&index()?)?.delete(&index_key(&record.id))?;
                Ok::<_, AwsError>(())
            })
            .await
    }

    /// Where a URL id leads, and the URL's configuration.
    pub(crate) async fn url_by_id(&self, id: &str) -> Option<(UrlTarget, UrlRecord)> {
        let key = index_key(id);
        let target: UrlTarget = self
            .store
            .read(move |txn| Ok::<_, AwsError>(txn.open(&index()?)?.get_json(&key)?))
            .await
            .ok()??;
        let ctx = RequestContext::internal("lambda", "InvokeFunctionUrl", &target.account, &target.region);
        let function = FunctionRef {
            name: target.function.clone(),
            qualifier: target.qualifier.clone(),
        };
        let record = self.url_record(&ctx, &function).await.ok()??;
        Some((target, record))
    }
}
