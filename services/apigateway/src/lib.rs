//! API Gateway, over the nimbus store.
//!
//! The service implements the generated [`ApiGatewayApi`]: one method per
//! operation listed in apis/apigateway/operations.txt, each handled by a module
//! of its concern.

// Tests unwrap what they just built.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod api_keys;
mod api_patch;
mod apis;
mod authorizers;
mod deployments;
mod errors;
mod frozen;
mod gateway_responses;
mod http_apis;
mod integrations;
mod invoke;
mod methods;
mod openapi;
mod paging;
mod records;
mod resources;
mod stage_patch;
mod stages;
mod usage_plans;

use std::sync::{Arc, OnceLock};

use nimbus_apigateway_api::*;
use nimbus_apigatewayv2_api as v2;
use nimbus_core::context::ServicePrincipal;
use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::LambdaClient;
use nimbus_runtime::Clock;
use nimbus_store::Store;

/// The API Gateway service. State lives in the store.
#[derive(Clone)]
pub struct ApiGateway {
    store: Arc<Store>,
    clock: Clock,
    /// Lambda, for AWS_PROXY integrations (set once the binary wires it).
    functions: Arc<OnceLock<LambdaClient>>,
    /// What API Gateway calls other services as (`apigateway.amazonaws.com`).
    principal: ServicePrincipal,
    /// Invocations' rate limits.
    throttles: Arc<invoke::throttle::Throttles>,
    /// Stage caches' answers.
    cache: Arc<invoke::cache::Cache>,
    /// Where nimbus answers: AWS integrations call AWS APIs there.
    endpoint: Arc<OnceLock<String>>,
    /// Usage plans' throttles and quotas, per plan and key.
    key_throttles: Arc<invoke::throttle::Throttles>,
    quotas: Arc<invoke::api_keys::Quotas>,
    /// Lambda authorizers' answers, for their TTL.
    grants: Arc<invoke::authorize::Grants>,
    /// CloudWatch Logs, for stages' access logs (set once wired).
    logs: Arc<OnceLock<nimbus_logs_api::LogsClient>>,
    /// Decoded deployments and API homes, read by every invocation.
    deployments: Arc<frozen::Frozen<records::DeploymentRecord>>,
    homes: Arc<frozen::Frozen<invoke::Home>>,
    /// Decoded stages, forgotten when one is written.
    stages: Arc<frozen::Frozen<nimbus_apigateway_api::Stage>>,
}

impl ApiGateway {
    pub fn new(store: Arc<Store>, clock: Clock) -> Self {
        ApiGateway {
            store,
            clock,
            functions: Arc::new(OnceLock::new()),
            principal: ServicePrincipal::default(),
            throttles: Arc::default(),
            cache: Arc::default(),
            endpoint: Arc::new(OnceLock::new()),
            key_throttles: Arc::default(),
            quotas: Arc::default(),
            grants: Arc::default(),
            logs: Arc::new(OnceLock::new()),
            deployments: Arc::default(),
            homes: Arc::default(),
            stages: Arc::default(),
        }
    }

    /// Where nimbus answers (`http://127.0.0.1:4566`): AWS integrations
    /// send their requests there.
    pub fn with_endpoint(self, endpoint: String) -> Self {
        let _ = self.endpoint.set(endpoint);
        self
    }

    /// Writes stages' access logs through CloudWatch Logs' PutLogEvents.
    pub fn with_logs(self, logs: nimbus_logs_api::LogsClient) -> Self {
        let _ = self.logs.set(logs);
        self
    }

    /// Invokes functions of AWS_PROXY integrations through Lambda's Invoke.
    pub fn with_functions(self, lambda: LambdaClient) -> Self {
        let _ = self.functions.set(lambda);
        self
    }

    /// Calls other services as `apigateway.amazonaws.com`, held to their
    /// resource policies when IAM is enforced.
    pub fn with_principal(mut self, principal: ServicePrincipal) -> Self {
        self.principal = principal;
        self
    }
}

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
}

#[cfg(test)]
mod tests;

/// HTTP APIs (the `/v2/` management API), served by the same service.
impl nimbus_apigatewayv2_api::ApiGatewayV2Api for ApiGateway {
    async fn create_authorizer(
        &self,
        ctx: &RequestContext,
        input: v2::CreateAuthorizerRequest,
    ) -> Result<v2::CreateAuthorizerResponse, AwsError> {
        ApiGateway::create_authorizer_v2(self, ctx, input).await
    }

    async fn get_authorizer(
        &self,
        ctx: &RequestContext,
        input: v2::GetAuthorizerRequest,
    ) -> Result<v2::GetAuthorizerResponse, AwsError> {
        ApiGateway::get_authorizer_v2(self, ctx, input).await
    }

    async fn get_authorizers(
        &self,
        ctx: &RequestContext,
        input: v2::GetAuthorizersRequest,
    ) -> Result<v2::GetAuthorizersResponse, AwsError> {
        ApiGateway::get_authorizers_v2(self, ctx, input).await
    }

    async fn delete_authorizer(
        &self,
        ctx: &RequestContext,
        input: v2::DeleteAuthorizerRequest,
    ) -> Result<(), AwsError> {
        ApiGateway::delete_authorizer_v2(self, ctx, input).await
    }

    async fn create_api(
        &self,
        ctx: &RequestContext,
        input: v2::CreateApiRequest,
    ) -> Result<v2::CreateApiResponse, AwsError> {
        ApiGateway::create_api(self, ctx, input).await
    }

    async fn create_integration(
        &self,
        ctx: &RequestContext,
        input: v2::CreateIntegrationRequest,
    ) -> Result<v2::CreateIntegrationResult, AwsError> {
        ApiGateway::create_integration(self, ctx, input).await
    }

    async fn create_route(
        &self,
        ctx: &RequestContext,
        input: v2::CreateRouteRequest,
    ) -> Result<v2::CreateRouteResult, AwsError> {
        ApiGateway::create_route(self, ctx, input).await
    }

    async fn create_stage(
        &self,
        ctx: &RequestContext,
        input: v2::CreateStageRequest,
    ) -> Result<v2::CreateStageResponse, AwsError> {
        ApiGateway::create_stage_v2(self, ctx, input).await
    }

    async fn delete_api(&self, ctx: &RequestContext, input: v2::DeleteApiRequest) -> Result<(), AwsError> {
        ApiGateway::delete_api(self, ctx, input).await
    }

    async fn delete_integration(
        &self,
        ctx: &RequestContext,
        input: v2::DeleteIntegrationRequest,
    ) -> Result<(), AwsError> {
        ApiGateway::delete_integration_v2(self, ctx, input).await
    }

    async fn delete_route(
        &self,
        ctx: &RequestContext,
        input: v2::DeleteRouteRequest,
    ) -> Result<(), AwsError> {
        ApiGateway::delete_route(self, ctx, input).await
    }

    async fn delete_stage(
        &self,
        ctx: &RequestContext,
        input: v2::DeleteStageRequest,
    ) -> Result<(), AwsError> {
        ApiGateway::delete_stage_v2(self, ctx, input).await
    }

    async fn get_api(
        &self,
        ctx: &RequestContext,
        input: v2::GetApiRequest,
    ) -> Result<v2::GetApiResponse, AwsError> {
        ApiGateway::get_api(self, ctx, input).await
    }

    async fn get_apis(
        &self,
        ctx: &RequestContext,
        input: v2::GetApisRequest,
    ) -> Result<v2::GetApisResponse, AwsError> {
        ApiGateway::get_apis(self, ctx, input).await
    }

    async fn get_integration(
        &self,
        ctx: &RequestContext,
        input: v2::GetIntegrationRequest,
    ) -> Result<v2::GetIntegrationResult, AwsError> {
        ApiGateway::get_integration_v2(self, ctx, input).await
    }

    async fn get_integrations(
        &self,
        ctx: &RequestContext,
        input: v2::GetIntegrationsRequest,
    ) -> Result<v2::GetIntegrationsResponse, AwsError> {
        ApiGateway::get_integrations(self, ctx, input).await
    }

    async fn get_route(
        &self,
        ctx: &RequestContext,
        input: v2::GetRouteRequest,
    ) -> Result<v2::GetRouteResult, AwsError> {
        ApiGateway::get_route(self, ctx, input).await
    }

    async fn get_routes(
        &self,
        ctx: &RequestContext,
        input: v2::GetRoutesRequest,
    ) -> Result<v2::GetRoutesResponse, AwsError> {
        ApiGateway::get_routes(self, ctx, input).await
    }

    async fn get_stage(
        &self,
        ctx: &RequestContext,
        input: v2::GetStageRequest,
    ) -> Result<v2::GetStageResponse, AwsError> {
        ApiGateway::get_stage_v2(self, ctx, input).await
    }

    async fn get_stages(
        &self,
        ctx: &RequestContext,
        input: v2::GetStagesRequest,
    ) -> Result<v2::GetStagesResponse, AwsError> {
        ApiGateway::get_stages_v2(self, ctx, input).await
    }
}
