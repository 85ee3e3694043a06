//! Event notifications: S3 tells SQS queues and SNS topics about objects
//! created and removed, in S3's event message structure.
//!
//! S3 reaches SQS and SNS through their typed clients (their API crates,
//! not their implementations): the binary hands them over, and S3 calls
//! SendMessage / Publish with those services' own input shapes, checked
//! against their models, as the destination's owner (account and region
//! from the ARN), as SNS does for its SQS subscriptions. Object events are delivered after the write is
//! committed, on a spawned task; the s3:TestEvent a configuration sends to
//! each destination is delivered inline, and a destination that does not take
//! it fails PutBucketNotificationConfiguration.

use nimbus_core::{AwsError, RequestContext, Timestamp, Value};
use nimbus_sns_api::{PublishInput, SnsClient};
use nimbus_sqs_api::{SendMessageRequest, SqsClient};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::json;

use crate::generated::{NotificationConfiguration, NotificationConfigurationFilter};
use crate::records::{self, BucketRecord};
use crate::{S3, acl, errors};

/// The services notifications go to; either may be missing.
#[derive(Clone, Default)]
pub struct Destinations {
    pub sqs: Option<SqsClient>,
    pub sns: Option<SnsClient>,
}

/// What an object operation was about, taken from its input before it runs.
pub(crate) struct Pending {
    operation: String,
    bucket: String,
    key: Option<String>,
    version_id: Option<String>,
}

impl Pending {
    /// The operations that emit events; `None` for every other.
    pub(crate) fn capture(operation: &str, input: &Value) -> Option<Pending> {
        if !matches!(
            operation,
            "PutObject" | "CopyObject" | "CompleteMultipartUpload" | "DeleteObject" | "DeleteObjects"
        ) {
            return None;
        }
        Some(Pending {
            operation: operation.to_owned(),
            bucket: input.get("Bucket")?.as_str()?.to_owned(),
            key: input.get("Key").and_then(Value::as_str).map(str::to_owned),
            version_id: input.get("VersionId").and_then(Value::as_str).map(str::to_owned),
        })
    }
}

/// One object event before it is matched against configurations.
struct ObjectEvent {
    /// Without the `s3:` prefix, e.g. `ObjectCreated:Put`.
    name: &'static str,
    key: String,
    size: Option<u64>,
    etag: Option<String>,
    version_id: Option<String>,
    sequencer: String,
}

/// A message bound for one destination.
struct Delivery {
    arn: String,
    body: String,
}

/// Keys as S3 writes them in events: form-encoded (space as `+`), with `/`
/// left as it is.
const KEY_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'*')
    .remove(b'/');

fn encode_key(key: &str) -> String {
    utf8_percent_encode(key, KEY_ENCODE)
        .to_string()
        .replace("%20", "+")
}

/// ISO 8601 with milliseconds, as S3 event times are written.
fn iso_millis(time: Timestamp) -> String {
    let nanos = i128::from(time.seconds) * 1_000_000_000 + i128::from(time.nanos);
    match time::OffsetDateTime::from_unix_timestamp_nanos(nanos) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        ),
        Err(_) => "1970-01-01T00:00:00.000Z".to_owned(),
    }
}

/// The host id S3 pairs with a request id (as the `x-amz-id-2` header).
fn host_id(request_id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(request_id.as_bytes())
}

fn principal(ctx: &RequestContext) -> String {
    match &ctx.access_key_id {
        Some(key) => format!("AWS:{key}"),
        None => "ANONYMOUS".to_owned(),
    }
}

/// Whether `event` (e.g. `s3:ObjectCreated:Put`) is one of `configured`,
/// directly or through a `*` wildcard.
fn event_matches(configured: &[String], event: &str) -> bool {
    configured.iter().any(|c| {
        c == event
            || c.strip_suffix('*')
                .is_some_and(|prefix| prefix.ends_with(':') && event.starts_with(prefix))
    })
}

fn filter_matches(filter: Option<&NotificationConfigurationFilter>, key: &str) -> bool {
    let rules = filter
        .and_then(|f| f.key.as_ref())
        .and_then(|k| k.filter_rules.as_deref())
        .unwrap_or_default();
    rules.iter().all(|rule| {
        let value = rule.value.as_deref().unwrap_or_default();
        match rule.name.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("prefix") => key.starts_with(value),
            Some("suffix") => key.ends_with(value),
            _ => true,
        }
    })
}

/// The configurations that take `event`: (id, destination ARN).
fn matching(config: &NotificationConfiguration, event: &str, key: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for queue in config.queue_configurations.iter().flatten() {
        if event_matches(&queue.events, event) && filter_matches(queue.filter.as_ref(), key) {
            out.push((queue.id.clone().unwrap_or_default(), queue.queue_arn.clone()));
        }
    }
    for topic in config.topic_configurations.iter().flatten() {
        if event_matches(&topic.events, event) && filter_matches(topic.filter.as_ref(), key) {
            out.push((topic.id.clone().unwrap_or_default(), topic.topic_arn.clone()));
        }
    }
    out
}

/// `arn:aws:<service>:<region>:<account>:<name>`.
fn parse_arn(arn: &str) -> Option<(&str, &str, &str, &str)> {
    let mut parts = arn.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let _partition = parts.next()?;
    let service = parts.next()?;
    let region = parts.next()?;
    let account = parts.next()?;
    let name = parts.next()?;
    if region.is_empty() || account.is_empty() || name.is_empty() {
        return None;
    }
    Some((service, region, account, name))
}

impl Destinations {
    fn any(&self) -> bool {
        self.sqs.is_some() || self.sns.is_some()
    }

    /// Hands `body` to the queue or topic `arn`, through the destination
    /// service's own SendMessage or Publish, as the destination's owner.
    async fn deliver(&self, delivery: Delivery) -> Result<(), String> {
        let Some((service, region, account, name)) = parse_arn(&delivery.arn) else {
            return Err("The destination ARN is not valid".to_owned());
        };
        let delivered = match (service, &self.sqs, &self.sns) {
            ("sqs", Some(sqs), _) => {
                let ctx = RequestContext::internal("sqs", "SendMessage", account, region);
                let input = SendMessageRequest {
                    // The queue's AWS URL: it names the region too.
                    queue_url: format!("https://sqs.{region}.amazonaws.com/{account}/{name}"),
                    message_body: delivery.body,
                    ..SendMessageRequest::default()
                };
                sqs.send_message(&ctx, input).await.map(|_| ())
            }
            ("sns", _, Some(sns)) => {
                let ctx = RequestContext::internal("sns", "Publish", account, region);
                let input = PublishInput {
                    topic_arn: Some(delivery.arn.clone()),
                    message: delivery.body,
                    subject: Some("Amazon S3 Notification".to_owned()),
                    ..PublishInput::default()
                };
                sns.publish(&ctx, input).await.map(|_| ())
            }
            ("sqs", None, _) => return Err("The destination queue does not exist".to_owned()),
            ("sns", _, None) => return Err("The destination topic does not exist".to_owned()),
            _ => return Err("The destination is not a queue or topic".to_owned()),
        };
        delivered.map_err(|error| error.to_string())
    }
}

impl S3 {
    /// Sends s3:TestEvent to every queue and topic of `config`; fails as S3
    /// does when a destination does not take it.
    pub(crate) async fn validate_notification(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        config: &NotificationConfiguration,
    ) -> Result<(), AwsError> {
        if !self.destinations.any() {
            return Ok(());
        }
        // The bucket must exist before anything is sent.
        self.load_bucket(bucket)?;
        let arns = config
            .queue_configurations
            .iter()
            .flatten()
            .map(|q| q.queue_arn.clone())
            .chain(
                config
                    .topic_configurations
                    .iter()
                    .flatten()
                    .map(|t| t.topic_arn.clone()),
            );
        let mut failed = Vec::new();
        for arn in arns {
            let body = json!({
                "Service": "Amazon S3",
                "Event": "s3:TestEvent",
                "Time": iso_millis(self.now()),
                "Bucket": bucket,
                "RequestId": ctx.request_id,
                "HostId": host_id(&ctx.request_id),
            })
            .to_string();
            if let Err(reason) = self
                .destinations
                .deliver(Delivery {
                    arn: arn.clone(),
                    body,
                })
                .await
            {
                failed.push((arn, reason));
            }
        }
        match failed.into_iter().next() {
            None => Ok(()),
            Some((arn, reason)) => Err(errors::invalid_argument(
                "Unable to validate the following destination configurations",
                &arn,
                &reason,
            )),
        }
    }

    /// After `pending` succeeded with `output`: the events it caused, sent
    /// to every configuration that takes them, on a spawned task.
    pub(crate) fn emit(&self, ctx: &RequestContext, pending: Pending, output: &Value) {
        if !self.destinations.any() {
            return;
        }
        // Most buckets notify nobody: find that out without decoding the whole record.
        let Ok(glance) = self.glance_bucket(&pending.bucket) else {
            return;
        };
        let Some(config) = glance.notification.as_ref() else {
            return;
        };
        if config.queue_configurations.as_ref().is_none_or(Vec::is_empty)
            && config.topic_configurations.as_ref().is_none_or(Vec::is_empty)
        {
            return;
        }
        let Ok(bucket) = self.load_bucket(&pending.bucket) else {
            return;
        };
        let events = self.object_events(&pending, output);
        let mut deliveries = Vec::new();
        for event in events {
            let full_name = format!("s3:{}", event.name);
            for (id, arn) in matching(config, &full_name, &event.key) {
                let body = event_json(ctx, &bucket, &event, &id, iso_millis(self.now()));
                deliveries.push(Delivery { arn, body });
            }
        }
        if deliveries.is_empty() {
            return;
        }
        let destinations = self.destinations.clone();
        let send = async move {
            for delivery in deliveries {
                // S3 drops events a destination refuses; so does nimbus.
                let _ = destinations.deliver(delivery).await;
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(send);
            }
            Err(_) => drop(send),
        }
    }

    fn object_events(&self, pending: &Pending, output: &Value) -> Vec<ObjectEvent> {
        let sequencer = format!("{:016X}", self.clock.now_epoch_millis().saturating_mul(1_000_000));
        match pending.operation.as_str() {
            "PutObject" | "CopyObject" | "CompleteMultipartUpload" => {
                let Some(key) = pending.key.clone() else {
                    return Vec::new();
                };
                let name = match pending.operation.as_str() {
                    "PutObject" => "ObjectCreated:Put",
                    "CopyObject" => "ObjectCreated:Copy",
                    _ => "ObjectCreated:CompleteMultipartUpload",
                };
                let current = self
                    .store
                    .begin_read()
                    .ok()
                    .and_then(|txn| {
                        let table = txn.open(&records::namespace().ok()?).ok()?;
                        records::current(&table, &pending.bucket, &key).ok()
                    })
                    .flatten();
                let Some(object) = current else {
                    return Vec::new();
                };
                vec![ObjectEvent {
                    name,
                    key,
                    size: Some(object.size),
                    etag: Some(object.etag.trim_matches('"').to_owned()),
                    version_id: object.version_id.clone(),
                    sequencer: format!("{:016X}", object.sequence),
                }]
            }
            "DeleteObject" => {
                let Some(key) = pending.key.clone() else {
                    return Vec::new();
                };
                vec![removed(
                    key,
                    pending.version_id.is_none()
                        && output.get("DeleteMarker").and_then(Value::as_bool) == Some(true),
                    output.get("VersionId").and_then(Value::as_str).map(str::to_owned),
                    sequencer,
                )]
            }
            "DeleteObjects" => output
                .get("Deleted")
                .and_then(Value::as_list)
                .unwrap_or_default()
                .iter()
                .filter_map(|deleted| {
                    let key = deleted.get("Key")?.as_str()?.to_owned();
                    let version = deleted.get("VersionId").and_then(Value::as_str);
                    let marker_version = deleted.get("DeleteMarkerVersionId").and_then(Value::as_str);
                    let marker_created = version.is_none()
                        && deleted.get("DeleteMarker").and_then(Value::as_bool) == Some(true);
                    let version = if marker_created { marker_version } else { version };
                    Some(removed(
                        key,
                        marker_created,
                        version.map(str::to_owned),
                        sequencer.clone(),
                    ))
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

fn removed(key: String, marker_created: bool, version_id: Option<String>, sequencer: String) -> ObjectEvent {
    ObjectEvent {
        name: if marker_created {
            "ObjectRemoved:DeleteMarkerCreated"
        } else {
            "ObjectRemoved:Delete"
        },
        key,
        size: None,
        etag: None,
        version_id: version_id.filter(|v| v != "null"),
        sequencer,
    }
}

/// One event in S3's event message structure (version 2.1).
fn event_json(
    ctx: &RequestContext,
    bucket: &BucketRecord,
    event: &ObjectEvent,
    configuration_id: &str,
    time: String,
) -> String {
    let mut object = serde_json::Map::new();
    object.insert("key".to_owned(), json!(encode_key(&event.key)));
    if let Some(size) = event.size {
        object.insert("size".to_owned(), json!(size));
    }
    if let Some(etag) = &event.etag {
        object.insert("eTag".to_owned(), json!(etag));
    }
    if let Some(version) = &event.version_id {
        object.insert("versionId".to_owned(), json!(version));
    }
    object.insert("sequencer".to_owned(), json!(event.sequencer));
    let owner = acl::owner(&bucket.account).id.unwrap_or_default();
    json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": bucket.region,
            "eventTime": time,
            "eventName": event.name,
            "userIdentity": {"principalId": principal(ctx)},
            "requestParameters": {"sourceIPAddress": "127.0.0.1"},
            "responseElements": {
                "x-amz-request-id": ctx.request_id,
                "x-amz-id-2": host_id(&ctx.request_id),
            },
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": configuration_id,
                "bucket": {
                    "name": bucket.name,
                    "ownerIdentity": {"principalId": owner},
                    "arn": format!("arn:aws:s3:::{}", bucket.name),
                },
                "object": object,
            },
        }]
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_encoded_as_s3_does() {
        assert_eq!(encode_key("a/b c=d.txt"), "a/b+c%3Dd.txt");
    }

    #[test]
    fn wildcards_match_their_family() {
        let configured = vec!["s3:ObjectCreated:*".to_owned()];
        assert!(event_matches(&configured, "s3:ObjectCreated:Copy"));
        assert!(!event_matches(&configured, "s3:ObjectRemoved:Delete"));
    }

    #[test]
    fn times_have_milliseconds() {
        assert_eq!(
            iso_millis(Timestamp::from_epoch_millis(1_500)),
            "1970-01-01T00:00:01.500Z"
        );
    }
}
