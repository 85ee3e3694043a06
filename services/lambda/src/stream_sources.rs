//! Event source mappings from DynamoDB Streams: a poller per enabled
//! mapping reads each shard of the stream in order (through DynamoDB
//! Streams' own GetShardIterator and GetRecords), invokes the function with
//! a batch in the event Lambda sends (`Records[]` with `eventSource`
//! `aws:dynamodb`), and remembers in the store how far it got, so a restart
//! goes on from there. A failing batch is retried (halved first with
//! BisectBatchOnFunctionError) up to MaximumRetryAttempts, or until its
//! oldest record is past MaximumRecordAgeInSeconds, then described to the
//! OnFailure destination and passed over; until then the shard waits, as
//! Lambda keeps a shard's order.

use std::time::Duration;

use nimbus_core::RequestContext;
use nimbus_dynamodbstreams_api::{
    DescribeStreamInput, DynamoDbStreamsClient, GetRecordsInput, GetShardIteratorInput, Record,
};
use nimbus_lambda_api::*;
use serde_json::{Value as Json, json};

use crate::Lambda;
use crate::event_sources::MappingRecord;
use crate::names::FunctionRef;

/// How long a poller waits when no shard had anything new.
const IDLE: Duration = Duration::from_millis(250);
/// How long it waits before retrying a failed batch.
const RETRY_DELAY: Duration = Duration::from_secs(1);

/// Whether `arn` names a DynamoDB stream (`arn:aws:dynamodb:...:table/T/stream/L`).
pub fn is_stream_arn(arn: &str) -> bool {
    arn.starts_with("arn:aws:dynamodb:") && arn.contains("/stream/")
}

/// A mapping's settings for a stream, as Lambda defaults them.
pub fn stream_defaults(
    config: &mut EventSourceMappingConfiguration,
    input: &CreateEventSourceMappingRequest,
) {
    config.starting_position = input.starting_position.clone();
    config.maximum_retry_attempts = Some(input.maximum_retry_attempts.unwrap_or(-1));
    config.maximum_record_age_in_seconds = Some(input.maximum_record_age_in_seconds.unwrap_or(-1));
    config.bisect_batch_on_function_error = Some(input.bisect_batch_on_function_error.unwrap_or(false));
    config.parallelization_factor = Some(input.parallelization_factor.unwrap_or(1));
    config.destination_config = Some(input.destination_config.clone().unwrap_or(DestinationConfig {
        on_failure: Some(OnFailure::default()),
        on_success: None,
    }));
    config.last_processing_result = Some("No records processed".to_owned());
}

/// Whether a batch's oldest record is past MaximumRecordAgeInSeconds
/// (`-1`: records never age out) at `now_millis`.
fn too_old(batch: &[Record], max_age: i32, now_millis: u64) -> bool {
    let Ok(max_age) = u64::try_from(max_age) else {
        return false;
    };
    let created = batch
        .iter()
        .filter_map(|r| r.dynamodb.as_ref()?.approximate_creation_date_time.as_ref())
        .map(|at| u64::try_from(at.as_epoch_millis()).unwrap_or(0))
        .min();
    created.is_some_and(|created| now_millis.saturating_sub(created) > max_age * 1000)
}

/// The record Lambda's event carries for one stream record.
fn event_record(record: &Record, stream_arn: &str) -> Json {
    let mut dynamodb = serde_json::Map::new();
    if let Some(change) = &record.dynamodb {
        if let Some(at) = &change.approximate_creation_date_time {
            dynamodb.insert(
                "ApproximateCreationDateTime".into(),
                json!(at.as_epoch_seconds_f64().floor()),
            );
        }
        for (name, image) in [
            ("Keys", &change.keys),
            ("NewImage", &change.new_image),
            ("OldImage", &change.old_image),
        ] {
            if let Some(image) = image {
                dynamodb.insert(name.into(), serde_json::to_value(image).unwrap_or(Json::Null));
            }
        }
        dynamodb.insert("SequenceNumber".into(), json!(change.sequence_number));
        dynamodb.insert("SizeBytes".into(), json!(change.size_bytes));
        dynamodb.insert("StreamViewType".into(), json!(change.stream_view_type));
    }
    json!({
        "eventID": record.event_id,
        "eventName": record.event_name,
        "eventVersion": record.event_version,
        "eventSource": "aws:dynamodb",
        "awsRegion": record.aws_region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    })
}

fn sequence_of(record: &Record) -> String {
    record
        .dynamodb
        .as_ref()
        .and_then(|d| d.sequence_number.clone())
        .unwrap_or_default()
}

/// How one batch ended.
enum Outcome {
    Done,
    /// The function reported these records (by sequence number) failed.
    Partial(String),
    Failed,
}

impl Lambda {
    pub(crate) fn start_stream_poller(&self, mapping: MappingRecord) {
        let Some(streams) = self.streams.get().cloned() else {
            tracing::warn!("no DynamoDB Streams wired: the event source mapping does not poll");
            return;
        };
        let uuid = mapping.config.uuid.clone().unwrap_or_default();
        let lambda = self.clone();
        let task = tokio::spawn(async move { lambda.poll_stream(mapping, streams).await });
        self.pollers.start(&uuid, vec![task]);
    }

    /// Reads every shard, batch after batch, until the mapping is deleted.
    async fn poll_stream(&self, mut mapping: MappingRecord, streams: DynamoDbStreamsClient) {
        let arn = mapping.config.event_source_arn.clone().unwrap_or_default();
        let parts: Vec<&str> = arn.split(':').collect();
        let (Some(region), Some(account)) = (parts.get(3), parts.get(4)) else {
            return;
        };
        let ctx = RequestContext::internal("dynamodb", "GetRecords", account, region);
        let mut iterators: std::collections::HashMap<String, Option<String>> = Default::default();
        loop {
            let described = streams
                .describe_stream(
                    &ctx,
                    DescribeStreamInput {
                        stream_arn: arn.clone(),
                        ..Default::default()
                    },
                )
                .await;
            let shards = described
                .ok()
                .and_then(|d| d.stream_description?.shards)
                .unwrap_or_default();
            let mut progressed = false;
            for shard in shards.iter().filter_map(|s| s.shard_id.clone()) {
                let iterator = match iterators.get(&shard) {
                    Some(Some(iterator)) => iterator.clone(),
                    Some(None) => continue,
                    None => match self.shard_iterator(&streams, &ctx, &mapping, &arn, &shard).await {
                        Some(iterator) => iterator,
                        None => continue,
                    },
                };
                let read = streams
                    .get_records(
                        &ctx,
                        GetRecordsInput {
                            shard_iterator: iterator.clone(),
                            limit: Some(mapping.config.batch_size.unwrap_or(100).clamp(1, 1000)),
                        },
                    )
                    .await;
                let Ok(read) = read else {
                    iterators.remove(&shard);
                    continue;
                };
                let records = read.records.unwrap_or_default();
                if records.is_empty() {
                    iterators.insert(shard, read.next_shard_iterator);
                    continue;
                }
                progressed = true;
                match self.process(&mut mapping, &arn, &shard, &records).await {
                    true => {
                        iterators.insert(shard, read.next_shard_iterator);
                    }
                    // Retried from the checkpoint next time round.
                    false => {
                        iterators.remove(&shard);
                    }
                }
            }
            if !progressed {
                self.clock.sleep(IDLE).await;
            }
        }
    }

    /// Where a shard is read from: after the checkpoint, else the mapping's
    /// starting position.
    async fn shard_iterator(
        &self,
        streams: &DynamoDbStreamsClient,
        ctx: &RequestContext,
        mapping: &MappingRecord,
        arn: &str,
        shard: &str,
    ) -> Option<String> {
        let checkpoint = mapping.checkpoints.get(shard).cloned();
        let kind = match (&checkpoint, mapping.config.starting_position.as_deref()) {
            (Some(_), _) => "AFTER_SEQUENCE_NUMBER",
            (None, Some("LATEST")) => "LATEST",
            (None, _) => "TRIM_HORIZON",
        };
        let input = GetShardIteratorInput {
            stream_arn: arn.to_owned(),
            shard_id: shard.to_owned(),
            shard_iterator_type: kind.to_owned(),
            sequence_number: checkpoint,
        };
        streams.get_shard_iterator(ctx, input).await.ok()?.shard_iterator
    }

    /// Delivers a batch with Lambda's retries; true when the shard may go
    /// on past it (delivered, or given up on).
    async fn process(&self, mapping: &mut MappingRecord, arn: &str, shard: &str, records: &[Record]) -> bool {
        let retries = mapping.config.maximum_retry_attempts.unwrap_or(-1);
        let max_age = mapping.config.maximum_record_age_in_seconds.unwrap_or(-1);
        let bisect = mapping.config.bisect_batch_on_function_error.unwrap_or(false);
        let mut pending: Vec<&[Record]> = vec![records];
        while let Some(batch) = pending.pop() {
            let mut attempts = 0_i32;
            loop {
                if too_old(batch, max_age, self.clock.now_epoch_millis()) {
                    self.report_stream_failure(mapping, (arn, shard), batch, (attempts, "RecordAgeExceeded"))
                        .await;
                    break;
                }
                attempts += 1;
                match self.deliver_stream_batch(mapping, arn, batch).await {
                    Outcome::Done => break,
                    Outcome::Partial(first_failed) => {
                        let at = batch
                            .iter()
                            .position(|r| sequence_of(r) == first_failed)
                            .unwrap_or(0);
                        if at > 0 {
                            self.checkpoint(mapping, shard, &batch[at - 1]).await;
                        }
                        return false;
                    }
                    Outcome::Failed if bisect && batch.len() > 1 => {
                        let (first, second) = batch.split_at(batch.len() / 2);
                        pending.push(second);
                        pending.push(first);
                        break;
                    }
                    Outcome::Failed if retries >= 0 && attempts > retries => {
                        self.report_stream_failure(
                            mapping,
                            (arn, shard),
                            batch,
                            (attempts, "RetryAttemptsExhausted"),
                        )
                        .await;
                        break;
                    }
                    Outcome::Failed => self.clock.sleep(RETRY_DELAY).await,
                }
            }
            if let Some(last) = batch.last() {
                self.checkpoint(mapping, shard, last).await;
            }
        }
        true
    }

    async fn checkpoint(&self, mapping: &mut MappingRecord, shard: &str, last: &Record) {
        mapping.checkpoints.insert(shard.to_owned(), sequence_of(last));
        mapping.config.last_processing_result = Some("OK".to_owned());
        if let Err(error) = self.put_mapping(mapping.clone()).await {
            tracing::warn!(%error, "lambda could not keep how far a stream mapping got");
        }
    }

    async fn deliver_stream_batch(&self, mapping: &MappingRecord, arn: &str, batch: &[Record]) -> Outcome {
        let ctx = RequestContext::internal("lambda", "Invoke", &mapping.account, &mapping.region);
        let function = FunctionRef {
            name: mapping.function.clone(),
            qualifier: None,
        };
        let Ok(record) = self.load(&ctx, &function).await else {
            return Outcome::Failed;
        };
        // Records no filter matches are passed over.
        let filters = crate::filters::Filters::of(mapping.config.filter_criteria.as_ref());
        let records: Vec<Json> = batch
            .iter()
            .map(|r| event_record(r, arn))
            .filter(|record| filters.keep(record))
            .collect();
        if records.is_empty() {
            return Outcome::Done;
        }
        let event = json!({ "Records": records }).to_string();
        let input = InvocationRequest {
            function_name: mapping.function.clone(),
            ..Default::default()
        };
        let request_id = uuid::Uuid::new_v4().to_string();
        let Ok(response) = self
            .invoke_now(&ctx, &record, event.into_bytes().into(), &input, &request_id)
            .await
        else {
            return Outcome::Failed;
        };
        if response.function_error.is_some() {
            return Outcome::Failed;
        }
        let reports = mapping
            .config
            .function_response_types
            .as_ref()
            .is_some_and(|t| t.iter().any(|t| t == "ReportBatchItemFailures"));
        let answer: Json =
            serde_json::from_slice(response.payload.as_deref().unwrap_or_default()).unwrap_or(Json::Null);
        let first_failed = answer["batchItemFailures"]
            .as_array()
            .and_then(|failures| failures.first())
            .and_then(|f| f["itemIdentifier"].as_str());
        match (reports, first_failed) {
            (true, Some(sequence)) => Outcome::Partial(sequence.to_owned()),
            _ => Outcome::Done,
        }
    }

    /// Describes a batch given up on to the mapping's OnFailure destination.
    async fn report_stream_failure(
        &self,
        mapping: &MappingRecord,
        (arn, shard): (&str, &str),
        batch: &[Record],
        (attempts, condition): (i32, &str),
    ) {
        let destination = mapping
            .config
            .destination_config
            .as_ref()
            .and_then(|d| d.on_failure.as_ref()?.destination.clone());
        let Some(destination) = destination else {
            tracing::warn!(
                mapping = mapping.config.uuid,
                "a stream batch failed for good and was passed over"
            );
            return;
        };
        let arrival = |record: Option<&Record>| {
            record
                .and_then(|r| r.dynamodb.as_ref()?.approximate_creation_date_time.as_ref())
                .map(|t| {
                    let millis = u64::try_from(t.as_epoch_millis()).unwrap_or(0);
                    crate::destinations::timestamp(std::time::UNIX_EPOCH + Duration::from_millis(millis))
                })
        };
        let description = json!({
            "requestContext": {
                "requestId": uuid::Uuid::new_v4().to_string(),
                "functionArn": mapping.config.function_arn,
                "condition": condition,
                "approximateInvokeCount": attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "version": "1.0",
            "timestamp": crate::destinations::timestamp(self.clock.now()),
            "DDBStreamBatchInfo": {
                "shardId": shard,
                "startSequenceNumber": batch.first().map(sequence_of),
                "endSequenceNumber": batch.last().map(sequence_of),
                "approximateArrivalOfFirstRecord": arrival(batch.first()),
                "approximateArrivalOfLastRecord": arrival(batch.last()),
                "batchSize": batch.len(),
                "streamArn": arn,
            },
        });
        self.send_to_destination(&destination, description.to_string())
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_core::Timestamp;
    use nimbus_dynamodbstreams_api::StreamRecord;

    fn written_at(seconds: i64) -> Record {
        Record {
            dynamodb: Some(StreamRecord {
                approximate_creation_date_time: Some(Timestamp::from_epoch_millis(seconds * 1000)),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_batch_ages_out_by_its_oldest_record_and_never_without_a_limit() {
        let batch = [written_at(1_000), written_at(1_030)];
        assert!(!too_old(&batch, 60, 1_060_000));
        assert!(too_old(&batch, 60, 1_060_001));
        assert!(!too_old(&batch, -1, 9_999_999_000));
        assert!(!too_old(&[], 60, 9_999_999_000));
    }
}
