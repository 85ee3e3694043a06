//! HTTP APIs: CreateApi (with quick create: `Target` and `RouteKey` make
//! the integration, the route and an auto-deployed `$default` stage),
//! GetApi(s), DeleteApi.

use indexmap::IndexMap;
use nimbus_apigatewayv2_api::*;
use nimbus_core::{AwsError, RequestContext};

use super::{API_PREFIX, HttpApiRecord, api_key, api_missing, convert};
use crate::ApiGateway;
use crate::invoke::Home;
use crate::records::{self, namespace_of};

impl ApiGateway {
    pub(crate) async fn http_api(&self, ctx: &RequestContext, id: &str) -> Result<HttpApiRecord, AwsError> {
        let found: Option<HttpApiRecord> = self.store.get_json(&namespace_of(ctx)?, &api_key(id)).await?;
        found.ok_or_else(|| api_missing(id))
    }

    /// Changes an HTTP API's record in one transaction.
    pub(crate) async fn change_http_api<T: Send + 'static>(
        &self,
        ctx: &RequestContext,
        id: &str,
        change: impl FnOnce(&mut HttpApiRecord) -> Result<T, AwsError> + Send + 'static,
    ) -> Result<T, AwsError> {
        let ns = namespace_of(ctx)?;
        let (key, missing) = (api_key(id), api_missing(id));
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut record: HttpApiRecord = table.get_json(&key)?.ok_or(missing)?;
                let answer = change(&mut record)?;
                table.put_json(&key, &record)?;
                Ok(answer)
            })
            .await
    }

    fn api_endpoint(&self, id: &str, region: &str) -> String {
        let port = self
            .endpoint
            .get()
            .and_then(|e| e.rsplit(':').next().map(str::to_owned))
            .unwrap_or_else(|| "4566".into());
        format!("http://{id}.execute-api.{region}.localhost:{port}")
    }

    pub(crate) async fn create_api(
        &self,
        ctx: &RequestContext,
        input: CreateApiRequest,
    ) -> Result<CreateApiResponse, AwsError> {
        if input.protocol_type != "HTTP" {
            return Err(nimbus_apigatewayv2_api::errors::bad_request(
                "nimbus serves HTTP APIs; WebSocket APIs are not supported yet",
            ));
        }
        let id = records::new_id(10);
        let api = Api {
            api_endpoint: Some(self.api_endpoint(&id, &ctx.region)),
            api_id: Some(id.clone()),
            api_key_selection_expression: Some(
                input
                    .api_key_selection_expression
                    .unwrap_or_else(|| "$request.header.x-api-key".into()),
            ),
            cors_configuration: input.cors_configuration,
            created_date: Some(records::timestamp(&self.clock)),
            description: input.description,
            disable_execute_api_endpoint: Some(input.disable_execute_api_endpoint.unwrap_or(false)),
            ip_address_type: Some(input.ip_address_type.unwrap_or_else(|| "ipv4".into())),
            name: input.name,
            protocol_type: input.protocol_type,
            route_selection_expression: input
                .route_selection_expression
                .unwrap_or_else(|| "$request.method $request.path".into()),
            tags: input.tags.filter(|t| !t.is_empty()),
            version: input.version,
            ..Default::default()
        };
        let mut record = HttpApiRecord {
            api,
            routes: IndexMap::new(),
            integrations: IndexMap::new(),
            stages: IndexMap::new(),
            authorizers: IndexMap::new(),
        };
        if let Some(target) = input.target {
            super::parts::quick_create(&mut record, &target, input.route_key.as_deref(), &self.clock);
        }
        let answer = convert(&record.api);
        self.store
            .put_json(&namespace_of(ctx)?, &api_key(&id), record)
            .await?;
        let home = Home {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            http: true,
        };
        self.store
            .put_json(&records::homes()?, &records::home_key(&id), home)
            .await?;
        Ok(answer)
    }

    pub(crate) async fn get_api(
        &self,
        ctx: &RequestContext,
        input: GetApiRequest,
    ) -> Result<GetApiResponse, AwsError> {
        Ok(convert(&self.http_api(ctx, &input.api_id).await?.api))
    }

    pub(crate) async fn get_apis(
        &self,
        ctx: &RequestContext,
        _input: GetApisRequest,
    ) -> Result<GetApisResponse, AwsError> {
        let stored = self.store.values_under(&namespace_of(ctx)?, API_PREFIX).await?;
        let items = stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<HttpApiRecord>(bytes).ok())
            .map(|record| record.api)
            .collect();
        Ok(GetApisResponse {
            items: Some(items),
            next_token: None,
        })
    }

    pub(crate) async fn delete_api(
        &self,
        ctx: &RequestContext,
        input: DeleteApiRequest,
    ) -> Result<(), AwsError> {
        self.http_api(ctx, &input.api_id).await?;
        let (ns, id) = (namespace_of(ctx)?, input.api_id.clone());
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                table.delete(&api_key(&id))?;
                table.delete_prefix(&super::deployments::deployments_prefix(&id))?;
                Ok::<_, AwsError>(())
            })
            .await?;
        self.store
            .delete(&records::homes()?, &records::home_key(&input.api_id))
            .await
            .map_err(AwsError::from)
    }
}
