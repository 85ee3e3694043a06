//! The HTTP API management operations (apigatewayv2, the `/v2/` API),
//! each handed to the module that serves it.

use nimbus_apigatewayv2_api as v2;
use nimbus_core::{AwsError, RequestContext};

use crate::ApiGateway;

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

    async fn update_api(
        &self,
        ctx: &RequestContext,
        input: v2::UpdateApiRequest,
    ) -> Result<v2::UpdateApiResponse, AwsError> {
        ApiGateway::update_api(self, ctx, input).await
    }

    async fn update_route(
        &self,
        ctx: &RequestContext,
        input: v2::UpdateRouteRequest,
    ) -> Result<v2::UpdateRouteResult, AwsError> {
        ApiGateway::update_route(self, ctx, input).await
    }

    async fn update_integration(
        &self,
        ctx: &RequestContext,
        input: v2::UpdateIntegrationRequest,
    ) -> Result<v2::UpdateIntegrationResult, AwsError> {
        ApiGateway::update_integration_v2(self, ctx, input).await
    }

    async fn update_stage(
        &self,
        ctx: &RequestContext,
        input: v2::UpdateStageRequest,
    ) -> Result<v2::UpdateStageResponse, AwsError> {
        ApiGateway::update_stage_v2(self, ctx, input).await
    }

    async fn update_authorizer(
        &self,
        ctx: &RequestContext,
        input: v2::UpdateAuthorizerRequest,
    ) -> Result<v2::UpdateAuthorizerResponse, AwsError> {
        ApiGateway::update_authorizer_v2(self, ctx, input).await
    }

    async fn create_deployment(
        &self,
        ctx: &RequestContext,
        input: v2::CreateDeploymentRequest,
    ) -> Result<v2::CreateDeploymentResponse, AwsError> {
        ApiGateway::create_deployment_v2(self, ctx, input).await
    }

    async fn get_deployment(
        &self,
        ctx: &RequestContext,
        input: v2::GetDeploymentRequest,
    ) -> Result<v2::GetDeploymentResponse, AwsError> {
        ApiGateway::get_deployment_v2(self, ctx, input).await
    }

    async fn get_deployments(
        &self,
        ctx: &RequestContext,
        input: v2::GetDeploymentsRequest,
    ) -> Result<v2::GetDeploymentsResponse, AwsError> {
        ApiGateway::get_deployments_v2(self, ctx, input).await
    }

    async fn update_deployment(
        &self,
        ctx: &RequestContext,
        input: v2::UpdateDeploymentRequest,
    ) -> Result<v2::UpdateDeploymentResponse, AwsError> {
        ApiGateway::update_deployment_v2(self, ctx, input).await
    }

    async fn delete_deployment(
        &self,
        ctx: &RequestContext,
        input: v2::DeleteDeploymentRequest,
    ) -> Result<(), AwsError> {
        ApiGateway::delete_deployment_v2(self, ctx, input).await
    }

    async fn get_tags(
        &self,
        ctx: &RequestContext,
        input: v2::GetTagsRequest,
    ) -> Result<v2::GetTagsResponse, AwsError> {
        ApiGateway::get_tags_v2(self, ctx, input).await
    }

    async fn tag_resource(
        &self,
        ctx: &RequestContext,
        input: v2::TagResourceRequest,
    ) -> Result<v2::TagResourceResponse, AwsError> {
        ApiGateway::tag_resource_v2(self, ctx, input).await
    }

    async fn untag_resource(
        &self,
        ctx: &RequestContext,
        input: v2::UntagResourceRequest,
    ) -> Result<(), AwsError> {
        ApiGateway::untag_resource_v2(self, ctx, input).await
    }
}
