//! Dead-letter queues: which queues send to one, and moving messages back
//! (StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use base64::Engine as _;
use nimbus_core::{AwsError, RequestContext};
use nimbus_store::StoreError;

use crate::Sqs;
use crate::attributes::parse_redrive_policy;
use crate::errors::{self, invalid_value, resource_not_found, unsupported};
use crate::move_tasks::MoveTask;
use crate::names::{QueueAddress, parse_queue_arn};
use crate::queue::{Queue, Registry, Write, namespace};
use crate::records::{self, QueueRecord, StateRecord};
use nimbus_sqs_api::*;

/// Messages moved per store transaction by a move task.
const MOVE_CHUNK: usize = 100;

impl Sqs {
    pub(crate) async fn list_dead_letter_source_queues(
        &self,
        ctx: &RequestContext,
        input: ListDeadLetterSourceQueuesRequest,
    ) -> Result<ListDeadLetterSourceQueuesResult, AwsError> {
        let queue = self.queue(ctx, &input.queue_url).await?;
        let limit = match input.max_results {
            None => 1000,
            Some(n @ 1..=1000) => usize::try_from(n).unwrap_or(1000),
            Some(n) => {
                return Err(invalid_value(
                    "MaxResults",
                    n,
                    "MaxResults must be an integer between 1 and 1000.",
                ));
            }
        };
        let arn = queue.address.arn();
        let ns = queue.namespace.clone();
        let after = input.next_token.filter(|t| !t.is_empty());
        let (names, more) = self
            .queues
            .store()
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let mut names = Vec::new();
                for entry in table.scan(records::QUEUE_PREFIX.as_bytes())? {
                    let record: QueueRecord = entry?.decode()?;
                    if after.as_ref().is_some_and(|after| record.name <= *after) {
                        continue;
                    }
                    let sends_here = record
                        .attributes
                        .get("RedrivePolicy")
                        .and_then(|p| parse_redrive_policy(p))
                        .is_some_and(|(target, _)| target == arn);
                    if sends_here {
                        if names.len() == limit {
                            return Ok::<_, StoreError>((names, true));
                        }
                        names.push(record.name);
                    }
                }
                Ok((names, false))
            })
            .await
            .map_err(errors::store)?;
        let next_token = (more && input.max_results.is_some())
            .then(|| names.last().cloned())
            .flatten();
        let queue_urls = names
            .into_iter()
            .map(|name| {
                QueueAddress {
                    name,
                    ..queue.address.clone()
                }
                .url(ctx)
            })
            .collect();
        Ok(ListDeadLetterSourceQueuesResult {
            queue_urls,
            next_token,
        })
    }

    pub(crate) async fn start_message_move_task(
        &self,
        ctx: &RequestContext,
        input: StartMessageMoveTaskRequest,
    ) -> Result<StartMessageMoveTaskResult, AwsError> {
        let source = self.queue_by_arn(&input.source_arn).await?;
        if !self.is_dead_letter_queue(ctx, &source).await? {
            return Err(invalid_value(
                "SourceArn",
                &input.source_arn,
                "Source queue must be configured as a Dead Letter Queue.",
            ));
        }
        let destination = match &input.destination_arn {
            Some(arn) => Some(self.queue_by_arn(arn).await?),
            None => None,
        };
        if let Some(rate) = input.max_number_of_messages_per_second
            && !(1..=500).contains(&rate)
        {
            return Err(invalid_value(
                "MaxNumberOfMessagesPerSecond",
                rate,
                "Must be between 1 and 500.",
            ));
        }
        if self.move_tasks.running_for(&input.source_arn) {
            return Err(unsupported(
                "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
            ));
        }
        self.maintain(&source).await?;
        let to_move = source.engine().counts().visible;
        let handle = base64::engine::general_purpose::STANDARD.encode(
            serde_json::json!({"taskId": uuid::Uuid::new_v4().to_string(), "sourceArn": input.source_arn})
                .to_string(),
        );
        let task = Arc::new(MoveTask {
            handle: handle.clone(),
            source_arn: input.source_arn,
            destination_arn: input.destination_arn,
            max_per_second: input.max_number_of_messages_per_second,
            started_ms: self.now_ms(),
            to_move,
            moved: AtomicU64::new(0),
            cancel: AtomicBool::new(false),
            status: std::sync::Mutex::new("RUNNING"),
        });
        self.move_tasks.add(task.clone());
        let queues = self.queues.clone();
        tokio::spawn(async move {
            let status = match run_move(&queues, &source, destination.as_ref(), &task).await {
                Ok(()) if task.cancel.load(Ordering::Relaxed) => "CANCELLED",
                Ok(()) => "COMPLETED",
                Err(_) => "FAILED",
            };
            task.set_status(status);
        });
        Ok(StartMessageMoveTaskResult {
            task_handle: Some(handle),
        })
    }

    pub(crate) async fn list_message_move_tasks(
        &self,
        _ctx: &RequestContext,
        input: ListMessageMoveTasksRequest,
    ) -> Result<ListMessageMoveTasksResult, AwsError> {
        self.queue_by_arn(&input.source_arn).await?;
        let limit = match input.max_results {
            None => 1,
            Some(n @ 1..=10) => usize::try_from(n).unwrap_or(1),
            Some(n) => return Err(invalid_value("MaxResults", n, "Must be between 1 and 10.")),
        };
        let results = self
            .move_tasks
            .of_source(&input.source_arn)
            .into_iter()
            .take(limit)
            .map(|task| {
                let status = task.status();
                ListMessageMoveTasksResultEntry {
                    task_handle: (status == "RUNNING").then(|| task.handle.clone()),
                    status: Some(status.to_owned()),
                    source_arn: Some(task.source_arn.clone()),
                    destination_arn: task.destination_arn.clone(),
                    max_number_of_messages_per_second: task.max_per_second,
                    approximate_number_of_messages_moved: i64::try_from(task.moved()).ok(),
                    approximate_number_of_messages_to_move: i64::try_from(task.to_move).ok(),
                    failure_reason: None,
                    started_timestamp: i64::try_from(task.started_ms).ok(),
                }
            })
            .collect();
        Ok(ListMessageMoveTasksResult {
            results: Some(results),
        })
    }

    pub(crate) async fn cancel_message_move_task(
        &self,
        _ctx: &RequestContext,
        input: CancelMessageMoveTaskRequest,
    ) -> Result<CancelMessageMoveTaskResult, AwsError> {
        let task = self
            .move_tasks
            .by_handle(&input.task_handle)
            .filter(|task| task.status() == "RUNNING")
            .ok_or_else(|| resource_not_found("Task does not exist."))?;
        task.cancel.store(true, Ordering::Relaxed);
        task.set_status("CANCELLING");
        Ok(CancelMessageMoveTaskResult {
            approximate_number_of_messages_moved: i64::try_from(task.moved()).ok(),
        })
    }

    async fn queue_by_arn(&self, arn: &str) -> Result<Arc<Queue>, AwsError> {
        let address = parse_queue_arn(arn).ok_or_else(|| {
            resource_not_found("The resource that you specified for the SourceArn parameter doesn't exist.")
        })?;
        namespace(&address)?;
        self.queues.find(&address).await?.ok_or_else(|| {
            resource_not_found("The resource that you specified for the SourceArn parameter doesn't exist.")
        })
    }

    /// Does some queue of the same account and region name `queue` as its dead-letter queue?
    async fn is_dead_letter_queue(&self, ctx: &RequestContext, queue: &Queue) -> Result<bool, AwsError> {
        let input = ListDeadLetterSourceQueuesRequest {
            queue_url: queue.address.url(ctx),
            max_results: Some(1),
            next_token: None,
        };
        Ok(!self
            .list_dead_letter_source_queues(ctx, input)
            .await?
            .queue_urls
            .is_empty())
    }
}

/// Moves the visible messages of `source` to `destination`, or each back to
/// the queue it came from, a chunk per transaction, until none is left or
/// the task is cancelled.
async fn run_move(
    queues: &Registry,
    source: &Arc<Queue>,
    destination: Option<&Arc<Queue>>,
    task: &MoveTask,
) -> Result<(), AwsError> {
    let mut remaining = task.to_move;
    while remaining > 0 && !task.cancel.load(Ordering::Relaxed) {
        let chunk = usize::try_from(remaining).unwrap_or(MOVE_CHUNK).min(MOVE_CHUNK);
        let taken = source.engine().take_visible_oldest(chunk);
        if taken.is_empty() {
            break;
        }
        remaining = remaining.saturating_sub(taken.len() as u64);
        let source_id = source.id();
        let mut writes = Vec::new();
        let mut inserts = Vec::new();
        let mut kept = Vec::new();
        for live in taken {
            let target = match destination {
                Some(target) => Some(target.clone()),
                None => match live
                    .record
                    .dead_letter_source_arn
                    .as_deref()
                    .and_then(parse_queue_arn)
                {
                    Some(address) => queues.find(&address).await?,
                    None => None,
                },
            };
            // A message whose source queue is gone stays where it is.
            let Some(target) = target else {
                kept.push(live);
                continue;
            };
            writes.push(Write::Delete {
                queue_id: source_id.clone(),
                seq: live.record.seq,
            });
            let mut record = (*live.record).clone();
            record.seq = target.engine().allocate_seq();
            record.dead_letter_source_arn = None;
            let record = Arc::new(record);
            let state = StateRecord {
                version: 1,
                ..StateRecord::default()
            };
            writes.push(Write::Message {
                queue_id: target.id(),
                record: record.clone(),
                state: state.clone(),
            });
            inserts.push((target, record, state));
        }
        queues.apply(&source.namespace, writes).await?;
        let stuck = !kept.is_empty();
        for live in kept {
            source.engine().insert(live.record, live.state);
        }
        if stuck {
            break;
        }
        for (target, record, state) in inserts {
            target.engine().insert(record, state);
            target.arrivals.notify_waiters();
            task.moved.fetch_add(1, Ordering::Relaxed);
        }
    }
    Ok(())
}
