//! Authorizers of HTTP API routes: JWT (see `jwt`) and Lambda REQUEST
//! authorizers. A Lambda authorizer gets the request's identity sources
//! (all present, else 401) in the 2.0 authorizer event; its answer is a
//! simple response (`isAuthorized`, with `enableSimpleResponses`) or an IAM
//! policy for the route's ARN (evaluated by the IAM engine); a refusal is
//! 403 Forbidden, "Unauthorized" from the function 401, a failure 500. Its
//! context reaches `requestContext.authorizer.lambda`.

use nimbus_apigateway_api::ApiResponse;
use nimbus_apigatewayv2_api::Authorizer;
use serde_json::{Value as Json, json};

use super::authorize::{Grant, allows};
use super::http_api::Call;
use super::message;
use crate::ApiGateway;

/// The values of the authorizer's identity sources, none when one is missing.
fn identity(authorizer: &Authorizer, call: &Call<'_>) -> Option<Vec<String>> {
    let query = super::proxy_event::query_pairs(&call.request.query);
    authorizer
        .identity_source
        .iter()
        .flatten()
        .map(|source| {
            if let Some(name) = source.strip_prefix("$request.header.") {
                call.request
                    .headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
            } else if let Some(name) = source.strip_prefix("$request.querystring.") {
                query
                    .iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            } else if let Some(name) = source.strip_prefix("$stageVariables.") {
                call.stage.stage_variables.as_ref()?.get(name).cloned()
            } else {
                None
            }
        })
        .collect()
}

impl ApiGateway {
    /// The authorizer context of a route's request, or the refusal.
    pub(super) async fn authorize_route(
        &self,
        authorizer: &Authorizer,
        call: &Call<'_>,
    ) -> Result<Json, ApiResponse> {
        if authorizer.authorizer_type.as_deref() == Some("JWT") {
            let now = self.clock.now_epoch_millis() / 1000;
            return super::jwt::authorize(authorizer, call.route, call.request, now).await;
        }
        let unauthorized = || message(401, "Unauthorized", "");
        let failed = || message(500, "Internal Server Error", "");
        let forbidden = || message(403, "Forbidden", "");
        let identity = identity(authorizer, call).ok_or_else(unauthorized)?;
        let uri = authorizer.authorizer_uri.clone().unwrap_or_default();
        let function = super::lambda::function_of(&uri).unwrap_or(&uri).to_owned();
        let route_arn = format!(
            "arn:aws:execute-api:{}:{}:{}/{}/{}",
            call.home.region,
            call.home.account,
            call.request.api_id,
            call.stage.stage_name,
            call.route.route_key.replacen(' ', "", 1)
        );
        let mut event = call.event();
        event["type"] = json!("REQUEST");
        event["routeArn"] = json!(route_arn);
        event["identitySource"] = json!(identity);
        let source = format!(
            "arn:aws:execute-api:{}:{}:{}/authorizers/{}",
            call.home.region,
            call.home.account,
            call.request.api_id,
            authorizer.authorizer_id.clone().unwrap_or_default()
        );
        let answered = self
            .invoke_function(
                &function,
                event.to_string().into_bytes(),
                (&source, &call.home.account),
            )
            .await
            .map_err(|_| failed())?;
        let answer: Json =
            serde_json::from_slice(answered.payload.as_deref().unwrap_or_default()).unwrap_or(Json::Null);
        if answered.function_error.is_some() {
            return Err(match answer.get("errorMessage").and_then(Json::as_str) {
                Some("Unauthorized") => unauthorized(),
                _ => failed(),
            });
        }
        let context = answer.get("context").cloned().unwrap_or(Json::Null);
        if authorizer.enable_simple_responses == Some(true) {
            return match answer.get("isAuthorized").and_then(Json::as_bool) {
                Some(true) => Ok(json!({ "lambda": context })),
                Some(false) => Err(forbidden()),
                None => Err(failed()),
            };
        }
        let (Some(principal_id), Some(policy)) = (answer.get("principalId"), answer.get("policyDocument"))
        else {
            return Err(failed());
        };
        let grant = Grant {
            principal_id: principal_id.clone(),
            policy: policy.clone(),
            context: context.clone(),
        };
        allows(&grant, &route_arn, &call.home.account).map_err(|_| forbidden())?;
        Ok(json!({ "lambda": context, "principalId": principal_id }))
    }
}
