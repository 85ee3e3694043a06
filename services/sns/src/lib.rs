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

mod access;
mod arn;
mod delivery;
mod envelope;
mod errors;
mod fanout;
mod fifo_order;
mod filter_policy;
pub mod function_delivery;
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

use nimbus_core::{AwsError, RequestContext};
use nimbus_runtime::Clock;
use nimbus_sns_api::*;
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
    deliveries: Arc<Deliveries>,
    /// Serializes publishing per FIFO topic.
    fifo_order: FifoOrder,
}

impl Sns {
    pub fn new(store: Arc<Store>, clock: Clock, queues: Arc<dyn QueueDelivery>) -> Self {
        let deliveries = Arc::new(Deliveries::new(Arc::clone(&store), clock.clone(), queues));
        let sns = Sns {
            store,
            clock,
            deliveries,
            fifo_order: FifoOrder::default(),
        };
        sns.resume_deliveries();
        sns
    }

    /// Messages for lambda subscriptions go to these functions (Lambda's
    /// Invoke, wired by the binary).
    pub fn with_functions(self, functions: Arc<dyn function_delivery::FunctionDelivery>) -> Self {
        self.deliveries.set_functions(functions);
        self
    }

    /// Picks up the deliveries the outbox holds (left by a restart, a
    /// restored snapshot): at once, not when the next request comes.
    fn resume_deliveries(&self) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let deliveries = Arc::clone(&self.deliveries);
            runtime.spawn(async move { deliveries.resume().await });
        }
    }
}

/// The operations, served by the handlers of the modules (inherent methods
/// of the same names).
impl SnsApi for Sns {
    async fn confirm_subscription(
        &self,
        _: &RequestContext,
        input: ConfirmSubscriptionInput,
    ) -> Result<ConfirmSubscriptionResponse, AwsError> {
        Sns::confirm_subscription(self, input).await
    }

    async fn create_topic(
        &self,
        ctx: &RequestContext,
        input: CreateTopicInput,
    ) -> Result<CreateTopicResponse, AwsError> {
        Sns::create_topic(self, ctx, input).await
    }

    async fn delete_topic(&self, _: &RequestContext, input: DeleteTopicInput) -> Result<(), AwsError> {
        Sns::delete_topic(self, input).await
    }

    async fn get_subscription_attributes(
        &self,
        _: &RequestContext,
        input: GetSubscriptionAttributesInput,
    ) -> Result<GetSubscriptionAttributesResponse, AwsError> {
        Sns::get_subscription_attributes(self, input).await
    }

    async fn get_topic_attributes(
        &self,
        _: &RequestContext,
        input: GetTopicAttributesInput,
    ) -> Result<GetTopicAttributesResponse, AwsError> {
        Sns::get_topic_attributes(self, input).await
    }

    async fn list_subscriptions(
        &self,
        ctx: &RequestContext,
        input: ListSubscriptionsInput,
    ) -> Result<ListSubscriptionsResponse, AwsError> {
        Sns::list_subscriptions(self, ctx, input).await
    }

    async fn list_subscriptions_by_topic(
        &self,
        _: &RequestContext,
        input: ListSubscriptionsByTopicInput,
    ) -> Result<ListSubscriptionsByTopicResponse, AwsError> {
        Sns::list_subscriptions_by_topic(self, input).await
    }

    async fn list_tags_for_resource(
        &self,
        _: &RequestContext,
        input: ListTagsForResourceRequest,
    ) -> Result<ListTagsForResourceResponse, AwsError> {
        Sns::list_tags_for_resource(self, input).await
    }

    async fn list_topics(
        &self,
        ctx: &RequestContext,
        input: ListTopicsInput,
    ) -> Result<ListTopicsResponse, AwsError> {
        Sns::list_topics(self, ctx, input).await
    }

    async fn publish(&self, ctx: &RequestContext, input: PublishInput) -> Result<PublishResponse, AwsError> {
        Sns::publish(self, ctx, input).await
    }

    async fn publish_batch(
        &self,
        ctx: &RequestContext,
        input: PublishBatchInput,
    ) -> Result<PublishBatchResponse, AwsError> {
        Sns::publish_batch(self, ctx, input).await
    }

    async fn set_subscription_attributes(
        &self,
        _: &RequestContext,
        input: SetSubscriptionAttributesInput,
    ) -> Result<(), AwsError> {
        Sns::set_subscription_attributes(self, input).await
    }

    async fn set_topic_attributes(
        &self,
        _: &RequestContext,
        input: SetTopicAttributesInput,
    ) -> Result<(), AwsError> {
        Sns::set_topic_attributes(self, input).await
    }

    async fn subscribe(
        &self,
        ctx: &RequestContext,
        input: SubscribeInput,
    ) -> Result<SubscribeResponse, AwsError> {
        Sns::subscribe(self, ctx, input).await
    }

    async fn tag_resource(
        &self,
        _: &RequestContext,
        input: TagResourceRequest,
    ) -> Result<TagResourceResponse, AwsError> {
        Sns::tag_resource(self, input).await
    }

    async fn unsubscribe(&self, _: &RequestContext, input: UnsubscribeInput) -> Result<(), AwsError> {
        Sns::unsubscribe(self, input).await
    }

    async fn untag_resource(
        &self,
        _: &RequestContext,
        input: UntagResourceRequest,
    ) -> Result<UntagResourceResponse, AwsError> {
        Sns::untag_resource(self, input).await
    }

    async fn resource(
        &self,
        ctx: &RequestContext,
        named: nimbus_core::authz::ResourceRef<'_>,
    ) -> Result<nimbus_core::authz::Resource, AwsError> {
        self.access_resource(ctx, named).await
    }

    fn access_denied(&self, denial: nimbus_core::authz::Denial) -> AwsError {
        access::access_denied(&denial)
    }

    /// Nothing but the outbox cursor lives in memory: the (reset or
    /// restored) outbox is read again.
    fn reset(&self) {
        self.deliveries.forget_resumed();
        self.resume_deliveries();
    }
}

#[cfg(test)]
mod tests;
