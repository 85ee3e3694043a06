//! Where DynamoDB state lives in the store, one namespace per account and
//! region:
//!
//! - `t/<table>`: the table's definition ([`crate::schema::TableMeta`]).
//! - `c/<table>`: item count and bytes (16 bytes, big-endian), kept in the
//!   same transaction as every write.
//! - `i/<table>\0<bucket><pk><sk>`: an item, keys encoded
//!   order-preservingly behind a 2-byte hash bucket of the partition key
//!   ([`partition_bucket`]), so a Query is one range scan within (table,
//!   partition key) in sort-key order, and a parallel Scan segment is a
//!   contiguous run of buckets.
//! - `x/<table>\0<index>\0<bucket><index pk><index sk><other table keys>`:
//!   the full item again for each secondary index whose keys it has; the
//!   index's projection is applied when reading.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use nimbus_core::{AwsError, RequestContext};
use nimbus_store::{Namespace, TableMut, TableRef};

use crate::attribute::{AttributeValue, Item, item_from_json, write_item_json};
use crate::schema::{IndexMeta, KeyAttr, TableMeta};
use bytes::Bytes;
use nimbus_dynamodb_api::item::AnswerItem;
use nimbus_dynamodb_api::item::json_item_size;

pub fn namespace(ctx: &RequestContext) -> Result<Namespace, AwsError> {
    Ok(Namespace::regional("dynamodb", &ctx.account_id, &ctx.region)?)
}

pub fn table_key(table: &str) -> Vec<u8> {
    format!("t/{table}").into_bytes()
}

pub fn counter_key(table: &str) -> Vec<u8> {
    format!("c/{table}").into_bytes()
}

/// Item count and bytes of one secondary index.
pub fn index_counter_key(table: &str, index: &str) -> Vec<u8> {
    format!("c/{table}\0{index}").into_bytes()
}

/// Prefix of every index counter of a table.
pub fn index_counters_prefix(table: &str) -> Vec<u8> {
    format!("c/{table}\0").into_bytes()
}

/// Item count and bytes of a table and of each of its indexes (in the
/// order of `meta.indexes`), for DescribeTable.
pub struct Counts {
    pub table: (i64, i64),
    pub indexes: Vec<(i64, i64)>,
}

pub fn read_counts(
    get: impl Fn(&[u8]) -> Result<Option<Vec<u8>>, nimbus_store::StoreError>,
    meta: &TableMeta,
) -> Result<Counts, AwsError> {
    let mut indexes = Vec::with_capacity(meta.indexes.len());
    for index in &meta.indexes {
        indexes.push(read_counter(get(&index_counter_key(&meta.name, &index.name))?));
    }
    Ok(Counts {
        table: read_counter(get(&counter_key(&meta.name))?),
        indexes,
    })
}

/// Adds to a (count, bytes) counter.
pub fn bump_counter(
    table: &mut TableMut<'_>,
    key: &[u8],
    count_delta: i64,
    size_delta: i64,
) -> Result<(), AwsError> {
    if count_delta == 0 && size_delta == 0 {
        return Ok(());
    }
    let (count, bytes) = read_counter(table.get(key)?);
    let mut value = Vec::with_capacity(16);
    value.extend_from_slice(&(count + count_delta).max(0).to_be_bytes());
    value.extend_from_slice(&(bytes + size_delta).max(0).to_be_bytes());
    table.put(key, &value)?;
    Ok(())
}

/// Prefix of every item of `table`.
pub fn items_prefix(table: &str) -> Vec<u8> {
    format!("i/{table}\0").into_bytes()
}

/// Prefix of every entry of one secondary index.
pub fn index_prefix(table: &str, index: &str) -> Vec<u8> {
    format!("x/{table}\0{index}\0").into_bytes()
}

/// Two bytes of a stable hash (FNV-1a) of an encoded partition key. Keys
/// are spread over 65,536 buckets, like DynamoDB's hash partitioning: a
/// Scan walks them in hash order and a parallel Scan segment is one
/// contiguous run of buckets.
pub fn partition_bucket(encoded: &[u8]) -> [u8; 2] {
    let mut hash: u32 = 0x811c_9dc5;
    for &byte in encoded {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    ((hash >> 16) as u16).to_be_bytes()
}

/// Appends a partition key: its bucket, then its order-preserving encoding.
pub fn push_partition(out: &mut Vec<u8>, value: &AttributeValue) {
    let mut encoded = Vec::new();
    value.encode_key(&mut encoded);
    out.extend_from_slice(&partition_bucket(&encoded));
    out.extend_from_slice(&encoded);
}

/// The key attributes that place an item in the table or in an index, in
/// order: the index's keys, then the table's keys it does not already have.
pub fn position_keys<'m>(meta: &'m TableMeta, index: Option<&'m IndexMeta>) -> Vec<&'m KeyAttr> {
    let mut keys = Vec::new();
    if let Some(index) = index {
        keys.extend(index.keys());
    }
    for key in meta.primary_keys() {
        if !keys.iter().any(|k| k.name == key.name) {
            keys.push(key);
        }
    }
    keys
}

/// Appends the position of `item` under `keys` (the first one is the
/// partition key); false when an attribute is missing.
pub fn push_position(out: &mut Vec<u8>, item: &Item, keys: &[&KeyAttr]) -> bool {
    for (i, key) in keys.iter().enumerate() {
        match item.get(&key.name) {
            Some(value) if i == 0 => push_partition(out, value),
            Some(value) => value.encode_key(out),
            None => return false,
        }
    }
    true
}

/// The store key of the item whose primary key `item` holds.
pub fn item_key(meta: &TableMeta, item: &Item) -> Vec<u8> {
    let mut key = items_prefix(&meta.name);
    push_position(&mut key, item, &meta.primary_keys());
    key
}

/// Where `item` sits in `index`, if it has the index's key attributes of the
/// right types (indexes are sparse).
pub fn index_entry_key(meta: &TableMeta, index: &IndexMeta, item: &Item) -> Option<Vec<u8>> {
    let mut key = index_prefix(&meta.name, &index.name);
    for attr in index.keys() {
        let value = item.get(&attr.name)?;
        if value.type_name() != attr.attribute_type {
            return None;
        }
    }
    push_position(&mut key, item, &position_keys(meta, Some(index))).then_some(key)
}

/// A table's definition for the item operations, shared: decoded once per
/// distinct stored form and reused while the stored bytes stay the same.
/// Keyed by the bytes themselves, so a changed (or another account's)
/// definition can never be served from the cache.
pub fn table_meta(table: &TableRef, name: &str) -> Result<Option<Arc<TableMeta>>, AwsError> {
    table.get(&table_key(name))?.map(decode_table_meta).transpose()
}

/// [`table_meta`] inside a write transaction.
pub fn table_meta_mut(table: &TableMut<'_>, name: &str) -> Result<Option<Arc<TableMeta>>, AwsError> {
    table.get(&table_key(name))?.map(decode_table_meta).transpose()
}

/// Distinct definitions kept decoded; past this many the cache starts over
/// (it only saves decoding, it never decides anything).
const DECODED_TABLES_MAX: usize = 1024;

fn decode_table_meta(bytes: Vec<u8>) -> Result<Arc<TableMeta>, AwsError> {
    type Decoded = Mutex<HashMap<Vec<u8>, Arc<TableMeta>>>;
    static DECODED: OnceLock<Decoded> = OnceLock::new();
    let decoded = DECODED.get_or_init(Decoded::default);
    // A panic while holding the lock leaves the map valid.
    if let Some(meta) = decoded.lock().unwrap_or_else(PoisonError::into_inner).get(&bytes) {
        return Ok(Arc::clone(meta));
    }
    let meta = Arc::new(nimbus_store::codec::decode::<TableMeta>(&bytes)?);
    let mut decoded = decoded.lock().unwrap_or_else(PoisonError::into_inner);
    if decoded.len() >= DECODED_TABLES_MAX {
        decoded.clear();
    }
    decoded.insert(bytes, Arc::clone(&meta));
    Ok(meta)
}

pub fn load_table(table: &TableRef, name: &str) -> Result<Option<TableMeta>, AwsError> {
    Ok(table.get_json(&table_key(name))?)
}

pub fn load_table_mut(table: &TableMut<'_>, name: &str) -> Result<Option<TableMeta>, AwsError> {
    Ok(table.get_json(&table_key(name))?)
}

/// A stored item: [`SIZED`], the item's size as DynamoDB counts it (u32,
/// big-endian), then its DynamoDB JSON (see
/// [`crate::attribute::item_to_json`]), which answers carry as it is.
/// Items stored before sizes were are bare JSON (`{...}`).
const SIZED: u8 = 0x01;
const SIZED_HEADER: usize = 5;

pub fn encode_item(item: &Item) -> Result<Vec<u8>, AwsError> {
    let size = u32::try_from(crate::attribute::item_size(item)).unwrap_or(u32::MAX);
    let mut value = Vec::with_capacity(SIZED_HEADER + 128);
    value.push(SIZED);
    value.extend_from_slice(&size.to_be_bytes());
    write_item_json(item, &mut value);
    Ok(value)
}

pub fn decode_item(value: &[u8]) -> Result<Item, AwsError> {
    item_from_json(stored_json(value)).map_err(unreadable)
}

/// The DynamoDB JSON of a stored item.
pub fn stored_json(value: &[u8]) -> &[u8] {
    match value.first() {
        Some(&SIZED) => value.get(SIZED_HEADER..).unwrap_or_default(),
        _ => value,
    }
}

/// The size of a stored item, without decoding it.
pub fn stored_size(value: &[u8]) -> Result<usize, AwsError> {
    match value {
        [SIZED, a, b, c, d, ..] => Ok(u32::from_be_bytes([*a, *b, *c, *d]) as usize),
        json => json_item_size(json).map_err(unreadable),
    }
}

/// A stored item for an answer: its JSON, passed on unread.
pub fn answer_item(value: Vec<u8>) -> AnswerItem {
    let start = value.len() - stored_json(&value).len();
    AnswerItem::stored(Bytes::from(value).slice(start..))
}

pub fn unreadable(error: serde_json::Error) -> AwsError {
    AwsError::internal(format!("stored item unreadable: {error}"))
}

/// Item count and total bytes of a table.
pub fn read_counter(bytes: Option<Vec<u8>>) -> (i64, i64) {
    match bytes.as_deref() {
        Some(b) if b.len() == 16 => {
            let mut count = [0u8; 8];
            let mut size = [0u8; 8];
            count.copy_from_slice(&b[..8]);
            size.copy_from_slice(&b[8..]);
            (i64::from_be_bytes(count), i64::from_be_bytes(size))
        }
        _ => (0, 0),
    }
}

/// Replaces the stored item at `key` (old → new) and keeps every index and
/// the counters in step, all in the caller's transaction.
pub fn write_item(
    table: &mut TableMut<'_>,
    meta: &TableMeta,
    key: &[u8],
    old: Option<&Item>,
    new: Option<&Item>,
    change: &crate::streams::Change,
) -> Result<(), AwsError> {
    let size = |item: Option<&Item>| item.map_or(0, |i| crate::attribute::item_size(i) as i64);
    for index in &meta.indexes {
        let old_entry = old.and_then(|item| index_entry_key(meta, index, item));
        let new_entry = new.and_then(|item| index_entry_key(meta, index, item));
        if let Some(old_entry) = &old_entry
            && new_entry.as_ref() != Some(old_entry)
        {
            table.delete(old_entry)?;
        }
        if let (Some(entry), Some(item)) = (&new_entry, new) {
            table.put(entry, &encode_item(item)?)?;
        }
        let projected = |entry: &Option<Vec<u8>>, item: Option<&Item>| match (entry, item) {
            (Some(_), Some(item)) => size(Some(&crate::query::index_projection(meta, index, item))),
            _ => 0,
        };
        bump_counter(
            table,
            &index_counter_key(&meta.name, &index.name),
            i64::from(new_entry.is_some()) - i64::from(old_entry.is_some()),
            projected(&new_entry, new) - projected(&old_entry, old),
        )?;
    }
    crate::ttl::track(table, meta, key, old, new)?;
    crate::streams::record(table, meta, old, new, change)?;
    match new {
        Some(item) => table.put(key, &encode_item(item)?)?,
        None => {
            table.delete(key)?;
        }
    }
    let count_delta = i64::from(new.is_some()) - i64::from(old.is_some());
    bump_counter(
        table,
        &counter_key(&meta.name),
        count_delta,
        size(new) - size(old),
    )
}

/// The primary key attributes of `item`, for LastEvaluatedKey and friends.
pub fn key_of(item: &Item, keys: &[&KeyAttr]) -> Item {
    keys.iter()
        .filter_map(|k| item.get(&k.name).map(|v| (k.name.clone(), v.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{item_size, item_to_json};

    #[test]
    fn stored_items_carry_their_size_and_read_as_they_were() {
        let item = item_from_json(br#"{"pk":{"S":"k"},"n":{"N":"12.5"},"b":{"B":"AP8="}}"#).unwrap();
        let stored = encode_item(&item).unwrap();
        assert_eq!(stored_size(&stored).unwrap(), item_size(&item));
        assert_eq!(stored_json(&stored), item_to_json(&item).as_slice());
        assert_eq!(decode_item(&stored).unwrap(), item);
        // Items written before sizes were stored: bare JSON, sized by reading it.
        let legacy = item_to_json(&item);
        assert_eq!(stored_json(&legacy), legacy.as_slice());
        assert_eq!(stored_size(&legacy).unwrap(), item_size(&item));
        assert_eq!(decode_item(&legacy).unwrap(), item);
        let AnswerItem::Stored(json) = answer_item(stored) else {
            panic!("a stored item passes on as JSON");
        };
        assert_eq!(json.0.as_ref(), legacy.as_slice());
    }
}
