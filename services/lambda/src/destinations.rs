//! Where the outcome of an asynchronous invocation goes: the invocation
//! record sent to an OnSuccess or OnFailure destination (an SQS queue, an
//! SNS topic or another function), and the event itself sent to the
//! function's dead-letter queue, each through the target service's own
//! operation (SendMessage, Publish, Invoke), as the target's owner.

use indexmap::IndexMap;
use nimbus_core::RequestContext;
use serde_json::{Value as Json, json};

use crate::Lambda;

/// Why an asynchronous invocation ended as it did (the record's
/// `requestContext.condition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Success,
    RetriesExhausted,
    EventAgeExceeded,
}

impl Condition {
    fn as_str(self) -> &'static str {
        match self {
            Condition::Success => "Success",
            Condition::RetriesExhausted => "RetriesExhausted",
            Condition::EventAgeExceeded => "EventAgeExceeded",
        }
    }
}

/// What the last attempt of an invocation answered.
#[derive(Debug, Clone, Default)]
pub struct LastResponse {
    pub function_error: Option<String>,
    pub payload: bytes::Bytes,
}

/// Everything an invocation record is written from.
pub struct Outcome<'a> {
    pub request_id: &'a str,
    /// The function's ARN, qualified by the version that ran.
    pub function_arn: &'a str,
    pub condition: Condition,
    pub attempts: u32,
    pub request_payload: &'a [u8],
    /// None when the function never ran (the event grew too old first).
    pub response: Option<&'a LastResponse>,
    pub timestamp: String,
}

/// A payload as the record carries it: its JSON when it is JSON, else its
/// text.
fn as_json(payload: &[u8]) -> Json {
    serde_json::from_slice(payload)
        .unwrap_or_else(|_| Json::String(String::from_utf8_lossy(payload).into_owned()))
}

/// The invocation record Lambda sends to a destination.
pub fn record(outcome: &Outcome<'_>) -> String {
    let mut record = json!({
        "version": "1.0",
        "timestamp": outcome.timestamp,
        "requestContext": {
            "requestId": outcome.request_id,
            "functionArn": outcome.function_arn,
            "condition": outcome.condition.as_str(),
            "approximateInvokeCount": outcome.attempts,
        },
        "requestPayload": as_json(outcome.request_payload),
    });
    if let Some(response) = outcome.response {
        let mut context =
            json!({ "statusCode": 200, "executedVersion": executed_version(outcome.function_arn) });
        if let Some(error) = &response.function_error {
            context["functionError"] = json!(error);
        }
        record["responseContext"] = context;
        record["responsePayload"] = if response.payload.is_empty() {
            Json::Null
        } else {
            as_json(&response.payload)
        };
    }
    record.to_string()
}

/// A record's `timestamp`: `2019-11-14T18:16:05.568Z`.
pub fn timestamp(at: std::time::SystemTime) -> String {
    let at = time::OffsetDateTime::from(at);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    at.format(&format).unwrap_or_default()
}

fn executed_version(qualified_arn: &str) -> &str {
    qualified_arn.rsplit(':').next().unwrap_or("$LATEST")
}

/// Message attributes (name → data type and string value) as one
/// service's shape of them.
fn typed<T>(
    attributes: IndexMap<String, (&str, String)>,
    make: impl Fn(String, String) -> T,
) -> IndexMap<String, T> {
    attributes
        .into_iter()
        .map(|(name, (data_type, value))| (name, make(data_type.to_owned(), value)))
        .collect()
}

/// `arn:aws:<service>:<region>:<account>:<resource>` split at its parts.
struct Target<'a> {
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

fn target(arn: &str) -> Option<Target<'_>> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some(service), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    Some(Target {
        service,
        region,
        account,
        resource,
    })
}

impl Lambda {
    /// Sends `body` to the destination named by `arn`. Failures are logged:
    /// Lambda does not retry a destination it cannot reach.
    pub(crate) async fn send_to_destination(&self, arn: &str, body: String) {
        let sent = match target(arn) {
            Some(target) => self.send(&target, body, None).await,
            None => Err(format!("not an ARN: {arn}")),
        };
        if let Err(error) = sent {
            tracing::warn!(destination = arn, %error, "lambda could not send an invocation record");
        }
    }

    /// Sends a failed event to the function's dead-letter queue or topic,
    /// with the attributes Lambda adds (RequestID, ErrorCode, ErrorMessage).
    pub(crate) async fn send_to_dead_letter(
        &self,
        arn: &str,
        event: &[u8],
        request_id: &str,
        error_message: &str,
    ) {
        let attributes = IndexMap::from([
            ("RequestID".to_owned(), ("String", request_id.to_owned())),
            ("ErrorCode".to_owned(), ("Number", "200".to_owned())),
            ("ErrorMessage".to_owned(), ("String", error_message.to_owned())),
        ]);
        let body = String::from_utf8_lossy(event).into_owned();
        let sent = match target(arn) {
            Some(target) => self.send(&target, body, Some(attributes)).await,
            None => Err(format!("not an ARN: {arn}")),
        };
        if let Err(error) = sent {
            tracing::warn!(dead_letter = arn, %error, "lambda could not send a failed event to its dead-letter target");
        }
    }

    async fn send(
        &self,
        target: &Target<'_>,
        body: String,
        attributes: Option<IndexMap<String, (&str, String)>>,
    ) -> Result<(), String> {
        match target.service {
            "sqs" => self.send_to_queue(target, body, attributes).await,
            "sns" => self.publish_to_topic(target, body, attributes).await,
            "lambda" => {
                let ctx = RequestContext::internal("lambda", "Invoke", target.account, target.region);
                let name = target
                    .resource
                    .strip_prefix("function:")
                    .unwrap_or(target.resource);
                let function = crate::names::parse(&ctx, name, None).map_err(|e| e.to_string())?;
                self.load(&ctx, &function).await.map_err(|e| e.to_string())?;
                self.enqueue_event(&ctx, &function, body.as_bytes())
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            other => Err(format!("nimbus does not deliver to {other}")),
        }
    }

    async fn send_to_queue(
        &self,
        target: &Target<'_>,
        body: String,
        attributes: Option<IndexMap<String, (&str, String)>>,
    ) -> Result<(), String> {
        use nimbus_sqs_api::{MessageAttributeValue, SendMessageRequest};
        let sqs = self.queues.get().ok_or("no SQS service is wired")?;
        let ctx = RequestContext::internal("sqs", "SendMessage", target.account, target.region);
        let attributes = attributes.map(|attributes| {
            typed(attributes, |data_type, value| MessageAttributeValue {
                data_type,
                string_value: Some(value),
                ..Default::default()
            })
        });
        let input = SendMessageRequest {
            queue_url: format!(
                "https://sqs.{}.amazonaws.com/{}/{}",
                target.region, target.account, target.resource
            ),
            message_body: body,
            message_attributes: attributes,
            ..Default::default()
        };
        sqs.send_message(&ctx, input)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    async fn publish_to_topic(
        &self,
        target: &Target<'_>,
        body: String,
        attributes: Option<IndexMap<String, (&str, String)>>,
    ) -> Result<(), String> {
        use nimbus_sns_api::{MessageAttributeValue, PublishInput};
        let sns = self.topics.get().ok_or("no SNS service is wired")?;
        let ctx = RequestContext::internal("sns", "Publish", target.account, target.region);
        let attributes = attributes.map(|attributes| {
            typed(attributes, |data_type, value| MessageAttributeValue {
                data_type,
                string_value: Some(value),
                ..Default::default()
            })
        });
        let input = PublishInput {
            topic_arn: Some(format!(
                "arn:aws:sns:{}:{}:{}",
                target.region, target.account, target.resource
            )),
            message: body,
            message_attributes: attributes,
            ..Default::default()
        };
        sns.publish(&ctx, input)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_record_carries_the_request_and_the_last_response() {
        let response = LastResponse {
            function_error: Some("Unhandled".into()),
            payload: bytes::Bytes::from_static(br#"{"errorMessage":"boom"}"#),
        };
        let text = record(&Outcome {
            request_id: "r-1",
            function_arn: "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST",
            condition: Condition::RetriesExhausted,
            attempts: 3,
            request_payload: br#"{"order":7}"#,
            response: Some(&response),
            timestamp: "2026-12-07T10:00:00.000Z".into(),
        });
        let parsed: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["requestContext"]["condition"], "RetriesExhausted");
        assert_eq!(parsed["requestContext"]["approximateInvokeCount"], 3);
        assert_eq!(parsed["requestPayload"]["order"], 7);
        assert_eq!(parsed["responseContext"]["executedVersion"], "$LATEST");
        assert_eq!(parsed["responseContext"]["functionError"], "Unhandled");
        assert_eq!(parsed["responsePayload"]["errorMessage"], "boom");
    }

    #[test]
    fn an_event_too_old_to_run_has_no_response() {
        let text = record(&Outcome {
            request_id: "r-2",
            function_arn: "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST",
            condition: Condition::EventAgeExceeded,
            attempts: 0,
            request_payload: b"not json",
            response: None,
            timestamp: "2026-12-07T10:00:00.000Z".into(),
        });
        let parsed: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["requestPayload"], "not json");
        assert!(parsed.get("responseContext").is_none());
    }
}
