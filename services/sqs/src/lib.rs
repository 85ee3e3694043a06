//! Amazon SQS: standard and FIFO queues over the store.
//!
//! Each queue's messages live in an in-memory [`engine`] built from the
//! store on first use, so a receive costs the same whatever the queue's
//! depth; every accepted message and every state change is written to the
//! store before the client hears of it. Long polls wait on a per-queue
//! [`tokio::sync::Notify`] and on the clock, so they return as soon as a
//! message is sent or comes back into view.

// Every handler returns nimbus_core::AwsError, whose size is the core's call.
#![allow(clippy::result_large_err)]

mod attributes;
mod engine;
mod errors;
pub mod generated;
mod handlers;
mod md5;
mod move_tasks;
mod names;
mod queue;
mod records;

use std::sync::Arc;

use nimbus_core::{AwsError, BoxFuture, RequestContext, Service, Value, handle_typed_async};
use nimbus_runtime::Clock;
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

    async fn dispatch(&self, ctx: &RequestContext, operation: &str, input: Value) -> Result<Value, AwsError> {
        match operation {
            "CreateQueue" => handle_typed_async(input, |i| self.create_queue(ctx, i)).await,
            "GetQueueUrl" => handle_typed_async(input, |i| self.get_queue_url(ctx, i)).await,
            "ListQueues" => handle_typed_async(input, |i| self.list_queues(ctx, i)).await,
            "DeleteQueue" => handle_typed_async(input, |i| self.delete_queue(ctx, i)).await,
            "PurgeQueue" => handle_typed_async(input, |i| self.purge_queue(ctx, i)).await,
            "GetQueueAttributes" => handle_typed_async(input, |i| self.get_queue_attributes(ctx, i)).await,
            "SetQueueAttributes" => handle_typed_async(input, |i| self.set_queue_attributes(ctx, i)).await,
            "TagQueue" => handle_typed_async(input, |i| self.tag_queue(ctx, i)).await,
            "UntagQueue" => handle_typed_async(input, |i| self.untag_queue(ctx, i)).await,
            "ListQueueTags" => handle_typed_async(input, |i| self.list_queue_tags(ctx, i)).await,
            "AddPermission" => handle_typed_async(input, |i| self.add_permission(ctx, i)).await,
            "RemovePermission" => handle_typed_async(input, |i| self.remove_permission(ctx, i)).await,
            "SendMessage" => handle_typed_async(input, |i| self.send_message(ctx, i)).await,
            "SendMessageBatch" => handle_typed_async(input, |i| self.send_message_batch(ctx, i)).await,
            "ReceiveMessage" => handle_typed_async(input, |i| self.receive_message(ctx, i)).await,
            "DeleteMessage" => handle_typed_async(input, |i| self.delete_message(ctx, i)).await,
            "DeleteMessageBatch" => handle_typed_async(input, |i| self.delete_message_batch(ctx, i)).await,
            "ChangeMessageVisibility" => {
                handle_typed_async(input, |i| self.change_message_visibility(ctx, i)).await
            }
            "ChangeMessageVisibilityBatch" => {
                handle_typed_async(input, |i| self.change_message_visibility_batch(ctx, i)).await
            }
            "ListDeadLetterSourceQueues" => {
                handle_typed_async(input, |i| self.list_dead_letter_source_queues(ctx, i)).await
            }
            "StartMessageMoveTask" => {
                handle_typed_async(input, |i| self.start_message_move_task(ctx, i)).await
            }
            "ListMessageMoveTasks" => {
                handle_typed_async(input, |i| self.list_message_move_tasks(ctx, i)).await
            }
            "CancelMessageMoveTask" => {
                handle_typed_async(input, |i| self.cancel_message_move_task(ctx, i)).await
            }
            _ => Err(AwsError::not_implemented("sqs", operation)),
        }
    }
}

impl Service for Sqs {
    fn model_name(&self) -> &'static str {
        "sqs"
    }

    fn handle<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, AwsError>> {
        Box::pin(self.dispatch(ctx, operation, input))
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
