//! Amazon SNS: topics (standard and FIFO), subscriptions, filter policies,
//! and fan-out of published messages to SQS queues and HTTP endpoints.
//!
//! State (topics, subscriptions, confirmation tokens, FIFO deduplication)
//! lives in the store. Deliveries to SQS go through [`QueueDelivery`], which
//! the binary wires to nimbus-sqs.

// Every handler returns nimbus_core::AwsError, whose size is the core's call.
#![allow(clippy::result_large_err)]

mod arn;
mod errors;
pub mod generated;
mod pagination;
pub mod queue_delivery;
mod records;
mod tags;
mod topics;

use std::future::Future;
use std::sync::Arc;

use nimbus_core::{AwsError, BoxFuture, RequestContext, Service, Value, from_value, to_value};
use nimbus_runtime::Clock;
use nimbus_store::Store;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use queue_delivery::{
    NoQueues, QueueDelivery, QueueDeliveryError, QueueMessage, QueueMessageAttribute, SqsService,
};

/// The SNS service.
pub struct Sns {
    store: Arc<Store>,
    /// Timestamps, FIFO deduplication windows and delivery retries read it.
    clock: Clock,
    /// Where messages for `sqs` subscriptions go.
    queues: Arc<dyn QueueDelivery>,
}

impl Sns {
    pub fn new(store: Arc<Store>, clock: Clock, queues: Arc<dyn QueueDelivery>) -> Self {
        Sns { store, clock, queues }
    }

    async fn dispatch(&self, ctx: &RequestContext, operation: &str, input: Value) -> Result<Value, AwsError> {
        match operation {
            "CreateTopic" => run(input, |i| self.create_topic(ctx, i)).await,
            "DeleteTopic" => run(input, |i| self.delete_topic(i)).await,
            "ListTopics" => run(input, |i| self.list_topics(ctx, i)).await,
            "GetTopicAttributes" => run(input, |i| self.get_topic_attributes(i)).await,
            "SetTopicAttributes" => run(input, |i| self.set_topic_attributes(i)).await,
            "TagResource" => run(input, |i| self.tag_resource(ctx, i)).await,
            "UntagResource" => run(input, |i| self.untag_resource(i)).await,
            "ListTagsForResource" => run(input, |i| self.list_tags_for_resource(i)).await,
            _ => Err(AwsError::not_implemented("sns", operation)),
        }
    }
}

/// Runs a handler over its typed input and turns its output back into a value.
async fn run<I, O, F, Fut>(input: Value, handler: F) -> Result<Value, AwsError>
where
    I: DeserializeOwned,
    O: Serialize,
    F: FnOnce(I) -> Fut,
    Fut: Future<Output = Result<O, AwsError>>,
{
    handler(from_value(input)?).await.map(|output| to_value(&output))
}

impl Service for Sns {
    fn model_name(&self) -> &'static str {
        "sns"
    }

    fn handle<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, AwsError>> {
        Box::pin(self.dispatch(ctx, operation, input))
    }
}
