//! The REST API management operations (apigateway), each handed to the
//! module that serves it.

use nimbus_apigateway_api::*;
use nimbus_core::{AwsError, RequestContext};

use crate::ApiGateway;

/// Hands each operation to the service's method of the same name.
macro_rules! delegate {
    ($($name:ident($input:ty) -> $output:ty;)*) => {
        $(async fn $name(&self, ctx: &RequestContext, input: $input) -> Result<$output, AwsError> {
            ApiGateway::$name(self, ctx, input).await
        })*
    };
}

/// The operations, served by the handlers of the modules.
impl ApiGatewayApi for ApiGateway {
    delegate! {
        update_rest_api(UpdateRestApiRequest) -> RestApi;
        put_gateway_response(PutGatewayResponseRequest) -> GatewayResponse;
        get_gateway_response(GetGatewayResponseRequest) -> GatewayResponse;
        get_gateway_responses(GetGatewayResponsesRequest) -> GatewayResponses;
        delete_gateway_response(DeleteGatewayResponseRequest) -> ();
        create_authorizer(CreateAuthorizerRequest) -> Authorizer;
        get_authorizer(GetAuthorizerRequest) -> Authorizer;
        get_authorizers(GetAuthorizersRequest) -> Authorizers;
        delete_authorizer(DeleteAuthorizerRequest) -> ();
        create_api_key(CreateApiKeyRequest) -> ApiKey;
        get_api_key(GetApiKeyRequest) -> ApiKey;
        get_api_keys(GetApiKeysRequest) -> ApiKeys;
        delete_api_key(DeleteApiKeyRequest) -> ();
        create_usage_plan(CreateUsagePlanRequest) -> UsagePlan;
        get_usage_plan(GetUsagePlanRequest) -> UsagePlan;
        get_usage_plans(GetUsagePlansRequest) -> UsagePlans;
        delete_usage_plan(DeleteUsagePlanRequest) -> ();
        create_usage_plan_key(CreateUsagePlanKeyRequest) -> UsagePlanKey;
        get_usage_plan_key(GetUsagePlanKeyRequest) -> UsagePlanKey;
        get_usage_plan_keys(GetUsagePlanKeysRequest) -> UsagePlanKeys;
        delete_usage_plan_key(DeleteUsagePlanKeyRequest) -> ();
        get_export(GetExportRequest) -> ExportResponse;
        import_rest_api(ImportRestApiRequest) -> RestApi;
        put_rest_api(PutRestApiRequest) -> RestApi;
        create_deployment(CreateDeploymentRequest) -> Deployment;
        create_resource(CreateResourceRequest) -> ResourceShape;
        create_rest_api(CreateRestApiRequest) -> RestApi;
        create_stage(CreateStageRequest) -> Stage;
        delete_deployment(DeleteDeploymentRequest) -> ();
        delete_integration(DeleteIntegrationRequest) -> ();
        delete_integration_response(DeleteIntegrationResponseRequest) -> ();
        delete_method(DeleteMethodRequest) -> ();
        delete_method_response(DeleteMethodResponseRequest) -> ();
        delete_resource(DeleteResourceRequest) -> ();
        delete_rest_api(DeleteRestApiRequest) -> ();
        delete_stage(DeleteStageRequest) -> ();
        get_deployment(GetDeploymentRequest) -> Deployment;
        get_deployments(GetDeploymentsRequest) -> Deployments;
        get_integration(GetIntegrationRequest) -> Integration;
        get_integration_response(GetIntegrationResponseRequest) -> IntegrationResponse;
        get_method(GetMethodRequest) -> Method;
        get_method_response(GetMethodResponseRequest) -> MethodResponse;
        get_resource(GetResourceRequest) -> ResourceShape;
        get_resources(GetResourcesRequest) -> Resources;
        get_rest_api(GetRestApiRequest) -> RestApi;
        get_rest_apis(GetRestApisRequest) -> RestApis;
        get_stage(GetStageRequest) -> Stage;
        get_stages(GetStagesRequest) -> Stages;
        put_integration(PutIntegrationRequest) -> Integration;
        put_integration_response(PutIntegrationResponseRequest) -> IntegrationResponse;
        put_method(PutMethodRequest) -> Method;
        put_method_response(PutMethodResponseRequest) -> MethodResponse;
        update_stage(UpdateStageRequest) -> Stage;
        update_resource(UpdateResourceRequest) -> ResourceShape;
        update_method(UpdateMethodRequest) -> Method;
        update_method_response(UpdateMethodResponseRequest) -> MethodResponse;
        update_integration(UpdateIntegrationRequest) -> Integration;
        update_integration_response(UpdateIntegrationResponseRequest) -> IntegrationResponse;
        update_authorizer(UpdateAuthorizerRequest) -> Authorizer;
        update_deployment(UpdateDeploymentRequest) -> Deployment;
        update_gateway_response(UpdateGatewayResponseRequest) -> GatewayResponse;
        update_api_key(UpdateApiKeyRequest) -> ApiKey;
        update_usage_plan(UpdateUsagePlanRequest) -> UsagePlan;
        create_model(CreateModelRequest) -> Model;
        get_model(GetModelRequest) -> Model;
        get_models(GetModelsRequest) -> Models;
        update_model(UpdateModelRequest) -> Model;
        delete_model(DeleteModelRequest) -> ();
        get_model_template(GetModelTemplateRequest) -> Template;
        create_request_validator(CreateRequestValidatorRequest) -> RequestValidator;
        get_request_validator(GetRequestValidatorRequest) -> RequestValidator;
        get_request_validators(GetRequestValidatorsRequest) -> RequestValidators;
        update_request_validator(UpdateRequestValidatorRequest) -> RequestValidator;
        delete_request_validator(DeleteRequestValidatorRequest) -> ();
        tag_resource(TagResourceRequest) -> ();
        untag_resource(UntagResourceRequest) -> ();
        get_tags(GetTagsRequest) -> Tags;
        update_account(UpdateAccountRequest) -> Account;
        create_domain_name(CreateDomainNameRequest) -> DomainName;
        get_domain_name(GetDomainNameRequest) -> DomainName;
        get_domain_names(GetDomainNamesRequest) -> DomainNames;
        update_domain_name(UpdateDomainNameRequest) -> DomainName;
        delete_domain_name(DeleteDomainNameRequest) -> ();
        create_base_path_mapping(CreateBasePathMappingRequest) -> BasePathMapping;
        get_base_path_mapping(GetBasePathMappingRequest) -> BasePathMapping;
        get_base_path_mappings(GetBasePathMappingsRequest) -> BasePathMappings;
        update_base_path_mapping(UpdateBasePathMappingRequest) -> BasePathMapping;
        delete_base_path_mapping(DeleteBasePathMappingRequest) -> ();
        generate_client_certificate(GenerateClientCertificateRequest) -> ClientCertificate;
        get_client_certificate(GetClientCertificateRequest) -> ClientCertificate;
        get_client_certificates(GetClientCertificatesRequest) -> ClientCertificates;
        update_client_certificate(UpdateClientCertificateRequest) -> ClientCertificate;
        delete_client_certificate(DeleteClientCertificateRequest) -> ();
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
        self.domain_names.forget();
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

    async fn get_account(
        &self,
        ctx: &RequestContext,
        _input: GetAccountRequest,
    ) -> Result<Account, AwsError> {
        ApiGateway::get_account(self, ctx).await
    }
}
