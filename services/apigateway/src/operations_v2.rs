//! The HTTP API management operations (apigatewayv2, the `/v2/` API),
//! each handed to the module that serves it.

use nimbus_apigatewayv2_api as v2;
use nimbus_core::{AwsError, RequestContext};

use crate::ApiGateway;

/// Hands each operation to the service's method that serves it.
macro_rules! delegate {
    ($($name:ident => $serve:ident($input:ident) -> $output:ty;)*) => {
        $(async fn $name(&self, ctx: &RequestContext, input: v2::$input) -> Result<$output, AwsError> {
            ApiGateway::$serve(self, ctx, input).await
        })*
    };
}

/// HTTP APIs (the `/v2/` management API), served by the same service.
impl nimbus_apigatewayv2_api::ApiGatewayV2Api for ApiGateway {
    delegate! {
        create_authorizer => create_authorizer_v2(CreateAuthorizerRequest) -> v2::CreateAuthorizerResponse;
        get_authorizer => get_authorizer_v2(GetAuthorizerRequest) -> v2::GetAuthorizerResponse;
        get_authorizers => get_authorizers_v2(GetAuthorizersRequest) -> v2::GetAuthorizersResponse;
        delete_authorizer => delete_authorizer_v2(DeleteAuthorizerRequest) -> ();
        create_api => create_api(CreateApiRequest) -> v2::CreateApiResponse;
        create_integration => create_integration(CreateIntegrationRequest) -> v2::CreateIntegrationResult;
        create_route => create_route(CreateRouteRequest) -> v2::CreateRouteResult;
        create_stage => create_stage_v2(CreateStageRequest) -> v2::CreateStageResponse;
        delete_api => delete_api(DeleteApiRequest) -> ();
        delete_integration => delete_integration_v2(DeleteIntegrationRequest) -> ();
        delete_route => delete_route(DeleteRouteRequest) -> ();
        delete_stage => delete_stage_v2(DeleteStageRequest) -> ();
        get_api => get_api(GetApiRequest) -> v2::GetApiResponse;
        get_apis => get_apis(GetApisRequest) -> v2::GetApisResponse;
        get_integration => get_integration_v2(GetIntegrationRequest) -> v2::GetIntegrationResult;
        get_integrations => get_integrations(GetIntegrationsRequest) -> v2::GetIntegrationsResponse;
        get_route => get_route(GetRouteRequest) -> v2::GetRouteResult;
        get_routes => get_routes(GetRoutesRequest) -> v2::GetRoutesResponse;
        get_stage => get_stage_v2(GetStageRequest) -> v2::GetStageResponse;
        get_stages => get_stages_v2(GetStagesRequest) -> v2::GetStagesResponse;
        update_api => update_api(UpdateApiRequest) -> v2::UpdateApiResponse;
        update_route => update_route(UpdateRouteRequest) -> v2::UpdateRouteResult;
        update_integration => update_integration_v2(UpdateIntegrationRequest) -> v2::UpdateIntegrationResult;
        update_stage => update_stage_v2(UpdateStageRequest) -> v2::UpdateStageResponse;
        update_authorizer => update_authorizer_v2(UpdateAuthorizerRequest) -> v2::UpdateAuthorizerResponse;
        create_deployment => create_deployment_v2(CreateDeploymentRequest) -> v2::CreateDeploymentResponse;
        get_deployment => get_deployment_v2(GetDeploymentRequest) -> v2::GetDeploymentResponse;
        get_deployments => get_deployments_v2(GetDeploymentsRequest) -> v2::GetDeploymentsResponse;
        update_deployment => update_deployment_v2(UpdateDeploymentRequest) -> v2::UpdateDeploymentResponse;
        delete_deployment => delete_deployment_v2(DeleteDeploymentRequest) -> ();
        get_tags => get_tags_v2(GetTagsRequest) -> v2::GetTagsResponse;
        tag_resource => tag_resource_v2(TagResourceRequest) -> v2::TagResourceResponse;
        untag_resource => untag_resource_v2(UntagResourceRequest) -> ();
        create_domain_name => create_domain_name_v2(CreateDomainNameRequest) -> v2::CreateDomainNameResponse;
        get_domain_name => get_domain_name_v2(GetDomainNameRequest) -> v2::GetDomainNameResponse;
        get_domain_names => get_domain_names_v2(GetDomainNamesRequest) -> v2::GetDomainNamesResponse;
        update_domain_name => update_domain_name_v2(UpdateDomainNameRequest) -> v2::UpdateDomainNameResponse;
        delete_domain_name => delete_domain_name_v2(DeleteDomainNameRequest) -> ();
        create_api_mapping => create_api_mapping(CreateApiMappingRequest) -> v2::CreateApiMappingResponse;
        get_api_mapping => get_api_mapping(GetApiMappingRequest) -> v2::GetApiMappingResponse;
        get_api_mappings => get_api_mappings(GetApiMappingsRequest) -> v2::GetApiMappingsResponse;
        update_api_mapping => update_api_mapping(UpdateApiMappingRequest) -> v2::UpdateApiMappingResponse;
        delete_api_mapping => delete_api_mapping(DeleteApiMappingRequest) -> ();
    }
}
