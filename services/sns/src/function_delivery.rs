//! How SNS hands a message to a Lambda function: asynchronously (Lambda's
//! Event invocation, which Lambda accepts durably and retries itself), with
//! the event Lambda receives from SNS (`Records[].Sns`).

use nimbus_core::BoxFuture;
use nimbus_core::context::ServicePrincipal;
use nimbus_lambda_api::{InvocationRequest, LambdaClient};
use serde_json::{Map, Value as Json, json};

/// Why a function did not take an event.
#[derive(Debug, Clone, PartialEq)]
pub enum FunctionDeliveryError {
    /// No such function: the message goes to the subscription's DLQ.
    Permanent(String),
    Transient(String),
}

/// Invokes functions named by ARN with an event.
pub trait FunctionDelivery: Send + Sync + 'static {
    /// Invokes `function_arn` with `event`, published to `topic_arn`.
    fn deliver(
        &self,
        function_arn: String,
        event: String,
        topic_arn: String,
    ) -> BoxFuture<'_, Result<(), FunctionDeliveryError>>;
}

/// No Lambda wired (yet): retried, then the DLQ.
pub struct NoFunctions;

impl FunctionDelivery for NoFunctions {
    fn deliver(
        &self,
        function_arn: String,
        _event: String,
        _topic_arn: String,
    ) -> BoxFuture<'_, Result<(), FunctionDeliveryError>> {
        Box::pin(async move {
            Err(FunctionDeliveryError::Transient(format!(
                "no Lambda service to deliver to {function_arn}"
            )))
        })
    }
}

/// Delivers through Lambda's Invoke (InvocationType Event), as the
/// function's owner.
pub struct LambdaService {
    lambda: LambdaClient,
    principal: ServicePrincipal,
}

impl LambdaService {
    pub fn new(lambda: LambdaClient) -> Self {
        LambdaService {
            lambda,
            principal: ServicePrincipal::default(),
        }
    }

    /// Invokes as `sns.amazonaws.com`: functions' policies must let it in
    /// when IAM is enforced.
    pub fn with_principal(mut self, principal: ServicePrincipal) -> Self {
        self.principal = principal;
        self
    }
}

impl FunctionDelivery for LambdaService {
    fn deliver(
        &self,
        function_arn: String,
        event: String,
        topic_arn: String,
    ) -> BoxFuture<'_, Result<(), FunctionDeliveryError>> {
        Box::pin(async move {
            // arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]
            let parts: Vec<&str> = function_arn.split(':').collect();
            let (Some(region), Some(account)) = (parts.get(3), parts.get(4)) else {
                return Err(FunctionDeliveryError::Permanent(format!(
                    "not a function ARN: {function_arn}"
                )));
            };
            let ctx = self.principal.call(
                ("lambda", "Invoke"),
                (account, region),
                &topic_arn,
                crate::queue_delivery::topic_account(&topic_arn),
            );
            let input = InvocationRequest {
                function_name: function_arn.clone(),
                invocation_type: Some("Event".to_owned()),
                payload: Some(event.into_bytes().into()),
                ..Default::default()
            };
            match self.lambda.invoke(&ctx, input).await {
                Ok(_) => Ok(()),
                Err(error) if matches!(error.status, 400 | 403 | 404) => {
                    Err(FunctionDeliveryError::Permanent(error.to_string()))
                }
                Err(error) => Err(FunctionDeliveryError::Transient(error.to_string())),
            }
        })
    }
}

/// The event Lambda receives from SNS: the notification under
/// `Records[0].Sns`, spelled as Lambda spells it (SigningCertUrl,
/// UnsubscribeUrl).
pub fn lambda_event(envelope: &str, subscription_arn: &str) -> String {
    let mut sns: Map<String, Json> = serde_json::from_str(envelope).unwrap_or_default();
    for (from, to) in [
        ("SigningCertURL", "SigningCertUrl"),
        ("UnsubscribeURL", "UnsubscribeUrl"),
    ] {
        if let Some(value) = sns.remove(from) {
            sns.insert(to.to_owned(), value);
        }
    }
    sns.entry("Subject").or_insert(Json::Null);
    sns.entry("MessageAttributes").or_insert_with(|| json!({}));
    json!({
        "Records": [{
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": subscription_arn,
            "Sns": Json::Object(sns),
        }]
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lambda_event_wraps_the_notification_as_lambda_receives_it() {
        let envelope = r#"{"Type":"Notification","MessageId":"m","TopicArn":"t","Message":"hi","SigningCertURL":"c","UnsubscribeURL":"u"}"#;
        let event: Json = serde_json::from_str(&lambda_event(envelope, "arn:sub")).unwrap_or_default();
        let record = &event["Records"][0];
        assert_eq!(record["EventSource"], "aws:sns");
        assert_eq!(record["EventSubscriptionArn"], "arn:sub");
        assert_eq!(record["Sns"]["Message"], "hi");
        assert_eq!(record["Sns"]["SigningCertUrl"], "c");
        assert_eq!(record["Sns"]["UnsubscribeUrl"], "u");
        assert_eq!(record["Sns"]["Subject"], Json::Null);
        assert!(record["Sns"].get("SigningCertURL").is_none());
    }
}
