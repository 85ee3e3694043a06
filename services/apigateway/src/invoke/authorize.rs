//! Lambda authorizers at invocation: a method with authorizationType
//! CUSTOM asks its authorizer's function (TOKEN: the identity header;
//! REQUEST: the request, once its identity sources are all present) for a
//! policy, cached by identity for the authorizer's TTL on the nimbus clock,
//! and goes on only when the policy allows `execute-api:Invoke` on the
//! method's ARN (evaluated by nimbus-policy). 401 Unauthorized without an
//! identity or when the function says "Unauthorized", 403 when the policy
//! does not allow, 500 when the authorizer fails.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use nimbus_apigateway_api::{ApiResponse, Authorizer};
use nimbus_policy::{
    Context, Decision, Policies, Policy, PolicyKind, Principal, PrincipalType, Request, authorize,
};
use serde_json::{Value as Json, json};

use super::{Invocation, message, proxy_event};
use crate::ApiGateway;

/// What an authorizer answered: its policy document, principal and context.
#[derive(Debug, Clone)]
pub struct Grant {
    pub principal_id: Json,
    pub policy: Json,
    pub context: Json,
}

/// Grants by authorizer and identity, with when they expire.
#[derive(Default)]
pub struct Grants(Mutex<HashMap<String, (SystemTime, Grant)>>);

impl Grants {
    fn get(&self, key: &str, now: SystemTime) -> Option<Grant> {
        let grants = self.0.lock().ok()?;
        grants
            .get(key)
            .filter(|(until, _)| now < *until)
            .map(|(_, grant)| grant.clone())
    }

    fn put(&self, key: String, grant: &Grant, ttl: Duration, now: SystemTime) {
        if let (false, Ok(mut grants)) = (ttl.is_zero(), self.0.lock()) {
            if grants.len() >= 10_000 {
                grants.retain(|_, (until, _)| *until > now);
            }
            grants.insert(key, (now + ttl, grant.clone()));
        }
    }

    pub fn clear(&self) {
        if let Ok(mut grants) = self.0.lock() {
            grants.clear();
        }
    }
}

fn unauthorized() -> ApiResponse {
    message(401, "Unauthorized", "UnauthorizedException")
}

fn failed() -> ApiResponse {
    let mut answer = message(500, "", "AuthorizerConfigurationException");
    answer.body = Bytes::from_static(b"{\"message\": null}");
    answer
}

/// `{"Message": ...}` with a capital M, as API Gateway words this refusal.
fn denied(explicit: bool) -> ApiResponse {
    let text = match explicit {
        true => "User is not authorized to access this resource with an explicit deny",
        false => "User is not authorized to access this resource",
    };
    ApiResponse {
        status: 403,
        headers: vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("x-amzn-ErrorType".to_owned(), "AccessDeniedException".to_owned()),
        ],
        body: Bytes::from(json!({ "Message": text }).to_string()),
    }
}

/// The values of an authorizer's identity sources in a request, none when
/// one is missing.
fn identity(authorizer: &Authorizer, invocation: &Invocation<'_>) -> Option<Vec<String>> {
    let sources = authorizer.identity_source.clone().unwrap_or_default();
    let query = proxy_event::query_pairs(&invocation.request.query);
    sources
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|source| {
            if let Some(name) = source.strip_prefix("method.request.header.") {
                invocation
                    .request
                    .headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
            } else if let Some(name) = source.strip_prefix("method.request.querystring.") {
                query
                    .iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            } else if let Some(name) = source.strip_prefix("stageVariables.") {
                invocation.stage_variables.get(name).cloned()
            } else {
                None
            }
        })
        .collect()
}

/// The event the authorizer's function receives.
fn event(authorizer: &Authorizer, invocation: &Invocation<'_>, identity: &[String]) -> Json {
    let method_arn = invocation.source_arn();
    if authorizer.r#type.as_deref() == Some("TOKEN") {
        return json!({
            "type": "TOKEN",
            "authorizationToken": identity.first(),
            "methodArn": method_arn,
        });
    }
    let mut event = proxy_event::event(invocation);
    if let Json::Object(fields) = &mut event {
        fields.remove("body");
        fields.remove("isBase64Encoded");
        fields.insert("type".into(), json!("REQUEST"));
        fields.insert("methodArn".into(), json!(method_arn));
    }
    event
}

/// Whether `grant`'s policy allows invoking `method_arn`: `Ok`, or the
/// refusal (explicit or not).
pub(super) fn allows(grant: &Grant, method_arn: &str, account: &str) -> Result<(), bool> {
    let Ok(policy) = Policy::parse(&grant.policy.to_string(), PolicyKind::Identity) else {
        return Err(false);
    };
    let principal = Principal {
        arn: format!("arn:aws:iam::{account}:user/authorizer"),
        account: account.to_owned(),
        kind: PrincipalType::User,
    };
    let context = Context::new();
    let request = Request {
        principal: &principal,
        action: "execute-api:Invoke",
        resource: method_arn,
        context: &context,
    };
    let identity = [&policy];
    let policies = Policies {
        identity: &identity,
        resource: None,
        resource_account: None,
        resource_must_allow: false,
        boundary: None,
        session: &[],
        scps: &[],
    };
    match authorize(&request, &policies) {
        Decision::Allow => Ok(()),
        Decision::ExplicitDeny(_) => Err(true),
        Decision::ImplicitDeny(_) => Err(false),
    }
}

impl ApiGateway {
    /// Holds a CUSTOM method's request to its authorizer: the grant that
    /// lets it on, or API Gateway's answer.
    pub(super) async fn authorize_request(
        &self,
        invocation: &Invocation<'_>,
        authorizer: &Authorizer,
    ) -> Result<Grant, ApiResponse> {
        let identity = identity(authorizer, invocation).ok_or_else(unauthorized)?;
        if let (Some(expression), Some(token)) =
            (&authorizer.identity_validation_expression, identity.first())
            && !regex_lite::Regex::new(&format!("^(?:{expression})$")).is_ok_and(|r| r.is_match(token))
        {
            return Err(unauthorized());
        }
        let key = format!(
            "{}\n{}",
            authorizer.id.clone().unwrap_or_default(),
            identity.join("\n")
        );
        let now = self.clock.now();
        let grant = match self.grants.get(&key, now) {
            Some(grant) => grant,
            None => {
                let grant = self.ask_authorizer(authorizer, invocation, &identity).await?;
                let ttl =
                    u64::try_from(authorizer.authorizer_result_ttl_in_seconds.unwrap_or(300)).unwrap_or(0);
                self.grants.put(key, &grant, Duration::from_secs(ttl), now);
                grant
            }
        };
        allows(&grant, &invocation.source_arn(), &invocation.home.account).map_err(denied)?;
        Ok(grant)
    }

    async fn ask_authorizer(
        &self,
        authorizer: &Authorizer,
        invocation: &Invocation<'_>,
        identity: &[String],
    ) -> Result<Grant, ApiResponse> {
        let uri = super::lambda::with_stage_variables(
            authorizer.authorizer_uri.as_deref().unwrap_or_default(),
            invocation,
        );
        let Some(function) = super::lambda::function_of(&uri) else {
            return Err(failed());
        };
        let source = format!(
            "arn:aws:execute-api:{}:{}:{}/authorizers/{}",
            invocation.home.region,
            invocation.home.account,
            invocation.request.api_id,
            authorizer.id.clone().unwrap_or_default()
        );
        let payload = event(authorizer, invocation, identity).to_string().into_bytes();
        let answered = self
            .invoke_function(function, payload, (&source, &invocation.home.account))
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
        let (Some(principal_id), Some(policy)) = (answer.get("principalId"), answer.get("policyDocument"))
        else {
            return Err(failed());
        };
        Ok(Grant {
            principal_id: principal_id.clone(),
            policy: policy.clone(),
            context: answer.get("context").cloned().unwrap_or(Json::Null),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(statements: Json) -> Grant {
        Grant {
            principal_id: json!("user"),
            policy: json!({"Version": "2012-10-17", "Statement": statements}),
            context: Json::Null,
        }
    }

    #[test]
    fn a_policy_allows_the_methods_it_names_and_a_deny_wins() {
        let arn = "arn:aws:execute-api:us-east-1:000000000000:abc/prod/GET/pets";
        let allow_all = grant(
            json!([{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:us-east-1:000000000000:abc/*"}]),
        );
        assert_eq!(allows(&allow_all, arn, "000000000000"), Ok(()));
        let other = grant(
            json!([{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:*:*:abc/*/POST/*"}]),
        );
        assert_eq!(allows(&other, arn, "000000000000"), Err(false));
        let deny = grant(json!([
            {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"},
            {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": arn}
        ]));
        assert_eq!(allows(&deny, arn, "000000000000"), Err(true));
    }

    #[tokio::test]
    async fn a_grant_is_kept_for_its_ttl_on_the_clock() {
        let test = nimbus_runtime::TestClock::new();
        let grants = Grants::default();
        grants.put(
            "a\ntoken".into(),
            &grant(json!([])),
            Duration::from_secs(300),
            test.now(),
        );
        test.advance(Duration::from_secs(299)).await;
        assert!(grants.get("a\ntoken", test.now()).is_some());
        test.advance(Duration::from_secs(1)).await;
        assert!(grants.get("a\ntoken", test.now()).is_none());
    }
}
