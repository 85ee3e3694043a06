//! Fan-out: a published message goes to every confirmed subscription whose
//! filter policy matches, in the form its protocol and settings ask for.

use nimbus_core::{AwsError, RequestContext};

use crate::Sns;
use crate::arn::{SubscriptionArn, TopicArn};
use crate::delivery::Job;
use crate::envelope::{Notification, action_url};
use crate::filter_policy::{AttributeValues, BodyValues, FilterPolicy, Scope};
use crate::message::{MAX_RAW_QUEUE_ATTRIBUTES, Prepared};
use crate::queue_delivery::QueueMessage;
use crate::records::SubscriptionRecord;
use crate::subscriptions::{dead_letter_queue, filter_scope};

/// One published message, as every subscription's delivery needs it.
pub struct Published<'a> {
    pub topic: &'a TopicArn,
    pub message_id: &'a str,
    pub timestamp: &'a str,
    pub sequence_number: Option<&'a str>,
    pub group_id: Option<&'a str>,
    pub deduplication_id: Option<&'a str>,
    pub signature_version: &'a str,
    pub message: &'a Prepared,
}

/// Whether `subscription`'s filter policy lets `message` through.
fn passes_filter(subscription: &SubscriptionRecord, message: &Prepared) -> bool {
    let Some(policy) = subscription.attributes.get("FilterPolicy") else {
        return true;
    };
    // Policies were validated when set; one that no longer parses matches nothing.
    let Ok(scope) = filter_scope(&subscription.attributes) else {
        return false;
    };
    let Ok(policy) = FilterPolicy::parse(policy, scope) else {
        return false;
    };
    match scope {
        Scope::MessageAttributes => policy.matches(&AttributeValues(&message.filter_attributes)),
        Scope::MessageBody => {
            let body = message.body_for(&subscription.protocol);
            let parsed = serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
            policy.matches(&BodyValues(&parsed))
        }
    }
}

impl Sns {
    /// Delivers `published` to `subscriptions`: SQS at once (durable and in
    /// publish order), HTTP and the rest in the background, from the outbox.
    pub(crate) async fn fan_out(
        &self,
        ctx: &RequestContext,
        published: &Published<'_>,
        subscriptions: Vec<SubscriptionRecord>,
    ) -> Result<(), AwsError> {
        let mut background = Vec::new();
        for subscription in subscriptions {
            if !subscription.confirmed || !passes_filter(&subscription, published.message) {
                continue;
            }
            let arn = SubscriptionArn {
                topic: published.topic.clone(),
                id: subscription.id.clone(),
            }
            .to_string();
            let raw = subscription.raw_message_delivery();
            let body = published.message.body_for(&subscription.protocol);
            let envelope = || {
                Notification {
                    message_id: published.message_id,
                    topic_arn: &published.topic.to_string(),
                    region: &published.topic.region,
                    subject: published.message.subject.as_deref(),
                    message: body,
                    timestamp: published.timestamp,
                    sequence_number: published.sequence_number,
                    signature_version: published.signature_version,
                    unsubscribe_url: &action_url(&ctx.host, "Unsubscribe", &[("SubscriptionArn", &arn)]),
                    attributes: &published.message.envelope_attributes,
                }
                .to_json()
            };
            let dlq = subscription
                .attributes
                .get("RedrivePolicy")
                .and_then(|policy| dead_letter_queue(policy).ok());
            match subscription.protocol.as_str() {
                "sqs" if raw && published.message.queue_attributes.len() > MAX_RAW_QUEUE_ATTRIBUTES => {
                    background.push(Job::Undeliverable {
                        reason: format!(
                            "raw delivery to SQS carries at most {MAX_RAW_QUEUE_ATTRIBUTES} message attributes"
                        ),
                        body: body.to_owned(),
                        dead_letter_queue: dlq,
                    });
                }
                "sqs" => {
                    let message = QueueMessage {
                        queue_arn: subscription.endpoint.clone(),
                        body: if raw { body.to_owned() } else { envelope() },
                        attributes: if raw {
                            published.message.queue_attributes.clone()
                        } else {
                            Default::default()
                        },
                        group_id: published.group_id.map(str::to_owned),
                        deduplication_id: published.deduplication_id.map(str::to_owned),
                        topic_arn: published.topic.to_string(),
                    };
                    self.deliveries.deliver_to_queue(message, dlq).await?;
                }
                "http" | "https" => {
                    let mut headers = vec![
                        ("x-amz-sns-message-type".to_owned(), "Notification".to_owned()),
                        ("x-amz-sns-message-id".to_owned(), published.message_id.to_owned()),
                        ("x-amz-sns-topic-arn".to_owned(), published.topic.to_string()),
                        ("x-amz-sns-subscription-arn".to_owned(), arn.clone()),
                    ];
                    if raw {
                        headers.push(("x-amz-sns-rawdelivery".to_owned(), "true".to_owned()));
                    }
                    background.push(Job::Http {
                        url: subscription.endpoint.clone(),
                        headers,
                        body: if raw { body.to_owned() } else { envelope() },
                        dead_letter_queue: dlq,
                    });
                }
                "lambda" => {
                    let body = envelope();
                    background.push(Job::Function {
                        function_arn: subscription.endpoint.clone(),
                        event: crate::function_delivery::lambda_event(&body, &arn),
                        body,
                        dead_letter_queue: dlq,
                        topic_arn: published.topic.to_string(),
                    });
                }
                // email, email-json, sms, application, firehose: nothing leaves
                // this machine; the subscription stays visible for inspection.
                other => tracing::debug!(
                    protocol = other,
                    subscription = arn,
                    "sns message not sent outside"
                ),
            }
        }
        self.deliveries.enqueue(background).await
    }
}
