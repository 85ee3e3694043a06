//! DynamoDB Streams: every item change of a table with a stream enabled is
//! recorded in the same store transaction as the change, in order, and the
//! DynamoDB Streams API (ListStreams, DescribeStream, GetShardIterator,
//! GetRecords) reads them back.
//!
//! Records live at `s/<table>\0<sequence number, 21 digits>`, the last
//! sequence number at `q/<table>`. A stream has one shard that stays open.

use nimbus_core::AwsError;
use nimbus_dynamodb_api::attribute::json;
use nimbus_store::TableMut;
use serde::{Deserialize, Serialize};

use crate::attribute::{Item, item_size};
use crate::schema::TableMeta;
use crate::storage::key_of;

mod reader;

pub use reader::DynamoDbStreams;

/// Most records one GetRecords answers.
pub(crate) const MAX_RECORDS: usize = 1000;
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
pub(crate) struct ChangeRecord {
    pub(crate) event_id: String,
    /// INSERT, MODIFY or REMOVE.
    pub(crate) event_name: String,
    pub(crate) sequence: u64,
    pub(crate) at_millis: u64,
    #[serde(serialize_with = "json::item")]
    pub(crate) keys: Item,
    #[serde(serialize_with = "json::optional_item")]
    pub(crate) new_image: Option<Item>,
    #[serde(serialize_with = "json::optional_item")]
    pub(crate) old_image: Option<Item>,
    pub(crate) size: usize,
    pub(crate) view_type: String,
    pub(crate) by_ttl: bool,
}

pub(crate) fn records_prefix(table: &str) -> Vec<u8> {
    format!("s/{table}\0").into_bytes()
}

pub(crate) fn record_key(table: &str, sequence: u64) -> Vec<u8> {
    let mut key = records_prefix(table);
    key.extend_from_slice(format!("{sequence:021}").as_bytes());
    key
}

pub(crate) fn sequence_key(table: &str) -> Vec<u8> {
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

pub(crate) fn decode_record(value: &[u8]) -> Result<ChangeRecord, AwsError> {
    serde_json::from_slice(value.get(8..).unwrap_or_default())
        .map_err(|e| AwsError::internal(format!("stream record unreadable: {e}")))
}

/// Forgets a table's records (its stream was disabled, or it was deleted).
pub fn drop_records(table: &mut TableMut<'_>, name: &str) -> Result<(), AwsError> {
    table.delete_prefix(&records_prefix(name))?;
    table.delete(&sequence_key(name))?;
    Ok(())
}
