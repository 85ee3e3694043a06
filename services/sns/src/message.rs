//! A message about to be published: validated (size, subject, structure,
//! attributes) and ready in the forms each protocol delivers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use indexmap::IndexMap;
use nimbus_core::AwsError;
use serde_json::Value as Json;

use crate::envelope::EnvelopeAttribute;
use crate::errors::{invalid_parameter, invalid_parameter_value};
use crate::queue_delivery::QueueMessageAttribute;
use nimbus_sns_api::MessageAttributeValue;

/// SNS's limit on a message with its attributes: 256 KiB.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// Message attributes a raw delivery to SQS may carry (SQS's own limit);
/// SNS discards such a delivery as the client's fault, not the publish.
pub const MAX_RAW_QUEUE_ATTRIBUTES: usize = 10;

/// What a client asked to publish (Publish or one PublishBatch entry).
pub struct Outgoing {
    pub message: String,
    pub subject: Option<String>,
    pub message_structure: Option<String>,
    pub attributes: IndexMap<String, MessageAttributeValue>,
    pub group_id: Option<String>,
    pub deduplication_id: Option<String>,
}

/// A validated message.
pub struct Prepared {
    /// The message for protocols without an entry of their own.
    pub default_body: String,
    /// MessageStructure=json: a body per protocol (`sqs`, `http`, ...).
    pub per_protocol: IndexMap<String, String>,
    pub subject: Option<String>,
    /// As the JSON envelope carries them.
    pub envelope_attributes: IndexMap<String, EnvelopeAttribute>,
    /// As SQS takes them with raw delivery.
    pub queue_attributes: IndexMap<String, QueueMessageAttribute>,
    /// As filter policies read them: type and text (none for binary).
    pub filter_attributes: IndexMap<String, (String, Option<String>)>,
}

impl Prepared {
    /// The body a subscription of `protocol` receives.
    pub fn body_for(&self, protocol: &str) -> &str {
        self.per_protocol.get(protocol).unwrap_or(&self.default_body)
    }
}

/// Bytes a message counts against the size limit: body plus attributes.
pub fn size_of(outgoing: &Outgoing) -> usize {
    outgoing.message.len()
        + outgoing
            .attributes
            .iter()
            .map(|(name, value)| {
                name.len()
                    + value.data_type.len()
                    + value.string_value.as_ref().map_or(0, String::len)
                    + value.binary_value.as_ref().map_or(0, |b| b.len())
            })
            .sum::<usize>()
}

pub fn prepare(outgoing: Outgoing) -> Result<Prepared, AwsError> {
    if outgoing.message.is_empty() {
        return Err(invalid_parameter("Empty message"));
    }
    if size_of(&outgoing) > MAX_MESSAGE_BYTES {
        return Err(invalid_parameter("Message too long"));
    }
    if let Some(subject) = &outgoing.subject {
        let printable = subject.chars().all(|c| !c.is_control());
        if subject.is_empty() || subject.chars().count() > 100 || !printable {
            return Err(invalid_parameter("Subject"));
        }
    }
    let (default_body, per_protocol) = match outgoing.message_structure.as_deref() {
        None => (outgoing.message, IndexMap::new()),
        Some("json") => split_structure(&outgoing.message)?,
        Some(_) => return Err(invalid_parameter("MessageStructure")),
    };
    let mut prepared = Prepared {
        default_body,
        per_protocol,
        subject: outgoing.subject,
        envelope_attributes: IndexMap::new(),
        queue_attributes: IndexMap::new(),
        filter_attributes: IndexMap::new(),
    };
    for (name, value) in outgoing.attributes {
        validate_attribute_name(&name)?;
        add_attribute(&mut prepared, name, value)?;
    }
    if outgoing.message_structure.is_some() {
        // Attributes travel only with String-structured messages; they
        // still count for filter policies.
        prepared.envelope_attributes.clear();
        prepared.queue_attributes.clear();
    }
    Ok(prepared)
}

/// MessageStructure=json: `{"default": "...", "sqs": "...", ...}`.
fn split_structure(message: &str) -> Result<(String, IndexMap<String, String>), AwsError> {
    let Ok(Json::Object(entries)) = serde_json::from_str::<Json>(message) else {
        return Err(invalid_parameter(
            "Message Structure - JSON message body failed to parse",
        ));
    };
    let mut per_protocol = IndexMap::new();
    for (protocol, body) in entries {
        let Json::String(body) = body else {
            return Err(invalid_parameter(format!(
                "Message Structure - the value of {protocol} must be a string"
            )));
        };
        per_protocol.insert(protocol, body);
    }
    let default = per_protocol
        .shift_remove("default")
        .ok_or_else(|| invalid_parameter("Message Structure - No default entry in JSON message body"))?;
    Ok((default, per_protocol))
}

/// Names: letters, digits, `_`, `-`, `.`; no leading, trailing or doubled
/// period; at most 256 characters; `AWS.` and `Amazon.` are reserved.
fn validate_attribute_name(name: &str) -> Result<(), AwsError> {
    let lowercase = name.to_ascii_lowercase();
    let valid = !name.is_empty()
        && name.len() <= 256
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.contains("..")
        && !lowercase.starts_with("aws.")
        && !lowercase.starts_with("amazon.");
    if valid {
        Ok(())
    } else {
        Err(invalid_parameter_value(format!(
            "The message attribute name '{name}' is invalid."
        )))
    }
}

fn add_attribute(
    prepared: &mut Prepared,
    name: String,
    value: MessageAttributeValue,
) -> Result<(), AwsError> {
    let data_type = value.data_type.clone();
    let base_type = data_type.split('.').next().unwrap_or_default();
    if !matches!(base_type, "String" | "Number" | "Binary") {
        return Err(invalid_parameter_value(format!(
            "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
        )));
    }
    let empty = || {
        invalid_parameter_value(format!(
            "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{base_type}'."
        ))
    };
    if base_type == "Binary" {
        let bytes = value.binary_value.filter(|b| !b.is_empty()).ok_or_else(empty)?;
        prepared.envelope_attributes.insert(
            name.clone(),
            EnvelopeAttribute {
                data_type: data_type.clone(),
                value: STANDARD.encode(&bytes),
            },
        );
        prepared
            .filter_attributes
            .insert(name.clone(), (data_type.clone(), None));
        prepared.queue_attributes.insert(
            name,
            QueueMessageAttribute {
                data_type,
                string_value: None,
                binary_value: Some(bytes.to_vec()),
            },
        );
        return Ok(());
    }
    let text = value.string_value.filter(|s| !s.is_empty()).ok_or_else(empty)?;
    if base_type == "Number" && text.trim().parse::<f64>().is_err() {
        return Err(invalid_parameter_value(format!(
            "Could not cast message attribute '{name}' value to number."
        )));
    }
    if data_type == "String.Array" && !matches!(serde_json::from_str::<Json>(&text), Ok(Json::Array(_))) {
        return Err(invalid_parameter_value(format!(
            "The message attribute '{name}' with type 'String.Array' must be a JSON array."
        )));
    }
    prepared.envelope_attributes.insert(
        name.clone(),
        EnvelopeAttribute {
            data_type: data_type.clone(),
            value: text.clone(),
        },
    );
    prepared
        .filter_attributes
        .insert(name.clone(), (data_type.clone(), Some(text.clone())));
    prepared.queue_attributes.insert(
        name,
        QueueMessageAttribute {
            data_type,
            string_value: Some(text),
            binary_value: None,
        },
    );
    Ok(())
}
