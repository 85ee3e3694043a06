//! IAM at the door of a REST API. A method with AWS_IAM authorization takes
//! only SigV4-signed requests (403 Missing Authentication Token without a
//! signature; the gateway verified it when nimbus verifies signatures).
//! Under `--enforce-iam` the caller must also be allowed
//! `execute-api:Invoke` on the method's ARN by its own policies or the
//! API's resource policy (as deployed), and an API with a resource policy
//! holds every caller of its other methods, anonymous ones included, to it.
//! HTTP APIs' AWS_IAM routes answer 403 Forbidden to both refusals.

use bytes::Bytes;
use nimbus_apigateway_api::ApiResponse;
use nimbus_core::authz::{Access, Denial, Resource};
use serde_json::json;

use nimbus_core::RequestContext;
use serde_json::Value as Json;

use super::http_api::Call;
use super::{Invocation, message};
use crate::ApiGateway;

/// API Gateway's refusal of a caller IAM does not allow (`Message`, with a
/// capital M).
fn denied(denial: &Denial) -> ApiResponse {
    let mut text = format!(
        "User: {} is not authorized to perform: execute-api:Invoke on resource: {}",
        denial.principal, denial.resource
    );
    if denial.explicit {
        text.push_str(" with an explicit deny");
    }
    ApiResponse {
        status: 403,
        headers: vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("x-amzn-ErrorType".to_owned(), "AccessDeniedException".to_owned()),
        ],
        body: Bytes::from(json!({ "Message": text }).to_string()),
    }
}

/// A request that carries a SigV4 signature the gateway did not accept.
fn carries_signature(invocation: &Invocation<'_>) -> bool {
    let signed_header = invocation
        .header("authorization")
        .is_some_and(|value| value.starts_with("AWS4-HMAC-SHA256"));
    signed_header || invocation.request.query.contains("X-Amz-Signature=")
}

/// What IAM is asked of an invocation.
pub(super) struct Ask<'a> {
    pub caller: &'a nimbus_core::RequestContext,
    /// The method's or route's `execute-api` ARN, with the request's path.
    pub arn: String,
    /// The API's account.
    pub account: &'a str,
    /// The API's resource policy, as deployed.
    pub policy: Option<&'a str>,
    /// The method takes only signed requests and reads who signed them.
    pub iam: bool,
}

/// Whether IAM lets the caller in, when it is enforced.
pub(super) async fn invoke_allowed(ask: Ask<'_>) -> Result<(), Denial> {
    if ask.caller.enforcement.0.is_none() || (!ask.iam && ask.policy.is_none()) {
        return Ok(());
    }
    let mut asking = ask.caller.clone();
    if !ask.iam {
        // Only AWS_IAM methods read who signed.
        asking.access_key_id = None;
    }
    let access = Access {
        action: "execute-api:Invoke",
        resources: vec![Resource {
            arn: ask.arn,
            account: ask.account.to_owned(),
            policy: ask.policy.map(str::to_owned),
            keys: Default::default(),
        }],
        keys: Vec::new(),
        input_keys: Default::default(),
    };
    asking.enforcement.check(&asking, &access).await
}

impl ApiGateway {
    /// The IAM verdict on `invocation`: `Err` is the refusal.
    pub(super) async fn authorize_iam(
        &self,
        invocation: &mut Invocation<'_>,
        policy: Option<&str>,
    ) -> Result<(), ApiResponse> {
        let caller = invocation.caller;
        let iam = invocation.route.method.authorization_type.as_deref() == Some("AWS_IAM");
        if iam {
            let Some(key) = caller.access_key_id.clone() else {
                return Err(match carries_signature(invocation) {
                    true => message(
                        403,
                        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
                        "InvalidSignatureException",
                    ),
                    false => message(
                        403,
                        "Missing Authentication Token",
                        "MissingAuthenticationTokenException",
                    ),
                });
            };
            invocation.signer = Some(key);
        }
        let (home, request) = (invocation.home, invocation.request);
        let ask = Ask {
            caller,
            arn: format!(
                "arn:aws:execute-api:{}:{}:{}/{}/{}{}",
                home.region, home.account, request.api_id, request.stage, request.method, request.path
            ),
            account: &home.account,
            policy,
            iam,
        };
        invoke_allowed(ask).await.map_err(|denial| denied(&denial))
    }

    /// The IAM verdict on an HTTP API's AWS_IAM route: the
    /// `requestContext.authorizer` it gives, or the refusal.
    pub(super) async fn authorize_iam_route(
        &self,
        caller: &RequestContext,
        call: &Call<'_>,
    ) -> Result<Json, ApiResponse> {
        let forbidden = || message(403, "Forbidden", "");
        let key = caller.access_key_id.clone().ok_or_else(forbidden)?;
        let (home, request) = (call.home, call.request);
        let stage = &call.stage.stage_name;
        let ask = Ask {
            caller,
            arn: format!(
                "arn:aws:execute-api:{}:{}:{}/{stage}/{}{}",
                home.region, home.account, request.api_id, request.method, call.path
            ),
            account: &home.account,
            policy: None,
            iam: true,
        };
        invoke_allowed(ask).await.map_err(|_| forbidden())?;
        Ok(json!({"iam": {
            "accessKey": key, "accountId": caller.account_id, "callerId": null,
            "cognitoIdentity": null, "principalOrgId": null, "userArn": null, "userId": null,
        }}))
    }
}
