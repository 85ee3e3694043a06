//! AWS_PROXY integrations with Lambda: the function named in the
//! integration's URI (stage variables filled in) is invoked synchronously
//! as `apigateway.amazonaws.com` for the method's execute-api ARN, which
//! the function's policy must let in when IAM is enforced.

use nimbus_apigateway_api::{ApiResponse, Integration};
use nimbus_lambda_api::{InvocationRequest, InvocationResponse};

use super::{Invocation, message, proxy_event};
use crate::ApiGateway;

/// The function ARN of `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations`.
pub(super) fn function_of(uri: &str) -> Option<&str> {
    let path = uri.split_once(":lambda:path/")?.1;
    path.strip_prefix("2015-03-31/functions/")?
        .strip_suffix("/invocations")
}

/// `${stageVariables.name}` replaced by the stage's values.
pub fn with_stage_variables(text: &str, invocation: &Invocation<'_>) -> String {
    let mut filled = text.to_owned();
    for (name, value) in &invocation.stage_variables {
        filled = filled.replace(&format!("${{stageVariables.{name}}}"), value);
    }
    filled
}

/// Why a function could not answer.
pub(super) enum Unanswered {
    /// No Lambda wired, or no function in the ARN.
    Unusable,
    /// Lambda refused the call (a missing function, a policy, a throttle).
    Refused(nimbus_core::AwsError),
}

impl ApiGateway {
    /// Invokes `function` (an ARN) with `payload` synchronously, as
    /// `apigateway.amazonaws.com` for `source_arn` of `source_account`.
    pub(super) async fn invoke_function(
        &self,
        function: &str,
        payload: Vec<u8>,
        (source_arn, source_account): (&str, &str),
    ) -> Result<InvocationResponse, Unanswered> {
        let lambda = self.functions.get().ok_or(Unanswered::Unusable)?;
        let parts: Vec<&str> = function.split(':').collect();
        let (Some(region), Some(account)) = (parts.get(3), parts.get(4)) else {
            return Err(Unanswered::Unusable);
        };
        let ctx = self.principal.call(
            ("lambda", "Invoke"),
            (account, region),
            source_arn,
            source_account,
        );
        let input = InvocationRequest {
            function_name: function.to_owned(),
            payload: Some(payload.into()),
            ..Default::default()
        };
        lambda.invoke(&ctx, input).await.map_err(Unanswered::Refused)
    }

    pub(super) async fn call_function(
        &self,
        invocation: &Invocation<'_>,
        integration: &Integration,
    ) -> ApiResponse {
        let failed = || message(500, "Internal server error", "InternalServerErrorException");
        let uri = with_stage_variables(integration.uri.as_deref().unwrap_or_default(), invocation);
        // Lambda must be called with POST, whatever the method's verb.
        let (Some(function), Some("POST")) = (function_of(&uri), integration.http_method.as_deref()) else {
            return failed();
        };
        let payload = proxy_event::event(invocation).to_string().into_bytes();
        let source = (invocation.source_arn(), invocation.home.account.clone());
        match self
            .invoke_function(function, payload, (&source.0, &source.1))
            .await
        {
            Ok(answered) if answered.function_error.is_none() => {
                proxy_event::response(answered.payload.as_deref().unwrap_or_default())
            }
            Ok(_) => message(502, "Internal server error", "InternalServerErrorException"),
            Err(Unanswered::Refused(error)) => {
                tracing::warn!(%error, function, "API Gateway could not invoke the function");
                failed()
            }
            Err(Unanswered::Unusable) => failed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_function_is_read_from_the_integration_uri() {
        let uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:todo/invocations";
        assert_eq!(
            function_of(uri),
            Some("arn:aws:lambda:us-east-1:000000000000:function:todo")
        );
        assert_eq!(function_of("http://example.com"), None);
    }
}
