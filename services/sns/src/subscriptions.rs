//! Subscriptions: subscribe (with the http/https confirmation handshake),
//! confirm, unsubscribe, list, attributes.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use nimbus_core::{AwsError, RequestContext};
use rand::RngCore;

use crate::Sns;
use crate::arn::{QueueArn, SubscriptionArn, TopicArn};
use crate::delivery::Job;
use crate::envelope::{action_url, iso_timestamp, subscription_confirmation};
use crate::errors::{invalid_parameter, subscription_not_found, topic_not_found};
use crate::filter_policy::{FilterPolicy, Scope};
use crate::pagination::{self, PAGE_SIZE};
use crate::records::{
    self, SUBSCRIPTION_PREFIX, SubscriptionRecord, TopicRecord, endpoint_key, subscription_key,
    subscriptions_prefix, token_key, topic_key,
};
use nimbus_sns_api::{
    ConfirmSubscriptionInput, ConfirmSubscriptionResponse, GetSubscriptionAttributesInput,
    GetSubscriptionAttributesResponse, ListSubscriptionsByTopicInput, ListSubscriptionsByTopicResponse,
    ListSubscriptionsInput, ListSubscriptionsResponse, SetSubscriptionAttributesInput, SubscribeInput,
    SubscribeResponse, Subscription, UnsubscribeInput,
};

/// What ListSubscriptions and Subscribe say instead of an unconfirmed ARN.
const PENDING_CONFIRMATION: &str = "PendingConfirmation";

/// Subscription attributes a client may set.
const SETTABLE_ATTRIBUTES: &[&str] = &[
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
];

/// Protocols whose endpoints SNS trusts at once (no confirmation message).
fn confirmed_at_once(protocol: &str) -> bool {
    matches!(protocol, "sqs" | "lambda" | "application" | "firehose" | "sms")
}

/// Checks that `endpoint` fits `protocol`, in SNS's words.
fn validate_endpoint(protocol: &str, endpoint: &str) -> Result<(), AwsError> {
    let valid = match protocol {
        "sqs" => QueueArn::parse(endpoint).is_some(),
        "lambda" => endpoint.starts_with("arn:aws:lambda:"),
        "http" => endpoint.starts_with("http://"),
        "https" => endpoint.starts_with("https://"),
        "email" | "email-json" => {
            let mut parts = endpoint.split('@');
            matches!((parts.next(), parts.next(), parts.next()), (Some(user), Some(domain), None) if !user.is_empty() && domain.contains('.'))
        }
        "sms" => {
            let digits = endpoint.strip_prefix('+').unwrap_or(endpoint);
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit() || b == b'-')
        }
        "application" => endpoint.starts_with("arn:aws:sns:") && endpoint.contains(":endpoint/"),
        "firehose" => endpoint.starts_with("arn:aws:firehose:"),
        other => {
            return Err(invalid_parameter(format!(
                "Amazon SNS does not support this protocol string: {other}"
            )));
        }
    };
    if valid {
        return Ok(());
    }
    Err(invalid_parameter(match protocol {
        "sqs" => "SQS endpoint ARN".to_owned(),
        "lambda" => "Lambda endpoint ARN".to_owned(),
        "email" | "email-json" => "Email address".to_owned(),
        "sms" => format!("Invalid SMS endpoint: {endpoint}"),
        _ => "Endpoint must match the specified protocol".to_owned(),
    }))
}

/// Validates one attribute given the others already set (a FilterPolicy is
/// checked against the scope it will be read with).
fn validate_attribute(
    name: &str,
    value: &str,
    protocol: &str,
    attributes: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    if !SETTABLE_ATTRIBUTES.contains(&name) {
        return Err(invalid_parameter("AttributeName"));
    }
    match name {
        "RawMessageDelivery" => {
            if !value.eq_ignore_ascii_case("true") && !value.eq_ignore_ascii_case("false") {
                return Err(invalid_parameter(format!(
                    "Attributes Reason: RawMessageDelivery: Invalid value [{value}]. Must be true or false."
                )));
            }
            if matches!(protocol, "email" | "email-json" | "sms" | "application")
                && value.eq_ignore_ascii_case("true")
            {
                return Err(invalid_parameter(format!(
                    "Attributes Reason: RawMessageDelivery: Raw message delivery is not supported for the {protocol} protocol"
                )));
            }
        }
        "FilterPolicyScope" => {
            let scope = Scope::parse(value)?;
            if let Some(policy) = attributes.get("FilterPolicy") {
                FilterPolicy::parse(policy, scope)?;
            }
        }
        "FilterPolicy" if !value.is_empty() => {
            FilterPolicy::parse(value, filter_scope(attributes)?)?;
        }
        "RedrivePolicy" if !value.is_empty() => {
            dead_letter_queue(value)?;
        }
        "DeliveryPolicy" | "ReplayPolicy" if !is_json_object(value) => {
            return Err(invalid_parameter(format!(
                "Attributes Reason: {name}: failed to parse JSON"
            )));
        }
        _ => {}
    }
    Ok(())
}

fn is_json_object(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v.is_object())
}

pub fn filter_scope(attributes: &BTreeMap<String, String>) -> Result<Scope, AwsError> {
    attributes
        .get("FilterPolicyScope")
        .map_or(Ok(Scope::MessageAttributes), |scope| Scope::parse(scope))
}

/// The DLQ ARN of a RedrivePolicy (`{"deadLetterTargetArn": "arn:aws:sqs:..."}`).
pub fn dead_letter_queue(policy: &str) -> Result<String, AwsError> {
    let parsed: serde_json::Value =
        serde_json::from_str(policy).map_err(|_| invalid_parameter("RedrivePolicy: failed to parse JSON"))?;
    match parsed.get("deadLetterTargetArn").and_then(|v| v.as_str()) {
        Some(arn) if QueueArn::parse(arn).is_some() => Ok(arn.to_owned()),
        Some(_) => Err(invalid_parameter(
            "RedrivePolicy: deadLetterTargetArn is an invalid arn",
        )),
        None => Err(invalid_parameter("RedrivePolicy: deadLetterTargetArn is missing")),
    }
}

fn new_token() -> String {
    let mut bytes = [0u8; 64];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a subscription looks like in ListSubscriptions(ByTopic).
fn listed(record: &SubscriptionRecord, topic: &TopicArn) -> Subscription {
    let arn = if record.confirmed {
        subscription_arn(topic, &record.id)
    } else {
        PENDING_CONFIRMATION.to_owned()
    };
    Subscription {
        subscription_arn: Some(arn),
        owner: Some(record.owner.clone()),
        protocol: Some(record.protocol.clone()),
        endpoint: Some(record.endpoint.clone()),
        topic_arn: Some(topic.to_string()),
    }
}

fn subscription_arn(topic: &TopicArn, id: &str) -> String {
    SubscriptionArn {
        topic: topic.clone(),
        id: id.to_owned(),
    }
    .to_string()
}

impl Sns {
    pub(crate) async fn subscribe(
        &self,
        ctx: &RequestContext,
        input: SubscribeInput,
    ) -> Result<SubscribeResponse, AwsError> {
        let topic = TopicArn::parse(&input.topic_arn, "TopicArn")?;
        let protocol = input.protocol.to_ascii_lowercase();
        let endpoint = input.endpoint.unwrap_or_default();
        validate_endpoint(&protocol, &endpoint)?;
        let mut attributes = BTreeMap::new();
        // FilterPolicyScope first, so the policy is checked in its scope.
        let mut requested: Vec<(String, String)> = input.attributes.unwrap_or_default().into_iter().collect();
        requested.sort_by_key(|(name, _)| name != "FilterPolicyScope");
        for (name, value) in requested {
            validate_attribute(&name, &value, &protocol, &attributes)?;
            attributes.insert(name, value);
        }
        let confirmed = confirmed_at_once(&protocol);
        let record = SubscriptionRecord {
            id: uuid::Uuid::new_v4().to_string(),
            topic: topic.name.clone(),
            protocol: protocol.clone(),
            endpoint: endpoint.clone(),
            owner: ctx.account_id.clone(),
            confirmed,
            token: (!confirmed).then(new_token),
            attributes,
        };

        let ns = records::namespace(&topic.account, &topic.region)?;
        let stored = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut topic_record: TopicRecord = table
                    .get_json(&topic_key(&record.topic))?
                    .ok_or_else(topic_not_found)?;
                if topic_record.is_fifo() && !matches!(record.protocol.as_str(), "sqs" | "firehose") {
                    return Err(invalid_parameter(format!(
                        "Invalid protocol type: {}",
                        record.protocol
                    )));
                }
                if !topic_record.is_fifo() && record.protocol == "sqs" && record.endpoint.ends_with(".fifo") {
                    return Err(invalid_parameter(
                        "Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics",
                    ));
                }
                // Subscribing the same endpoint again answers the existing subscription.
                let endpoint_key = endpoint_key(&record.topic, &record.protocol, &record.endpoint);
                if let Some(id) = table.get(&endpoint_key)?
                    && let Some(existing) = table.get_json::<SubscriptionRecord>(&subscription_key(
                        &record.topic,
                        &String::from_utf8_lossy(&id),
                    ))?
                {
                    if existing.attributes != record.attributes && !record.attributes.is_empty() {
                        return Err(invalid_parameter(
                            "Attributes Reason: Subscription already exists with different attributes",
                        ));
                    }
                    return Ok((existing, false));
                }
                table.put_json(&subscription_key(&record.topic, &record.id), &record)?;
                table.put(&endpoint_key, record.id.as_bytes())?;
                if let Some(token) = &record.token {
                    table.put(&token_key(&record.topic, token), record.id.as_bytes())?;
                }
                if record.confirmed {
                    topic_record.subscriptions_confirmed += 1;
                } else {
                    topic_record.subscriptions_pending += 1;
                }
                table.put_json(&topic_key(&record.topic), &topic_record)?;
                Ok((record, true))
            })
            .await;
        let (record, created) = stored?;

        if created && matches!(protocol.as_str(), "http" | "https") {
            self.send_confirmation(ctx, &topic, &record).await?;
        }
        let arn = if record.confirmed || input.return_subscription_arn == Some(true) {
            subscription_arn(&topic, &record.id)
        } else {
            "pending confirmation".to_owned()
        };
        Ok(SubscribeResponse {
            subscription_arn: Some(arn),
        })
    }

    /// POSTs the SubscriptionConfirmation to a new http/https endpoint.
    async fn send_confirmation(
        &self,
        ctx: &RequestContext,
        topic: &TopicArn,
        record: &SubscriptionRecord,
    ) -> Result<(), AwsError> {
        let Some(token) = &record.token else { return Ok(()) };
        let topic_arn = topic.to_string();
        let message_id = uuid::Uuid::new_v4().to_string();
        let subscribe_url = action_url(
            &ctx.host,
            "ConfirmSubscription",
            &[("TopicArn", &topic_arn), ("Token", token)],
        );
        let body = subscription_confirmation(
            &message_id,
            token,
            &topic_arn,
            &topic.region,
            &subscribe_url,
            &iso_timestamp(self.clock.now()),
        );
        let headers = vec![
            (
                "x-amz-sns-message-type".to_owned(),
                "SubscriptionConfirmation".to_owned(),
            ),
            ("x-amz-sns-message-id".to_owned(), message_id),
            ("x-amz-sns-topic-arn".to_owned(), topic_arn),
        ];
        self.deliveries
            .enqueue(vec![Job::Http {
                url: record.endpoint.clone(),
                headers,
                body,
                dead_letter_queue: None,
            }])
            .await
    }

    pub(crate) async fn confirm_subscription(
        &self,
        input: ConfirmSubscriptionInput,
    ) -> Result<ConfirmSubscriptionResponse, AwsError> {
        let topic = TopicArn::parse(&input.topic_arn, "TopicArn")?;
        let ns = records::namespace(&topic.account, &topic.region)?;
        let (name, token) = (topic.name.clone(), input.token);
        let id = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let topic_key = topic_key(&name);
                let mut topic: TopicRecord = table.get_json(&topic_key)?.ok_or_else(topic_not_found)?;
                let id = table
                    .get(&token_key(&name, &token))?
                    .and_then(|id| String::from_utf8(id).ok())
                    .ok_or_else(|| invalid_parameter("Invalid token"))?;
                let key = subscription_key(&name, &id);
                let mut record: SubscriptionRecord = table
                    .get_json(&key)?
                    .ok_or_else(|| invalid_parameter("Invalid token"))?;
                if !record.confirmed {
                    record.confirmed = true;
                    table.put_json(&key, &record)?;
                    topic.subscriptions_pending = topic.subscriptions_pending.saturating_sub(1);
                    topic.subscriptions_confirmed += 1;
                    table.put_json(&topic_key, &topic)?;
                }
                Ok::<_, AwsError>(id)
            })
            .await?;
        Ok(ConfirmSubscriptionResponse {
            subscription_arn: Some(subscription_arn(&topic, &id)),
        })
    }

    /// Removes a subscription; an unknown one is already gone, as on AWS.
    pub(crate) async fn unsubscribe(&self, input: UnsubscribeInput) -> Result<(), AwsError> {
        let arn = SubscriptionArn::parse(&input.subscription_arn)?;
        let ns = records::namespace(&arn.topic.account, &arn.topic.region)?;
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let key = subscription_key(&arn.topic.name, &arn.id);
                let Some(record) = table.get_json::<SubscriptionRecord>(&key)? else {
                    return Ok(());
                };
                table.delete(&key)?;
                table.delete(&endpoint_key(&record.topic, &record.protocol, &record.endpoint))?;
                if let Some(token) = &record.token {
                    table.delete(&token_key(&record.topic, token))?;
                }
                let topic_key = topic_key(&record.topic);
                if let Some(mut topic) = table.get_json::<TopicRecord>(&topic_key)? {
                    if record.confirmed {
                        topic.subscriptions_confirmed = topic.subscriptions_confirmed.saturating_sub(1);
                    } else {
                        topic.subscriptions_pending = topic.subscriptions_pending.saturating_sub(1);
                    }
                    topic.subscriptions_deleted += 1;
                    table.put_json(&topic_key, &topic)?;
                }
                Ok::<_, AwsError>(())
            })
            .await
    }

    pub(crate) async fn list_subscriptions(
        &self,
        ctx: &RequestContext,
        input: ListSubscriptionsInput,
    ) -> Result<ListSubscriptionsResponse, AwsError> {
        let (subscriptions, next_token) = self
            .subscriptions_page(
                &ctx.account_id,
                &ctx.region,
                SUBSCRIPTION_PREFIX.to_vec(),
                None,
                input.next_token,
            )
            .await?;
        Ok(ListSubscriptionsResponse {
            subscriptions: Some(subscriptions),
            next_token,
        })
    }

    pub(crate) async fn list_subscriptions_by_topic(
        &self,
        input: ListSubscriptionsByTopicInput,
    ) -> Result<ListSubscriptionsByTopicResponse, AwsError> {
        let topic = TopicArn::parse(&input.topic_arn, "TopicArn")?;
        let prefix = subscriptions_prefix(&topic.name);
        let (subscriptions, next_token) = self
            .subscriptions_page(
                &topic.account,
                &topic.region,
                prefix,
                Some(topic.name.clone()),
                input.next_token,
            )
            .await?;
        Ok(ListSubscriptionsByTopicResponse {
            subscriptions: Some(subscriptions),
            next_token,
        })
    }

    /// One page of subscriptions under `prefix`; `topic` must exist when given.
    async fn subscriptions_page(
        &self,
        account: &str,
        region: &str,
        prefix: Vec<u8>,
        topic: Option<String>,
        next_token: Option<String>,
    ) -> Result<(Vec<Subscription>, Option<String>), AwsError> {
        let after = pagination::decode(next_token.as_deref())?;
        let ns = records::namespace(account, region)?;
        let (account, region) = (account.to_owned(), region.to_owned());
        self.store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                if let Some(topic) = &topic
                    && table.get(&topic_key(topic))?.is_none()
                {
                    return Err(topic_not_found());
                }
                let mut page = Vec::new();
                let mut last_key = Vec::new();
                let mut next_token = None;
                for entry in table.scan_after(&prefix, after.as_deref())? {
                    let entry = entry?;
                    if page.len() == PAGE_SIZE {
                        next_token = Some(pagination::encode(&last_key));
                        break;
                    }
                    let record: SubscriptionRecord = entry.decode()?;
                    let topic = TopicArn {
                        region: region.clone(),
                        account: account.clone(),
                        name: record.topic.clone(),
                    };
                    page.push(listed(&record, &topic));
                    last_key = entry.key;
                }
                Ok((page, next_token))
            })
            .await
    }

    pub(crate) async fn get_subscription_attributes(
        &self,
        input: GetSubscriptionAttributesInput,
    ) -> Result<GetSubscriptionAttributesResponse, AwsError> {
        let arn = SubscriptionArn::parse(&input.subscription_arn)?;
        let record = self.load_subscription(&arn).await?;
        let mut attributes = IndexMap::new();
        attributes.insert("SubscriptionArn".to_owned(), arn.to_string());
        attributes.insert("TopicArn".to_owned(), arn.topic.to_string());
        attributes.insert("Owner".to_owned(), record.owner.clone());
        attributes.insert("Protocol".to_owned(), record.protocol.clone());
        attributes.insert("Endpoint".to_owned(), record.endpoint.clone());
        attributes.insert("PendingConfirmation".to_owned(), (!record.confirmed).to_string());
        attributes.insert(
            "ConfirmationWasAuthenticated".to_owned(),
            confirmed_at_once(&record.protocol).to_string(),
        );
        attributes.insert(
            "RawMessageDelivery".to_owned(),
            record.raw_message_delivery().to_string(),
        );
        attributes.insert(
            "SubscriptionPrincipal".to_owned(),
            format!("arn:aws:iam::{}:root", record.owner),
        );
        if matches!(record.protocol.as_str(), "http" | "https") {
            let policy = record.attributes.get("DeliveryPolicy").cloned().unwrap_or_else(|| {
                r#"{"healthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"}}"#.to_owned()
            });
            attributes.insert("EffectiveDeliveryPolicy".to_owned(), policy);
        }
        if record.attributes.contains_key("FilterPolicy") {
            attributes.insert("FilterPolicyScope".to_owned(), "MessageAttributes".to_owned());
        }
        for (name, value) in &record.attributes {
            if name != "RawMessageDelivery" {
                attributes.insert(name.clone(), value.clone());
            }
        }
        Ok(GetSubscriptionAttributesResponse {
            attributes: Some(attributes),
        })
    }

    pub(crate) async fn set_subscription_attributes(
        &self,
        input: SetSubscriptionAttributesInput,
    ) -> Result<(), AwsError> {
        let arn = SubscriptionArn::parse(&input.subscription_arn)?;
        let ns = records::namespace(&arn.topic.account, &arn.topic.region)?;
        let name = input.attribute_name;
        let value = input.attribute_value.unwrap_or_default();
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let key = subscription_key(&arn.topic.name, &arn.id);
                let mut record: SubscriptionRecord =
                    table.get_json(&key)?.ok_or_else(subscription_not_found)?;
                validate_attribute(&name, &value, &record.protocol, &record.attributes)?;
                // An empty policy removes it, as on SNS.
                if value.is_empty() && matches!(name.as_str(), "FilterPolicy" | "RedrivePolicy") {
                    record.attributes.remove(&name);
                } else {
                    record.attributes.insert(name, value);
                }
                table.put_json(&key, &record)?;
                Ok(())
            })
            .await
    }

    async fn load_subscription(&self, arn: &SubscriptionArn) -> Result<SubscriptionRecord, AwsError> {
        let ns = records::namespace(&arn.topic.account, &arn.topic.region)?;
        let key = subscription_key(&arn.topic.name, &arn.id);
        self.store
            .read(move |txn| txn.open(&ns)?.get_json(&key)?.ok_or_else(subscription_not_found))
            .await
    }
}
