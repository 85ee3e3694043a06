//! What API Gateway keeps, in the regional `apigateway` namespace: a REST
//! API with its resources and their methods in one record (`api/<id>`: an
//! API has tens of resources, read and changed together), each deployment
//! with the snapshot of the resources it froze (`deployment/<api>/<id>`),
//! and each stage (`stage/<api>/<name>`).

use indexmap::IndexMap;
use nimbus_apigateway_api::{
    Authorizer, Deployment, GatewayResponse, Model, RequestValidator, ResourceShape, RestApi,
};
use nimbus_core::{AwsError, RequestContext};
use nimbus_store::Namespace;
use serde::{Deserialize, Serialize};

/// A REST API and its resources by id (methods, with their integrations,
/// inside each resource's `resourceMethods`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiRecord {
    pub api: RestApi,
    pub resources: IndexMap<String, ResourceShape>,
    #[serde(default)]
    pub authorizers: IndexMap<String, Authorizer>,
    /// Gateway responses the API changed, by type.
    #[serde(default)]
    pub gateway_responses: IndexMap<String, GatewayResponse>,
    /// Models by name (every API starts with `Empty` and `Error`).
    #[serde(default = "crate::models::default_models")]
    pub models: IndexMap<String, Model>,
    #[serde(default)]
    pub request_validators: IndexMap<String, RequestValidator>,
}

/// A deployment and the resources it froze: what its stages serve.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeploymentRecord {
    pub deployment: Deployment,
    pub resources: Vec<ResourceShape>,
    /// The API's authorizers as they were deployed.
    #[serde(default)]
    pub authorizers: IndexMap<String, Authorizer>,
    #[serde(default)]
    pub gateway_responses: IndexMap<String, GatewayResponse>,
    /// The models and validators requests are checked against.
    #[serde(default)]
    pub models: IndexMap<String, Model>,
    #[serde(default)]
    pub request_validators: IndexMap<String, RequestValidator>,
    /// The API's resource policy as it was deployed.
    #[serde(default)]
    pub policy: Option<String>,
}

pub fn namespace(account: &str, region: &str) -> Result<Namespace, AwsError> {
    Namespace::regional("apigateway", account, region).map_err(AwsError::from)
}

pub fn namespace_of(ctx: &RequestContext) -> Result<Namespace, AwsError> {
    namespace(&ctx.account_id, &ctx.region)
}

pub const API_PREFIX: &[u8] = b"api/";

/// The global namespace's index of where each API lives (`home/<id>`):
/// invocations name an API by id alone.
pub fn homes() -> Result<Namespace, AwsError> {
    Namespace::global("apigateway").map_err(AwsError::from)
}

pub fn home_key(id: &str) -> Vec<u8> {
    format!("home/{id}").into_bytes()
}

pub fn api_key(id: &str) -> Vec<u8> {
    [API_PREFIX, id.as_bytes()].concat()
}

pub fn deployments_prefix(api: &str) -> Vec<u8> {
    format!("deployment/{api}/").into_bytes()
}

pub fn deployment_key(api: &str, id: &str) -> Vec<u8> {
    [deployments_prefix(api), id.as_bytes().to_vec()].concat()
}

pub fn stages_prefix(api: &str) -> Vec<u8> {
    format!("stage/{api}/").into_bytes()
}

pub fn stage_key(api: &str, name: &str) -> Vec<u8> {
    [stages_prefix(api), name.as_bytes().to_vec()].concat()
}

/// An id as API Gateway makes them: lower-case letters and digits (10 for
/// APIs and root resources, 6 for the rest).
pub fn new_id(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    uuid::Uuid::new_v4()
        .as_bytes()
        .iter()
        .chain(uuid::Uuid::new_v4().as_bytes())
        .take(len)
        .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
        .collect()
}

/// Now, as API Gateway's timestamps (whole seconds).
pub fn timestamp(clock: &nimbus_runtime::Clock) -> nimbus_core::Timestamp {
    let seconds = clock.now_epoch_millis() / 1000;
    nimbus_core::Timestamp::from_epoch_millis(i64::try_from(seconds * 1000).unwrap_or(i64::MAX))
}
