//! Invoking a deployed REST API: the stage names a deployment, the
//! deployment's resources route the request to a method, and the method's
//! integration answers it (a Lambda function through AWS_PROXY, MOCK, an
//! HTTP endpoint through HTTP_PROXY), with API Gateway's own answers when
//! nothing does (403 Forbidden for an unknown stage, 403 Missing
//! Authentication Token for a missing route, 502/500 Internal server error).

mod access_log;
pub(crate) mod api_keys;
pub(crate) mod authorize;
mod aws;
pub(crate) mod cache;
mod canary;
mod customize;
mod domains;
mod execution_log;
pub(crate) mod http_api;
mod http_api_v1;
pub(crate) mod http_mapping;
pub(crate) mod http_proxy;
mod iam;
mod jwt;
mod lambda;
mod mock;
mod proxy_event;
mod route_authorizer;
mod routing;
mod templates;
pub(crate) mod throttle;
mod validate;

use bytes::Bytes;
use indexmap::IndexMap;
use nimbus_apigateway_api::{ApiInvoke, ApiRequest, ApiResponse, Integration, Stage};
use nimbus_core::BoxFuture;
use nimbus_core::RequestContext;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use crate::ApiGateway;
use crate::records::DeploymentRecord;
use routing::Route;

/// Where an API lives: API ids are unique across accounts and regions, so
/// an invocation finds its API by id alone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Home {
    pub account: String,
    pub region: String,
    /// An HTTP API (API Gateway V2), not a REST API.
    #[serde(default)]
    pub http: bool,
}

/// An API Gateway answer of its own: `{"message": ...}` with its error type.
pub(crate) fn message(status: u16, text: &str, error_type: &str) -> ApiResponse {
    let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    if !error_type.is_empty() {
        headers.push(("x-amzn-ErrorType".to_owned(), error_type.to_owned()));
    }
    ApiResponse {
        status,
        headers,
        body: Bytes::from(json!({ "message": text }).to_string()),
    }
}

/// One request on its way through a stage's deployment.
pub(crate) struct Invocation<'r> {
    pub request: &'r ApiRequest,
    pub home: &'r Home,
    pub stage: &'r Stage,
    pub route: Route<'r>,
    pub stage_variables: IndexMap<String, String>,
    pub request_id: String,
    pub extended_id: String,
    pub now: time::OffsetDateTime,
    /// What the method's Lambda authorizer granted, if it has one.
    pub grant: Option<authorize::Grant>,
    /// Who called: the signer of a signed request (the gateway verified
    /// the signature when nimbus verifies them), else anonymous.
    pub caller: &'r RequestContext,
    /// The access key an AWS_IAM method admitted.
    pub signer: Option<String>,
}

impl Invocation<'_> {
    pub fn resource_path(&self) -> String {
        self.route.resource.path.clone().unwrap_or_else(|| "/".to_owned())
    }

    /// The request's headers as API Gateway passes them on (Host as the
    /// client sent it, X-Forwarded-* added).
    pub fn headers_as_sent(&self) -> Vec<(String, String)> {
        let mut headers = self.request.headers.clone();
        headers.push(("X-Forwarded-Proto".to_owned(), "http".to_owned()));
        headers
    }

    /// The stage cache's key of this request: the stage, method and path,
    /// and the values of the integration's cache key parameters.
    pub fn cache_key(&self, integration: &Integration) -> String {
        let request = self.request;
        let mut key = format!(
            "{}/{}/{} {}",
            request.api_id, request.stage, request.method, request.path
        );
        let query = proxy_event::query_pairs(&request.query);
        for parameter in integration.cache_key_parameters.iter().flatten() {
            let value = if let Some(name) = parameter.strip_prefix("method.request.querystring.") {
                query
                    .iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.as_str())
            } else if let Some(name) = parameter.strip_prefix("method.request.header.") {
                self.header(name)
            } else if let Some(name) = parameter.strip_prefix("method.request.path.") {
                self.route.path_parameters.get(name).map(String::as_str)
            } else {
                None
            };
            key.push_str(&format!("\n{parameter}={}", value.unwrap_or_default()));
        }
        key
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.request
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `execute-api` ARN of this method (`aws:SourceArn` of the calls
    /// API Gateway makes for it).
    pub fn source_arn(&self) -> String {
        format!(
            "arn:aws:execute-api:{}:{}:{}/{}/{}{}",
            self.home.region,
            self.home.account,
            self.request.api_id,
            self.request.stage,
            self.request.method,
            self.resource_path()
        )
    }

    pub fn request_context(&self) -> Json {
        let format = time::macros::format_description!(
            "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
        );
        json!({
            "accountId": self.home.account,
            "apiId": self.request.api_id,
            "deploymentId": self.stage.deployment_id,
            "domainName": self.request.domain,
            "domainPrefix": self.request.api_id,
            "extendedRequestId": self.extended_id,
            "httpMethod": self.request.method,
            "identity": {
                "accessKey": self.signer, "accountId": self.signer.as_ref().map(|_| &self.caller.account_id), "caller": null,
                "cognitoAuthenticationProvider": null, "cognitoAuthenticationType": null,
                "cognitoIdentityId": null, "cognitoIdentityPoolId": null, "principalOrgId": null,
                "sourceIp": "127.0.0.1", "user": null,
                "userAgent": self.header("user-agent"), "userArn": null,
            },
            "path": self.request.domain_path.clone().unwrap_or_else(|| format!("/{}{}", self.request.stage, self.request.path)),
            "protocol": "HTTP/1.1",
            "requestId": self.request_id,
            "requestTime": self.now.format(&format).unwrap_or_default(),
            "requestTimeEpoch": (self.now.unix_timestamp_nanos() / 1_000_000) as i64,
            "resourceId": self.route.resource.id,
            "resourcePath": self.resource_path(),
            "stage": self.request.stage,
            "authorizer": self.grant.as_ref().map(|grant| {
                let mut authorizer = serde_json::Map::new();
                authorizer.insert("principalId".into(), grant.principal_id.clone());
                for (key, value) in grant.context.as_object().into_iter().flatten() {
                    authorizer.insert(key.clone(), json!(match value {
                        Json::String(text) => text.clone(),
                        other => other.to_string(),
                    }));
                }
                Json::Object(authorizer)
            }),
        })
    }
}

impl ApiInvoke for ApiGateway {
    fn invoke_api<'a>(
        &'a self,
        caller: &'a RequestContext,
        request: ApiRequest,
    ) -> BoxFuture<'a, ApiResponse> {
        Box::pin(async move {
            let ids = (uuid::Uuid::new_v4().to_string(), crate::records::new_id(15) + "=");
            let mut answered = self.serve_invocation(caller, &request, &ids).await;
            let (request_id, extended_id) = ids;
            answered.headers.push(("x-amzn-RequestId".to_owned(), request_id));
            answered.headers.push(("x-amz-apigw-id".to_owned(), extended_id));
            answered
        })
    }

    fn serves_domain(&self, host: &str) -> bool {
        self.domain_names.contains(&self.store, host)
    }
}

impl ApiGateway {
    /// Answers `request`; `ids` are its request id and extended request id.
    async fn serve_invocation(
        &self,
        caller: &RequestContext,
        request: &ApiRequest,
        ids: &(String, String),
    ) -> ApiResponse {
        let forbidden = || message(403, "Forbidden", "ForbiddenException");
        let mapped;
        let request = match request.domain_path.is_some() {
            true => match self.through_domain(request).await {
                Some(found) => {
                    mapped = found;
                    &mapped
                }
                None => return forbidden(),
            },
            false => request,
        };
        let Some(home) = self.home_of(&request.api_id).await else {
            return forbidden();
        };
        let ctx = RequestContext::internal_with_id(
            "apigateway",
            "Invoke",
            &home.account,
            &home.region,
            ids.0.clone(),
        );
        if home.http {
            return self.serve_http_api((&ctx, caller), request, &home, ids).await;
        }
        let Ok(stage) = self.kept_stage(&ctx, &request.api_id, &request.stage).await else {
            return forbidden();
        };
        let (deployment_id, stage) = canary::pick(stage, canary::roll);
        let Ok(deployment) = self.deployment(&ctx, &request.api_id, &deployment_id).await else {
            return forbidden();
        };
        let answered = self
            .serve_deployed((&ctx, caller), request, (&home, &stage, &deployment), ids)
            .await;
        let answered = customize::customize(answered, &deployment.gateway_responses);
        if let Some(settings) = &stage.access_log_settings
            && let (Some(arn), Some(format)) = (&settings.destination_arn, &settings.format)
        {
            let time_format = time::macros::format_description!(
                "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
            );
            let context = json!({
                "requestId": ids.0, "extendedRequestId": ids.1, "apiId": request.api_id,
                "stage": request.stage, "httpMethod": request.method,
                "path": format!("/{}{}", request.stage, request.path),
                "protocol": "HTTP/1.1", "identity": {"sourceIp": "127.0.0.1"},
                "requestTime": time::OffsetDateTime::from(self.clock.now()).format(&time_format).unwrap_or_default(),
            });
            self.access_log(access_log::Destination { arn, format }, context, &answered);
        }
        answered
    }

    /// Answers a request to a stage's deployment.
    async fn serve_deployed(
        &self,
        (ctx, caller): (&RequestContext, &RequestContext),
        request: &ApiRequest,
        (home, stage, deployment): (&Home, &Stage, &DeploymentRecord),
        ids: &(String, String),
    ) -> ApiResponse {
        let Some(route) = routing::route(&deployment.resources, &request.path, &request.method) else {
            return message(
                403,
                "Missing Authentication Token",
                "MissingAuthenticationTokenException",
            );
        };
        let verb = route.method.http_method.clone().unwrap_or_default();
        let path = route.resource.path.clone().unwrap_or_default();
        let bucket = format!("{}/{}/{path}/{verb}", request.api_id, request.stage);
        let setting_key = throttle::setting_key(&path, &verb);
        let limits = throttle::limits(stage, &setting_key);
        if !self.throttles.admit(&bucket, limits, self.clock.now()) {
            return message(429, "Too Many Requests", "TooManyRequestsException");
        }
        let Some(integration) = route.method.method_integration.as_ref() else {
            return message(500, "Internal server error", "InternalServerErrorException");
        };
        let caching = cache::caching(stage, &setting_key, &verb);
        let mut invocation = Invocation {
            request,
            home,
            stage,
            route,
            stage_variables: stage.variables.clone().unwrap_or_default(),
            request_id: ids.0.clone(),
            extended_id: ids.1.clone(),
            now: time::OffsetDateTime::from(self.clock.now()),
            grant: None,
            caller,
            signer: None,
        };
        let answered = match self.admit(ctx, &mut invocation, deployment).await {
            Err(refused) => refused,
            Ok(()) => match self.validate(&invocation, deployment) {
                Err(refused) => refused,
                Ok(()) => self.answer(&invocation, integration, caching).await,
            },
        };
        self.log_execution(&invocation, &setting_key, &answered);
        answered
    }

    /// The method's gates: the API's resource policy and IAM, or its Lambda
    /// authorizer (whose grant the invocation keeps), then its API key.
    async fn admit(
        &self,
        ctx: &RequestContext,
        invocation: &mut Invocation<'_>,
        deployment: &DeploymentRecord,
    ) -> Result<(), ApiResponse> {
        let authorizers = &deployment.authorizers;
        self.authorize_iam(invocation, deployment.policy.as_deref())
            .await?;
        if invocation.route.method.authorization_type.as_deref() == Some("CUSTOM") {
            let authorizer = invocation
                .route
                .method
                .authorizer_id
                .as_ref()
                .and_then(|id| authorizers.get(id))
                .ok_or_else(|| message(500, "Internal server error", "InternalServerErrorException"))?;
            invocation.grant = Some(self.authorize_request(invocation, authorizer).await?);
        }
        if invocation.route.method.api_key_required == Some(true) {
            self.check_api_key(ctx, invocation).await?;
        }
        Ok(())
    }

    /// The integration's answer, from the stage cache when the method caches.
    async fn answer(
        &self,
        invocation: &Invocation<'_>,
        integration: &Integration,
        caching: Option<cache::Caching>,
    ) -> ApiResponse {
        let Some(caching) = caching else {
            return self.integrate(invocation, integration).await;
        };
        let key = invocation.cache_key(integration);
        let bypass = caching.bypass_allowed
            && invocation
                .header("cache-control")
                .is_some_and(|c| c.contains("max-age=0"));
        if !bypass && let Some(mut hit) = self.cache.get(&key, self.clock.now()) {
            hit.headers.push(("X-Nimbus-Cache".to_owned(), "Hit".to_owned()));
            return hit;
        }
        let mut answered = self.integrate(invocation, integration).await;
        if (200..300).contains(&answered.status) {
            self.cache.put(&key, &answered, caching.ttl, self.clock.now());
        }
        answered
            .headers
            .push(("X-Nimbus-Cache".to_owned(), "Miss".to_owned()));
        answered
    }

    /// What the method's integration answers.
    async fn integrate(&self, invocation: &Invocation<'_>, integration: &Integration) -> ApiResponse {
        match integration.r#type.as_deref().unwrap_or_default() {
            "AWS_PROXY" => self.call_function(invocation, integration).await,
            "MOCK" => mock::answer(invocation, integration),
            "HTTP_PROXY" => http_proxy::forward(invocation, integration).await,
            "HTTP" => http_proxy::http(invocation, integration).await,
            "AWS" => self.call_aws(invocation, integration).await,
            other => {
                tracing::warn!(integration = other, "API Gateway integration type not served yet");
                message(500, "Internal server error", "InternalServerErrorException")
            }
        }
    }
}
