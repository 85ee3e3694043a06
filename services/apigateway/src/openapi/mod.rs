//! OpenAPI: ImportRestApi and PutRestApi read a definition into an API;
//! GetExport writes a stage's deployment as one.

mod export;
mod import;

use bytes::Bytes;
use indexmap::IndexMap;
use nimbus_apigateway_api::*;
use nimbus_core::{AwsError, RequestContext};

use crate::ApiGateway;
use crate::apis::Missing;
use crate::errors;

impl ApiGateway {
    pub(crate) async fn import_rest_api(
        &self,
        ctx: &RequestContext,
        input: ImportRestApiRequest,
    ) -> Result<RestApi, AwsError> {
        let definition = import::definition(&input.body)?;
        let created = self
            .create_rest_api(
                ctx,
                CreateRestApiRequest {
                    name: definition.title.clone().unwrap_or_else(|| "imported".to_owned()),
                    description: definition.description.clone(),
                    version: definition.version.clone(),
                    binary_media_types: definition.binary_media_types.clone(),
                    api_key_source: definition.api_key_source.clone(),
                    ..Default::default()
                },
            )
            .await?;
        let id = created.id.clone().unwrap_or_default();
        self.change_api(ctx, (&id, Missing::Api), move |record| {
            import::apply(record, definition, false);
            Ok(record.api.clone())
        })
        .await
    }

    pub(crate) async fn put_rest_api(
        &self,
        ctx: &RequestContext,
        input: PutRestApiRequest,
    ) -> Result<RestApi, AwsError> {
        let definition = import::definition(&input.body)?;
        let overwrite = match input.mode.as_deref().unwrap_or("merge") {
            "merge" => false,
            "overwrite" => true,
            other => return Err(errors::bad_request(format!("Invalid mode: {other}"))),
        };
        self.change_api(ctx, (&input.rest_api_id, Missing::Api), move |record| {
            if overwrite {
                record.api.description = definition.description.clone();
                if let Some(title) = &definition.title {
                    record.api.name = Some(title.clone());
                }
            }
            import::apply(record, definition, overwrite);
            Ok(record.api.clone())
        })
        .await
    }

    pub(crate) async fn get_export(
        &self,
        ctx: &RequestContext,
        input: GetExportRequest,
    ) -> Result<ExportResponse, AwsError> {
        let record = self.load_api(ctx, &input.rest_api_id, Missing::Api).await?;
        let swagger = match input.export_type.as_str() {
            "oas30" => false,
            "swagger" => true,
            other => {
                return Err(errors::bad_request(format!(
                    "Invalid export type specified: {other}"
                )));
            }
        };
        let stage = self.stage(ctx, &input.rest_api_id, &input.stage_name).await?;
        let deployment = self
            .deployment(
                ctx,
                &input.rest_api_id,
                stage.deployment_id.as_deref().unwrap_or_default(),
            )
            .await?;
        let parameters: IndexMap<String, String> = input.parameters.unwrap_or_default();
        let extensions = parameters.get("extensions").is_some_and(|e| {
            e.split(',')
                .any(|e| matches!(e.trim(), "integrations" | "apigateway"))
        });
        let exported = export::Exported {
            api: &record.api,
            stage: &input.stage_name,
            resources: &deployment.resources,
            swagger,
            extensions,
            host: format!("{}.execute-api.{}.localhost", input.rest_api_id, ctx.region),
        };
        let body = serde_json::to_vec_pretty(&export::document(&exported))
            .map_err(|e| AwsError::internal(e.to_string()))?;
        Ok(ExportResponse {
            content_type: Some("application/json".to_owned()),
            content_disposition: Some(format!(
                "attachment; filename=\"{}_{}.json\"",
                input.export_type, input.stage_name
            )),
            body: Some(Bytes::from(body)),
        })
    }
}
