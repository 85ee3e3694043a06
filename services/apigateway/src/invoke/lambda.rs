//! AWS_PROXY integrations with Lambda: the function named in the
//! integration's URI (stage variables filled in) is invoked synchronously
//! as `apigateway.amazonaws.com` for the method's execute-api ARN, which
//! the function's policy must let in when IAM is enforced.

use nimbus_apigateway_api::{ApiResponse, Integration};
use nimbus_lambda_api::InvocationRequest;

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

impl ApiGateway {
    pub(super) async fn call_function(
        &self,
        invocation: &Invocation<'_>,
        integration: &Integration,
    ) -> ApiResponse {
        let failed = || message(500, "Internal server error", "InternalServerErrorException");
        let uri = with_stage_variables(integration.uri.as_deref().unwrap_or_default(), invocation);
        let (Some(function), Some(lambda)) = (function_of(&uri), self.functions.get()) else {
            return failed();
        };
        // Lambda must be called with POST, whatever the method's verb.
        if integration.http_method.as_deref() != Some("POST") {
            return failed();
        }
        let parts: Vec<&str> = function.split(':').collect();
        let (Some(region), Some(account)) = (parts.get(3), parts.get(4)) else {
            return failed();
        };
        let ctx = self.principal.call(
            ("lambda", "Invoke"),
            (account, region),
            &invocation.source_arn(),
            &invocation.home.account,
        );
        let input = InvocationRequest {
            function_name: function.to_owned(),
            payload: Some(proxy_event::event(invocation).to_string().into_bytes().into()),
            ..Default::default()
        };
        match lambda.invoke(&ctx, input).await {
            Ok(answered) if answered.function_error.is_none() => {
                proxy_event::response(answered.payload.as_deref().unwrap_or_default())
            }
            Ok(_) => message(502, "Internal server error", "InternalServerErrorException"),
            Err(error) => {
                tracing::warn!(%error, function, "API Gateway could not invoke the function");
                failed()
            }
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
