//! How SNS hands a message to an SQS queue.
//!
//! [`QueueDelivery`] is the one thing SNS needs from SQS. The binary wires it;
//! [`SqsService`] implements it over SQS's typed client (SendMessage with
//! SQS's own input shape, checked against its model like a client's
//! request), and [`NoQueues`] stands in when no SQS is registered.

use bytes::Bytes;
use indexmap::IndexMap;
use nimbus_core::BoxFuture;
use nimbus_core::context::ServicePrincipal;
use nimbus_sqs_api::{MessageAttributeValue, SendMessageRequest, SqsClient};

use serde::{Deserialize, Serialize};

use crate::arn::QueueArn;

/// One message attribute as SQS takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueMessageAttribute {
    pub data_type: String,
    pub string_value: Option<String>,
    pub binary_value: Option<Vec<u8>>,
}

/// A message for one queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueMessage {
    /// `arn:aws:sqs:<region>:<account>:<name>`.
    pub queue_arn: String,
    pub body: String,
    pub attributes: IndexMap<String, QueueMessageAttribute>,
    /// For FIFO queues.
    pub group_id: Option<String>,
    pub deduplication_id: Option<String>,
    /// The topic it was published to (`aws:SourceArn` of SNS's call).
    #[serde(default)]
    pub topic_arn: String,
}

/// Why a queue did not take a message.
#[derive(Debug, Clone, PartialEq)]
pub enum QueueDeliveryError {
    /// The queue does not exist (or never can take this message): retrying
    /// will not help, the message goes to the subscription's DLQ.
    Permanent(String),
    /// Worth trying again later.
    Transient(String),
}

/// Enqueues messages into SQS queues named by ARN.
pub trait QueueDelivery: Send + Sync + 'static {
    fn deliver(&self, message: QueueMessage) -> BoxFuture<'_, Result<(), QueueDeliveryError>>;
}

/// No SQS in this binary: every queue is missing.
pub struct NoQueues;

impl QueueDelivery for NoQueues {
    fn deliver(&self, message: QueueMessage) -> BoxFuture<'_, Result<(), QueueDeliveryError>> {
        Box::pin(async move {
            Err(QueueDeliveryError::Permanent(format!(
                "no SQS service to deliver to {}",
                message.queue_arn
            )))
        })
    }
}

/// Delivers through SQS's `SendMessage`, called as the queue's owner.
pub struct SqsService {
    sqs: SqsClient,
    principal: ServicePrincipal,
}

impl SqsService {
    pub fn new(sqs: SqsClient) -> Self {
        SqsService {
            sqs,
            principal: ServicePrincipal::default(),
        }
    }

    /// Sends as `sns.amazonaws.com`: queues' policies must let it in when
    /// IAM is enforced.
    pub fn with_principal(mut self, principal: ServicePrincipal) -> Self {
        self.principal = principal;
        self
    }
}

impl QueueDelivery for SqsService {
    fn deliver(&self, message: QueueMessage) -> BoxFuture<'_, Result<(), QueueDeliveryError>> {
        Box::pin(async move {
            let Some(queue) = QueueArn::parse(&message.queue_arn) else {
                return Err(QueueDeliveryError::Permanent(format!(
                    "not a queue ARN: {}",
                    message.queue_arn
                )));
            };
            let ctx = self.principal.call(
                ("sqs", "SendMessage"),
                (&queue.account, &queue.region),
                &message.topic_arn,
                topic_account(&message.topic_arn),
            );
            match self
                .sqs
                .send_message(&ctx, send_message_input(&queue, message))
                .await
            {
                Ok(_) => Ok(()),
                Err(error) if matches!(error.status, 400 | 403 | 404) => {
                    Err(QueueDeliveryError::Permanent(error.to_string()))
                }
                Err(error) => Err(QueueDeliveryError::Transient(error.to_string())),
            }
        })
    }
}

/// SendMessage's input for `queue`, named by its AWS URL (which carries
/// the region).
fn send_message_input(queue: &QueueArn, message: QueueMessage) -> SendMessageRequest {
    let attributes: IndexMap<String, MessageAttributeValue> = message
        .attributes
        .into_iter()
        .map(|(name, attribute)| {
            let value = MessageAttributeValue {
                data_type: attribute.data_type,
                string_value: attribute.string_value,
                binary_value: attribute.binary_value.map(Bytes::from),
                ..MessageAttributeValue::default()
            };
            (name, value)
        })
        .collect();
    SendMessageRequest {
        queue_url: format!(
            "https://sqs.{}.amazonaws.com/{}/{}",
            queue.region, queue.account, queue.name
        ),
        message_body: message.body,
        message_attributes: (!attributes.is_empty()).then_some(attributes),
        message_group_id: message.group_id,
        message_deduplication_id: message.deduplication_id,
        ..SendMessageRequest::default()
    }
}

/// The account in a topic's ARN (`arn:aws:sns:<region>:<account>:<name>`).
pub(crate) fn topic_account(topic_arn: &str) -> &str {
    topic_arn.split(':').nth(4).unwrap_or_default()
}
