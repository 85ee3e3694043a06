//! The operations of the generated [`LambdaApi`], each handed to the
//! module of its concern; the ARNs IAM authorises them on.

use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::*;

use crate::{Lambda, names};

/// The operations, served by the handlers of the modules.
impl LambdaApi for Lambda {
    async fn create_function(
        &self,
        ctx: &RequestContext,
        input: CreateFunctionRequest,
    ) -> Result<FunctionConfiguration, AwsError> {
        Lambda::create_function(self, ctx, input).await
    }

    async fn delete_function(
        &self,
        ctx: &RequestContext,
        input: DeleteFunctionRequest,
    ) -> Result<DeleteFunctionResponse, AwsError> {
        Lambda::delete_function(self, ctx, input).await
    }

    async fn get_account_settings(
        &self,
        ctx: &RequestContext,
        _input: GetAccountSettingsRequest,
    ) -> Result<GetAccountSettingsResponse, AwsError> {
        Lambda::get_account_settings(self, ctx).await
    }

    async fn get_function(
        &self,
        ctx: &RequestContext,
        input: GetFunctionRequest,
    ) -> Result<GetFunctionResponse, AwsError> {
        Lambda::get_function(self, ctx, input).await
    }

    async fn get_function_configuration(
        &self,
        ctx: &RequestContext,
        input: GetFunctionConfigurationRequest,
    ) -> Result<FunctionConfiguration, AwsError> {
        Lambda::get_function_configuration(self, ctx, input).await
    }

    async fn invoke(
        &self,
        ctx: &RequestContext,
        input: InvocationRequest,
    ) -> Result<InvocationResponse, AwsError> {
        Lambda::invoke(self, ctx, input).await
    }

    async fn invoke_with_response_stream(
        &self,
        ctx: &RequestContext,
        input: InvokeWithResponseStreamRequest,
    ) -> Result<InvokeWithResponseStreamResponse, AwsError> {
        Lambda::invoke_with_response_stream(self, ctx, input).await
    }

    async fn create_event_source_mapping(
        &self,
        ctx: &RequestContext,
        input: CreateEventSourceMappingRequest,
    ) -> Result<EventSourceMappingConfiguration, AwsError> {
        Lambda::create_event_source_mapping(self, ctx, input).await
    }

    async fn get_event_source_mapping(
        &self,
        ctx: &RequestContext,
        input: GetEventSourceMappingRequest,
    ) -> Result<EventSourceMappingConfiguration, AwsError> {
        Lambda::get_event_source_mapping(self, ctx, input).await
    }

    async fn list_event_source_mappings(
        &self,
        ctx: &RequestContext,
        input: ListEventSourceMappingsRequest,
    ) -> Result<ListEventSourceMappingsResponse, AwsError> {
        Lambda::list_event_source_mappings(self, ctx, input).await
    }

    async fn delete_event_source_mapping(
        &self,
        ctx: &RequestContext,
        input: DeleteEventSourceMappingRequest,
    ) -> Result<EventSourceMappingConfiguration, AwsError> {
        Lambda::delete_event_source_mapping(self, ctx, input).await
    }

    async fn list_tags(
        &self,
        ctx: &RequestContext,
        input: ListTagsRequest,
    ) -> Result<ListTagsResponse, AwsError> {
        Lambda::list_tags(self, ctx, input).await
    }

    async fn tag_resource(&self, ctx: &RequestContext, input: TagResourceRequest) -> Result<(), AwsError> {
        Lambda::tag_resource(self, ctx, input).await
    }

    async fn untag_resource(
        &self,
        ctx: &RequestContext,
        input: UntagResourceRequest,
    ) -> Result<(), AwsError> {
        Lambda::untag_resource(self, ctx, input).await
    }

    async fn update_function_code(
        &self,
        ctx: &RequestContext,
        input: UpdateFunctionCodeRequest,
    ) -> Result<FunctionConfiguration, AwsError> {
        Lambda::update_function_code(self, ctx, input).await
    }

    async fn update_function_configuration(
        &self,
        ctx: &RequestContext,
        input: UpdateFunctionConfigurationRequest,
    ) -> Result<FunctionConfiguration, AwsError> {
        Lambda::update_function_configuration(self, ctx, input).await
    }

    async fn put_function_event_invoke_config(
        &self,
        ctx: &RequestContext,
        input: PutFunctionEventInvokeConfigRequest,
    ) -> Result<FunctionEventInvokeConfig, AwsError> {
        Lambda::put_function_event_invoke_config(self, ctx, input).await
    }

    async fn update_function_event_invoke_config(
        &self,
        ctx: &RequestContext,
        input: UpdateFunctionEventInvokeConfigRequest,
    ) -> Result<FunctionEventInvokeConfig, AwsError> {
        Lambda::update_function_event_invoke_config(self, ctx, input).await
    }

    async fn get_function_event_invoke_config(
        &self,
        ctx: &RequestContext,
        input: GetFunctionEventInvokeConfigRequest,
    ) -> Result<FunctionEventInvokeConfig, AwsError> {
        Lambda::get_function_event_invoke_config(self, ctx, input).await
    }

    async fn delete_function_event_invoke_config(
        &self,
        ctx: &RequestContext,
        input: DeleteFunctionEventInvokeConfigRequest,
    ) -> Result<(), AwsError> {
        Lambda::delete_function_event_invoke_config(self, ctx, input).await
    }

    async fn list_function_event_invoke_configs(
        &self,
        ctx: &RequestContext,
        input: ListFunctionEventInvokeConfigsRequest,
    ) -> Result<ListFunctionEventInvokeConfigsResponse, AwsError> {
        Lambda::list_function_event_invoke_configs(self, ctx, input).await
    }

    async fn publish_version(
        &self,
        ctx: &RequestContext,
        input: PublishVersionRequest,
    ) -> Result<FunctionConfiguration, AwsError> {
        Lambda::publish_version(self, ctx, input).await
    }

    async fn list_versions_by_function(
        &self,
        ctx: &RequestContext,
        input: ListVersionsByFunctionRequest,
    ) -> Result<ListVersionsByFunctionResponse, AwsError> {
        Lambda::list_versions_by_function(self, ctx, input).await
    }

    async fn create_alias(
        &self,
        ctx: &RequestContext,
        input: CreateAliasRequest,
    ) -> Result<AliasConfiguration, AwsError> {
        Lambda::create_alias(self, ctx, input).await
    }

    async fn get_alias(
        &self,
        ctx: &RequestContext,
        input: GetAliasRequest,
    ) -> Result<AliasConfiguration, AwsError> {
        Lambda::get_alias(self, ctx, input).await
    }

    async fn update_alias(
        &self,
        ctx: &RequestContext,
        input: UpdateAliasRequest,
    ) -> Result<AliasConfiguration, AwsError> {
        Lambda::update_alias(self, ctx, input).await
    }

    async fn delete_alias(&self, ctx: &RequestContext, input: DeleteAliasRequest) -> Result<(), AwsError> {
        Lambda::delete_alias(self, ctx, input).await
    }

    async fn list_aliases(
        &self,
        ctx: &RequestContext,
        input: ListAliasesRequest,
    ) -> Result<ListAliasesResponse, AwsError> {
        Lambda::list_aliases(self, ctx, input).await
    }

    async fn add_permission(
        &self,
        ctx: &RequestContext,
        input: AddPermissionRequest,
    ) -> Result<AddPermissionResponse, AwsError> {
        Lambda::add_permission(self, ctx, input).await
    }

    async fn get_policy(
        &self,
        ctx: &RequestContext,
        input: GetPolicyRequest,
    ) -> Result<GetPolicyResponse, AwsError> {
        Lambda::get_policy(self, ctx, input).await
    }

    async fn remove_permission(
        &self,
        ctx: &RequestContext,
        input: RemovePermissionRequest,
    ) -> Result<(), AwsError> {
        Lambda::remove_permission(self, ctx, input).await
    }

    async fn put_function_concurrency(
        &self,
        ctx: &RequestContext,
        input: PutFunctionConcurrencyRequest,
    ) -> Result<Concurrency, AwsError> {
        Lambda::put_function_concurrency(self, ctx, input).await
    }

    async fn get_function_concurrency(
        &self,
        ctx: &RequestContext,
        input: GetFunctionConcurrencyRequest,
    ) -> Result<GetFunctionConcurrencyResponse, AwsError> {
        Lambda::get_function_concurrency(self, ctx, input).await
    }

    async fn delete_function_concurrency(
        &self,
        ctx: &RequestContext,
        input: DeleteFunctionConcurrencyRequest,
    ) -> Result<(), AwsError> {
        Lambda::delete_function_concurrency(self, ctx, input).await
    }

    async fn create_function_url_config(
        &self,
        ctx: &RequestContext,
        input: CreateFunctionUrlConfigRequest,
    ) -> Result<CreateFunctionUrlConfigResponse, AwsError> {
        Lambda::create_function_url_config(self, ctx, input).await
    }

    async fn get_function_url_config(
        &self,
        ctx: &RequestContext,
        input: GetFunctionUrlConfigRequest,
    ) -> Result<GetFunctionUrlConfigResponse, AwsError> {
        Lambda::get_function_url_config(self, ctx, input).await
    }

    async fn update_function_url_config(
        &self,
        ctx: &RequestContext,
        input: UpdateFunctionUrlConfigRequest,
    ) -> Result<UpdateFunctionUrlConfigResponse, AwsError> {
        Lambda::update_function_url_config(self, ctx, input).await
    }

    async fn delete_function_url_config(
        &self,
        ctx: &RequestContext,
        input: DeleteFunctionUrlConfigRequest,
    ) -> Result<(), AwsError> {
        Lambda::delete_function_url_config(self, ctx, input).await
    }

    async fn list_function_url_configs(
        &self,
        ctx: &RequestContext,
        input: ListFunctionUrlConfigsRequest,
    ) -> Result<ListFunctionUrlConfigsResponse, AwsError> {
        Lambda::list_function_url_configs(self, ctx, input).await
    }

    async fn publish_layer_version(
        &self,
        ctx: &RequestContext,
        input: PublishLayerVersionRequest,
    ) -> Result<PublishLayerVersionResponse, AwsError> {
        Lambda::publish_layer_version(self, ctx, input).await
    }

    async fn get_layer_version(
        &self,
        ctx: &RequestContext,
        input: GetLayerVersionRequest,
    ) -> Result<GetLayerVersionResponse, AwsError> {
        Lambda::get_layer_version(self, ctx, input).await
    }

    async fn get_layer_version_by_arn(
        &self,
        ctx: &RequestContext,
        input: GetLayerVersionByArnRequest,
    ) -> Result<GetLayerVersionResponse, AwsError> {
        Lambda::get_layer_version_by_arn(self, ctx, input).await
    }

    async fn list_layers(
        &self,
        ctx: &RequestContext,
        input: ListLayersRequest,
    ) -> Result<ListLayersResponse, AwsError> {
        Lambda::list_layers(self, ctx, input).await
    }

    async fn list_layer_versions(
        &self,
        ctx: &RequestContext,
        input: ListLayerVersionsRequest,
    ) -> Result<ListLayerVersionsResponse, AwsError> {
        Lambda::list_layer_versions(self, ctx, input).await
    }

    async fn delete_layer_version(
        &self,
        ctx: &RequestContext,
        input: DeleteLayerVersionRequest,
    ) -> Result<(), AwsError> {
        Lambda::delete_layer_version(self, ctx, input).await
    }

    async fn update_event_source_mapping(
        &self,
        ctx: &RequestContext,
        input: UpdateEventSourceMappingRequest,
    ) -> Result<EventSourceMappingConfiguration, AwsError> {
        Lambda::update_event_source_mapping(self, ctx, input).await
    }

    async fn put_provisioned_concurrency_config(
        &self,
        ctx: &RequestContext,
        input: PutProvisionedConcurrencyConfigRequest,
    ) -> Result<PutProvisionedConcurrencyConfigResponse, AwsError> {
        Lambda::put_provisioned_concurrency_config(self, ctx, input).await
    }

    async fn get_provisioned_concurrency_config(
        &self,
        ctx: &RequestContext,
        input: GetProvisionedConcurrencyConfigRequest,
    ) -> Result<GetProvisionedConcurrencyConfigResponse, AwsError> {
        Lambda::get_provisioned_concurrency_config(self, ctx, input).await
    }

    async fn delete_provisioned_concurrency_config(
        &self,
        ctx: &RequestContext,
        input: DeleteProvisionedConcurrencyConfigRequest,
    ) -> Result<(), AwsError> {
        Lambda::delete_provisioned_concurrency_config(self, ctx, input).await
    }

    async fn list_provisioned_concurrency_configs(
        &self,
        ctx: &RequestContext,
        input: ListProvisionedConcurrencyConfigsRequest,
    ) -> Result<ListProvisionedConcurrencyConfigsResponse, AwsError> {
        Lambda::list_provisioned_concurrency_configs(self, ctx, input).await
    }

    async fn create_code_signing_config(
        &self,
        ctx: &RequestContext,
        input: CreateCodeSigningConfigRequest,
    ) -> Result<CreateCodeSigningConfigResponse, AwsError> {
        Lambda::create_code_signing_config(self, ctx, input).await
    }

    async fn get_code_signing_config(
        &self,
        ctx: &RequestContext,
        input: GetCodeSigningConfigRequest,
    ) -> Result<GetCodeSigningConfigResponse, AwsError> {
        Lambda::get_code_signing_config(self, ctx, input).await
    }

    async fn update_code_signing_config(
        &self,
        ctx: &RequestContext,
        input: UpdateCodeSigningConfigRequest,
    ) -> Result<UpdateCodeSigningConfigResponse, AwsError> {
        Lambda::update_code_signing_config(self, ctx, input).await
    }

    async fn delete_code_signing_config(
        &self,
        ctx: &RequestContext,
        input: DeleteCodeSigningConfigRequest,
    ) -> Result<DeleteCodeSigningConfigResponse, AwsError> {
        Lambda::delete_code_signing_config(self, ctx, input).await?;
        Ok(DeleteCodeSigningConfigResponse {})
    }

    async fn list_code_signing_configs(
        &self,
        ctx: &RequestContext,
        input: ListCodeSigningConfigsRequest,
    ) -> Result<ListCodeSigningConfigsResponse, AwsError> {
        Lambda::list_code_signing_configs(self, ctx, input).await
    }

    async fn list_functions_by_code_signing_config(
        &self,
        ctx: &RequestContext,
        input: ListFunctionsByCodeSigningConfigRequest,
    ) -> Result<ListFunctionsByCodeSigningConfigResponse, AwsError> {
        Lambda::list_functions_by_code_signing_config(self, ctx, input).await
    }

    async fn put_function_code_signing_config(
        &self,
        ctx: &RequestContext,
        input: PutFunctionCodeSigningConfigRequest,
    ) -> Result<PutFunctionCodeSigningConfigResponse, AwsError> {
        Lambda::put_function_code_signing_config(self, ctx, input).await
    }

    async fn get_function_code_signing_config(
        &self,
        ctx: &RequestContext,
        input: GetFunctionCodeSigningConfigRequest,
    ) -> Result<GetFunctionCodeSigningConfigResponse, AwsError> {
        Lambda::get_function_code_signing_config(self, ctx, input).await
    }

    async fn delete_function_code_signing_config(
        &self,
        ctx: &RequestContext,
        input: DeleteFunctionCodeSigningConfigRequest,
    ) -> Result<(), AwsError> {
        Lambda::delete_function_code_signing_config(self, ctx, input).await
    }

    async fn add_layer_version_permission(
        &self,
        ctx: &RequestContext,
        input: AddLayerVersionPermissionRequest,
    ) -> Result<AddLayerVersionPermissionResponse, AwsError> {
        Lambda::add_layer_version_permission(self, ctx, input).await
    }

    async fn get_layer_version_policy(
        &self,
        ctx: &RequestContext,
        input: GetLayerVersionPolicyRequest,
    ) -> Result<GetLayerVersionPolicyResponse, AwsError> {
        Lambda::get_layer_version_policy(self, ctx, input).await
    }

    async fn remove_layer_version_permission(
        &self,
        ctx: &RequestContext,
        input: RemoveLayerVersionPermissionRequest,
    ) -> Result<(), AwsError> {
        Lambda::remove_layer_version_permission(self, ctx, input).await
    }

    async fn list_functions(
        &self,
        ctx: &RequestContext,
        input: ListFunctionsRequest,
    ) -> Result<ListFunctionsResponse, AwsError> {
        Lambda::list_functions(self, ctx, input).await
    }

    /// A function's ARN (qualified when the request names a version or
    /// alias), owned by the caller's account.
    async fn resource(
        &self,
        ctx: &RequestContext,
        named: nimbus_core::authz::ResourceRef<'_>,
    ) -> Result<nimbus_core::authz::Resource, AwsError> {
        if let Some(arn) = layer_resource(ctx, &named) {
            return Ok(nimbus_core::authz::Resource {
                arn,
                account: ctx.account_id.clone(),
                policy: None,
                keys: Default::default(),
            });
        }
        if named.kind == "mapping" {
            return Ok(nimbus_core::authz::Resource {
                arn: format!(
                    "arn:aws:lambda:{}:{}:event-source-mapping:{}",
                    ctx.region, ctx.account_id, named.value
                ),
                account: ctx.account_id.clone(),
                policy: None,
                keys: Default::default(),
            });
        }
        let owners = names::owners_context(ctx, named.value);
        let ctx = owners.as_ref().unwrap_or(ctx);
        let function = names::parse(ctx, named.value, named.qualifier)?;
        let arn = names::function_arn(ctx, &function.name);
        let policy = self.policy_document(ctx, &function).await;
        Ok(nimbus_core::authz::Resource {
            arn: match function.qualifier {
                Some(qualifier) => format!("{arn}:{qualifier}"),
                None => arn,
            },
            account: ctx.account_id.clone(),
            policy,
            keys: Default::default(),
        })
    }

    fn access_denied(&self, denial: nimbus_core::authz::Denial) -> AwsError {
        AwsError::new("AccessDeniedException", denial.message(), 403)
    }

    /// Warm environments and pollers end with the state they served.
    fn reset(&self) {
        self.pool.clear();
        self.pollers.clear();
        self.running.clear();
        self.sessions.clear();
    }
}

/// The ARN a layer or code signing operation acts on: the layer, its
/// versions, or the configuration.
fn layer_resource(ctx: &RequestContext, named: &nimbus_core::authz::ResourceRef<'_>) -> Option<String> {
    let layer = |name: &str| format!("arn:aws:lambda:{}:{}:layer:{name}", ctx.region, ctx.account_id);
    match named.kind {
        "layer" => Some(layer(named.value)),
        "layer-version" => Some(format!("{}:*", layer(named.value))),
        "layer-version-arn" | "code-signing-config" => Some(named.value.to_owned()),
        _ => None,
    }
}
