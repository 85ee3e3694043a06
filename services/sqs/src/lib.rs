//! Amazon SQS: standard and FIFO queues over the store.
//!
//! Each queue's messages live in an in-memory [`engine`] built from the
//! store on first use, so a receive costs the same whatever the queue's
//! depth; every accepted message and every state change is written to the
//! store before the client hears of it. Long polls wait on a per-queue
//! [`tokio::sync::Notify`] and on the clock, so they return as soon as a
//! message is sent or comes back into view.

// Tests unwrap what they just built.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod access;
mod attributes;
mod engine;
mod errors;
mod handlers;
mod md5;
mod move_tasks;
mod names;
mod queue;
mod records;

use std::sync::Arc;

use nimbus_core::{AwsError, RequestContext};
use nimbus_runtime::Clock;
use nimbus_sqs_api::*;
use nimbus_store::Store;

use crate::move_tasks::MoveTasks;
use crate::queue::Registry;

/// The SQS service: the queues of every account and region.
pub struct Sqs {
    queues: Arc<Registry>,
    clock: Clock,
    /// StartMessageMoveTask's running and finished tasks.
    move_tasks: Arc<MoveTasks>,
}

impl Sqs {
    pub fn new(store: Arc<Store>, clock: Clock) -> Self {
        Sqs {
            queues: Arc::new(Registry::new(store)),
            clock,
            move_tasks: Arc::new(MoveTasks::default()),
        }
    }

    fn now_ms(&self) -> u64 {
        self.clock.now_epoch_millis()
    }
}

/// The operations, served by the handlers of [`handlers`] (inherent
/// methods of the same names).
impl SqsApi for Sqs {
    async fn add_permission(
        &self,
        ctx: &RequestContext,
        input: AddPermissionRequest,
    ) -> Result<(), AwsError> {
        Sqs::add_permission(self, ctx, input).await
    }

    async fn cancel_message_move_task(
        &self,
        ctx: &RequestContext,
        input: CancelMessageMoveTaskRequest,
    ) -> Result<CancelMessageMoveTaskResult, AwsError> {
        Sqs::cancel_message_move_task(self, ctx, input).await
    }

    async fn change_message_visibility(
        &self,
        ctx: &RequestContext,
        input: ChangeMessageVisibilityRequest,
    ) -> Result<(), AwsError> {
        Sqs::change_message_visibility(self, ctx, input).await
    }

    async fn change_message_visibility_batch(
        &self,
        ctx: &RequestContext,
        input: ChangeMessageVisibilityBatchRequest,
    ) -> Result<ChangeMessageVisibilityBatchResult, AwsError> {
        Sqs::change_message_visibility_batch(self, ctx, input).await
    }

    async fn create_queue(
        &self,
        ctx: &RequestContext,
        input: CreateQueueRequest,
    ) -> Result<CreateQueueResult, AwsError> {
        Sqs::create_queue(self, ctx, input).await
    }

    async fn delete_message(
        &self,
        ctx: &RequestContext,
        input: DeleteMessageRequest,
    ) -> Result<(), AwsError> {
        Sqs::delete_message(self, ctx, input).await
    }

    async fn delete_message_batch(
        &self,
        ctx: &RequestContext,
        input: DeleteMessageBatchRequest,
    ) -> Result<DeleteMessageBatchResult, AwsError> {
        Sqs::delete_message_batch(self, ctx, input).await
    }

    async fn delete_queue(&self, ctx: &RequestContext, input: DeleteQueueRequest) -> Result<(), AwsError> {
        Sqs::delete_queue(self, ctx, input).await
    }

    async fn get_queue_attributes(
        &self,
        ctx: &RequestContext,
        input: GetQueueAttributesRequest,
    ) -> Result<GetQueueAttributesResult, AwsError> {
        Sqs::get_queue_attributes(self, ctx, input).await
    }

    async fn get_queue_url(
        &self,
        ctx: &RequestContext,
        input: GetQueueUrlRequest,
    ) -> Result<GetQueueUrlResult, AwsError> {
        Sqs::get_queue_url(self, ctx, input).await
    }

    async fn list_dead_letter_source_queues(
        &self,
        ctx: &RequestContext,
        input: ListDeadLetterSourceQueuesRequest,
    ) -> Result<ListDeadLetterSourceQueuesResult, AwsError> {
        Sqs::list_dead_letter_source_queues(self, ctx, input).await
    }

    async fn list_message_move_tasks(
        &self,
        ctx: &RequestContext,
        input: ListMessageMoveTasksRequest,
    ) -> Result<ListMessageMoveTasksResult, AwsError> {
        Sqs::list_message_move_tasks(self, ctx, input).await
    }

    async fn list_queue_tags(
        &self,
        ctx: &RequestContext,
        input: ListQueueTagsRequest,
    ) -> Result<ListQueueTagsResult, AwsError> {
        Sqs::list_queue_tags(self, ctx, input).await
    }

    async fn list_queues(
        &self,
        ctx: &RequestContext,
        input: ListQueuesRequest,
    ) -> Result<ListQueuesResult, AwsError> {
        Sqs::list_queues(self, ctx, input).await
    }

    async fn purge_queue(&self, ctx: &RequestContext, input: PurgeQueueRequest) -> Result<(), AwsError> {
        Sqs::purge_queue(self, ctx, input).await
    }

    async fn receive_message(
        &self,
        ctx: &RequestContext,
        input: ReceiveMessageRequest,
    ) -> Result<ReceiveMessageResult, AwsError> {
        Sqs::receive_message(self, ctx, input).await
    }

    async fn remove_permission(
        &self,
        ctx: &RequestContext,
        input: RemovePermissionRequest,
    ) -> Result<(), AwsError> {
        Sqs::remove_permission(self, ctx, input).await
    }

    async fn send_message(
        &self,
        ctx: &RequestContext,
        input: SendMessageRequest,
    ) -> Result<SendMessageResult, AwsError> {
        Sqs::send_message(self, ctx, input).await
    }

    async fn send_message_batch(
        &self,
        ctx: &RequestContext,
        input: SendMessageBatchRequest,
    ) -> Result<SendMessageBatchResult, AwsError> {
        Sqs::send_message_batch(self, ctx, input).await
    }

    async fn set_queue_attributes(
        &self,
        ctx: &RequestContext,
        input: SetQueueAttributesRequest,
    ) -> Result<(), AwsError> {
        Sqs::set_queue_attributes(self, ctx, input).await
    }

    async fn start_message_move_task(
        &self,
        ctx: &RequestContext,
        input: StartMessageMoveTaskRequest,
    ) -> Result<StartMessageMoveTaskResult, AwsError> {
        Sqs::start_message_move_task(self, ctx, input).await
    }

    async fn tag_queue(&self, ctx: &RequestContext, input: TagQueueRequest) -> Result<(), AwsError> {
        Sqs::tag_queue(self, ctx, input).await
    }

    async fn untag_queue(&self, ctx: &RequestContext, input: UntagQueueRequest) -> Result<(), AwsError> {
        Sqs::untag_queue(self, ctx, input).await
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

    /// Drops every queue held in memory; they reload from the (reset or
    /// restored) store on next use.
    fn reset(&self) {
        self.queues.clear();
        self.move_tasks.clear();
    }
}

#[cfg(test)]
mod tests;
