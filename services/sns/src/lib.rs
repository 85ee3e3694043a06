//! Amazon SNS: topics (standard and FIFO), subscriptions, filter policies,
//! and fan-out of published messages to SQS queues and HTTP endpoints.
//!
//! State (topics, subscriptions, confirmation tokens, FIFO deduplication,
//! the outbox of background deliveries) lives in the store. Deliveries to
//! SQS go through [`QueueDelivery`], which the binary wires to nimbus-sqs.
//!
//! One module per concern: `topics`, `tags`, `subscriptions`, `publish`
//! (validation in `message`, FIFO dedup), `fanout` (who gets what, in which
//! form: `envelope`), `filter_policy`, `delivery` (outbox, event bus,
//! retries, DLQs) with `http_delivery` and `queue_delivery`.

// Every handler returns nimbus_core::AwsError, whose size is the core's call.
#![allow(clippy::result_large_err)]

mod arn;
mod delivery;
mod envelope;
mod errors;
mod fanout;
mod fifo_order;
mod filter_policy;
pub mod generated;
mod http_delivery;
mod message;
mod pagination;
mod publish;
pub mod queue_delivery;
mod records;
mod subscriptions;
mod tags;
mod topics;

use std::sync::Arc;

use nimbus_core::{AwsError, BoxFuture, RequestContext, Service, Value, handle_typed_async};
use nimbus_runtime::Clock;
use nimbus_store::Store;

use crate::delivery::Deliveries;
use crate::fifo_order::FifoOrder;

pub use queue_delivery::{
    NoQueues, QueueDelivery, QueueDeliveryError, QueueMessage, QueueMessageAttribute, SqsService,
};

/// The SNS service.
pub struct Sns {
    store: Arc<Store>,
    /// Timestamps, FIFO deduplication windows and delivery retries read it.
    clock: Clock,
    /// Deliveries: SQS (DLQs included) through `QueueDelivery`, HTTP in the
    /// background with retries.
    deliveries: Deliveries,
    /// Serializes publishing per FIFO topic.
    fifo_order: FifoOrder,
}

impl Sns {
    pub fn new(store: Arc<Store>, clock: Clock, queues: Arc<dyn QueueDelivery>) -> Self {
        let deliveries = Deliveries::new(Arc::clone(&store), clock.clone(), queues);
        Sns {
            store,
            clock,
            deliveries,
            fifo_order: FifoOrder::default(),
        }
    }

    async fn dispatch(&self, ctx: &RequestContext, operation: &str, input: Value) -> Result<Value, AwsError> {
        self.deliveries.resume().await;
        match operation {
            "CreateTopic" => handle_typed_async(input, |i| self.create_topic(ctx, i)).await,
            "DeleteTopic" => handle_typed_async(input, |i| self.delete_topic(i)).await,
            "ListTopics" => handle_typed_async(input, |i| self.list_topics(ctx, i)).await,
            "GetTopicAttributes" => handle_typed_async(input, |i| self.get_topic_attributes(i)).await,
            "SetTopicAttributes" => handle_typed_async(input, |i| self.set_topic_attributes(i)).await,
            "TagResource" => handle_typed_async(input, |i| self.tag_resource(i)).await,
            "UntagResource" => handle_typed_async(input, |i| self.untag_resource(i)).await,
            "ListTagsForResource" => handle_typed_async(input, |i| self.list_tags_for_resource(i)).await,
            "Subscribe" => handle_typed_async(input, |i| self.subscribe(ctx, i)).await,
            "ConfirmSubscription" => handle_typed_async(input, |i| self.confirm_subscription(i)).await,
            "Unsubscribe" => handle_typed_async(input, |i| self.unsubscribe(i)).await,
            "ListSubscriptions" => handle_typed_async(input, |i| self.list_subscriptions(ctx, i)).await,
            "ListSubscriptionsByTopic" => {
                handle_typed_async(input, |i| self.list_subscriptions_by_topic(i)).await
            }
            "GetSubscriptionAttributes" => {
                handle_typed_async(input, |i| self.get_subscription_attributes(i)).await
            }
            "SetSubscriptionAttributes" => {
                handle_typed_async(input, |i| self.set_subscription_attributes(i)).await
            }
            "Publish" => handle_typed_async(input, |i| self.publish(ctx, i)).await,
            "PublishBatch" => handle_typed_async(input, |i| self.publish_batch(ctx, i)).await,
            _ => Err(AwsError::not_implemented("sns", operation)),
        }
    }
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

    /// Nothing but the outbox cursor lives in memory: the next request
    /// reads the (reset or restored) outbox again.
    fn reset(&self) {
        self.deliveries.forget_resumed();
    }
}

#[cfg(test)]
mod tests;
