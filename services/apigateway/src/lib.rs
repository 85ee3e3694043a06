//! API Gateway, over the nimbus store.
//!
//! The service implements the generated [`ApiGatewayApi`]: one method per
//! operation listed in apis/apigateway/operations.txt, each handled by a module
//! of its concern.

// Tests unwrap what they just built.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod account;
mod api_keys;
mod api_patch;
mod apis;
mod authorizers;
mod client_certificates;
mod deployments;
mod domains;
mod errors;
mod frozen;
mod gateway_responses;
mod http_apis;
mod integrations;
mod invoke;
mod methods;
mod models;
mod openapi;
mod operations_v1;
mod operations_v2;
mod paging;
mod patch;
mod records;
mod resources;
mod stage_patch;
mod stages;
mod tags;
mod updates;
mod usage_plans;

use std::sync::{Arc, OnceLock};

use nimbus_core::context::ServicePrincipal;

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
    /// Models compiled for request validation, by deployment and name.
    schemas: Arc<frozen::Frozen<jsonschema::Validator>>,
    /// The custom domain names, for the front door to tell them apart.
    domain_names: Arc<domains::KnownDomains>,
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
            schemas: Arc::default(),
            domain_names: Arc::default(),
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

#[cfg(test)]
mod tests;
