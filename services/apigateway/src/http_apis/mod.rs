//! HTTP APIs (API Gateway V2, the `/v2/` management API): APIs with their
//! routes (`GET /pets/{id}`, `ANY /{proxy+}`, `$default`), integrations
//! (Lambda proxy, HTTP proxy) and stages (`$default` serves paths without a
//! stage prefix), one record per API in the store. Auto-deployed stages
//! serve the API as it is now, the others their deployment
//! ([`deployments`]).

mod apis;
mod authorizers;
pub(crate) mod deployments;
mod domains;
mod parts;
mod tags;
mod updates;

use indexmap::IndexMap;
use nimbus_apigatewayv2_api::{Api, Authorizer, Integration, Route, Stage};
use nimbus_core::AwsError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// An HTTP API and its parts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HttpApiRecord {
    pub api: Api,
    pub routes: IndexMap<String, Route>,
    pub integrations: IndexMap<String, Integration>,
    pub stages: IndexMap<String, Stage>,
    #[serde(default)]
    pub authorizers: IndexMap<String, Authorizer>,
}

pub fn api_key(id: &str) -> Vec<u8> {
    format!("v2/{id}").into_bytes()
}

pub const API_PREFIX: &[u8] = b"v2/";

/// One shape as another with the same members (a stored `Api` as
/// CreateApi's or GetApi's answer).
pub fn convert<A: Serialize, B: DeserializeOwned + Default>(from: &A) -> B {
    serde_json::to_value(from)
        .ok()
        .and_then(|value| serde_json::from_value(value).ok())
        .unwrap_or_default()
}

pub fn api_missing(id: &str) -> AwsError {
    nimbus_apigatewayv2_api::errors::not_found(format!("Invalid API identifier specified {id}"))
        .with_field("resourceType", "Api")
}
