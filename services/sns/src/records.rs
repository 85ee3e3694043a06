//! What SNS keeps in the store, and under which keys.
//!
//! One regional namespace per account and region. Keys are designed so that
//! every listing is a prefix scan:
//! - `topic/<name>` → [`TopicRecord`]
//! - `sub/<topic>/<id>` → [`SubscriptionRecord`] (a subscription ARN names
//!   its topic, so lookups by ARN are one get)
//! - `endpoint/<topic>/<protocol>/<endpoint>` → subscription id (Subscribe
//!   answers an existing subscription of the same endpoint)
//! - `token/<topic>/<token>` → subscription id (ConfirmSubscription)
//! - `dedup/<topic>/<deduplication id>` → [`DedupRecord`] (FIFO topics)
//! - `dedup-expiry/<topic>/<expiry millis, 20 digits>/<deduplication id>`
//!   → nothing: the same records in expiry order, so expired ones are swept
//!   oldest first without scanning the live ones

use std::collections::BTreeMap;

use indexmap::IndexMap;
use nimbus_core::AwsError;
use nimbus_store::Namespace;
use serde::{Deserialize, Serialize};

/// The service's table name in the store.
const SERVICE: &str = "sns";

pub fn namespace(account: &str, region: &str) -> Result<Namespace, AwsError> {
    Namespace::regional(SERVICE, account, region).map_err(AwsError::from)
}

pub fn topic_key(name: &str) -> Vec<u8> {
    format!("topic/{name}").into_bytes()
}

pub const TOPIC_PREFIX: &[u8] = b"topic/";

pub const SUBSCRIPTION_PREFIX: &[u8] = b"sub/";

pub fn subscriptions_prefix(topic: &str) -> Vec<u8> {
    format!("sub/{topic}/").into_bytes()
}

pub fn subscription_key(topic: &str, id: &str) -> Vec<u8> {
    format!("sub/{topic}/{id}").into_bytes()
}

pub fn endpoints_prefix(topic: &str) -> Vec<u8> {
    format!("endpoint/{topic}/").into_bytes()
}

pub fn endpoint_key(topic: &str, protocol: &str, endpoint: &str) -> Vec<u8> {
    format!("endpoint/{topic}/{protocol}/{endpoint}").into_bytes()
}

pub fn tokens_prefix(topic: &str) -> Vec<u8> {
    format!("token/{topic}/").into_bytes()
}

pub fn token_key(topic: &str, token: &str) -> Vec<u8> {
    format!("token/{topic}/{token}").into_bytes()
}

pub fn dedups_prefix(topic: &str) -> Vec<u8> {
    format!("dedup/{topic}/").into_bytes()
}

pub fn dedup_key(topic: &str, dedup_id: &str) -> Vec<u8> {
    format!("dedup/{topic}/{dedup_id}").into_bytes()
}

pub fn dedup_expiries_prefix(topic: &str) -> Vec<u8> {
    format!("dedup-expiry/{topic}/").into_bytes()
}

pub fn dedup_expiry_key(topic: &str, expires_at_millis: u64, dedup_id: &str) -> Vec<u8> {
    format!("dedup-expiry/{topic}/{expires_at_millis:020}/{dedup_id}").into_bytes()
}

/// A topic as stored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TopicRecord {
    pub name: String,
    /// Attributes the client set (computed ones are added when read).
    pub attributes: BTreeMap<String, String>,
    /// Tags in the order they were first added.
    pub tags: IndexMap<String, String>,
    /// Counts kept as subscriptions come and go, so GetTopicAttributes
    /// reads one record whatever the number of subscriptions.
    #[serde(default)]
    pub subscriptions_confirmed: u64,
    #[serde(default)]
    pub subscriptions_pending: u64,
    /// Unsubscribed subscriptions, for `SubscriptionsDeleted`.
    pub subscriptions_deleted: u64,
    /// Last FIFO sequence number handed out.
    pub sequence: u64,
}

impl TopicRecord {
    pub fn is_fifo(&self) -> bool {
        self.attributes.get("FifoTopic").is_some_and(|v| v == "true")
    }

    /// `1` (SHA1) unless the topic chose `2` (SHA256).
    pub fn signature_version(&self) -> &str {
        self.attributes
            .get("SignatureVersion")
            .map_or("1", String::as_str)
    }

    pub fn content_based_deduplication(&self) -> bool {
        self.attributes
            .get("ContentBasedDeduplication")
            .is_some_and(|v| v == "true")
    }
}

/// A subscription as stored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SubscriptionRecord {
    pub id: String,
    pub topic: String,
    pub protocol: String,
    pub endpoint: String,
    /// The account that subscribed.
    pub owner: String,
    pub confirmed: bool,
    /// The confirmation token sent to the endpoint (http/https/email).
    pub token: Option<String>,
    /// Attributes the client set (RawMessageDelivery, FilterPolicy, ...).
    pub attributes: BTreeMap<String, String>,
}

impl SubscriptionRecord {
    pub fn raw_message_delivery(&self) -> bool {
        self.attributes
            .get("RawMessageDelivery")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

/// A FIFO message already published under a deduplication id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DedupRecord {
    pub message_id: String,
    pub sequence_number: String,
    /// When the 5-minute window closes, in epoch milliseconds.
    pub expires_at_millis: u64,
}
