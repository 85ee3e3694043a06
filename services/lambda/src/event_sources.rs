//! Event source mappings from SQS queues: a poller per enabled mapping
//! long-polls the queue (through SQS's own ReceiveMessage), invokes the
//! function synchronously with a batch in the event Lambda sends
//! (`Records[]` with `eventSource` `aws:sqs`), and deletes the batch when
//! the function succeeds. A failed batch is left to the queue: its messages
//! come back after the visibility timeout and its redrive policy moves a
//! poison message to the dead-letter queue. With ReportBatchItemFailures,
//! only the messages the function names stay.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::*;
use nimbus_sqs_api::{
    DeleteMessageBatchRequest, DeleteMessageBatchRequestEntry, Message, ReceiveMessageRequest, SqsClient,
};
use nimbus_store::Namespace;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};

use crate::Lambda;
use crate::filters::{self, Filters};
use crate::names::{self, FunctionRef};
use crate::sqs_scaling::{self, Scaling};

const PREFIX: &[u8] = b"esm/";

/// One mapping as the store keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MappingRecord {
    pub account: String,
    pub region: String,
    pub function: String,
    pub config: EventSourceMappingConfiguration,
    /// For streams: the last sequence number processed, per shard.
    #[serde(default)]
    pub checkpoints: std::collections::BTreeMap<String, String>,
}

/// The running pollers, by mapping UUID (an SQS mapping runs several).
#[derive(Default)]
pub struct Pollers(Mutex<HashMap<String, Vec<tokio::task::AbortHandle>>>);

impl Pollers {
    pub fn start(&self, uuid: &str, tasks: Vec<tokio::task::JoinHandle<()>>) {
        let handles = tasks.iter().map(tokio::task::JoinHandle::abort_handle).collect();
        if let Ok(mut running) = self.0.lock()
            && let Some(old) = running.insert(uuid.to_owned(), handles)
        {
            old.iter().for_each(tokio::task::AbortHandle::abort);
        }
    }

    /// Adds a poller to a running mapping's (none when it was stopped).
    pub fn add(&self, uuid: &str, task: &tokio::task::JoinHandle<()>) -> bool {
        let Ok(mut running) = self.0.lock() else {
            return false;
        };
        let Some(tasks) = running.get_mut(uuid) else {
            return false;
        };
        tasks.retain(|task| !task.is_finished());
        tasks.push(task.abort_handle());
        true
    }

    /// Stops every poller (a reset of nimbus's state).
    pub fn clear(&self) {
        if let Ok(mut running) = self.0.lock() {
            for (_, tasks) in running.drain() {
                tasks.iter().for_each(tokio::task::AbortHandle::abort);
            }
        }
    }

    fn stop(&self, uuid: &str) {
        if let Ok(mut running) = self.0.lock()
            && let Some(tasks) = running.remove(uuid)
        {
            tasks.iter().for_each(tokio::task::AbortHandle::abort);
        }
    }
}

fn mappings() -> Result<Namespace, AwsError> {
    Namespace::global("lambda").map_err(AwsError::from)
}

fn key(uuid: &str) -> Vec<u8> {
    [PREFIX, uuid.as_bytes()].concat()
}

fn not_found(uuid: &str) -> AwsError {
    errors::resource_not_found(format!(
        "The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: {uuid})"
    ))
    .with_field("Type", "User")
}

/// `arn:aws:sqs:<region>:<account>:<name>` → the queue's URL.
fn queue_url(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "sqs", region, account, name] => {
            Some(format!("https://sqs.{region}.amazonaws.com/{account}/{name}"))
        }
        _ => None,
    }
}

impl Lambda {
    pub(crate) async fn create_event_source_mapping(
        &self,
        ctx: &RequestContext,
        input: CreateEventSourceMappingRequest,
    ) -> Result<EventSourceMappingConfiguration, AwsError> {
        let function = names::parse(ctx, &input.function_name, None)?;
        let record = self.load(ctx, &function).await?;
        let source = input.event_source_arn.clone().unwrap_or_default();
        let stream = crate::stream_sources::is_stream_arn(&source);
        if queue_url(&source).is_none() && !stream {
            return Err(errors::invalid_parameter_value(
                "nimbus maps SQS queues and DynamoDB streams to functions; other event sources are not supported yet",
            ));
        }
        if stream && input.starting_position.is_none() {
            return Err(errors::invalid_parameter_value(
                "StartingPosition is required for DynamoDB Streams event sources.",
            ));
        }
        let batch_size = input.batch_size.unwrap_or(if stream { 100 } else { 10 });
        if !(1..=10_000).contains(&batch_size) {
            return Err(errors::invalid_parameter_value(format!(
                "BatchSize must be between 1 and 10000; got {batch_size}"
            )));
        }
        filters::check(input.filter_criteria.as_ref())?;
        let window = input.maximum_batching_window_in_seconds.unwrap_or(0);
        if !stream && batch_size > 10 && window == 0 {
            return Err(errors::invalid_parameter_value(
                "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
            ));
        }
        let uuid = uuid::Uuid::new_v4().to_string();
        let enabled = input.enabled.unwrap_or(true);
        let config = EventSourceMappingConfiguration {
            uuid: Some(uuid.clone()),
            batch_size: Some(batch_size),
            maximum_batching_window_in_seconds: Some(input.maximum_batching_window_in_seconds.unwrap_or(0)),
            event_source_arn: Some(source),
            function_arn: record.config.function_arn.clone(),
            last_modified: Some(nimbus_core::Timestamp::from_epoch_millis(
                i64::try_from(self.clock.now_epoch_millis()).unwrap_or(i64::MAX),
            )),
            state: Some(if enabled { "Creating" } else { "Disabled" }.to_owned()),
            state_transition_reason: Some("USER_INITIATED".to_owned()),
            function_response_types: input.function_response_types.clone(),
            filter_criteria: input.filter_criteria.clone(),
            scaling_config: input.scaling_config.clone(),
            event_source_mapping_arn: Some(format!(
                "arn:aws:lambda:{}:{}:event-source-mapping:{uuid}",
                ctx.region, ctx.account_id
            )),
            ..Default::default()
        };
        let mut config = config;
        if stream {
            crate::stream_sources::stream_defaults(&mut config, &input);
        }
        let mut stored = MappingRecord {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            function: function.name.clone(),
            config: config.clone(),
            checkpoints: Default::default(),
        };
        if enabled {
            stored.config.state = Some("Enabled".to_owned());
        }
        self.put_mapping(stored.clone()).await?;
        if enabled {
            self.start_poller(stored);
        }
        Ok(config)
    }

    pub(crate) async fn put_mapping(&self, record: MappingRecord) -> Result<(), AwsError> {
        let ns = mappings()?;
        let key = key(record.config.uuid.as_deref().unwrap_or_default());
        self.store
            .put_json(&ns, &key, record)
            .await
            .map_err(AwsError::from)
    }

    async fn all_mappings(&self) -> Result<Vec<MappingRecord>, AwsError> {
        let ns = mappings()?;
        self.store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let mut all = Vec::new();
                for entry in table.scan(PREFIX)? {
                    all.push(entry?.decode::<MappingRecord>()?);
                }
                Ok::<_, AwsError>(all)
            })
            .await
    }

    pub(crate) async fn mapping(&self, ctx: &RequestContext, uuid: &str) -> Result<MappingRecord, AwsError> {
        let ns = mappings()?;
        let key = key(uuid);
        let found: Option<MappingRecord> = self.store.get_json(&ns, &key).await.map_err(AwsError::from)?;
        found
            .filter(|m| m.account == ctx.account_id && m.region == ctx.region)
            .ok_or_else(|| not_found(uuid))
    }

    pub(crate) async fn get_event_source_mapping(
        &self,
        ctx: &RequestContext,
        input: GetEventSourceMappingRequest,
    ) -> Result<EventSourceMappingConfiguration, AwsError> {
        Ok(self.mapping(ctx, &input.uuid).await?.config)
    }

    pub(crate) async fn list_event_source_mappings(
        &self,
        ctx: &RequestContext,
        input: ListEventSourceMappingsRequest,
    ) -> Result<ListEventSourceMappingsResponse, AwsError> {
        let function = match &input.function_name {
            Some(name) => Some(names::parse(ctx, name, None)?.name),
            None => None,
        };
        let listed = self
            .all_mappings()
            .await?
            .into_iter()
            .filter(|m| m.account == ctx.account_id && m.region == ctx.region)
            .filter(|m| function.as_ref().is_none_or(|f| *f == m.function))
            .filter(|m| {
                input
                    .event_source_arn
                    .as_ref()
                    .is_none_or(|arn| m.config.event_source_arn.as_ref() == Some(arn))
            })
            .map(|m| m.config)
            .collect();
        Ok(ListEventSourceMappingsResponse {
            event_source_mappings: Some(listed),
            next_marker: None,
        })
    }

    pub(crate) async fn delete_event_source_mapping(
        &self,
        ctx: &RequestContext,
        input: DeleteEventSourceMappingRequest,
    ) -> Result<EventSourceMappingConfiguration, AwsError> {
        let record = self.mapping(ctx, &input.uuid).await?;
        let ns = mappings()?;
        let key = key(&input.uuid);
        self.store.delete(&ns, &key).await.map_err(AwsError::from)?;
        self.pollers.stop(&input.uuid);
        let mut config = record.config;
        config.state = Some("Deleting".to_owned());
        Ok(config)
    }

    /// Starts the pollers of the enabled mappings a previous run kept.
    pub(crate) async fn resume_mappings(&self) {
        match self.all_mappings().await {
            Ok(all) => {
                for mapping in all
                    .into_iter()
                    .filter(|m| m.config.state.as_deref() == Some("Enabled"))
                {
                    self.start_poller(mapping);
                }
            }
            Err(error) => tracing::error!(%error, "lambda could not read its event source mappings"),
        }
    }

    pub(crate) fn stop_poller(&self, uuid: &str) {
        self.pollers.stop(uuid);
    }

    pub(crate) fn start_poller(&self, mapping: MappingRecord) {
        let source = mapping.config.event_source_arn.as_deref().unwrap_or_default();
        if crate::stream_sources::is_stream_arn(source) {
            return self.start_stream_poller(mapping);
        }
        let Some(sqs) = self.queues.get().cloned() else {
            tracing::warn!("no SQS wired: the event source mapping does not poll");
            return;
        };
        // Batches in flight at once (a FIFO queue still hands out one batch
        // per message group at a time): see sqs_scaling.
        let uuid = mapping.config.uuid.clone().unwrap_or_default();
        let scaling = Scaling::new(&mapping.config);
        let mut tasks: Vec<_> = (0..scaling.first())
            .map(|_| self.spawn_poller(&mapping, &sqs, &scaling))
            .collect();
        let (lambda, scaled) = (self.clone(), mapping.clone());
        tasks.push(tokio::spawn(
            async move { lambda.scale(scaled, sqs, scaling).await },
        ));
        self.pollers.start(&uuid, tasks);
    }

    fn spawn_poller(
        &self,
        mapping: &MappingRecord,
        sqs: &SqsClient,
        scaling: &Arc<Scaling>,
    ) -> tokio::task::JoinHandle<()> {
        let (lambda, mapping, sqs, scaling) =
            (self.clone(), mapping.clone(), sqs.clone(), Arc::clone(scaling));
        tokio::spawn(async move { lambda.poll(mapping, sqs, scaling).await })
    }

    /// Looks at the queue's depth every second and adds pollers while
    /// messages wait.
    async fn scale(&self, mapping: MappingRecord, sqs: SqsClient, scaling: Arc<Scaling>) {
        let arn = mapping.config.event_source_arn.clone().unwrap_or_default();
        let parts: Vec<&str> = arn.split(':').collect();
        let (Some(url), ["arn", _, "sqs", region, account, _]) = (queue_url(&arn), parts.as_slice()) else {
            return;
        };
        let ctx = RequestContext::internal("sqs", "GetQueueAttributes", account, region);
        let uuid = mapping.config.uuid.clone().unwrap_or_default();
        loop {
            self.clock.sleep(sqs_scaling::LOOK_EVERY).await;
            let added = scaling.grow(sqs_scaling::waiting(&sqs, &ctx, &url).await);
            for _ in 0..added {
                let task = self.spawn_poller(&mapping, &sqs, &scaling);
                if !self.pollers.add(&uuid, &task) {
                    task.abort();
                    return;
                }
            }
        }
    }

    /// Receives batches and hands them to the function, until deleted (or,
    /// beyond the first pollers, until the queue is empty).
    async fn poll(&self, mapping: MappingRecord, sqs: SqsClient, scaling: Arc<Scaling>) {
        let arn = mapping.config.event_source_arn.clone().unwrap_or_default();
        let parts: Vec<&str> = arn.split(':').collect();
        let (Some(url), ["arn", _, "sqs", region, account, _]) = (queue_url(&arn), parts.as_slice()) else {
            return;
        };
        let sqs_ctx = RequestContext::internal("sqs", "ReceiveMessage", account, region);
        let lambda_ctx = RequestContext::internal("lambda", "Invoke", &mapping.account, &mapping.region);
        let batch_size = usize::try_from(mapping.config.batch_size.unwrap_or(10)).unwrap_or(10);
        let window =
            u64::try_from(mapping.config.maximum_batching_window_in_seconds.unwrap_or(0)).unwrap_or(0);
        let report_failures = mapping
            .config
            .function_response_types
            .as_ref()
            .is_some_and(|types| types.iter().any(|t| t == "ReportBatchItemFailures"));
        let filters = Filters::of(mapping.config.filter_criteria.as_ref());
        loop {
            let Some(first) = receive(&sqs, &sqs_ctx, &url, batch_size, 20).await else {
                // The queue is gone or not there yet: look again later.
                self.clock.sleep(Duration::from_secs(1)).await;
                continue;
            };
            if first.is_empty() {
                if scaling.may_leave() {
                    return;
                }
                continue;
            }
            let messages = self
                .gather(
                    &sqs,
                    &sqs_ctx,
                    &url,
                    first,
                    batch_size,
                    Duration::from_secs(window),
                )
                .await;
            // Messages no filter matches are deleted unseen.
            let (kept, dropped): (Vec<Message>, Vec<Message>) = messages
                .into_iter()
                .partition(|m| filters.keep(&filters::sqs_view(sqs_record(m, &arn, region))));
            let failed = match kept.is_empty() {
                true => Some(Vec::new()),
                false => {
                    self.deliver_batch(&lambda_ctx, &mapping, &arn, &kept, report_failures)
                        .await
                }
            };
            let delivered = kept.iter().filter(|m| {
                failed
                    .as_ref()
                    .is_some_and(|f| !f.iter().any(|id| Some(id.as_str()) == m.message_id.as_deref()))
            });
            let done: Vec<DeleteMessageBatchRequestEntry> = delivered
                .chain(dropped.iter())
                .enumerate()
                .map(|(i, m)| DeleteMessageBatchRequestEntry {
                    id: i.to_string(),
                    receipt_handle: m.receipt_handle.clone().unwrap_or_default(),
                })
                .collect();
            // DeleteMessageBatch takes ten at a time.
            for entries in done.chunks(10) {
                let input = DeleteMessageBatchRequest {
                    queue_url: url.clone(),
                    entries: entries.to_vec(),
                };
                let _ = sqs.delete_message_batch(&sqs_ctx, input).await;
            }
        }
    }

    /// With a batching window, receives more until the batch is full or the
    /// window (on the nimbus clock) has passed since the first message.
    async fn gather(
        &self,
        sqs: &SqsClient,
        ctx: &RequestContext,
        url: &str,
        mut messages: Vec<Message>,
        batch_size: usize,
        window: Duration,
    ) -> Vec<Message> {
        let deadline = self.clock.now() + window;
        while messages.len() < batch_size {
            let left = deadline.duration_since(self.clock.now()).unwrap_or_default();
            if left.is_zero() {
                break;
            }
            let wait = i32::try_from(left.as_secs().clamp(1, 20)).unwrap_or(1);
            match receive(sqs, ctx, url, batch_size - messages.len(), wait).await {
                Some(more) => messages.extend(more),
                None => break,
            }
        }
        messages
    }

    /// Invokes the function with a batch; the ids of the messages that
    /// failed (`None`: the whole batch failed).
    async fn deliver_batch(
        &self,
        ctx: &RequestContext,
        mapping: &MappingRecord,
        arn: &str,
        messages: &[Message],
        report_failures: bool,
    ) -> Option<Vec<String>> {
        let function = FunctionRef {
            name: mapping.function.clone(),
            qualifier: None,
        };
        let record = self.load(ctx, &function).await.ok()?;
        let event = sqs_event(messages, arn, &mapping.region);
        let input = InvocationRequest {
            function_name: mapping.function.clone(),
            ..Default::default()
        };
        let response = self
            .invoke_now(
                ctx,
                &record,
                event.into_bytes().into(),
                &input,
                &uuid::Uuid::new_v4().to_string(),
            )
            .await
            .ok()?;
        if response.function_error.is_some() {
            return None;
        }
        if !report_failures {
            return Some(Vec::new());
        }
        let answer: Json =
            serde_json::from_slice(response.payload.as_deref().unwrap_or_default()).unwrap_or(Json::Null);
        Some(
            answer["batchItemFailures"]
                .as_array()
                .map(|failures| {
                    failures
                        .iter()
                        .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        )
    }
}

/// One ReceiveMessage of up to `wanted` (ten at most) messages; `None`
/// when the queue cannot be read.
async fn receive(
    sqs: &SqsClient,
    ctx: &RequestContext,
    url: &str,
    wanted: usize,
    wait: i32,
) -> Option<Vec<Message>> {
    let input = ReceiveMessageRequest {
        queue_url: url.to_owned(),
        max_number_of_messages: Some(i32::try_from(wanted.clamp(1, 10)).unwrap_or(10)),
        wait_time_seconds: Some(wait),
        message_system_attribute_names: Some(vec!["All".to_owned()]),
        message_attribute_names: Some(vec!["All".to_owned()]),
        ..Default::default()
    };
    sqs.receive_message(ctx, input)
        .await
        .ok()
        .map(|result| result.messages.unwrap_or_default())
}

/// The event Lambda sends for a batch of SQS messages.
fn sqs_event(messages: &[Message], arn: &str, region: &str) -> String {
    let records: Vec<Json> = messages.iter().map(|m| sqs_record(m, arn, region)).collect();
    json!({ "Records": records }).to_string()
}

/// One message as the event's record.
fn sqs_record(m: &Message, arn: &str, region: &str) -> Json {
    let attributes: Map<String, Json> = m
        .message_attributes
        .iter()
        .flatten()
        .map(|(name, value)| {
            let mut attribute = Map::new();
            if let Some(text) = &value.string_value {
                attribute.insert("stringValue".into(), json!(text));
            }
            if let Some(bytes) = &value.binary_value {
                attribute.insert("binaryValue".into(), json!(BASE64.encode(bytes)));
            }
            attribute.insert("stringListValues".into(), json!([]));
            attribute.insert("binaryListValues".into(), json!([]));
            attribute.insert("dataType".into(), json!(value.data_type));
            (name.clone(), Json::Object(attribute))
        })
        .collect();
    json!({
        "messageId": m.message_id,
        "receiptHandle": m.receipt_handle,
        "body": m.body,
        "attributes": m.attributes.clone().unwrap_or_default(),
        "messageAttributes": attributes,
        "md5OfBody": m.md5_of_body,
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": region,
    })
}
