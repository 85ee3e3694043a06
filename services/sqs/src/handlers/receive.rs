//! ReceiveMessage: hand out visible messages, long-poll for new ones, and
//! move messages received too often to the dead-letter queue.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use indexmap::IndexMap;
use nimbus_core::typed::Bytes;
use nimbus_core::{AwsError, RequestContext};

use crate::Sqs;
use crate::attributes::parse_redrive_policy;
use crate::engine::{Live, Received};
use crate::errors::invalid_value;
use crate::handlers::messages::{receipt_handle, sequence_number};
use crate::md5;
use crate::names::parse_queue_arn;
use crate::queue::{Queue, Write};
use crate::records::{AttributeRecord, MessageRecord, StateRecord, decode_binary};
use nimbus_sqs_api::*;

impl Sqs {
    pub(crate) async fn receive_message(
        &self,
        ctx: &RequestContext,
        input: ReceiveMessageRequest,
    ) -> Result<ReceiveMessageResult, AwsError> {
        let queue = self.queue(ctx, &input.queue_url).await?;
        let max = match input.max_number_of_messages {
            None => 1,
            Some(n @ 1..=10) => usize::try_from(n).unwrap_or(1),
            Some(n) => {
                return Err(invalid_value(
                    "MaxNumberOfMessages",
                    n,
                    "Must be between 1 and 10, if provided.",
                ));
            }
        };
        let wait_s = match input.wait_time_seconds {
            None => queue.number("ReceiveMessageWaitTimeSeconds"),
            Some(n @ 0..=20) => u64::try_from(n).unwrap_or(0),
            Some(n) => {
                return Err(invalid_value(
                    "WaitTimeSeconds",
                    n,
                    "Must be >= 0 and <= 20, if provided.",
                ));
            }
        };
        let visibility_ms = match input.visibility_timeout {
            None => queue.number("VisibilityTimeout") * 1000,
            Some(n @ 0..=43_200) => u64::try_from(n).unwrap_or(0) * 1000,
            Some(n) => {
                return Err(invalid_value(
                    "VisibilityTimeout",
                    n,
                    "Must be >= 0 and <= 43200, if provided.",
                ));
            }
        };
        let deadline = self.now_ms() + wait_s * 1000;
        let received = loop {
            // Registered before looking, so a send between the look and the
            // wait still wakes this poll.
            let arrival = queue.arrivals.notified();
            tokio::pin!(arrival);
            arrival.as_mut().enable();
            let (received, next_wake, moved) = self.receive_once(&queue, max, visibility_ms).await?;
            let now = self.now_ms();
            if !received.is_empty() || now >= deadline {
                break received;
            }
            if moved {
                // Messages behind the ones moved away may be visible.
                continue;
            }
            let wake = next_wake.map_or(deadline, |at| at.min(deadline));
            let sleep = self.clock.sleep_until(UNIX_EPOCH + Duration::from_millis(wake));
            tokio::select! {
                () = &mut arrival => {}
                () = sleep => {}
            }
        };
        let system_names: Vec<String> = input
            .attribute_names
            .unwrap_or_default()
            .into_iter()
            .chain(input.message_system_attribute_names.unwrap_or_default())
            .collect();
        let attribute_names = input.message_attribute_names.unwrap_or_default();
        let messages: Vec<Message> = received
            .iter()
            .map(|r| render(&queue, r, &system_names, &attribute_names))
            .collect();
        Ok(ReceiveMessageResult {
            messages: (!messages.is_empty()).then_some(messages),
        })
    }

    /// One attempt: receive what is visible now, store the new states, and
    /// move exhausted messages to the dead-letter queue. Also returns when
    /// the next hidden message becomes visible.
    async fn receive_once(
        &self,
        queue: &Arc<Queue>,
        max: usize,
        visibility_ms: u64,
    ) -> Result<(Vec<Received>, Option<u64>, bool), AwsError> {
        let dead_letter = self.dead_letter_target(queue).await?;
        let max_receive_count = dead_letter.as_ref().map(|(_, count)| *count);
        let now = self.now_ms();
        let retention = queue.retention_ms();
        let queue_id = queue.id();
        let (received, dead, expired, next_wake) = {
            let mut engine = queue.engine();
            let expired = engine.maintain(now, retention);
            let (received, dead) = engine.receive(now, max, visibility_ms, max_receive_count);
            (received, dead, expired, engine.next_wake())
        };
        let mut writes: Vec<Write> = expired
            .into_iter()
            .map(|seq| Write::Delete {
                queue_id: queue_id.clone(),
                seq,
            })
            .collect();
        writes.extend(received.iter().map(|r| Write::State {
            queue_id: queue_id.clone(),
            seq: r.record.seq,
            state: r.state.clone(),
        }));
        let moved_any = !dead.is_empty();
        let moved = match (dead.is_empty(), dead_letter) {
            (false, Some((target, _))) => {
                let inserts = self.to_dead_letter(queue, &target, dead, &mut writes);
                Some((target, inserts))
            }
            _ => None,
        };
        self.queues.apply(&queue.namespace, writes).await?;
        if let Some((target, inserts)) = moved {
            let mut engine = target.engine();
            for (record, state) in inserts {
                engine.insert(record, state);
            }
            drop(engine);
            target.arrivals.notify_waiters();
        }
        Ok((received, next_wake, moved_any))
    }

    /// The dead-letter queue of `queue` and its maxReceiveCount, if it has
    /// a redrive policy naming a queue that exists.
    async fn dead_letter_target(&self, queue: &Queue) -> Result<Option<(Arc<Queue>, u32)>, AwsError> {
        let Some((arn, count)) = queue
            .attribute("RedrivePolicy")
            .and_then(|p| parse_redrive_policy(&p))
        else {
            return Ok(None);
        };
        let Some(address) = parse_queue_arn(&arn) else {
            return Ok(None);
        };
        Ok(self.queues.find(&address).await?.map(|target| (target, count)))
    }

    /// Re-creates `dead` messages in `target` (same id, body, attributes and
    /// send time; visible at once), adding the writes that move them.
    fn to_dead_letter(
        &self,
        source: &Queue,
        target: &Queue,
        dead: Vec<Live>,
        writes: &mut Vec<Write>,
    ) -> Vec<(Arc<MessageRecord>, StateRecord)> {
        let source_id = source.id();
        let target_id = target.id();
        let source_arn = source.address.arn();
        let mut inserts = Vec::new();
        for live in dead {
            let seq = target.engine().allocate_seq();
            let mut record = (*live.record).clone();
            writes.push(Write::Delete {
                queue_id: source_id.clone(),
                seq: record.seq,
            });
            record.seq = seq;
            record.dead_letter_source_arn = Some(source_arn.clone());
            let record = Arc::new(record);
            let state = StateRecord {
                version: 1,
                receive_count: live.state.receive_count,
                first_receive_ms: live.state.first_receive_ms,
                ..StateRecord::default()
            };
            writes.push(Write::Message {
                queue_id: target_id.clone(),
                record: record.clone(),
                state: state.clone(),
            });
            inserts.push((record, state));
        }
        inserts
    }
}

/// A received message as ReceiveMessage answers it, with the system and
/// message attributes the request asked for.
fn render(
    queue: &Queue,
    received: &Received,
    system_names: &[String],
    attribute_names: &[String],
) -> Message {
    let record = &received.record;
    let state = &received.state;
    let all = system_names.iter().any(|n| n == "All");
    let wanted = |name: &str| all || system_names.iter().any(|n| n == name);
    let mut system = IndexMap::new();
    let mut put = |name: &str, value: Option<String>| {
        if let Some(value) = value
            && wanted(name)
        {
            system.insert(name.to_owned(), value);
        }
    };
    put("SenderId", Some(record.sender_id.clone()));
    put("SentTimestamp", Some(record.sent_ms.to_string()));
    put("ApproximateReceiveCount", Some(state.receive_count.to_string()));
    put(
        "ApproximateFirstReceiveTimestamp",
        Some(state.first_receive_ms.to_string()),
    );
    put("AWSTraceHeader", record.trace_header.clone());
    put("DeadLetterQueueSourceArn", record.dead_letter_source_arn.clone());
    put("MessageGroupId", record.group_id.clone());
    if queue.fifo() {
        put("MessageDeduplicationId", record.dedup_id.clone());
        put("SequenceNumber", Some(sequence_number(record.seq)));
    }
    let chosen: IndexMap<String, AttributeRecord> = record
        .attributes
        .iter()
        .filter(|(name, _)| attribute_wanted(name, attribute_names))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let md5_of_attributes = md5::of_attributes(&chosen);
    let message_attributes: IndexMap<String, MessageAttributeValue> = chosen
        .into_iter()
        .map(|(name, value)| {
            let rendered = MessageAttributeValue {
                data_type: value.data_type,
                string_value: value.string_value,
                binary_value: value.binary_value.map(|b| Bytes::from(decode_binary(&b))),
                ..MessageAttributeValue::default()
            };
            (name, rendered)
        })
        .collect();
    Message {
        message_id: Some(record.id.clone()),
        receipt_handle: Some(receipt_handle(&queue.id(), record.seq, state.receipt_nonce)),
        md5_of_body: Some(record.md5_of_body.clone()),
        body: Some(record.body.clone()),
        attributes: (!system.is_empty()).then_some(system),
        md5_of_message_attributes: md5_of_attributes,
        message_attributes: (!message_attributes.is_empty()).then_some(message_attributes),
    }
}

/// MessageAttributeNames: `All`, `.*`, a prefix ending in `.*`, or a name.
fn attribute_wanted(name: &str, requested: &[String]) -> bool {
    requested.iter().any(|r| {
        r == "All"
            || r == ".*"
            || r == name
            || r.strip_suffix(".*")
                .is_some_and(|prefix| name.starts_with(&format!("{prefix}.")))
    })
}
