//! The DynamoDB Streams API (model `dynamodbstreams`): ListStreams,
//! DescribeStream, GetShardIterator and GetRecords over the records the
//! DynamoDB service keeps (see the parent module).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use nimbus_core::{AwsError, RequestContext, Timestamp};
use nimbus_dynamodbstreams_api::errors::{resource_not_found, validation};
use nimbus_dynamodbstreams_api::*;
use nimbus_store::Store;

use super::{ChangeRecord, MAX_RECORDS, decode_record, record_key, records_prefix, sequence_key};
use crate::schema::TableMeta;
use crate::storage::{self, load_table, table_key};

fn stream_arn(meta: &TableMeta) -> Option<String> {
    meta.stream_label
        .as_ref()
        .map(|label| format!("{}/stream/{label}", meta.arn))
}

fn shard_id(meta: &TableMeta) -> String {
    let id: String = meta.id.chars().filter(char::is_ascii_hexdigit).take(8).collect();
    format!("shardId-{:020}-{id}", meta.created_millis)
}

fn stream_not_found(arn: &str) -> AwsError {
    resource_not_found(format!("Requested resource not found: Stream: {arn} not found"))
}

/// `arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>` → (name, label).
fn parse_stream_arn(arn: &str) -> Result<(String, String), AwsError> {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
    let parts: Vec<&str> = resource.split('/').collect();
    match parts[..] {
        ["table", name, "stream", label] if arn.starts_with("arn:") => {
            Ok((name.to_owned(), label.to_owned()))
        }
        _ => Err(validation(format!("Invalid StreamArn: {arn}"))),
    }
}

/// What a shard iterator carries: the stream, and the next sequence to read.
fn encode_iterator(arn: &str, next: u64) -> String {
    BASE64.encode(format!("{arn}|{next}"))
}

fn decode_iterator(iterator: &str) -> Result<(String, u64), AwsError> {
    let invalid = || validation("Invalid ShardIterator");
    let text = BASE64.decode(iterator).map_err(|_| invalid())?;
    let text = String::from_utf8(text).map_err(|_| invalid())?;
    let (arn, next) = text.rsplit_once('|').ok_or_else(invalid)?;
    Ok((arn.to_owned(), next.parse().map_err(|_| invalid())?))
}

/// The DynamoDB Streams service, reading what the DynamoDB service records.
pub struct DynamoDbStreams {
    store: Arc<Store>,
}

impl DynamoDbStreams {
    pub fn new(store: Arc<Store>) -> Self {
        DynamoDbStreams { store }
    }

    /// The table behind a stream ARN, if that stream is its current one.
    async fn stream_table(&self, ctx: &RequestContext, arn: &str) -> Result<TableMeta, AwsError> {
        let (name, label) = parse_stream_arn(arn)?;
        let ns = storage::namespace(ctx)?;
        let meta = self
            .store
            .read(move |txn| load_table(&txn.open(&ns)?, &name))
            .await?;
        match meta {
            Some(meta) if meta.stream_label.as_deref() == Some(label.as_str()) => Ok(meta),
            _ => Err(stream_not_found(arn)),
        }
    }

    /// Tables with a stream, from the named one or after the start ARN's;
    /// one more than `limit` tells that there are more.
    async fn streamed_tables(
        &self,
        ctx: &RequestContext,
        only: Option<String>,
        after: Option<Vec<u8>>,
        limit: usize,
    ) -> Result<Vec<TableMeta>, AwsError> {
        let ns = storage::namespace(ctx)?;
        self.store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let mut metas = Vec::new();
                let entries = match &only {
                    Some(name) => table.scan(&table_key(name))?,
                    None => table.scan_after(b"t/", after.as_deref())?,
                };
                for entry in entries {
                    let meta: TableMeta = entry?.decode()?;
                    if only.as_ref().is_some_and(|n| *n != meta.name) {
                        continue;
                    }
                    if meta.stream_label.is_some() {
                        metas.push(meta);
                    }
                    if metas.len() > limit {
                        break;
                    }
                }
                Ok::<_, AwsError>(metas)
            })
            .await
    }

    async fn list_streams(
        &self,
        ctx: &RequestContext,
        input: ListStreamsInput,
    ) -> Result<ListStreamsOutput, AwsError> {
        let limit = input.limit.unwrap_or(100).clamp(1, 100) as usize;
        let after = input
            .exclusive_start_stream_arn
            .as_deref()
            .and_then(|arn| parse_stream_arn(arn).ok())
            .map(|(name, _)| table_key(&name));
        let metas = self.streamed_tables(ctx, input.table_name, after, limit).await?;
        let more = metas.len() > limit;
        let streams = metas
            .iter()
            .take(limit)
            .map(|meta| Stream {
                stream_arn: stream_arn(meta),
                table_name: Some(meta.name.clone()),
                stream_label: meta.stream_label.clone(),
            })
            .collect();
        let last = if more {
            metas.get(limit - 1).and_then(stream_arn)
        } else {
            None
        };
        Ok(ListStreamsOutput {
            streams: Some(streams),
            last_evaluated_stream_arn: last,
        })
    }

    async fn describe_stream(
        &self,
        ctx: &RequestContext,
        input: DescribeStreamInput,
    ) -> Result<DescribeStreamOutput, AwsError> {
        let meta = self.stream_table(ctx, &input.stream_arn).await?;
        let key_schema = meta
            .primary_keys()
            .iter()
            .enumerate()
            .map(|(i, key)| KeySchemaElement {
                attribute_name: key.name.clone(),
                key_type: if i == 0 { "HASH" } else { "RANGE" }.to_owned(),
            })
            .collect();
        let shard = Shard {
            shard_id: Some(shard_id(&meta)),
            sequence_number_range: Some(SequenceNumberRange {
                starting_sequence_number: Some(format!("{:021}", 1)),
                ending_sequence_number: None,
            }),
            parent_shard_id: None,
        };
        Ok(DescribeStreamOutput {
            stream_description: Some(StreamDescription {
                stream_arn: Some(input.stream_arn),
                stream_label: meta.stream_label.clone(),
                stream_status: Some("ENABLED".to_owned()),
                stream_view_type: meta.stream_view_type.clone(),
                creation_request_date_time: Some(Timestamp::from_epoch_millis(meta.created_millis)),
                table_name: Some(meta.name.clone()),
                key_schema: Some(key_schema),
                shards: Some(vec![shard]),
                last_evaluated_shard_id: None,
            }),
        })
    }

    async fn get_shard_iterator(
        &self,
        ctx: &RequestContext,
        input: GetShardIteratorInput,
    ) -> Result<GetShardIteratorOutput, AwsError> {
        let meta = self.stream_table(ctx, &input.stream_arn).await?;
        if input.shard_id != shard_id(&meta) {
            return Err(resource_not_found(
                "Requested resource not found: Shard does not exist",
            ));
        }
        let sequence = || -> Result<u64, AwsError> {
            input
                .sequence_number
                .as_deref()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| validation("A sequence number is required for the AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER iterator types"))
        };
        let next = match input.shard_iterator_type.as_str() {
            "TRIM_HORIZON" => 1,
            "AT_SEQUENCE_NUMBER" => sequence()?,
            "AFTER_SEQUENCE_NUMBER" => sequence()? + 1,
            _ => self.last_sequence(ctx, &meta.name).await? + 1,
        };
        Ok(GetShardIteratorOutput {
            shard_iterator: Some(encode_iterator(&input.stream_arn, next)),
        })
    }

    /// The sequence number of the table's last record (0 for none).
    async fn last_sequence(&self, ctx: &RequestContext, table: &str) -> Result<u64, AwsError> {
        let ns = storage::namespace(ctx)?;
        let name = table.to_owned();
        let last = self
            .store
            .read(move |txn| Ok::<_, AwsError>(txn.open(&ns)?.get(&sequence_key(&name))?))
            .await?;
        Ok(match last {
            Some(bytes) if bytes.len() == 8 => {
                let mut raw = [0u8; 8];
                raw.copy_from_slice(&bytes);
                u64::from_be_bytes(raw)
            }
            _ => 0,
        })
    }

    async fn get_records(
        &self,
        ctx: &RequestContext,
        input: GetRecordsInput,
    ) -> Result<GetRecordsOutput, AwsError> {
        let (arn, next) = decode_iterator(&input.shard_iterator)?;
        let limit = input
            .limit
            .unwrap_or(MAX_RECORDS as i32)
            .clamp(1, MAX_RECORDS as i32) as usize;
        let meta = self.stream_table(ctx, &arn).await?;
        let ns = storage::namespace(ctx)?;
        let name = meta.name.clone();
        let records = self
            .store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                // Records after `next - 1`, i.e. from `next` on.
                let after = (next > 1).then(|| record_key(&name, next - 1));
                let mut records = Vec::new();
                for entry in table
                    .scan_after(&records_prefix(&name), after.as_deref())?
                    .take(limit)
                {
                    records.push(decode_record(&entry?.value)?);
                }
                Ok::<_, AwsError>(records)
            })
            .await?;
        let following = records.last().map_or(next, |r| r.sequence + 1);
        Ok(GetRecordsOutput {
            records: Some(records.into_iter().map(|r| render(r, &ctx.region)).collect()),
            next_shard_iterator: Some(encode_iterator(&arn, following)),
        })
    }
}

fn render(record: ChangeRecord, region: &str) -> Record {
    let identity = record.by_ttl.then(|| Identity {
        principal_id: Some("dynamodb.amazonaws.com".to_owned()),
        r#type: Some("Service".to_owned()),
    });
    Record {
        event_id: Some(record.event_id),
        event_name: Some(record.event_name),
        event_version: Some("1.1".to_owned()),
        event_source: Some("aws:dynamodb".to_owned()),
        aws_region: Some(region.to_owned()),
        dynamodb: Some(StreamRecord {
            approximate_creation_date_time: Some(Timestamp::from_epoch_millis(
                (record.at_millis / 1000 * 1000) as i64,
            )),
            keys: Some(record.keys),
            new_image: record.new_image,
            old_image: record.old_image,
            sequence_number: Some(format!("{:021}", record.sequence)),
            size_bytes: Some(record.size as i64),
            stream_view_type: Some(record.view_type),
        }),
        user_identity: identity,
    }
}

/// The operations, served by the handlers above.
impl DynamoDbStreamsApi for DynamoDbStreams {
    async fn describe_stream(
        &self,
        ctx: &RequestContext,
        input: DescribeStreamInput,
    ) -> Result<DescribeStreamOutput, AwsError> {
        DynamoDbStreams::describe_stream(self, ctx, input).await
    }

    async fn get_records(
        &self,
        ctx: &RequestContext,
        input: GetRecordsInput,
    ) -> Result<GetRecordsOutput, AwsError> {
        DynamoDbStreams::get_records(self, ctx, input).await
    }

    async fn get_shard_iterator(
        &self,
        ctx: &RequestContext,
        input: GetShardIteratorInput,
    ) -> Result<GetShardIteratorOutput, AwsError> {
        DynamoDbStreams::get_shard_iterator(self, ctx, input).await
    }

    async fn list_streams(
        &self,
        ctx: &RequestContext,
        input: ListStreamsInput,
    ) -> Result<ListStreamsOutput, AwsError> {
        DynamoDbStreams::list_streams(self, ctx, input).await
    }
}
