//! DynamoDB Streams: every item change of a table with a stream enabled is
//! recorded in the same store transaction as the change, in order, and the
//! DynamoDB Streams API (ListStreams, DescribeStream, GetShardIterator,
//! GetRecords) reads them back.
//!
//! Records live at `s/<table>\0<sequence number, 21 digits>`, the last
//! sequence number at `q/<table>`. A stream has one shard that stays open.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use nimbus_core::{AwsError, BoxFuture, RequestContext, Service, Timestamp, Value};
use nimbus_store::{Store, TableMut};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::attribute::{Item, item_size, item_to_value};
use crate::error::validation;
use crate::request::{output, required_string, string};
use crate::schema::TableMeta;
use crate::storage::{self, key_of, load_table, table_key};

/// Most records one GetRecords answers.
const MAX_RECORDS: usize = 1000;
/// How long records are kept, as on AWS.
const RETENTION_MILLIS: u64 = 24 * 3600 * 1000;
/// Old records dropped per write at most (amortised trimming).
const TRIM_BATCH: usize = 8;

/// Who made a change and when: a client, or the TTL reaper.
pub struct Change {
    at_millis: u64,
    by_ttl: bool,
}

impl Change {
    pub fn by_user(at_millis: u64) -> Change {
        Change {
            at_millis,
            by_ttl: false,
        }
    }

    pub fn by_ttl(at_millis: u64) -> Change {
        Change {
            at_millis,
            by_ttl: true,
        }
    }
}

/// One stored stream record.
#[derive(Serialize, Deserialize)]
struct ChangeRecord {
    event_id: String,
    /// INSERT, MODIFY or REMOVE.
    event_name: String,
    sequence: u64,
    at_millis: u64,
    keys: Item,
    new_image: Option<Item>,
    old_image: Option<Item>,
    size: usize,
    view_type: String,
    by_ttl: bool,
}

fn records_prefix(table: &str) -> Vec<u8> {
    format!("s/{table}\0").into_bytes()
}

fn record_key(table: &str, sequence: u64) -> Vec<u8> {
    let mut key = records_prefix(table);
    key.extend_from_slice(format!("{sequence:021}").as_bytes());
    key
}

fn sequence_key(table: &str) -> Vec<u8> {
    format!("q/{table}").into_bytes()
}

/// Appends the record of one item change, when the table has a stream.
pub fn record(
    table: &mut TableMut<'_>,
    meta: &TableMeta,
    old: Option<&Item>,
    new: Option<&Item>,
    change: &Change,
) -> Result<(), AwsError> {
    if !meta.stream_enabled {
        return Ok(());
    }
    let event_name = match (old, new) {
        (None, Some(_)) => "INSERT",
        (Some(_), Some(_)) => "MODIFY",
        (Some(_), None) => "REMOVE",
        (None, None) => return Ok(()),
    };
    // An unchanged item produces no record, as on AWS.
    if old == new {
        return Ok(());
    }
    let view_type = meta
        .stream_view_type
        .clone()
        .unwrap_or_else(|| "KEYS_ONLY".to_owned());
    let (with_new, with_old) = match view_type.as_str() {
        "NEW_IMAGE" => (true, false),
        "OLD_IMAGE" => (false, true),
        "NEW_AND_OLD_IMAGES" => (true, true),
        _ => (false, false),
    };
    let Some(any) = new.or(old) else { return Ok(()) };
    let keys = key_of(any, &meta.primary_keys());
    let new_image = new.filter(|_| with_new).cloned();
    let old_image = old.filter(|_| with_old).cloned();
    let size = crate::attribute::item_size(&keys)
        + new_image.as_ref().map_or(0, item_size)
        + old_image.as_ref().map_or(0, item_size);
    let sequence_key = sequence_key(&meta.name);
    let sequence = match table.get(&sequence_key)? {
        Some(bytes) if bytes.len() == 8 => {
            let mut raw = [0u8; 8];
            raw.copy_from_slice(&bytes);
            u64::from_be_bytes(raw) + 1
        }
        _ => 1,
    };
    table.put(&sequence_key, &sequence.to_be_bytes())?;
    let record = ChangeRecord {
        event_id: uuid::Uuid::new_v4().simple().to_string(),
        event_name: event_name.to_owned(),
        sequence,
        at_millis: change.at_millis,
        keys,
        new_image,
        old_image,
        size,
        view_type,
        by_ttl: change.by_ttl,
    };
    // The time leads the value, so trimming reads 8 bytes, not the images.
    let mut value = change.at_millis.to_be_bytes().to_vec();
    value.extend(serde_json::to_vec(&record).map_err(|e| AwsError::internal(e.to_string()))?);
    table.put(&record_key(&meta.name, sequence), &value)?;
    trim(table, &meta.name, change.at_millis)
}

/// Drops a few records older than the retention period, oldest first, so
/// a stream's storage stays bounded at a cost of O(1) per write.
fn trim(table: &mut TableMut<'_>, name: &str, now_millis: u64) -> Result<(), AwsError> {
    let cutoff = now_millis.saturating_sub(RETENTION_MILLIS);
    let mut expired = Vec::new();
    for entry in table.scan(&records_prefix(name))?.take(TRIM_BATCH) {
        let entry = entry?;
        if record_time(&entry.value) >= cutoff {
            break;
        }
        expired.push(entry.key);
    }
    for key in expired {
        table.delete(&key)?;
    }
    Ok(())
}

fn record_time(value: &[u8]) -> u64 {
    let mut time = [0u8; 8];
    if let Some(head) = value.get(..8) {
        time.copy_from_slice(head);
    }
    u64::from_be_bytes(time)
}

fn decode_record(value: &[u8]) -> Result<ChangeRecord, AwsError> {
    serde_json::from_slice(value.get(8..).unwrap_or_default())
        .map_err(|e| AwsError::internal(format!("stream record unreadable: {e}")))
}

/// Forgets a table's records (its stream was disabled, or it was deleted).
pub fn drop_records(table: &mut TableMut<'_>, name: &str) -> Result<(), AwsError> {
    table.delete_prefix(&records_prefix(name))?;
    table.delete(&sequence_key(name))?;
    Ok(())
}

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
    AwsError::new(
        "ResourceNotFoundException",
        format!("Requested resource not found: Stream: {arn} not found"),
        400,
    )
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

/// The DynamoDB Streams service (model `dynamodbstreams`), reading what the
/// DynamoDB service records.
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

    async fn list_streams(&self, ctx: &RequestContext, input: Value) -> Result<Value, AwsError> {
        let ns = storage::namespace(ctx)?;
        let only = string(&input, "TableName").map(str::to_owned);
        let limit = input
            .get("Limit")
            .and_then(Value::as_i64)
            .unwrap_or(100)
            .clamp(1, 100) as usize;
        let after = string(&input, "ExclusiveStartStreamArn")
            .and_then(|arn| parse_stream_arn(arn).ok())
            .map(|(name, _)| table_key(&name));
        let metas = self
            .store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let mut metas = Vec::new();
                let start = match &only {
                    Some(name) => Some(table_key(name)),
                    None => after,
                };
                let entries = match &only {
                    Some(_) => table.scan(start.as_deref().unwrap_or(b"t/"))?,
                    None => table.scan_after(b"t/", start.as_deref())?,
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
            .await?;
        let more = metas.len() > limit;
        let streams: Vec<Value> = metas
            .iter()
            .take(limit)
            .map(|meta| {
                output(vec![
                    ("StreamArn", stream_arn(meta).map(Value::String)),
                    ("TableName", Some(Value::String(meta.name.clone()))),
                    ("StreamLabel", meta.stream_label.clone().map(Value::String)),
                ])
            })
            .collect();
        let last = if more {
            metas.get(limit - 1).and_then(stream_arn)
        } else {
            None
        };
        Ok(output(vec![
            ("Streams", Some(Value::List(streams))),
            ("LastEvaluatedStreamArn", last.map(Value::String)),
        ]))
    }

    async fn describe_stream(&self, ctx: &RequestContext, input: Value) -> Result<Value, AwsError> {
        let arn = required_string(&input, "StreamArn")?;
        let meta = self.stream_table(ctx, &arn).await?;
        let key_schema: Vec<Value> = meta
            .primary_keys()
            .iter()
            .enumerate()
            .map(|(i, key)| {
                output(vec![
                    ("AttributeName", Some(Value::String(key.name.clone()))),
                    (
                        "KeyType",
                        Some(Value::String(if i == 0 { "HASH" } else { "RANGE" }.to_owned())),
                    ),
                ])
            })
            .collect();
        let shard = output(vec![
            ("ShardId", Some(Value::String(shard_id(&meta)))),
            (
                "SequenceNumberRange",
                Some(output(vec![(
                    "StartingSequenceNumber",
                    Some(Value::String(format!("{:021}", 1))),
                )])),
            ),
        ]);
        let description = output(vec![
            ("StreamArn", Some(Value::String(arn))),
            ("StreamLabel", meta.stream_label.clone().map(Value::String)),
            ("StreamStatus", Some(Value::String("ENABLED".to_owned()))),
            ("StreamViewType", meta.stream_view_type.clone().map(Value::String)),
            (
                "CreationRequestDateTime",
                Some(Value::Timestamp(Timestamp::from_epoch_millis(
                    meta.created_millis,
                ))),
            ),
            ("TableName", Some(Value::String(meta.name.clone()))),
            ("KeySchema", Some(Value::List(key_schema))),
            ("Shards", Some(Value::List(vec![shard]))),
        ]);
        Ok(output(vec![("StreamDescription", Some(description))]))
    }

    async fn get_shard_iterator(&self, ctx: &RequestContext, input: Value) -> Result<Value, AwsError> {
        let arn = required_string(&input, "StreamArn")?;
        let shard = required_string(&input, "ShardId")?;
        let kind = required_string(&input, "ShardIteratorType")?;
        let meta = self.stream_table(ctx, &arn).await?;
        if shard != shard_id(&meta) {
            return Err(AwsError::new(
                "ResourceNotFoundException",
                "Requested resource not found: Shard does not exist",
                400,
            ));
        }
        let sequence = || -> Result<u64, AwsError> {
            string(&input, "SequenceNumber")
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| validation("A sequence number is required for the AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER iterator types"))
        };
        let next = match kind.as_str() {
            "TRIM_HORIZON" => 1,
            "AT_SEQUENCE_NUMBER" => sequence()?,
            "AFTER_SEQUENCE_NUMBER" => sequence()? + 1,
            _ => {
                let ns = storage::namespace(ctx)?;
                let name = meta.name.clone();
                let last = self
                    .store
                    .read(move |txn| Ok::<_, AwsError>(txn.open(&ns)?.get(&sequence_key(&name))?))
                    .await?;
                match last {
                    Some(bytes) if bytes.len() == 8 => {
                        let mut raw = [0u8; 8];
                        raw.copy_from_slice(&bytes);
                        u64::from_be_bytes(raw) + 1
                    }
                    _ => 1,
                }
            }
        };
        Ok(output(vec![(
            "ShardIterator",
            Some(Value::String(encode_iterator(&arn, next))),
        )]))
    }

    async fn get_records(&self, ctx: &RequestContext, input: Value) -> Result<Value, AwsError> {
        let (arn, next) = decode_iterator(&required_string(&input, "ShardIterator")?)?;
        let limit = input
            .get("Limit")
            .and_then(Value::as_i64)
            .unwrap_or(MAX_RECORDS as i64)
            .clamp(1, MAX_RECORDS as i64) as usize;
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
                    let record = decode_record(&entry?.value)?;
                    records.push(record);
                }
                Ok::<_, AwsError>(records)
            })
            .await?;
        let following = records.last().map_or(next, |r| r.sequence + 1);
        let rendered: Vec<Value> = records.iter().map(|r| render(r, &ctx.region)).collect();
        Ok(output(vec![
            ("Records", Some(Value::List(rendered))),
            (
                "NextShardIterator",
                Some(Value::String(encode_iterator(&arn, following))),
            ),
        ]))
    }
}

fn render(record: &ChangeRecord, region: &str) -> Value {
    let dynamodb = output(vec![
        (
            "ApproximateCreationDateTime",
            Some(Value::Timestamp(Timestamp::from_epoch_millis(
                (record.at_millis / 1000 * 1000) as i64,
            ))),
        ),
        ("Keys", Some(item_to_value(&record.keys))),
        ("NewImage", record.new_image.as_ref().map(item_to_value)),
        ("OldImage", record.old_image.as_ref().map(item_to_value)),
        (
            "SequenceNumber",
            Some(Value::String(format!("{:021}", record.sequence))),
        ),
        ("SizeBytes", Some(Value::Integer(record.size as i64))),
        ("StreamViewType", Some(Value::String(record.view_type.clone()))),
    ]);
    let identity = record.by_ttl.then(|| {
        output(vec![
            (
                "PrincipalId",
                Some(Value::String("dynamodb.amazonaws.com".to_owned())),
            ),
            ("Type", Some(Value::String("Service".to_owned()))),
        ])
    });
    output(vec![
        ("eventID", Some(Value::String(record.event_id.clone()))),
        ("eventName", Some(Value::String(record.event_name.clone()))),
        ("eventVersion", Some(Value::String("1.1".to_owned()))),
        ("eventSource", Some(Value::String("aws:dynamodb".to_owned()))),
        ("awsRegion", Some(Value::String(region.to_owned()))),
        ("dynamodb", Some(dynamodb)),
        ("userIdentity", identity),
    ])
}

impl Service for DynamoDbStreams {
    fn model_name(&self) -> &'static str {
        "dynamodbstreams"
    }

    fn handle<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, AwsError>> {
        Box::pin(async move {
            match operation {
                "ListStreams" => self.list_streams(ctx, input).await,
                "DescribeStream" => self.describe_stream(ctx, input).await,
                "GetShardIterator" => self.get_shard_iterator(ctx, input).await,
                "GetRecords" => self.get_records(ctx, input).await,
                _ => Err(AwsError::not_implemented("dynamodbstreams", operation)),
            }
        })
    }
}
