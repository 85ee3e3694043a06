//! The REST API management operations (apigateway), each handed to the
//! module that serves it.

use nimbus_apigateway_api::*;
use nimbus_core::{AwsError, RequestContext};

use crate::ApiGateway;

/// The operations, served by the handlers of the modules.
impl ApiGatewayApi for ApiGateway {
    async fn update_rest_api(
        &self,
        ctx: &RequestContext,
        input: UpdateRestApiRequest,
    ) -> Result<RestApi, AwsError> {
        ApiGateway::update_rest_api(self, ctx, input).await
    }

    async fn put_gateway_response(
        &self,
        ctx: &RequestContext,
        input: PutGatewayResponseRequest,
    ) -> Result<GatewayResponse, AwsError> {
        ApiGateway::put_gateway_response(self, ctx, input).await
    }

    async fn get_gateway_response(
        &self,
        ctx: &RequestContext,
        input: GetGatewayResponseRequest,
    ) -> Result<GatewayResponse, AwsError> {
        ApiGateway::get_gateway_response(self, ctx, input).await
    }

    async fn get_gateway_responses(
        &self,
        ctx: &RequestContext,
        input: GetGatewayResponsesRequest,
    ) -> Result<GatewayResponses, AwsError> {
        ApiGateway::get_gateway_responses(self, ctx, input).await
    }

    async fn delete_gateway_response(
        &self,
        ctx: &RequestContext,
        input: DeleteGatewayResponseRequest,
    ) -> Result<(), AwsError> {
        ApiGateway::delete_gateway_response(self, ctx, input).await
    }

    async fn create_authorizer(
        &self,
        ctx: &RequestContext,
        input: CreateAuthorizerRequest,
    ) -> Result<Authorizer, AwsError> {
        ApiGateway::create_authorizer(self, ctx, input).await
    }

    async fn get_authorizer(
        &self,
        ctx: &RequestContext,
        input: GetAuthorizerRequest,
    ) -> Result<Authorizer, AwsError> {
        ApiGateway::get_authorizer(self, ctx, input).await
    }

    async fn get_authorizers(
        &self,
        ctx: &RequestContext,
        input: GetAuthorizersRequest,
    ) -> Result<Authorizers, AwsError> {
        ApiGateway::get_authorizers(self, ctx, input).await
    }

    async fn delete_authorizer(
        &self,
        ctx: &RequestContext,
        input: DeleteAuthorizerRequest,
    ) -> Result<(), AwsError> {
        ApiGateway::delete_authorizer(self, ctx, input).await
    }

    async fn create_api_key(
        &self,
        ctx: &RequestContext,
        input: CreateApiKeyRequest,
    ) -> Result<ApiKey, AwsError> {
        ApiGateway::create_api_key(self, ctx, input).await
    }

    async fn get_api_key(&self, ctx: &RequestContext, input: GetApiKeyRequest) -> Result<ApiKey, AwsError> {
        ApiGateway::get_api_key(self, ctx, input).await
    }

    async fn get_api_keys(
        &self,
        ctx: &RequestContext,
        input: GetApiKeysRequest,
    ) -> Result<ApiKeys, AwsError> {
        ApiGateway::get_api_keys(self, ctx, input).await
    }

    async fn delete_api_key(&self, ctx: &RequestContext, input: DeleteApiKeyRequest) -> Result<(), AwsError> {
        ApiGateway::delete_api_key(self, ctx, input).await
    }

    async fn create_usage_plan(
        &self,
        ctx: &RequestContext,
        input: CreateUsagePlanRequest,
    ) -> Result<UsagePlan, AwsError> {
        ApiGateway::create_usage_plan(self, ctx, input).await
    }

    async fn get_usage_plan(
        &self,
        ctx: &RequestContext,
        input: GetUsagePlanRequest,
    ) -> Result<UsagePlan, AwsError> {
        ApiGateway::get_usage_plan(self, ctx, input).await
    }

    async fn get_usage_plans(
        &self,
        ctx: &RequestContext,
        input: GetUsagePlansRequest,
    ) -> Result<UsagePlans, AwsError> {
        ApiGateway::get_usage_plans(self, ctx, input).await
    }

    async fn delete_usage_plan(
        &self,
        ctx: &RequestContext,
        input: DeleteUsagePlanRequest,
    ) -> Result<(), AwsError> {
        ApiGateway::delete_usage_plan(self, ctx, input).await
    }

    async fn create_usage_plan_key(
        &self,
        ctx: &RequestContext,
        input: CreateUsagePlanKeyRequest,
    ) -> Result<UsagePlanKey, AwsError> {
        ApiGateway::create_usage_plan_key(self, ctx, input).await
    }

    async fn get_usage_plan_key(
        &self,
        ctx: &RequestContext,
        input: GetUsagePlanKeyRequest,
    ) -> Result<UsagePlanKey, AwsError> {
        ApiGateway::get_usage_plan_key(self, ctx, input).await
    }

    async fn get_usage_plan_keys(
        &self,
        ctx: &RequestContext,
        input: GetUsagePlanKeysRequest,
    ) -> Result<UsagePlanKeys, AwsError> {
        ApiGateway::get_usage_plan_keys(self, ctx, input).await
    }

    async fn delete_usage_plan_key(
        &self,
        ctx: &RequestContext,
        input: DeleteUsagePlanKeyRequest,
    ) -> Result<(), AwsError> {
        ApiGateway::delete_usage_plan_key(self, ctx, input).await
    }

    fn access_denied(&self, denial: nimbus_core::authz::Denial) -> AwsError {
        AwsError::new("AccessDeniedException", denial.message(), 403)
    }

    /// A reset of nimbus's state also forgets the rates measured.
    fn reset(&self) {
        self.throttles.clear();
        self.key_throttles.clear();
        self.quotas.clear();
        self.grants.clear();
        self.deployments.forget("");
        self.homes.forget("");
        self.stages.forget("");
        self.cache.flush("");
    }

    async fn flush_stage_cache(
        &self,
        ctx: &RequestContext,
        input: FlushStageCacheRequest,
    ) -> Result<(), AwsError> {
        self.stage(ctx, &input.rest_api_id, &input.stage_name).await?;
        self.cache
            .flush(&format!("{}/{}/", input.rest_api_id, input.stage_name));
        Ok(())
    }

    async fn get_export(
        &self,
        ctx: &RequestContext,
        input: GetExportRequest,
    ) -> Result<ExportResponse, AwsError> {
        ApiGateway::get_export(self, ctx, input).await
    }

    async fn import_rest_api(
        &self,
        ctx: &RequestContext,
        input: ImportRestApiRequest,
    ) -> Result<RestApi, AwsError> {
        ApiGateway::import_rest_api(self, ctx, input).await
    }

    async fn put_rest_api(
        &self,
        ctx: &RequestContext,
        input: PutRestApiRequest,
    ) -> Result<RestApi, AwsError> {
        ApiGateway::put_rest_api(self, ctx, input).await
    }

    async fn create_deployment(
        &self,
        ctx: &RequestContext,
        input: CreateDeploymentRequest,
    ) -> Result<Deployment, AwsError> {
        ApiGateway::create_deployment(self, ctx, input).await
    }

    async fn create_resource(
        &self,
        ctx: &RequestContext,
        input: CreateResourceRequest,
    ) -> Result<ResourceShape, AwsError> {
        ApiGateway::create_resource(self, ctx, input).await
    }

    async fn create_rest_api(
        &self,
        ctx: &RequestContext,
        input: CreateRestApiRequest,
    ) -> Result<RestApi, AwsError> {
        ApiGateway::create_rest_api(self, ctx, input).await
    }

    async fn create_stage(&self, ctx: &RequestContext, input: CreateStageRequest) -> Result<Stage, AwsError> {
        ApiGateway::create_stage(self, ctx, input).await
    }

    async fn delete_deployment(
        &self,
        ctx: &RequestContext,
        input: DeleteDeploymentRequest,
    ) -> Result<(), AwsError> {
        ApiGateway::delete_deployment(self, ctx, input).await
    }

    async fn delete_integration(
        &self,
        ctx: &RequestContext,
        input: DeleteIntegrationRequest,
    ) -> Result<(), AwsError> {
        ApiGateway::delete_integration(self, ctx, input).await
    }

    async fn delete_integration_response(
        &self,
        ctx: &RequestContext,
        input: DeleteIntegrationResponseRequest,
    ) -> Result<(), AwsError> {
        ApiGateway::delete_integration_response(self, ctx, input).await
    }

    async fn delete_method(&self, ctx: &RequestContext, input: DeleteMethodRequest) -> Result<(), AwsError> {
        ApiGateway::delete_method(self, ctx, input).await
    }

    async fn delete_method_response(
        &self,
        ctx: &RequestContext,
        input: DeleteMethodResponseRequest,
    ) -> Result<(), AwsError> {
        ApiGateway::delete_method_response(self, ctx, input).await
    }

    async fn delete_resource(
        &self,
        ctx: &RequestContext,
        input: DeleteResourceRequest,
    ) -> Result<(), AwsError> {
        ApiGateway::delete_resource(self, ctx, input).await
    }

    async fn delete_rest_api(
        &self,
        ctx: &RequestContext,
        input: DeleteRestApiRequest,
    ) -> Result<(), AwsError> {
        ApiGateway::delete_rest_api(self, ctx, input).await
    }

    async fn delete_stage(&self, ctx: &RequestContext, input: DeleteStageRequest) -> Result<(), AwsError> {
        ApiGateway::delete_stage(self, ctx, input).await
    }

    async fn get_deployment(
        &self,
        ctx: &RequestContext,
        input: GetDeploymentRequest,
    ) -> Result<Deployment, AwsError> {
        ApiGateway::get_deployment(self, ctx, input).await
    }

    async fn get_deployments(
        &self,
        ctx: &RequestContext,
        input: GetDeploymentsRequest,
    ) -> Result<Deployments, AwsError> {
        ApiGateway::get_deployments(self, ctx, input).await
    }

    async fn get_integration(
        &self,
        ctx: &RequestContext,
        input: GetIntegrationRequest,
    ) -> Result<Integration, AwsError> {
        ApiGateway::get_integration(self, ctx, input).await
    }

    async fn get_integration_response(
        &self,
        ctx: &RequestContext,
        input: GetIntegrationResponseRequest,
    ) -> Result<IntegrationResponse, AwsError> {
        ApiGateway::get_integration_response(self, ctx, input).await
    }

    async fn get_method(&self, ctx: &RequestContext, input: GetMethodRequest) -> Result<Method, AwsError> {
        ApiGateway::get_method(self, ctx, input).await
    }

    async fn get_method_response(
        &self,
        ctx: &RequestContext,
        input: GetMethodResponseRequest,
    ) -> Result<MethodResponse, AwsError> {
        ApiGateway::get_method_response(self, ctx, input).await
    }

    async fn get_resource(
        &self,
        ctx: &RequestContext,
        input: GetResourceRequest,
    ) -> Result<ResourceShape, AwsError> {
        ApiGateway::get_resource(self, ctx, input).await
    }

    async fn get_resources(
        &self,
        ctx: &RequestContext,
        input: GetResourcesRequest,
    ) -> Result<Resources, AwsError> {
        ApiGateway::get_resources(self, ctx, input).await
    }

    async fn get_rest_api(
        &self,
        ctx: &RequestContext,
        input: GetRestApiRequest,
    ) -> Result<RestApi, AwsError> {
        ApiGateway::get_rest_api(self, ctx, input).await
    }

    async fn get_rest_apis(
        &self,
        ctx: &RequestContext,
        input: GetRestApisRequest,
    ) -> Result<RestApis, AwsError> {
        ApiGateway::get_rest_apis(self, ctx, input).await
    }

    async fn get_stage(&self, ctx: &RequestContext, input: GetStageRequest) -> Result<Stage, AwsError> {
        ApiGateway::get_stage(self, ctx, input).await
    }

    async fn get_stages(&self, ctx: &RequestContext, input: GetStagesRequest) -> Result<Stages, AwsError> {
        ApiGateway::get_stages(self, ctx, input).await
    }

    async fn put_integration(
        &self,
        ctx: &RequestContext,
        input: PutIntegrationRequest,
    ) -> Result<Integration, AwsError> {
        ApiGateway::put_integration(self, ctx, input).await
    }

    async fn put_integration_response(
        &self,
        ctx: &RequestContext,
        input: PutIntegrationResponseRequest,
    ) -> Result<IntegrationResponse, AwsError> {
        ApiGateway::put_integration_response(self, ctx, input).await
    }

    async fn put_method(&self, ctx: &RequestContext, input: PutMethodRequest) -> Result<Method, AwsError> {
        ApiGateway::put_method(self, ctx, input).await
    }

    async fn put_method_response(
        &self,
        ctx: &RequestContext,
        input: PutMethodResponseRequest,
    ) -> Result<MethodResponse, AwsError> {
        ApiGateway::put_method_response(self, ctx, input).await
    }

    async fn update_stage(&self, ctx: &RequestContext, input: UpdateStageRequest) -> Result<Stage, AwsError> {
        ApiGateway::update_stage(self, ctx, input).await
    }

    async fn update_resource(
        &self,
        ctx: &RequestContext,
        input: UpdateResourceRequest,
    ) -> Result<ResourceShape, AwsError> {
        ApiGateway::update_resource(self, ctx, input).await
    }

    async fn update_method(
        &self,
        ctx: &RequestContext,
        input: UpdateMethodRequest,
    ) -> Result<Method, AwsError> {
        ApiGateway::update_method(self, ctx, input).await
    }

    async fn update_method_response(
        &self,
        ctx: &RequestContext,
        input: UpdateMethodResponseRequest,
    ) -> Result<MethodResponse, AwsError> {
        ApiGateway::update_method_response(self, ctx, input).await
    }

    async fn update_integration(
        &self,
        ctx: &RequestContext,
        input: UpdateIntegrationRequest,
    ) -> Result<Integration, AwsError> {
        ApiGateway::update_integration(self, ctx, input).await
    }

    async fn update_integration_response(
        &self,
        ctx: &RequestContext,
        input: UpdateIntegrationResponseRequest,
    ) -> Result<IntegrationResponse, AwsError> {
        ApiGateway::update_integration_response(self, ctx, input).await
    }

    async fn update_authorizer(
        &self,
        ctx: &RequestContext,
        input: UpdateAuthorizerRequest,
    ) -> Result<Authorizer, AwsError> {
        ApiGateway::update_authorizer(self, ctx, input).await
    }

    async fn update_deployment(
        &self,
        ctx: &RequestContext,
        input: UpdateDeploymentRequest,
    ) -> Result<Deployment, AwsError> {
        ApiGateway::update_deployment(self, ctx, input).await
    }

    async fn update_gateway_response(
        &self,
        ctx: &RequestContext,
        input: UpdateGatewayResponseRequest,
    ) -> Result<GatewayResponse, AwsError> {
        ApiGateway::update_gateway_response(self, ctx, input).await
    }

    async fn update_api_key(
        &self,
        ctx: &RequestContext,
        input: UpdateApiKeyRequest,
    ) -> Result<ApiKey, AwsError> {
        ApiGateway::update_api_key(self, ctx, input).await
    }

    async fn update_usage_plan(
        &self,
        ctx: &RequestContext,
        input: UpdateUsagePlanRequest,
    ) -> Result<UsagePlan, AwsError> {
        ApiGateway::update_usage_plan(self, ctx, input).await
    }

    async fn create_model(&self, ctx: &RequestContext, input: CreateModelRequest) -> Result<Model, AwsError> {
        ApiGateway::create_model(self, ctx, input).await
    }

    async fn get_model(&self, ctx: &RequestContext, input: GetModelRequest) -> Result<Model, AwsError> {
        ApiGateway::get_model(self, ctx, input).await
    }

    async fn get_models(&self, ctx: &RequestContext, input: GetModelsRequest) -> Result<Models, AwsError> {
        ApiGateway::get_models(self, ctx, input).await
    }

    async fn update_model(&self, ctx: &RequestContext, input: UpdateModelRequest) -> Result<Model, AwsError> {
        ApiGateway::update_model(self, ctx, input).await
    }

    async fn delete_model(&self, ctx: &RequestContext, input: DeleteModelRequest) -> Result<(), AwsError> {
        ApiGateway::delete_model(self, ctx, input).await
    }

    async fn get_model_template(
        &self,
        ctx: &RequestContext,
        input: GetModelTemplateRequest,
    ) -> Result<Template, AwsError> {
        ApiGateway::get_model_template(self, ctx, input).await
    }

    async fn create_request_validator(
        &self,
        ctx: &RequestContext,
        input: CreateRequestValidatorRequest,
    ) -> Result<RequestValidator, AwsError> {
        ApiGateway::create_request_validator(self, ctx, input).await
    }

    async fn get_request_validator(
        &self,
        ctx: &RequestContext,
        input: GetRequestValidatorRequest,
    ) -> Result<RequestValidator, AwsError> {
        ApiGateway::get_request_validator(self, ctx, input).await
    }

    async fn get_request_validators(
        &self,
        ctx: &RequestContext,
        input: GetRequestValidatorsRequest,
    ) -> Result<RequestValidators, AwsError> {
        ApiGateway::get_request_validators(self, ctx, input).await
    }

    async fn update_request_validator(
        &self,
        ctx: &RequestContext,
        input: UpdateRequestValidatorRequest,
    ) -> Result<RequestValidator, AwsError> {
        ApiGateway::update_request_validator(self, ctx, input).await
    }

    async fn delete_request_validator(
        &self,
        ctx: &RequestContext,
        input: DeleteRequestValidatorRequest,
    ) -> Result<(), AwsError> {
        ApiGateway::delete_request_validator(self, ctx, input).await
    }

    async fn tag_resource(&self, ctx: &RequestContext, input: TagResourceRequest) -> Result<(), AwsError> {
        ApiGateway::tag_resource(self, ctx, input).await
    }

    async fn untag_resource(
        &self,
        ctx: &RequestContext,
        input: UntagResourceRequest,
    ) -> Result<(), AwsError> {
        ApiGateway::untag_resource(self, ctx, input).await
    }

    async fn get_tags(&self, ctx: &RequestContext, input: GetTagsRequest) -> Result<Tags, AwsError> {
        ApiGateway::get_tags(self, ctx, input).await
    }

    async fn get_account(
        &self,
        ctx: &RequestContext,
        _input: GetAccountRequest,
    ) -> Result<Account, AwsError> {
        ApiGateway::get_account(self, ctx).await
    }

    async fn update_account(
        &self,
        ctx: &RequestContext,
        input: UpdateAccountRequest,
    ) -> Result<Account, AwsError> {
        ApiGateway::update_account(self, ctx, input).await
    }
}
