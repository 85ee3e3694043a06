//! Topics: create (idempotent), delete, list, attributes.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use nimbus_core::{AwsError, RequestContext};

use crate::Sns;
use crate::arn::TopicArn;
use crate::errors::{invalid_parameter, topic_not_found};
use crate::pagination::{self, PAGE_SIZE};
use crate::records::{
    self, TopicRecord, dedup_expiries_prefix, dedups_prefix, endpoints_prefix, subscriptions_prefix,
    tokens_prefix, topic_key,
};
use nimbus_sns_api::{
    CreateTopicInput, CreateTopicResponse, DeleteTopicInput, GetTopicAttributesInput,
    GetTopicAttributesResponse, ListTopicsInput, ListTopicsResponse, SetTopicAttributesInput, Topic,
};

/// Topic attributes a client may set with CreateTopic or SetTopicAttributes.
const SETTABLE_ATTRIBUTES: &[&str] = &[
    "DisplayName",
    "Policy",
    "DeliveryPolicy",
    "KmsMasterKeyId",
    "SignatureVersion",
    "TracingConfig",
    "ContentBasedDeduplication",
    "FifoThroughputScope",
    "ArchivePolicy",
    "DataProtectionPolicy",
    "ApplicationSuccessFeedbackRoleArn",
    "ApplicationSuccessFeedbackSampleRate",
    "ApplicationFailureFeedbackRoleArn",
    "HTTPSuccessFeedbackRoleArn",
    "HTTPSuccessFeedbackSampleRate",
    "HTTPFailureFeedbackRoleArn",
    "LambdaSuccessFeedbackRoleArn",
    "LambdaSuccessFeedbackSampleRate",
    "LambdaFailureFeedbackRoleArn",
    "SQSSuccessFeedbackRoleArn",
    "SQSSuccessFeedbackSampleRate",
    "SQSFailureFeedbackRoleArn",
    "FirehoseSuccessFeedbackRoleArn",
    "FirehoseSuccessFeedbackSampleRate",
    "FirehoseFailureFeedbackRoleArn",
];

/// What SNS reports as `EffectiveDeliveryPolicy` when none is set.
const DEFAULT_DELIVERY_POLICY: &str = r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#;

impl Sns {
    pub(crate) async fn create_topic(
        &self,
        ctx: &RequestContext,
        input: CreateTopicInput,
    ) -> Result<CreateTopicResponse, AwsError> {
        let mut attributes = BTreeMap::new();
        for (name, value) in input.attributes.unwrap_or_default() {
            if name != "FifoTopic" {
                check_attribute(&name, &value)?;
            }
            attributes.insert(name, value);
        }
        if let Some(policy) = input.data_protection_policy {
            attributes.insert("DataProtectionPolicy".to_owned(), policy);
        }
        let fifo = match attributes.get("FifoTopic").map(String::as_str) {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(_) => return Err(invalid_parameter("Attributes Reason: FifoTopic: Invalid value")),
        };
        // Stored normalized: absent means standard.
        if fifo {
            attributes.insert("FifoTopic".to_owned(), "true".to_owned());
        } else {
            attributes.remove("FifoTopic");
        }
        validate_topic_name(&input.name, fifo)?;
        if !fifo && attributes.contains_key("ContentBasedDeduplication") {
            return Err(invalid_parameter(
                "Attributes Reason: ContentBasedDeduplication is only valid for FIFO topics",
            ));
        }
        let mut tags = IndexMap::new();
        for tag in input.tags.unwrap_or_default() {
            crate::tags::validate_tag(&tag.key, &tag.value)?;
            tags.insert(tag.key, tag.value);
        }

        let arn = TopicArn {
            region: ctx.region.clone(),
            account: ctx.account_id.clone(),
            name: input.name.clone(),
        };
        let ns = records::namespace(&arn.account, &arn.region)?;
        let name = input.name;
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let key = topic_key(&name);
                if let Some(existing) = table.get_json::<TopicRecord>(&key)? {
                    // Idempotent: the same request answers the same ARN.
                    let differs = attributes
                        .iter()
                        .any(|(k, v)| existing.attributes.get(k) != Some(v))
                        || existing.is_fifo() != fifo;
                    if differs {
                        return Err(invalid_parameter(
                            "Attributes Reason: Topic already exists with different attributes",
                        ));
                    }
                    if tags.iter().any(|(k, v)| existing.tags.get(k) != Some(v)) {
                        return Err(invalid_parameter(
                            "Tags Reason: Topic already exists with different tags",
                        ));
                    }
                    return Ok(());
                }
                let record = TopicRecord {
                    name,
                    attributes,
                    tags,
                    ..TopicRecord::default()
                };
                table.put_json(&key, &record)?;
                Ok(())
            })
            .await?;
        Ok(CreateTopicResponse {
            topic_arn: Some(arn.to_string()),
        })
    }

    /// Deletes the topic with its subscriptions; deleting a missing topic succeeds.
    pub(crate) async fn delete_topic(&self, input: DeleteTopicInput) -> Result<(), AwsError> {
        let arn = TopicArn::parse(&input.topic_arn, "TopicArn")?;
        let ns = records::namespace(&arn.account, &arn.region)?;
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                if table.delete(&topic_key(&arn.name))? {
                    table.delete_prefix(&subscriptions_prefix(&arn.name))?;
                    table.delete_prefix(&endpoints_prefix(&arn.name))?;
                    table.delete_prefix(&tokens_prefix(&arn.name))?;
                    table.delete_prefix(&dedups_prefix(&arn.name))?;
                    table.delete_prefix(&dedup_expiries_prefix(&arn.name))?;
                }
                Ok::<_, AwsError>(())
            })
            .await
    }

    pub(crate) async fn list_topics(
        &self,
        ctx: &RequestContext,
        input: ListTopicsInput,
    ) -> Result<ListTopicsResponse, AwsError> {
        let after = pagination::decode(input.next_token.as_deref())?;
        let ns = records::namespace(&ctx.account_id, &ctx.region)?;
        let (region, account) = (ctx.region.clone(), ctx.account_id.clone());
        self.store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let mut topics = Vec::new();
                let mut next_token = None;
                for entry in table.scan_after(records::TOPIC_PREFIX, after.as_deref())? {
                    let entry = entry?;
                    if topics.len() == PAGE_SIZE {
                        next_token = topics
                            .last()
                            .map(|(key, _): &(Vec<u8>, String)| pagination::encode(key));
                        break;
                    }
                    let name =
                        String::from_utf8_lossy(&entry.key[records::TOPIC_PREFIX.len()..]).into_owned();
                    topics.push((entry.key, name));
                }
                let topics = topics
                    .into_iter()
                    .map(|(_, name)| Topic {
                        topic_arn: Some(
                            TopicArn {
                                region: region.clone(),
                                account: account.clone(),
                                name,
                            }
                            .to_string(),
                        ),
                    })
                    .collect();
                Ok::<_, AwsError>(ListTopicsResponse {
                    topics: Some(topics),
                    next_token,
                })
            })
            .await
    }

    pub(crate) async fn get_topic_attributes(
        &self,
        input: GetTopicAttributesInput,
    ) -> Result<GetTopicAttributesResponse, AwsError> {
        let arn = TopicArn::parse(&input.topic_arn, "TopicArn")?;
        let ns = records::namespace(&arn.account, &arn.region)?;
        let name = arn.name.clone();
        let topic: TopicRecord = self
            .store
            .read(move |txn| {
                txn.open(&ns)?
                    .get_json(&topic_key(&name))?
                    .ok_or_else(topic_not_found)
            })
            .await?;
        let confirmed = topic.subscriptions_confirmed;
        let pending = topic.subscriptions_pending;

        let mut attributes = IndexMap::new();
        attributes.insert("TopicArn".to_owned(), arn.to_string());
        attributes.insert("Owner".to_owned(), arn.account.clone());
        attributes.insert("Policy".to_owned(), default_policy(&arn));
        attributes.insert("DisplayName".to_owned(), String::new());
        attributes.insert("SubscriptionsConfirmed".to_owned(), confirmed.to_string());
        attributes.insert("SubscriptionsPending".to_owned(), pending.to_string());
        attributes.insert(
            "SubscriptionsDeleted".to_owned(),
            topic.subscriptions_deleted.to_string(),
        );
        let delivery_policy = topic
            .attributes
            .get("DeliveryPolicy")
            .cloned()
            .unwrap_or_else(|| DEFAULT_DELIVERY_POLICY.to_owned());
        attributes.insert("EffectiveDeliveryPolicy".to_owned(), delivery_policy);
        if topic.is_fifo() {
            attributes.insert("FifoTopic".to_owned(), "true".to_owned());
            attributes.insert("ContentBasedDeduplication".to_owned(), "false".to_owned());
        }
        for (name, value) in &topic.attributes {
            attributes.insert(name.clone(), value.clone());
        }
        Ok(GetTopicAttributesResponse {
            attributes: Some(attributes),
        })
    }

    pub(crate) async fn set_topic_attributes(&self, input: SetTopicAttributesInput) -> Result<(), AwsError> {
        let arn = TopicArn::parse(&input.topic_arn, "TopicArn")?;
        let name = input.attribute_name;
        let value = input.attribute_value.unwrap_or_default();
        if name == "FifoTopic" {
            // Chosen at creation only.
            return Err(invalid_parameter("AttributeName"));
        }
        check_attribute(&name, &value)?;
        let ns = records::namespace(&arn.account, &arn.region)?;
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let key = topic_key(&arn.name);
                let mut topic: TopicRecord = table.get_json(&key)?.ok_or_else(topic_not_found)?;
                if name == "ContentBasedDeduplication" && !topic.is_fifo() {
                    return Err(invalid_parameter(
                        "AttributeName Reason: ContentBasedDeduplication is only valid for FIFO topics",
                    ));
                }
                topic.attributes.insert(name, value);
                table.put_json(&key, &topic)?;
                Ok(())
            })
            .await
    }
}

/// Topic names: 1-256 letters, digits, `-` and `_`; FIFO topics end in `.fifo`.
fn validate_topic_name(name: &str, fifo: bool) -> Result<(), AwsError> {
    let base = if fifo {
        name.strip_suffix(".fifo").ok_or_else(|| {
            invalid_parameter(
                "Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.",
            )
        })?
    } else {
        name
    };
    let well_formed = !base.is_empty()
        && name.len() <= 256
        && base
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if well_formed {
        Ok(())
    } else {
        Err(invalid_parameter("Topic Name"))
    }
}

/// Checks one settable attribute's name and value.
fn check_attribute(name: &str, value: &str) -> Result<(), AwsError> {
    if !SETTABLE_ATTRIBUTES.contains(&name) {
        return Err(invalid_parameter("AttributeName"));
    }
    let json_valued = matches!(
        name,
        "Policy" | "DeliveryPolicy" | "ArchivePolicy" | "DataProtectionPolicy"
    );
    if json_valued
        && serde_json::from_str::<serde_json::Value>(value)
            .map(|v| !v.is_object())
            .unwrap_or(true)
    {
        return Err(invalid_parameter(format!(
            "Attributes Reason: {name}: failed to parse JSON"
        )));
    }
    if name == "ContentBasedDeduplication" && value != "true" && value != "false" {
        return Err(invalid_parameter(
            "Attributes Reason: ContentBasedDeduplication: Invalid value, must be true or false",
        ));
    }
    if name == "SignatureVersion" && value != "1" && value != "2" {
        return Err(invalid_parameter(
            "Attributes Reason: SignatureVersion: Invalid value, must be 1 or 2",
        ));
    }
    Ok(())
}

/// The access policy every new topic gets.
fn default_policy(arn: &TopicArn) -> String {
    serde_json::json!({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                "SNS:ListSubscriptionsByTopic", "SNS:Publish"
            ],
            "Resource": arn.to_string(),
            "Condition": {"StringEquals": {"AWS:SourceOwner": arn.account}}
        }]
    })
    .to_string()
}
