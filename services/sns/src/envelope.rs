//! The JSON documents SNS sends: the `Notification` envelope (SQS without
//! raw delivery, HTTP, email-json) and the `SubscriptionConfirmation`.
//! Keys are in the order SNS writes them.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use indexmap::IndexMap;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use rand::RngCore;
use serde_json::{Map, Value as Json, json};
use time::OffsetDateTime;
use time::macros::format_description;

/// SNS signs with a certificate of its own; nimbus names the same kind of URL
/// (clients that verify signatures cannot verify nimbus's anyway).
fn signing_cert_url(region: &str) -> String {
    format!(
        "https://sns.{region}.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem"
    )
}

/// A signature-shaped value: base64 of 256 random bytes, like RSA-2048's.
fn signature() -> String {
    let mut bytes = [0u8; 256];
    rand::rng().fill_bytes(&mut bytes);
    STANDARD.encode(bytes)
}

/// `2026-11-24T14:18:39.123Z`, the format of every SNS timestamp.
pub fn iso_timestamp(at: SystemTime) -> String {
    let nanos = at
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::from_unix_timestamp_nanos(nanos as i128)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// `http://<host>/?Action=<action>&<name>=<value>...`: nimbus answers these
/// unsigned, as SNS answers its SubscribeURL and UnsubscribeURL.
pub fn action_url(host: &str, action: &str, parameters: &[(&str, &str)]) -> String {
    let mut url = format!("http://{host}/?Action={action}");
    for (name, value) in parameters {
        url.push_str(&format!(
            "&{name}={}",
            utf8_percent_encode(value, NON_ALPHANUMERIC)
        ));
    }
    url
}

/// One published message attribute: its type and value as text (binary
/// values base64, as the envelope carries them).
#[derive(Debug, Clone, PartialEq)]
pub struct EnvelopeAttribute {
    pub data_type: String,
    pub value: String,
}

/// What a `Notification` says.
pub struct Notification<'a> {
    pub message_id: &'a str,
    pub topic_arn: &'a str,
    pub region: &'a str,
    pub subject: Option<&'a str>,
    pub message: &'a str,
    pub timestamp: &'a str,
    pub sequence_number: Option<&'a str>,
    pub signature_version: &'a str,
    pub unsubscribe_url: &'a str,
    pub attributes: &'a IndexMap<String, EnvelopeAttribute>,
}

impl Notification<'_> {
    pub fn to_json(&self) -> String {
        let mut envelope = Map::new();
        envelope.insert("Type".into(), json!("Notification"));
        envelope.insert("MessageId".into(), json!(self.message_id));
        if let Some(sequence) = self.sequence_number {
            envelope.insert("SequenceNumber".into(), json!(sequence));
        }
        envelope.insert("TopicArn".into(), json!(self.topic_arn));
        if let Some(subject) = self.subject {
            envelope.insert("Subject".into(), json!(subject));
        }
        envelope.insert("Message".into(), json!(self.message));
        envelope.insert("Timestamp".into(), json!(self.timestamp));
        envelope.insert("SignatureVersion".into(), json!(self.signature_version));
        envelope.insert("Signature".into(), json!(signature()));
        envelope.insert("SigningCertURL".into(), json!(signing_cert_url(self.region)));
        envelope.insert("UnsubscribeURL".into(), json!(self.unsubscribe_url));
        if !self.attributes.is_empty() {
            let attributes: Map<String, Json> = self
                .attributes
                .iter()
                .map(|(name, attribute)| {
                    (
                        name.clone(),
                        json!({"Type": attribute.data_type, "Value": attribute.value}),
                    )
                })
                .collect();
            envelope.insert("MessageAttributes".into(), Json::Object(attributes));
        }
        Json::Object(envelope).to_string()
    }
}

/// The `SubscriptionConfirmation` sent to a new http/https endpoint.
pub fn subscription_confirmation(
    message_id: &str,
    token: &str,
    topic_arn: &str,
    region: &str,
    subscribe_url: &str,
    timestamp: &str,
) -> String {
    let message = format!(
        "You have chosen to subscribe to the topic {topic_arn}.\nTo confirm the subscription, visit the SubscribeURL included in this message."
    );
    let mut document = Map::new();
    document.insert("Type".into(), json!("SubscriptionConfirmation"));
    document.insert("MessageId".into(), json!(message_id));
    document.insert("Token".into(), json!(token));
    document.insert("TopicArn".into(), json!(topic_arn));
    document.insert("Message".into(), json!(message));
    document.insert("SubscribeURL".into(), json!(subscribe_url));
    document.insert("Timestamp".into(), json!(timestamp));
    document.insert("SignatureVersion".into(), json!("1"));
    document.insert("Signature".into(), json!(signature()));
    document.insert("SigningCertURL".into(), json!(signing_cert_url(region)));
    Json::Object(document).to_string()
}
