//! Sending, deleting and changing the visibility of messages.

use std::collections::HashSet;
use std::sync::Arc;

use base64::Engine as _;
use indexmap::IndexMap;
use nimbus_core::{AwsError, RequestContext};

use crate::Sqs;
use crate::engine::HandleError;
use crate::errors::{self, invalid_parameter, invalid_value, missing_parameter};
use crate::md5;
use crate::queue::{Queue, Write};
use crate::records::{AttributeRecord, DedupRecord, MessageRecord, StateRecord, encode_binary};
use nimbus_sqs_api::*;

/// SendMessageBatch: the sum of the entries' sizes may not exceed this.
const BATCH_LIMIT: usize = 262_144;
/// The most attributes a message may carry.
const MAX_ATTRIBUTES: usize = 10;

/// One message to send, from SendMessage or a batch entry.
pub(crate) struct Outgoing {
    pub body: String,
    pub delay_seconds: Option<i32>,
    pub attributes: IndexMap<String, MessageAttributeValue>,
    pub system_attributes: IndexMap<String, MessageSystemAttributeValue>,
    pub dedup_id: Option<String>,
    pub group_id: Option<String>,
}

/// What a send produced: a new message to store, or a FIFO duplicate.
struct Prepared {
    answer: SendMessageResult,
    /// `None` for a duplicate inside the deduplication window.
    new: Option<NewMessage>,
}

/// A message to store: the message, its first state, and (FIFO) the
/// deduplication record keyed by its deduplication key.
type NewMessage = (Arc<MessageRecord>, StateRecord, Option<(String, DedupRecord)>);

impl Sqs {
    pub(crate) async fn send_message(
        &self,
        ctx: &RequestContext,
        input: SendMessageRequest,
    ) -> Result<SendMessageResult, AwsError> {
        let queue = self.queue(ctx, &input.queue_url).await?;
        self.maintain(&queue).await?;
        let outgoing = Outgoing {
            body: input.message_body,
            delay_seconds: input.delay_seconds,
            attributes: input.message_attributes.unwrap_or_default(),
            system_attributes: input.message_system_attributes.unwrap_or_default(),
            dedup_id: input.message_deduplication_id,
            group_id: input.message_group_id,
        };
        let prepared = self.prepare(ctx, &queue, outgoing)?;
        self.commit_sends(&queue, vec![prepared])
            .await
            .map(|mut answers| answers.remove(0))
    }

    pub(crate) async fn send_message_batch(
        &self,
        ctx: &RequestContext,
        input: SendMessageBatchRequest,
    ) -> Result<SendMessageBatchResult, AwsError> {
        let queue = self.queue(ctx, &input.queue_url).await?;
        let ids: Vec<&str> = input.entries.iter().map(|e| e.id.as_str()).collect();
        check_batch(&ids, "SendMessageBatchRequestEntry")?;
        let total: usize = input
            .entries
            .iter()
            .map(|e| e.message_body.len() + attributes_size(e.message_attributes.as_ref()))
            .sum();
        if total > BATCH_LIMIT {
            return Err(errors::batch_too_long(BATCH_LIMIT));
        }
        self.maintain(&queue).await?;
        let mut failed = Vec::new();
        let mut accepted = Vec::new();
        for entry in input.entries {
            let outgoing = Outgoing {
                body: entry.message_body,
                delay_seconds: entry.delay_seconds,
                attributes: entry.message_attributes.unwrap_or_default(),
                system_attributes: entry.message_system_attributes.unwrap_or_default(),
                dedup_id: entry.message_deduplication_id,
                group_id: entry.message_group_id,
            };
            match self.prepare(ctx, &queue, outgoing) {
                Ok(prepared) => accepted.push((entry.id, prepared)),
                Err(error) => failed.push(batch_error(entry.id, &error)),
            }
        }
        let (entry_ids, prepared): (Vec<String>, Vec<Prepared>) = accepted.into_iter().unzip();
        let answers = self.commit_sends(&queue, prepared).await?;
        let successful = entry_ids
            .into_iter()
            .zip(answers)
            .map(|(id, answer)| SendMessageBatchResultEntry {
                id,
                message_id: answer.message_id.unwrap_or_default(),
                md5_of_message_body: answer.md5_of_message_body.unwrap_or_default(),
                md5_of_message_attributes: answer.md5_of_message_attributes,
                md5_of_message_system_attributes: answer.md5_of_message_system_attributes,
                sequence_number: answer.sequence_number,
            })
            .collect();
        Ok(SendMessageBatchResult { successful, failed })
    }

    /// Validates a message and reserves its place (sequence number, FIFO
    /// deduplication id) in the queue.
    fn prepare(&self, ctx: &RequestContext, queue: &Queue, message: Outgoing) -> Result<Prepared, AwsError> {
        let fifo = queue.fifo();
        validate_body(&message.body)?;
        let attributes = convert_attributes(&message.attributes)?;
        let trace_header = system_trace_header(&message.system_attributes)?;
        let size = message.body.len() + attributes_size(Some(&message.attributes));
        let limit = queue.number("MaximumMessageSize");
        if u64::try_from(size).unwrap_or(u64::MAX) > limit {
            return Err(invalid_parameter(format!(
                "One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes."
            )));
        }
        let delay_s = match (message.delay_seconds, fifo) {
            (Some(delay), true) => {
                return Err(invalid_value(
                    "DelaySeconds",
                    delay,
                    "The request include parameter that is not valid for this queue type.",
                ));
            }
            (Some(delay), false) if !(0..=900).contains(&delay) => {
                return Err(invalid_value(
                    "DelaySeconds",
                    delay,
                    "DelaySeconds must be >= 0 and <= 900.",
                ));
            }
            (Some(delay), false) => u64::try_from(delay).unwrap_or(0),
            (None, _) => queue.number("DelaySeconds"),
        };
        let dedup_id = if fifo {
            if message.group_id.is_none() {
                return Err(missing_parameter("MessageGroupId"));
            }
            match message.dedup_id {
                Some(id) => Some(id),
                None if queue.attribute("ContentBasedDeduplication").as_deref() == Some("true") => {
                    Some(content_dedup_id(&message.body))
                }
                None => {
                    return Err(invalid_parameter(
                        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
                    ));
                }
            }
        } else if let Some(id) = message.dedup_id {
            return Err(invalid_value(
                "MessageDeduplicationId",
                id,
                "The request include parameter that is not valid for this queue type",
            ));
        } else {
            None
        };
        let now = self.now_ms();
        let md5_of_body = md5::hex(message.body.as_bytes());
        let md5_of_attributes = md5::of_attributes(&attributes);
        let system_record = trace_header.as_ref().map(|value| {
            IndexMap::from([(
                "AWSTraceHeader".to_owned(),
                AttributeRecord {
                    data_type: "String".to_owned(),
                    string_value: Some(value.clone()),
                    binary_value: None,
                },
            )])
        });
        let md5_of_system = system_record.as_ref().and_then(md5::of_attributes);
        let dedup_key = dedup_id.as_ref().map(|id| {
            match (
                queue.attribute("DeduplicationScope").as_deref(),
                message.group_id.as_deref(),
            ) {
                (Some("messageGroup"), Some(group)) => format!("{group}\u{0}{id}"),
                _ => id.clone(),
            }
        });
        let mut engine = queue.engine();
        if let Some(key) = &dedup_key
            && let Some((message_id, seq)) = engine.dedup_lookup(key, now)
        {
            return Ok(Prepared {
                answer: SendMessageResult {
                    md5_of_message_body: Some(md5_of_body),
                    md5_of_message_attributes: md5_of_attributes,
                    md5_of_message_system_attributes: md5_of_system,
                    message_id: Some(message_id),
                    sequence_number: Some(sequence_number(seq)),
                },
                new: None,
            });
        }
        let seq = engine.allocate_seq();
        let message_id = uuid::Uuid::new_v4().to_string();
        let dedup = dedup_key.map(|key| {
            engine.dedup_remember(key.clone(), now, message_id.clone(), seq);
            (
                key,
                DedupRecord {
                    sent_ms: now,
                    message_id: message_id.clone(),
                    seq,
                },
            )
        });
        drop(engine);
        let record = MessageRecord {
            seq,
            id: message_id.clone(),
            body: message.body,
            md5_of_body: md5_of_body.clone(),
            attributes,
            trace_header,
            sent_ms: now,
            sender_id: ctx
                .access_key_id
                .clone()
                .unwrap_or_else(|| ctx.account_id.clone()),
            group_id: message.group_id,
            dedup_id,
            dead_letter_source_arn: None,
        };
        let state = StateRecord {
            version: 1,
            delayed: delay_s > 0,
            visible_at_ms: now + delay_s * 1000,
            ..StateRecord::default()
        };
        Ok(Prepared {
            answer: SendMessageResult {
                md5_of_message_body: Some(md5_of_body),
                md5_of_message_attributes: md5_of_attributes,
                md5_of_message_system_attributes: md5_of_system,
                message_id: Some(message_id),
                sequence_number: fifo.then(|| sequence_number(seq)),
            },
            new: Some((Arc::new(record), state, dedup)),
        })
    }

    /// Stores prepared messages in one transaction, then makes them receivable.
    async fn commit_sends(
        &self,
        queue: &Queue,
        prepared: Vec<Prepared>,
    ) -> Result<Vec<SendMessageResult>, AwsError> {
        let queue_id = queue.id();
        let mut writes = Vec::new();
        let mut inserts = Vec::new();
        let mut answers = Vec::new();
        for Prepared { answer, new } in prepared {
            answers.push(answer);
            let Some((record, state, dedup)) = new else {
                continue;
            };
            writes.push(Write::Message {
                queue_id: queue_id.clone(),
                record: record.clone(),
                state: state.clone(),
            });
            if let Some((key, record)) = dedup {
                writes.push(Write::Dedup {
                    queue_id: queue_id.clone(),
                    key,
                    record,
                });
            }
            inserts.push((record, state));
        }
        self.queues.apply(&queue.namespace, writes).await?;
        {
            let mut engine = queue.engine();
            for (record, state) in inserts {
                engine.insert(record, state);
            }
        }
        queue.arrivals.notify_waiters();
        Ok(answers)
    }

    pub(crate) async fn delete_message(
        &self,
        ctx: &RequestContext,
        input: DeleteMessageRequest,
    ) -> Result<(), AwsError> {
        let queue = self.queue(ctx, &input.queue_url).await?;
        self.delete_many(&queue, vec![input.receipt_handle])
            .await?
            .remove(0)
    }

    pub(crate) async fn delete_message_batch(
        &self,
        ctx: &RequestContext,
        input: DeleteMessageBatchRequest,
    ) -> Result<DeleteMessageBatchResult, AwsError> {
        let queue = self.queue(ctx, &input.queue_url).await?;
        let ids: Vec<&str> = input.entries.iter().map(|e| e.id.as_str()).collect();
        check_batch(&ids, "DeleteMessageBatchRequestEntry")?;
        let handles = input.entries.iter().map(|e| e.receipt_handle.clone()).collect();
        let outcomes = self.delete_many(&queue, handles).await?;
        let mut result = DeleteMessageBatchResult::default();
        for (entry, outcome) in input.entries.into_iter().zip(outcomes) {
            match outcome {
                Ok(()) => result
                    .successful
                    .push(DeleteMessageBatchResultEntry { id: entry.id }),
                Err(error) => result.failed.push(batch_error(entry.id, &error)),
            }
        }
        Ok(result)
    }

    /// Deletes the messages the handles name, in one transaction; one outcome per handle.
    async fn delete_many(
        &self,
        queue: &Queue,
        handles: Vec<String>,
    ) -> Result<Vec<Result<(), AwsError>>, AwsError> {
        let queue_id = queue.id();
        let mut writes = Vec::new();
        let mut outcomes = Vec::new();
        {
            let mut engine = queue.engine();
            for handle in handles {
                let outcome = match parse_receipt(&handle, &queue_id) {
                    None => Err(errors::receipt_handle_invalid(&handle)),
                    Some((seq, nonce)) => match engine.delete(seq, nonce) {
                        Ok(Some(_)) => {
                            writes.push(Write::Delete {
                                queue_id: queue_id.clone(),
                                seq,
                            });
                            Ok(())
                        }
                        // Gone already, or received again since: nothing to do.
                        Ok(None) => Ok(()),
                        Err(HandleError::Expired) if queue.fifo() => Err(errors::receipt_handle_expired()),
                        Err(_) => Ok(()),
                    },
                };
                outcomes.push(outcome);
            }
        }
        self.queues.apply(&queue.namespace, writes).await?;
        // A FIFO group may be unblocked.
        queue.arrivals.notify_waiters();
        Ok(outcomes)
    }

    pub(crate) async fn change_message_visibility(
        &self,
        ctx: &RequestContext,
        input: ChangeMessageVisibilityRequest,
    ) -> Result<(), AwsError> {
        let queue = self.queue(ctx, &input.queue_url).await?;
        self.change_many(
            &queue,
            vec![(input.receipt_handle, Some(input.visibility_timeout))],
        )
        .await?
        .remove(0)
    }

    pub(crate) async fn change_message_visibility_batch(
        &self,
        ctx: &RequestContext,
        input: ChangeMessageVisibilityBatchRequest,
    ) -> Result<ChangeMessageVisibilityBatchResult, AwsError> {
        let queue = self.queue(ctx, &input.queue_url).await?;
        let ids: Vec<&str> = input.entries.iter().map(|e| e.id.as_str()).collect();
        check_batch(&ids, "ChangeMessageVisibilityBatchRequestEntry")?;
        let changes = input
            .entries
            .iter()
            .map(|e| (e.receipt_handle.clone(), e.visibility_timeout))
            .collect();
        let outcomes = self.change_many(&queue, changes).await?;
        let mut result = ChangeMessageVisibilityBatchResult::default();
        for (entry, outcome) in input.entries.into_iter().zip(outcomes) {
            match outcome {
                Ok(()) => result
                    .successful
                    .push(ChangeMessageVisibilityBatchResultEntry { id: entry.id }),
                Err(error) => result.failed.push(batch_error(entry.id, &error)),
            }
        }
        Ok(result)
    }

    async fn change_many(
        &self,
        queue: &Queue,
        changes: Vec<(String, Option<i32>)>,
    ) -> Result<Vec<Result<(), AwsError>>, AwsError> {
        self.maintain(queue).await?;
        let queue_id = queue.id();
        let now = self.now_ms();
        let mut writes = Vec::new();
        let mut outcomes = Vec::new();
        {
            let mut engine = queue.engine();
            for (handle, timeout) in changes {
                let timeout = timeout.unwrap_or(0);
                let outcome = if !(0..=43_200).contains(&timeout) {
                    Err(invalid_value(
                        "VisibilityTimeout",
                        timeout,
                        "VisibilityTimeout must be an integer between 0 and 43200",
                    ))
                } else if let Some((seq, nonce)) = parse_receipt(&handle, &queue_id) {
                    let timeout_ms = u64::try_from(timeout).unwrap_or(0) * 1000;
                    match engine.change_visibility(seq, nonce, now, timeout_ms) {
                        Ok(state) => {
                            writes.push(Write::State {
                                queue_id: queue_id.clone(),
                                seq,
                                state,
                            });
                            Ok(())
                        }
                        Err(HandleError::Expired) if queue.fifo() => Err(errors::receipt_handle_expired()),
                        Err(_) => Err(errors::message_not_inflight()),
                    }
                } else {
                    Err(errors::receipt_handle_invalid(&handle))
                };
                outcomes.push(outcome);
            }
        }
        self.queues.apply(&queue.namespace, writes).await?;
        queue.arrivals.notify_waiters();
        Ok(outcomes)
    }
}

/// Batch-level checks every batch operation shares.
fn check_batch(ids: &[&str], entry_name: &str) -> Result<(), AwsError> {
    if ids.is_empty() {
        return Err(errors::empty_batch(entry_name));
    }
    if ids.len() > 10 {
        return Err(errors::too_many_entries(ids.len()));
    }
    let mut seen = HashSet::new();
    for id in ids {
        let valid = !id.is_empty()
            && id.len() <= 80
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(errors::invalid_batch_entry_id());
        }
        if !seen.insert(*id) {
            return Err(errors::ids_not_distinct(id));
        }
    }
    Ok(())
}

/// A batch entry's failure, in the query code clients see.
fn batch_error(id: String, error: &AwsError) -> BatchResultErrorEntry {
    BatchResultErrorEntry {
        id,
        sender_fault: error.sender_fault,
        code: error.code.to_string(),
        message: Some(error.message.clone()),
    }
}

/// `<queue id>:<seq>:<nonce>`, base64: names the message and the receive.
pub(crate) fn receipt_handle(queue_id: &str, seq: u64, nonce: u64) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{queue_id}:{seq}:{nonce}"))
}

/// The (seq, nonce) of a receipt handle of this queue.
fn parse_receipt(handle: &str, queue_id: &str) -> Option<(u64, u64)> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(handle).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.split(':');
    let (id, seq, nonce) = (parts.next()?, parts.next()?, parts.next()?);
    if id != queue_id || parts.next().is_some() {
        return None;
    }
    Some((seq.parse().ok()?, nonce.parse().ok()?))
}

/// SequenceNumber of FIFO messages: 20 digits, growing with every send.
pub(crate) fn sequence_number(seq: u64) -> String {
    format!("{}", 18_000_000_000_000_000_000_u128 + u128::from(seq))
}

/// The deduplication id content-based deduplication derives: SHA-256 of the body.
fn content_dedup_id(body: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The characters SQS accepts in a body (those of XML 1.0).
fn validate_body(body: &str) -> Result<(), AwsError> {
    if body.is_empty() {
        return Err(missing_parameter("MessageBody"));
    }
    let allowed = |c: char| matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    if let Some(bad) = body.chars().find(|c| !allowed(*c)) {
        return Err(nimbus_sqs_api::errors::invalid_message_contents(format!(
            "Invalid binary character '#x{:X}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
            u32::from(bad)
        )));
    }
    Ok(())
}

/// The size message attributes count for: name, type and value of each.
fn attributes_size(attributes: Option<&IndexMap<String, MessageAttributeValue>>) -> usize {
    attributes.map_or(0, |attributes| {
        attributes
            .iter()
            .map(|(name, value)| {
                name.len()
                    + value.data_type.len()
                    + value.string_value.as_ref().map_or(0, String::len)
                    + value.binary_value.as_ref().map_or(0, |b| b.len())
            })
            .sum()
    })
}

/// Checks message attributes and turns them into their stored form.
fn convert_attributes(
    attributes: &IndexMap<String, MessageAttributeValue>,
) -> Result<IndexMap<String, AttributeRecord>, AwsError> {
    if attributes.len() > MAX_ATTRIBUTES {
        return Err(invalid_parameter(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [{MAX_ATTRIBUTES}].",
            attributes.len()
        )));
    }
    let mut out = IndexMap::new();
    for (name, value) in attributes {
        let lower = name.to_ascii_lowercase();
        let valid_name = !name.is_empty()
            && name.len() <= 256
            && !lower.starts_with("aws.")
            && !lower.starts_with("amazon.")
            && !name.starts_with('.')
            && !name.ends_with('.')
            && !name.contains("..")
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid_name {
            return Err(invalid_parameter(format!(
                "Message (user) attribute name '{name}' is invalid."
            )));
        }
        let base_type = value.data_type.split('.').next().unwrap_or("");
        let record = match base_type {
            "String" | "Number" => {
                let text = value.string_value.clone().filter(|s| !s.is_empty()).ok_or_else(|| {
                    invalid_parameter(format!(
                        "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{base_type}'."
                    ))
                })?;
                if base_type == "Number" && text.trim().parse::<f64>().is_err() {
                    return Err(invalid_parameter(format!(
                        "Can't cast the value of message (user) attribute '{name}' to a number."
                    )));
                }
                AttributeRecord {
                    data_type: value.data_type.clone(),
                    string_value: Some(text),
                    binary_value: None,
                }
            }
            "Binary" => {
                let bytes = value.binary_value.clone().filter(|b| !b.is_empty()).ok_or_else(|| {
                    invalid_parameter(format!(
                        "The message attribute '{name}' must contain non-empty message attribute value for message attribute type 'Binary'."
                    ))
                })?;
                AttributeRecord {
                    data_type: value.data_type.clone(),
                    string_value: None,
                    binary_value: Some(encode_binary(&bytes)),
                }
            }
            _ => {
                return Err(invalid_parameter(format!(
                    "The type of message (user) attribute '{name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String."
                )));
            }
        };
        out.insert(name.clone(), record);
    }
    Ok(out)
}

/// The one system attribute senders may set: AWSTraceHeader, a string.
fn system_trace_header(
    attributes: &IndexMap<String, MessageSystemAttributeValue>,
) -> Result<Option<String>, AwsError> {
    let mut trace = None;
    for (name, value) in attributes {
        if name != "AWSTraceHeader" {
            return Err(invalid_parameter(format!(
                "Message system attribute name '{name}' is invalid."
            )));
        }
        match (&value.data_type[..], &value.string_value) {
            ("String", Some(text)) if !text.is_empty() => trace = Some(text.clone()),
            _ => {
                return Err(invalid_parameter(
                    "The message system attribute 'AWSTraceHeader' must contain a non-empty String value.",
                ));
            }
        }
    }
    Ok(trace)
}
