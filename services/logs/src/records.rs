//! What CloudWatch Logs keeps, and under which keys of the regional `logs`
//! namespace: a record per log group (`group/<name>`), a record per stream
//! (`stream/<group>\0<stream>`), and each event under its stream, ordered by
//! timestamp then by the group's ingestion sequence
//! (`event/<group>\0<stream>\0<timestamp><sequence>`, both big-endian).

use indexmap::IndexMap;
use nimbus_core::{AwsError, RequestContext};
use nimbus_store::Namespace;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupRecord {
    pub name: String,
    pub creation_time: i64,
    pub retention_in_days: Option<i32>,
    pub kms_key_id: Option<String>,
    pub class: String,
    pub deletion_protection: bool,
    pub tags: IndexMap<String, String>,
    /// The sequence the group's next event gets: orders events of equal
    /// timestamps by ingestion, and names them (eventId, tokens).
    pub next_sequence: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StreamRecord {
    pub name: String,
    pub creation_time: i64,
    pub first_event_timestamp: Option<i64>,
    pub last_event_timestamp: Option<i64>,
    pub last_ingestion_time: Option<i64>,
    /// What the last PutLogEvents answered as nextSequenceToken.
    pub upload_sequence: u64,
}

/// One stored event: its message and when it was ingested (the timestamp
/// and sequence are in its key).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventRecord {
    pub message: String,
    pub ingestion_time: i64,
}

pub fn namespace(ctx: &RequestContext) -> Result<Namespace, AwsError> {
    Namespace::regional("logs", &ctx.account_id, &ctx.region).map_err(AwsError::from)
}

pub const GROUP_PREFIX: &[u8] = b"group/";

pub fn group_key(group: &str) -> Vec<u8> {
    [GROUP_PREFIX, group.as_bytes()].concat()
}

/// Every stream of `group` lies under this.
pub fn streams_prefix(group: &str) -> Vec<u8> {
    [b"stream/", group.as_bytes(), b"\0"].concat()
}

pub fn stream_key(group: &str, stream: &str) -> Vec<u8> {
    [streams_prefix(group).as_slice(), stream.as_bytes()].concat()
}

/// Every event of `group` lies under this.
pub fn group_events_prefix(group: &str) -> Vec<u8> {
    [b"event/", group.as_bytes(), b"\0"].concat()
}

/// Every event of one stream lies under this, in time order.
pub fn events_prefix(group: &str, stream: &str) -> Vec<u8> {
    [group_events_prefix(group).as_slice(), stream.as_bytes(), b"\0"].concat()
}

/// An event's place in its stream: timestamps order as unsigned numbers
/// once their sign bit is flipped.
pub fn position(timestamp: i64, sequence: u64) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&((timestamp as u64) ^ (1 << 63)).to_be_bytes());
    bytes[8..].copy_from_slice(&sequence.to_be_bytes());
    bytes
}

/// The timestamp and sequence of a key made by [`position`].
pub fn position_of(key: &[u8]) -> Option<(i64, u64)> {
    let tail = key.get(key.len().checked_sub(16)?..)?;
    let timestamp = u64::from_be_bytes(tail[..8].try_into().ok()?) ^ (1 << 63);
    let sequence = u64::from_be_bytes(tail[8..].try_into().ok()?);
    Some((timestamp as i64, sequence))
}

pub fn event_key(group: &str, stream: &str, timestamp: i64, sequence: u64) -> Vec<u8> {
    [
        events_prefix(group, stream).as_slice(),
        &position(timestamp, sequence),
    ]
    .concat()
}

/// The stream an event key under `group_events_prefix(group)` belongs to.
pub fn stream_of_event_key<'k>(group: &str, key: &'k [u8]) -> Option<&'k [u8]> {
    let rest = key.get(group_events_prefix(group).len()..key.len().checked_sub(17)?)?;
    Some(rest)
}

pub fn group_arn(ctx: &RequestContext, group: &str) -> String {
    format!("arn:aws:logs:{}:{}:log-group:{group}", ctx.region, ctx.account_id)
}

pub fn stream_arn(ctx: &RequestContext, group: &str, stream: &str) -> String {
    format!("{}:log-stream:{stream}", group_arn(ctx, group))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_order_as_timestamps_then_sequences() {
        let mut keys = [
            position(5, 2),
            position(-3, 9),
            position(5, 1),
            position(1_700_000_000_000, 0),
            position(0, 4),
        ];
        keys.sort();
        let order: Vec<(i64, u64)> = keys.iter().map(|k| position_of(k).unwrap()).collect();
        assert_eq!(order, [(-3, 9), (0, 4), (5, 1), (5, 2), (1_700_000_000_000, 0)]);
    }

    #[test]
    fn an_event_key_names_its_stream() {
        let key = event_key("/aws/lambda/f", "2026/12/07/[$LATEST]ab", 7, 1);
        assert_eq!(
            stream_of_event_key("/aws/lambda/f", &key),
            Some(&b"2026/12/07/[$LATEST]ab"[..])
        );
    }
}
