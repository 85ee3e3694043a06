//! What SQS keeps in the store, and under which keys.
//!
//! In the account+region namespace of `sqs`:
//! - `queue/<name>`: the queue ([`QueueRecord`]);
//! - `m/<queue id>/<seq>`: a message's content, written once ([`MessageRecord`]);
//! - `s/<queue id>/<seq>`: its changing state, small, rewritten on every
//!   receive and visibility change ([`StateRecord`]);
//! - `d/<queue id>/<dedup key>`: a FIFO deduplication id ([`DedupRecord`]).
//!
//! Messages are keyed by a queue id drawn at creation, not by the name, so a
//! queue created again under a deleted one's name never sees its leftovers.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// A queue: its settable attributes, tags and identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueRecord {
    pub name: String,
    /// Random id naming the queue's message keys.
    pub id: String,
    pub fifo: bool,
    /// Settable attributes as the client gave them (defaults filled in).
    pub attributes: IndexMap<String, String>,
    pub tags: IndexMap<String, String>,
    pub created_s: u64,
    pub modified_s: u64,
}

/// A message attribute as sent (user or system attribute).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeRecord {
    pub data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
    /// Base64 of the binary value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_value: Option<String>,
}

/// A message's content and the facts fixed when it was sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageRecord {
    pub seq: u64,
    pub id: String,
    pub body: String,
    pub md5_of_body: String,
    #[serde(default)]
    pub attributes: IndexMap<String, AttributeRecord>,
    /// `AWSTraceHeader`, the one system attribute a sender may set.
    #[serde(default)]
    pub trace_header: Option<String>,
    pub sent_ms: u64,
    pub sender_id: String,
    #[serde(default)]
    pub group_id: Option<String>,
    #[serde(default)]
    pub dedup_id: Option<String>,
    /// The ARN of the queue a dead-letter queue received it from.
    #[serde(default)]
    pub dead_letter_source_arn: Option<String>,
}

/// A message's state, rewritten at each change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StateRecord {
    /// Grows at every change; a write carrying a lower version than the
    /// stored one lost a race and is dropped.
    pub version: u64,
    pub receive_count: u32,
    pub first_receive_ms: u64,
    /// When an in-flight or delayed message becomes visible.
    pub visible_at_ms: u64,
    pub in_flight: bool,
    pub delayed: bool,
    /// Drawn at each receive; the receipt handle carries it.
    pub receipt_nonce: u64,
}

/// A FIFO deduplication id remembered for five minutes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DedupRecord {
    pub sent_ms: u64,
    pub message_id: String,
    pub seq: u64,
}

pub fn queue_key(name: &str) -> Vec<u8> {
    format!("queue/{name}").into_bytes()
}

pub const QUEUE_PREFIX: &str = "queue/";

pub fn message_key(queue_id: &str, seq: u64) -> Vec<u8> {
    format!("m/{queue_id}/{seq:016x}").into_bytes()
}

pub fn message_prefix(queue_id: &str) -> Vec<u8> {
    format!("m/{queue_id}/").into_bytes()
}

pub fn state_key(queue_id: &str, seq: u64) -> Vec<u8> {
    format!("s/{queue_id}/{seq:016x}").into_bytes()
}

pub fn state_prefix(queue_id: &str) -> Vec<u8> {
    format!("s/{queue_id}/").into_bytes()
}

pub fn dedup_key(queue_id: &str, key: &str) -> Vec<u8> {
    format!("d/{queue_id}/{key}").into_bytes()
}

pub fn dedup_prefix(queue_id: &str) -> Vec<u8> {
    format!("d/{queue_id}/").into_bytes()
}

/// The sequence number at the end of a message or state key.
pub fn seq_of_key(key: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(key).ok()?;
    let hex = text.rsplit('/').next()?;
    u64::from_str_radix(hex, 16).ok()
}

/// The bytes of a stored binary attribute value.
pub fn decode_binary(base64_text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(base64_text)
        .unwrap_or_default()
}

pub fn encode_binary(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
