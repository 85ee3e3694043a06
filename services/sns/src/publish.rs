//! Publish and PublishBatch: validation, FIFO sequencing and deduplication,
//! then fan-out (see `fanout`).

use std::collections::HashSet;
use std::time::Duration;

use nimbus_core::{AwsError, RequestContext};
use nimbus_store::{Entries, TableMut};
use sha2::{Digest, Sha256};

use crate::Sns;
use crate::arn::TopicArn;
use crate::envelope::iso_timestamp;
use crate::errors::{invalid_parameter, topic_not_found};
use crate::fanout::Published;
use crate::message::{MAX_MESSAGE_BYTES, Outgoing, prepare, size_of};
use crate::records::{
    self, DedupRecord, SubscriptionRecord, TopicRecord, dedup_expiries_prefix, dedup_expiry_key, dedup_key,
    subscriptions_prefix, topic_key,
};
use nimbus_sns_api::{
    BatchResultErrorEntry, PublishBatchInput, PublishBatchResponse, PublishBatchResultEntry, PublishInput,
    PublishResponse,
};

/// FIFO deduplication window.
const DEDUP_WINDOW: Duration = Duration::from_secs(5 * 60);

/// Expired deduplication records removed per FIFO publish: enough to keep
/// up with any publish rate, few enough to keep a publish's cost bounded.
const DEDUP_SWEEP: usize = 4;

/// Entries one PublishBatch may carry.
const MAX_BATCH_ENTRIES: usize = 10;

/// What the store said about a message about to be published.
enum Admission {
    /// Fan it out to these subscriptions.
    Fresh {
        subscriptions: Vec<SubscriptionRecord>,
        sequence_number: Option<String>,
        deduplication_id: Option<String>,
        /// The topic's SignatureVersion, which the envelope names.
        signature_version: String,
    },
    /// A FIFO duplicate inside the window: answer as the first time.
    Duplicate {
        message_id: String,
        sequence_number: String,
    },
}

impl Sns {
    pub(crate) async fn publish(
        &self,
        ctx: &RequestContext,
        input: PublishInput,
    ) -> Result<PublishResponse, AwsError> {
        let target = match (&input.topic_arn, &input.target_arn, &input.phone_number) {
            (Some(topic), _, _) => topic.clone(),
            (None, Some(target), _) if target.contains(":endpoint/") => {
                return Err(AwsError::not_implemented("sns", "Publish to a platform endpoint"));
            }
            (None, Some(target), _) => target.clone(),
            (None, None, Some(phone)) => return self.publish_sms(phone, &input.message),
            (None, None, None) => {
                return Err(invalid_parameter(
                    "TopicArn or TargetArn Reason: no value for required parameter",
                ));
            }
        };
        let topic = TopicArn::parse(
            &target,
            if input.topic_arn.is_some() {
                "TopicArn"
            } else {
                "TargetArn"
            },
        )?;
        let outgoing = Outgoing {
            message: input.message,
            subject: input.subject,
            message_structure: input.message_structure,
            attributes: input.message_attributes.unwrap_or_default(),
            group_id: input.message_group_id,
            deduplication_id: input.message_deduplication_id,
        };
        let (message_id, sequence_number) = self.publish_to_topic(ctx, &topic, outgoing).await?;
        Ok(PublishResponse {
            message_id: Some(message_id),
            sequence_number,
        })
    }

    /// SMS leaves no machine: the number is checked and the message accepted.
    fn publish_sms(&self, phone: &str, message: &str) -> Result<PublishResponse, AwsError> {
        let digits = phone.strip_prefix('+').unwrap_or(phone);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid_parameter(format!(
                "PhoneNumber Reason: {phone} is not valid to publish to"
            )));
        }
        if message.is_empty() {
            return Err(invalid_parameter("Empty message"));
        }
        Ok(PublishResponse {
            message_id: Some(uuid::Uuid::new_v4().to_string()),
            sequence_number: None,
        })
    }

    pub(crate) async fn publish_batch(
        &self,
        ctx: &RequestContext,
        input: PublishBatchInput,
    ) -> Result<PublishBatchResponse, AwsError> {
        let topic = TopicArn::parse(&input.topic_arn, "TopicArn")?;
        let entries = input.publish_batch_request_entries;
        if entries.is_empty() {
            return Err(nimbus_sns_api::errors::empty_batch_request(
                "The batch request doesn't contain any entries.",
            ));
        }
        if entries.len() > MAX_BATCH_ENTRIES {
            return Err(nimbus_sns_api::errors::too_many_entries_in_batch_request(
                "The batch request contains more entries than permissible.",
            ));
        }
        let mut ids = HashSet::new();
        for entry in &entries {
            let well_formed = !entry.id.is_empty()
                && entry.id.len() <= 80
                && entry
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !well_formed {
                return Err(nimbus_sns_api::errors::invalid_batch_entry_id(
                    "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
                ));
            }
            if !ids.insert(entry.id.clone()) {
                return Err(nimbus_sns_api::errors::batch_entry_ids_not_distinct(
                    "Two or more batch entries in the request have the same Id.",
                ));
            }
        }
        let outgoing: Vec<(String, Outgoing)> = entries
            .into_iter()
            .map(|entry| {
                let outgoing = Outgoing {
                    message: entry.message,
                    subject: entry.subject,
                    message_structure: entry.message_structure,
                    attributes: entry.message_attributes.unwrap_or_default(),
                    group_id: entry.message_group_id,
                    deduplication_id: entry.message_deduplication_id,
                };
                (entry.id, outgoing)
            })
            .collect();
        if outgoing.iter().map(|(_, o)| size_of(o)).sum::<usize>() > MAX_MESSAGE_BYTES {
            return Err(nimbus_sns_api::errors::batch_request_too_long(
                "The length of all the messages put together is more than the limit.",
            ));
        }
        self.require_topic(&topic).await?;

        let mut successful = Vec::new();
        let mut failed = Vec::new();
        for (id, outgoing) in outgoing {
            match self.publish_to_topic(ctx, &topic, outgoing).await {
                Ok((message_id, sequence_number)) => successful.push(PublishBatchResultEntry {
                    id: Some(id),
                    message_id: Some(message_id),
                    sequence_number,
                }),
                Err(error) if error.code == "NotFound" => return Err(error),
                Err(error) => failed.push(BatchResultErrorEntry {
                    id,
                    code: error.code.into_owned(),
                    message: Some(error.message),
                    sender_fault: error.sender_fault,
                }),
            }
        }
        Ok(PublishBatchResponse {
            successful: Some(successful),
            failed: Some(failed),
        })
    }

    async fn require_topic(&self, topic: &TopicArn) -> Result<(), AwsError> {
        let ns = records::namespace(&topic.account, &topic.region)?;
        let key = topic_key(&topic.name);
        let exists = self
            .store
            .read(move |txn| Ok::<_, AwsError>(txn.open(&ns)?.get(&key)?.is_some()))
            .await?;
        if exists { Ok(()) } else { Err(topic_not_found()) }
    }

    /// Publishes one message: its id, and its sequence number on FIFO topics.
    async fn publish_to_topic(
        &self,
        ctx: &RequestContext,
        topic: &TopicArn,
        outgoing: Outgoing,
    ) -> Result<(String, Option<String>), AwsError> {
        let fifo = topic.name.ends_with(".fifo");
        let group_id = outgoing.group_id.clone();
        let explicit_dedup = outgoing.deduplication_id.clone();
        if fifo && group_id.is_none() {
            return Err(invalid_parameter(
                "The MessageGroupId parameter is required for FIFO topics",
            ));
        }
        if !fifo && explicit_dedup.is_some() {
            return Err(invalid_parameter(
                "MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
            ));
        }
        let content_hash = fifo.then(|| hex_sha256(&outgoing.message));
        let prepared = prepare(outgoing)?;
        // A FIFO topic's messages are numbered and delivered one at a time,
        // so queues receive them in sequence-number order.
        let _in_sequence = if fifo {
            Some(self.fifo_order.lock(&topic.to_string()).await)
        } else {
            None
        };
        let message_id = uuid::Uuid::new_v4().to_string();
        let now = self.clock.now();
        let now_millis = self.clock.now_epoch_millis();

        let ns = records::namespace(&topic.account, &topic.region)?;
        let (name, new_id) = (topic.name.clone(), message_id.clone());
        let admission = if fifo {
            let fifo_message = FifoMessage {
                message_id: new_id,
                explicit_dedup,
                content_hash,
                now_millis,
            };
            self.store
                .write(move |txn| admit_fifo(&mut txn.open(&ns)?, &name, fifo_message))
                .await?
        } else {
            // Nothing to write for a standard topic: a read, no commit.
            self.store
                .read(move |txn| {
                    let table = txn.open(&ns)?;
                    let record: TopicRecord =
                        table.get_json(&topic_key(&name))?.ok_or_else(topic_not_found)?;
                    Ok::<_, AwsError>(Admission::Fresh {
                        subscriptions: decode_subscriptions(table.scan(&subscriptions_prefix(&name))?)?,
                        sequence_number: None,
                        deduplication_id: None,
                        signature_version: record.signature_version().to_owned(),
                    })
                })
                .await?
        };

        match admission {
            Admission::Duplicate {
                message_id,
                sequence_number,
            } => Ok((message_id, Some(sequence_number))),
            Admission::Fresh {
                subscriptions,
                sequence_number,
                deduplication_id,
                signature_version,
            } => {
                let timestamp = iso_timestamp(now);
                let published = Published {
                    topic,
                    message_id: &message_id,
                    timestamp: &timestamp,
                    sequence_number: sequence_number.as_deref(),
                    group_id: if fifo { group_id.as_deref() } else { None },
                    deduplication_id: deduplication_id.as_deref(),
                    signature_version: &signature_version,
                    message: &prepared,
                };
                self.fan_out(ctx, &published, subscriptions).await?;
                Ok((message_id, sequence_number))
            }
        }
    }
}

/// What FIFO admission needs to know about the message.
struct FifoMessage {
    message_id: String,
    explicit_dedup: Option<String>,
    /// SHA-256 of the body, for content-based deduplication.
    content_hash: Option<String>,
    now_millis: u64,
}

/// Numbers a FIFO message and records its deduplication id, or recognizes
/// a duplicate inside the window.
fn admit_fifo(table: &mut TableMut<'_>, name: &str, message: FifoMessage) -> Result<Admission, AwsError> {
    let key = topic_key(name);
    let mut record: TopicRecord = table.get_json(&key)?.ok_or_else(topic_not_found)?;
    let dedup = match (message.explicit_dedup, record.content_based_deduplication()) {
        (Some(id), _) => id,
        (None, true) => message.content_hash.unwrap_or_default(),
        (None, false) => {
            return Err(invalid_parameter(
                "The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
            ));
        }
    };
    sweep_expired_dedups(table, name, message.now_millis)?;
    let dedup_key = dedup_key(name, &dedup);
    if let Some(seen) = table.get_json::<DedupRecord>(&dedup_key)?
        && seen.expires_at_millis > message.now_millis
    {
        return Ok(Admission::Duplicate {
            message_id: seen.message_id,
            sequence_number: seen.sequence_number,
        });
    }
    record.sequence += 1;
    let sequence = format!("{:020}", record.sequence);
    table.put_json(&key, &record)?;
    let window = u64::try_from(DEDUP_WINDOW.as_millis()).unwrap_or(u64::MAX);
    let expires_at_millis = message.now_millis.saturating_add(window);
    let seen = DedupRecord {
        message_id: message.message_id,
        sequence_number: sequence.clone(),
        expires_at_millis,
    };
    table.put_json(&dedup_key, &seen)?;
    table.put(&dedup_expiry_key(name, expires_at_millis, &dedup), b"")?;
    Ok(Admission::Fresh {
        subscriptions: decode_subscriptions(table.scan(&subscriptions_prefix(name))?)?,
        sequence_number: Some(sequence),
        deduplication_id: Some(dedup),
        signature_version: record.signature_version().to_owned(),
    })
}

fn decode_subscriptions(entries: Entries<'_>) -> Result<Vec<SubscriptionRecord>, AwsError> {
    entries
        .map(|entry| Ok(entry?.decode::<SubscriptionRecord>()?))
        .collect()
}

/// Removes a few deduplication records whose window has closed.
fn sweep_expired_dedups(table: &mut TableMut<'_>, topic: &str, now_millis: u64) -> Result<(), AwsError> {
    let prefix = dedup_expiries_prefix(topic);
    let mut expired = Vec::new();
    for entry in table.scan(&prefix)?.take(DEDUP_SWEEP) {
        let key = entry?.key;
        let rest = String::from_utf8_lossy(&key[prefix.len()..]).into_owned();
        let Some((expiry, dedup_id)) = rest.split_once('/') else {
            continue;
        };
        match expiry.parse::<u64>() {
            Ok(expiry) if expiry <= now_millis => expired.push((key, expiry, dedup_id.to_owned())),
            _ => break,
        }
    }
    for (expiry_key, expiry, dedup_id) in expired {
        table.delete(&expiry_key)?;
        // The id may have been published again since: keep that newer record.
        let record_key = dedup_key(topic, &dedup_id);
        if table
            .get_json::<DedupRecord>(&record_key)?
            .is_some_and(|record| record.expires_at_millis == expiry)
        {
            table.delete(&record_key)?;
        }
    }
    Ok(())
}

fn hex_sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
