//! How SNS hands a message to an SQS queue, without depending on nimbus-sqs.
//!
//! [`QueueDelivery`] is the one thing SNS needs from SQS. The binary wires it;
//! [`SqsService`] implements it over SQS's public [`Service`] interface (a
//! SendMessage call with a value input, no HTTP), and [`NoQueues`] stands in
//! when no SQS is registered.

use std::sync::Arc;

use indexmap::IndexMap;
use nimbus_core::{BoxFuture, RequestContext, Service, Value};

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
    sqs: Arc<dyn Service>,
}

impl SqsService {
    pub fn new(sqs: Arc<dyn Service>) -> Self {
        SqsService { sqs }
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
            let mut ctx = RequestContext::for_tests("sqs", "SendMessage");
            ctx.request_id = uuid::Uuid::new_v4().to_string();
            ctx.account_id = queue.account.clone();
            ctx.region = queue.region.clone();
            ctx.access_key_id = None;
            let input = send_message_input(&ctx.host, &queue, message);
            match self.sqs.handle(&ctx, "SendMessage", input).await {
                Ok(_) => Ok(()),
                Err(error) if error.status == 400 || error.status == 404 => {
                    Err(QueueDeliveryError::Permanent(error.to_string()))
                }
                Err(error) => Err(QueueDeliveryError::Transient(error.to_string())),
            }
        })
    }
}

/// SendMessage's input as the SQS model names it.
fn send_message_input(host: &str, queue: &QueueArn, message: QueueMessage) -> Value {
    let mut input = IndexMap::new();
    input.insert(
        "QueueUrl".to_owned(),
        Value::String(format!("http://{host}/{}/{}", queue.account, queue.name)),
    );
    input.insert("MessageBody".to_owned(), Value::String(message.body));
    if !message.attributes.is_empty() {
        let attributes = message
            .attributes
            .into_iter()
            .map(|(name, attribute)| {
                let mut value = IndexMap::new();
                value.insert("DataType".to_owned(), Value::String(attribute.data_type));
                if let Some(text) = attribute.string_value {
                    value.insert("StringValue".to_owned(), Value::String(text));
                }
                if let Some(bytes) = attribute.binary_value {
                    value.insert("BinaryValue".to_owned(), Value::Blob(bytes.into()));
                }
                (name, Value::Structure(value))
            })
            .collect();
        input.insert("MessageAttributes".to_owned(), Value::Map(attributes));
    }
    if let Some(group) = message.group_id {
        input.insert("MessageGroupId".to_owned(), Value::String(group));
    }
    if let Some(dedup) = message.deduplication_id {
        input.insert("MessageDeduplicationId".to_owned(), Value::String(dedup));
    }
    Value::Structure(input)
}
