//! Service-level tests: SNS over an in-memory store, with a recording queue
//! delivery in place of SQS.

use std::sync::{Arc, Mutex};

use indexmap::IndexMap;
use nimbus_core::{AwsError, BoxFuture, RequestContext};
use nimbus_runtime::TestClock;
use nimbus_store::Store;

use crate::Sns;
use crate::queue_delivery::{QueueDelivery, QueueDeliveryError, QueueMessage};
use nimbus_sns_api::{
    CreateTopicInput, MessageAttributeValue, PublishInput, SetTopicAttributesInput, SubscribeInput,
};

/// Records what reaches each queue; queues named `missing*` do not exist.
#[derive(Default)]
struct Queues {
    received: Mutex<Vec<QueueMessage>>,
}

impl QueueDelivery for Queues {
    fn deliver(&self, message: QueueMessage) -> BoxFuture<'_, Result<(), QueueDeliveryError>> {
        Box::pin(async move {
            if message
                .queue_arn
                .rsplit(':')
                .next()
                .is_some_and(|name| name.starts_with("missing"))
            {
                return Err(QueueDeliveryError::Permanent("no such queue".to_owned()));
            }
            self.received
                .lock()
                .map_err(|_| QueueDeliveryError::Transient("poisoned".to_owned()))?
                .push(message);
            Ok(())
        })
    }
}

impl Queues {
    fn bodies_for(&self, queue: &str) -> Vec<String> {
        self.received
            .lock()
            .map(|received| {
                received
                    .iter()
                    .filter(|m| m.queue_arn.ends_with(&format!(":{queue}")))
                    .map(|m| m.body.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn service() -> (Sns, Arc<Queues>, TestClock) {
    let clock = TestClock::new();
    let queues = Arc::new(Queues::default());
    let store = Arc::new(Store::ephemeral().expect("in-memory store"));
    let sns = Sns::new(store, clock.clock(), queues.clone());
    (sns, queues, clock)
}

fn ctx() -> RequestContext {
    RequestContext::for_tests("sns", "Test")
}

fn queue(name: &str) -> String {
    format!("arn:aws:sqs:us-east-1:000000000000:{name}")
}

async fn topic(sns: &Sns, name: &str, attributes: &[(&str, &str)]) -> Result<String, AwsError> {
    let attributes = attributes
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let created = sns
        .create_topic(
            &ctx(),
            CreateTopicInput {
                name: name.to_owned(),
                attributes: Some(attributes),
                ..Default::default()
            },
        )
        .await?;
    Ok(created.topic_arn.unwrap_or_default())
}

async fn subscribe(
    sns: &Sns,
    topic: &str,
    queue_name: &str,
    attributes: &[(&str, &str)],
) -> Result<(), AwsError> {
    let attributes = attributes
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    sns.subscribe(
        &ctx(),
        SubscribeInput {
            topic_arn: topic.to_owned(),
            protocol: "sqs".to_owned(),
            endpoint: Some(queue(queue_name)),
            attributes: Some(attributes),
            return_subscription_arn: None,
        },
    )
    .await?;
    Ok(())
}

fn publish_input(topic: &str, message: &str, color: Option<&str>) -> PublishInput {
    let mut attributes = IndexMap::new();
    if let Some(color) = color {
        attributes.insert(
            "color".to_owned(),
            MessageAttributeValue {
                data_type: "String".to_owned(),
                string_value: Some(color.to_owned()),
                binary_value: None,
            },
        );
    }
    PublishInput {
        topic_arn: Some(topic.to_owned()),
        message: message.to_owned(),
        message_attributes: Some(attributes),
        ..Default::default()
    }
}

#[tokio::test]
async fn publish_fans_out_through_filters_as_envelope_or_raw() -> Result<(), AwsError> {
    let (sns, queues, _clock) = service();
    let topic = topic(&sns, "orders", &[]).await?;
    subscribe(&sns, &topic, "all", &[]).await?;
    subscribe(
        &sns,
        &topic,
        "raw-red",
        &[
            ("RawMessageDelivery", "true"),
            ("FilterPolicy", r#"{"color":["red"]}"#),
        ],
    )
    .await?;

    let red = sns
        .publish(&ctx(), publish_input(&topic, "red one", Some("red")))
        .await?;
    sns.publish(&ctx(), publish_input(&topic, "blue one", Some("blue")))
        .await?;

    let all = queues.bodies_for("all");
    assert_eq!(all.len(), 2);
    let envelope: serde_json::Value =
        serde_json::from_str(&all[0]).map_err(|e| AwsError::internal(e.to_string()))?;
    assert_eq!(envelope["Type"], "Notification");
    assert_eq!(envelope["MessageId"], red.message_id.unwrap_or_default().as_str());
    assert_eq!(envelope["Message"], "red one");
    assert_eq!(envelope["MessageAttributes"]["color"]["Value"], "red");
    assert_eq!(queues.bodies_for("raw-red"), ["red one"]);
    Ok(())
}

#[tokio::test]
async fn fifo_duplicates_inside_the_window_are_dropped() -> Result<(), AwsError> {
    let (sns, queues, clock) = service();
    let topic = topic(&sns, "events.fifo", &[("FifoTopic", "true")]).await?;
    subscribe(&sns, &topic, "events.fifo", &[("RawMessageDelivery", "true")]).await?;
    let fifo_input = |message: &str| PublishInput {
        message_group_id: Some("g".to_owned()),
        message_deduplication_id: Some("same".to_owned()),
        ..publish_input(&topic, message, None)
    };

    let first = sns.publish(&ctx(), fifo_input("one")).await?;
    let again = sns.publish(&ctx(), fifo_input("one again")).await?;
    assert_eq!(first.message_id, again.message_id);
    assert_eq!(first.sequence_number, again.sequence_number);
    assert_eq!(queues.bodies_for("events.fifo"), ["one"]);

    clock.advance(std::time::Duration::from_secs(5 * 60 + 1)).await;
    let later = sns.publish(&ctx(), fifo_input("after the window")).await?;
    assert_ne!(later.message_id, first.message_id);
    assert_eq!(queues.bodies_for("events.fifo"), ["one", "after the window"]);
    let delivered = queues.received.lock().map(|r| r.last().cloned()).ok().flatten();
    assert_eq!(delivered.and_then(|m| m.group_id).as_deref(), Some("g"));
    Ok(())
}

#[tokio::test]
async fn content_based_deduplication_hashes_the_body() -> Result<(), AwsError> {
    let (sns, queues, _clock) = service();
    let topic = topic(&sns, "hashed.fifo", &[("FifoTopic", "true")]).await?;
    sns.set_topic_attributes(SetTopicAttributesInput {
        topic_arn: topic.clone(),
        attribute_name: "ContentBasedDeduplication".to_owned(),
        attribute_value: Some("true".to_owned()),
    })
    .await?;
    subscribe(&sns, &topic, "hashed.fifo", &[]).await?;
    let input = || PublishInput {
        message_group_id: Some("g".to_owned()),
        ..publish_input(&topic, "same", None)
    };
    sns.publish(&ctx(), input()).await?;
    sns.publish(&ctx(), input()).await?;
    assert_eq!(queues.bodies_for("hashed.fifo").len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_missing_queue_sends_the_message_to_the_dlq() -> Result<(), AwsError> {
    let (sns, queues, _clock) = service();
    let topic = topic(&sns, "lossy", &[]).await?;
    let redrive = format!(r#"{{"deadLetterTargetArn":"{}"}}"#, queue("dlq"));
    subscribe(
        &sns,
        &topic,
        "missing-queue",
        &[("RedrivePolicy", &redrive), ("RawMessageDelivery", "true")],
    )
    .await?;
    sns.publish(&ctx(), publish_input(&topic, "rescued", Some("red")))
        .await?;
    assert_eq!(queues.bodies_for("dlq"), ["rescued"]);
    Ok(())
}

#[tokio::test]
async fn messages_over_256_kib_are_refused() -> Result<(), AwsError> {
    let (sns, _queues, _clock) = service();
    let topic = topic(&sns, "big", &[]).await?;
    let too_big = "x".repeat(256 * 1024 + 1);
    let error = sns
        .publish(&ctx(), publish_input(&topic, &too_big, None))
        .await
        .err();
    assert_eq!(
        error.map(|e| e.message),
        Some("Invalid parameter: Message too long".to_owned())
    );
    Ok(())
}

#[tokio::test]
async fn expired_deduplication_records_are_swept() -> Result<(), AwsError> {
    let (sns, _queues, clock) = service();
    let topic = topic(&sns, "swept.fifo", &[("FifoTopic", "true")]).await?;
    let publish = |dedup: &str| PublishInput {
        message_group_id: Some("g".to_owned()),
        message_deduplication_id: Some(dedup.to_owned()),
        ..publish_input(&topic, "m", None)
    };
    sns.publish(&ctx(), publish("old")).await?;
    clock.advance(std::time::Duration::from_secs(6 * 60)).await;
    sns.publish(&ctx(), publish("new")).await?;

    let ns = crate::records::namespace("000000000000", "us-east-1")?;
    let kept = sns
        .store
        .read(move |txn| {
            let table = txn.open(&ns)?;
            let old = table
                .get(&crate::records::dedup_key("swept.fifo", "old"))?
                .is_some();
            let new = table
                .get(&crate::records::dedup_key("swept.fifo", "new"))?
                .is_some();
            let expiries = table
                .scan(&crate::records::dedup_expiries_prefix("swept.fifo"))?
                .count();
            Ok::<_, AwsError>((old, new, expiries))
        })
        .await?;
    assert_eq!(kept, (false, true, 1));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_fifo_publishes_arrive_in_sequence_order() -> Result<(), AwsError> {
    let (sns, queues, _clock) = service();
    let sns = Arc::new(sns);
    let topic = topic(&sns, "ordered.fifo", &[("FifoTopic", "true")]).await?;
    subscribe(&sns, &topic, "ordered.fifo", &[]).await?;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let (sns, topic) = (Arc::clone(&sns), topic.clone());
        tasks.push(tokio::spawn(async move {
            let input = PublishInput {
                message_group_id: Some("g".to_owned()),
                message_deduplication_id: Some(format!("d{i}")),
                ..publish_input(&topic, &format!("m{i}"), None)
            };
            sns.publish(&ctx(), input).await
        }));
    }
    for task in tasks {
        task.await.map_err(|e| AwsError::internal(e.to_string()))??;
    }
    let sequence_numbers: Vec<String> = queues
        .bodies_for("ordered.fifo")
        .iter()
        .filter_map(|body| serde_json::from_str::<serde_json::Value>(body).ok())
        .filter_map(|envelope| envelope["SequenceNumber"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(sequence_numbers.len(), 16);
    let mut sorted = sequence_numbers.clone();
    sorted.sort();
    assert_eq!(sequence_numbers, sorted);
    Ok(())
}

#[tokio::test]
async fn every_listed_operation_is_implemented() {
    let (sns, _queues, _clock) = service();
    let missing = nimbus_sns_api::unimplemented_operations(&sns, &ctx()).await;
    assert_eq!(missing, Vec::<&str>::new());
}
