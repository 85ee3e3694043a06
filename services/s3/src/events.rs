//! Event notifications: S3 tells SQS queues, SNS topics and Lambda
//! functions about objects created and removed, in S3's event message
//! structure (functions are invoked asynchronously with it).
//!
//! S3 reaches SQS and SNS through their typed clients (their API crates,
//! not their implementations): the binary hands them over, and S3 calls
//! SendMessage / Publish with those services' own input shapes, checked
//! against their models, as the destination's owner (account and region
//! from the ARN), as SNS does for its SQS subscriptions. Object events are delivered after the write is
//! committed, on a spawned task; the s3:TestEvent a configuration sends to
//! each destination is delivered inline, and a destination that does not take
//! it fails PutBucketNotificationConfiguration.

use nimbus_core::context::ServicePrincipal;
use nimbus_core::{AwsError, RequestContext, Timestamp};
use nimbus_lambda_api::{InvocationRequest, LambdaClient};
use nimbus_sns_api::{PublishInput, SnsClient};
use nimbus_sqs_api::{SendMessageRequest, SqsClient};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::json;

use crate::records::{self, BucketRecord};
use crate::{S3, acl, errors};
use nimbus_s3_api::{
    DeleteObjectOutput, DeletedObject, NotificationConfiguration, NotificationConfigurationFilter,
};

/// The services notifications go to; either may be missing.
#[derive(Clone, Default)]
pub struct Destinations {
    pub sqs: Option<SqsClient>,
    pub sns: Option<SnsClient>,
    pub lambda: Option<LambdaClient>,
    /// What S3 sends as: destinations' policies must let it in when IAM
    /// is enforced.
    pub principal: ServicePrincipal,
}

/// An object change that may be notified, as its operation answered it.
pub(crate) enum Change<'a> {
    /// An object written (PutObject, CopyObject, CompleteMultipartUpload):
    /// the event name without `s3:`, e.g. `ObjectCreated:Put`.
    Created { event: &'static str, key: &'a str },
    /// DeleteObject's answer; `asked_version` when it named a version.
    Deleted {
        key: &'a str,
        asked_version: bool,
        output: &'a DeleteObjectOutput,
    },
    /// DeleteObjects's answer: what it deleted.
    DeletedMany(&'a [DeletedObject]),
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
    /// The bucket it is sent for (`aws:SourceArn`) and the bucket's owner
    /// (`aws:SourceAccount`).
    bucket: String,
    owner: String,
}

impl Delivery {
    /// The context of a call to the destination, as `s3.amazonaws.com`
    /// acting for the bucket.
    fn context(
        &self,
        destinations: &Destinations,
        call: (&'static str, &str),
        at: (&str, &str),
    ) -> RequestContext {
        let bucket_arn = format!("arn:aws:s3:::{}", self.bucket);
        destinations.principal.call(call, at, &bucket_arn, &self.owner)
    }
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
    for function in config.lambda_function_configurations.iter().flatten() {
        if event_matches(&function.events, event) && filter_matches(function.filter.as_ref(), key) {
            out.push((
                function.id.clone().unwrap_or_default(),
                function.lambda_function_arn.clone(),
            ));
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
        self.sqs.is_some() || self.sns.is_some() || self.lambda.is_some()
    }

    /// Hands `body` to the queue or topic `arn`, through the destination
    /// service's own SendMessage or Publish, as the destination's owner.
    async fn deliver(&self, delivery: Delivery) -> Result<(), String> {
        let Some((service, region, account, name)) = parse_arn(&delivery.arn) else {
            return Err("The destination ARN is not valid".to_owned());
        };
        let delivered = match (service, &self.sqs, &self.sns) {
            ("sqs", Some(sqs), _) => {
                let ctx = delivery.context(self, ("sqs", "SendMessage"), (account, region));
                let input = SendMessageRequest {
                    // The queue's AWS URL: it names the region too.
                    queue_url: format!("https://sqs.{region}.amazonaws.com/{account}/{name}"),
                    message_body: delivery.body,
                    ..SendMessageRequest::default()
                };
                sqs.send_message(&ctx, input).await.map(|_| ())
            }
            ("sns", _, Some(sns)) => {
                let ctx = delivery.context(self, ("sns", "Publish"), (account, region));
                let input = PublishInput {
                    topic_arn: Some(delivery.arn.clone()),
                    message: delivery.body,
                    subject: Some("Amazon S3 Notification".to_owned()),
                    ..PublishInput::default()
                };
                sns.publish(&ctx, input).await.map(|_| ())
            }
            ("lambda", _, _) => return self.invoke(&delivery, region, account).await,
            ("sqs", None, _) => return Err("The destination queue does not exist".to_owned()),
            ("sns", _, None) => return Err("The destination topic does not exist".to_owned()),
            _ => return Err("The destination is not a queue, topic or function".to_owned()),
        };
        delivered.map_err(|error| match error.status {
            // S3's words when a queue's or topic's policy leaves it out.
            403 => format!(
                "Permissions on the destination {} do not allow S3 to publish notifications from this bucket",
                if service == "sqs" { "queue" } else { "topic" }
            ),
            _ => error.to_string(),
        })
    }

    /// Invokes the function `delivery.arn` asynchronously with the event
    /// (`None` body: a DryRun, which checks the function exists).
    async fn invoke(&self, delivery: &Delivery, region: &str, account: &str) -> Result<(), String> {
        let Some(lambda) = &self.lambda else {
            return Err("The destination function does not exist".to_owned());
        };
        let ctx = delivery.context(self, ("lambda", "Invoke"), (account, region));
        let dry_run = delivery.body.is_empty();
        let input = InvocationRequest {
            function_name: delivery.arn.clone(),
            invocation_type: Some(if dry_run { "DryRun" } else { "Event" }.to_owned()),
            payload: (!dry_run).then(|| delivery.body.clone().into_bytes().into()),
            ..Default::default()
        };
        lambda.invoke(&ctx, input).await.map(|_| ()).map_err(|error| {
            if error.code == "AccessDeniedException" {
                format!("Not authorized to invoke function [{}]", delivery.arn)
            } else {
                error.to_string()
            }
        })
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
        let owner = self.load_bucket(bucket)?.account;
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
            )
            .chain(
                config
                    .lambda_function_configurations
                    .iter()
                    .flatten()
                    .map(|f| f.lambda_function_arn.clone()),
            );
        let mut failed = Vec::new();
        for arn in arns {
            // A function is checked, not sent the test event.
            let body = if arn.starts_with("arn:aws:lambda:") {
                String::new()
            } else {
                json!({
                    "Service": "Amazon S3",
                    "Event": "s3:TestEvent",
                    "Time": iso_millis(self.now()),
                    "Bucket": bucket,
                    "RequestId": ctx.request_id,
                    "HostId": host_id(&ctx.request_id),
                })
                .to_string()
            };
            if let Err(reason) = self
                .destinations
                .deliver(Delivery {
                    arn: arn.clone(),
                    body,
                    bucket: bucket.to_owned(),
                    owner: owner.clone(),
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

    /// After `change` was committed to `bucket`: the events it caused, sent
    /// to every configuration that takes them, on a spawned task.
    pub(crate) fn notify(&self, ctx: &RequestContext, bucket: &str, change: Change<'_>) {
        if !self.destinations.any() {
            return;
        }
        // Most buckets notify nobody: find that out without decoding the whole record.
        let Ok(glance) = self.glance_bucket(bucket) else {
            return;
        };
        let Some(config) = glance.notification.as_ref() else {
            return;
        };
        if config.queue_configurations.as_ref().is_none_or(Vec::is_empty)
            && config.topic_configurations.as_ref().is_none_or(Vec::is_empty)
            && config
                .lambda_function_configurations
                .as_ref()
                .is_none_or(Vec::is_empty)
        {
            return;
        }
        let Ok(record) = self.load_bucket(bucket) else {
            return;
        };
        let mut deliveries = Vec::new();
        for event in self.object_events(bucket, change) {
            let full_name = format!("s3:{}", event.name);
            for (id, arn) in matching(config, &full_name, &event.key) {
                let body = event_json(ctx, &record, &event, &id, iso_millis(self.now()));
                deliveries.push(Delivery {
                    arn,
                    body,
                    bucket: bucket.to_owned(),
                    owner: record.account.clone(),
                });
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

    fn object_events(&self, bucket: &str, change: Change<'_>) -> Vec<ObjectEvent> {
        let sequencer = format!("{:016X}", self.clock.now_epoch_millis().saturating_mul(1_000_000));
        match change {
            Change::Created { event, key } => self.created(bucket, event, key).into_iter().collect(),
            Change::Deleted {
                key,
                asked_version,
                output,
            } => vec![removed(
                key.to_owned(),
                !asked_version && output.delete_marker == Some(true),
                output.version_id.clone(),
                sequencer,
            )],
            Change::DeletedMany(deleted) => deleted
                .iter()
                .filter_map(|deleted| {
                    let key = deleted.key.clone()?;
                    let marker_created = deleted.version_id.is_none() && deleted.delete_marker == Some(true);
                    let version = match marker_created {
                        true => deleted.delete_marker_version_id.clone(),
                        false => deleted.version_id.clone(),
                    };
                    Some(removed(key, marker_created, version, sequencer.clone()))
                })
                .collect(),
        }
    }

    /// The event of the object version now current under `key`.
    fn created(&self, bucket: &str, event: &'static str, key: &str) -> Option<ObjectEvent> {
        let txn = self.store.begin_read().ok()?;
        let table = txn.open(&records::namespace().ok()?).ok()?;
        let object = records::current(&table, bucket, key).ok()??;
        Some(ObjectEvent {
            name: event,
            key: key.to_owned(),
            size: Some(object.size),
            etag: Some(object.etag.trim_matches('"').to_owned()),
            version_id: object.version_id.clone(),
            sequencer: format!("{:016X}", object.sequence),
        })
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
