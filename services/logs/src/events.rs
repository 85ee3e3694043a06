//! Log events: PutLogEvents (the batch rules: chronological order, at most
//! 24 hours apart, events older than 14 days or the retention and newer than
//! 2 hours from now set aside and reported) and GetLogEvents (one stream,
//! newest page first unless read from the head, paged by tokens that come
//! back unchanged at the end).

use nimbus_core::{AwsError, RequestContext};
use nimbus_logs_api::*;

use crate::Logs;
use crate::groups::group_missing;
use crate::records::*;
use crate::streams::{group_named, stream_missing};
use crate::tokens::{Direction, Place};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const TOO_OLD_MS: i64 = 14 * DAY_MS;
const TOO_NEW_MS: i64 = 2 * 60 * 60 * 1000;
const DEFAULT_LIMIT: usize = 10_000;

/// An upload sequence as CloudWatch Logs writes its tokens (56 digits).
pub fn sequence_token(sequence: u64) -> String {
    format!("{:056}", sequence)
}

/// The oldest timestamp a group keeps, by its retention.
pub fn retained_from(now_ms: i64, retention_in_days: Option<i32>) -> i64 {
    match retention_in_days {
        Some(days) => now_ms - i64::from(days) * DAY_MS,
        None => i64::MIN,
    }
}

/// Which events of a batch are kept, by index: `kept` is a range, the rest
/// is reported.
#[derive(Debug, PartialEq)]
struct Sorted {
    kept: std::ops::Range<usize>,
    rejected: Option<RejectedLogEventsInfo>,
}

/// Sets aside the events too old (or past the retention) at the head of a
/// chronological batch and those too new at its tail.
fn sort_out(
    events: &[InputLogEvent],
    now_ms: i64,
    retention_in_days: Option<i32>,
) -> Result<Sorted, AwsError> {
    if events
        .windows(2)
        .any(|pair| pair[1].timestamp < pair[0].timestamp)
    {
        return Err(errors::invalid_parameter(
            "Log events in a single PutLogEvents request must be in chronological order.",
        ));
    }
    let too_old = now_ms - TOO_OLD_MS;
    let retained = retained_from(now_ms, retention_in_days);
    let old_end = events.partition_point(|e| e.timestamp < too_old);
    let expired_end = events.partition_point(|e| e.timestamp < retained.max(too_old));
    let new_start = events.partition_point(|e| e.timestamp <= now_ms + TOO_NEW_MS);
    let kept = expired_end.max(old_end)..new_start.max(expired_end.max(old_end));
    if let (Some(first), Some(last)) = (
        events.get(kept.start),
        kept.end.checked_sub(1).and_then(|i| events.get(i)),
    ) && last.timestamp - first.timestamp > DAY_MS
    {
        return Err(errors::invalid_parameter(
            "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
        ));
    }
    let index = |i: usize| i32::try_from(i).unwrap_or(i32::MAX);
    let rejected = RejectedLogEventsInfo {
        too_old_log_event_end_index: (old_end > 0).then(|| index(old_end)),
        expired_log_event_end_index: (expired_end > old_end).then(|| index(expired_end)),
        too_new_log_event_start_index: (new_start < events.len()).then(|| index(new_start)),
    };
    let any = rejected.too_old_log_event_end_index.is_some()
        || rejected.expired_log_event_end_index.is_some()
        || rejected.too_new_log_event_start_index.is_some();
    Ok(Sorted {
        kept,
        rejected: any.then_some(rejected),
    })
}

impl Logs {
    pub(crate) async fn put_log_events(
        &self,
        ctx: &RequestContext,
        input: PutLogEventsRequest,
    ) -> Result<PutLogEventsResponse, AwsError> {
        let group = self.group(ctx, &input.log_group_name).await?;
        let now = self.now_ms();
        let sorted = sort_out(&input.log_events, now, group.retention_in_days)?;
        let ns = namespace(ctx)?;
        let (group_name, stream_name) = (input.log_group_name, input.log_stream_name);
        let events = input.log_events;
        let sequence = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut group: GroupRecord = table
                    .get_json(&group_key(&group_name))?
                    .ok_or_else(group_missing)?;
                let key = stream_key(&group_name, &stream_name);
                let mut stream: StreamRecord = table.get_json(&key)?.ok_or_else(stream_missing)?;
                for event in &events[sorted.kept.clone()] {
                    let record = EventRecord {
                        message: event.message.clone(),
                        ingestion_time: now,
                    };
                    let event_key =
                        event_key(&group_name, &stream_name, event.timestamp, group.next_sequence);
                    table.put_json(&event_key, &record)?;
                    group.next_sequence += 1;
                    stream.first_event_timestamp = Some(
                        stream
                            .first_event_timestamp
                            .map_or(event.timestamp, |t| t.min(event.timestamp)),
                    );
                    stream.last_event_timestamp = Some(
                        stream
                            .last_event_timestamp
                            .map_or(event.timestamp, |t| t.max(event.timestamp)),
                    );
                    stream.last_ingestion_time = Some(now);
                }
                // Events past the group's retention are dropped as the stream is written.
                if group.retention_in_days.is_some() {
                    let cutoff = event_key(
                        &group_name,
                        &stream_name,
                        retained_from(now, group.retention_in_days),
                        0,
                    );
                    let prefix = events_prefix(&group_name, &stream_name);
                    let expired: Vec<Vec<u8>> = table
                        .scan_between(&prefix, None, Some(&cutoff))?
                        .map(|entry| entry.map(|e| e.key))
                        .collect::<Result<_, _>>()?;
                    for key in expired {
                        table.delete(&key)?;
                    }
                }
                stream.upload_sequence = group.next_sequence;
                table.put_json(&key, &stream)?;
                table.put_json(&group_key(&group_name), &group)?;
                Ok::<_, AwsError>(stream.upload_sequence)
            })
            .await?;
        Ok(PutLogEventsResponse {
            next_sequence_token: Some(sequence_token(sequence)),
            rejected_log_events_info: sorted.rejected,
            rejected_entity_info: None,
        })
    }

    pub(crate) async fn get_log_events(
        &self,
        ctx: &RequestContext,
        input: GetLogEventsRequest,
    ) -> Result<GetLogEventsResponse, AwsError> {
        let group_name = group_named(input.log_group_name, input.log_group_identifier)?;
        let group = self.group(ctx, &group_name).await?;
        let token = input.next_token.as_deref().map(Place::parse).transpose()?;
        let forward = match token {
            Some(place) => place.direction == Direction::Forward,
            None => input.start_from_head.unwrap_or(false),
        };
        let floor =
            retained_from(self.now_ms(), group.retention_in_days).max(input.start_time.unwrap_or(i64::MIN));
        let mut after = event_key(&group_name, &input.log_stream_name, floor, 0);
        let mut before = event_key(
            &group_name,
            &input.log_stream_name,
            input.end_time.unwrap_or(i64::MAX),
            0,
        );
        match token {
            Some(
                place @ Place {
                    direction: Direction::Forward,
                    ..
                },
            ) => {
                after = after.max(event_key(
                    &group_name,
                    &input.log_stream_name,
                    place.timestamp,
                    place.sequence,
                ));
            }
            Some(place) => {
                before = before.min(event_key(
                    &group_name,
                    &input.log_stream_name,
                    place.timestamp,
                    place.sequence,
                ));
            }
            None => {}
        }
        let limit = usize::try_from(input.limit.unwrap_or(10_000)).unwrap_or(DEFAULT_LIMIT);
        let ns = namespace(ctx)?;
        let stream = stream_key(&group_name, &input.log_stream_name);
        let prefix = events_prefix(&group_name, &input.log_stream_name);
        let (bounds_after, bounds_before) = (after.clone(), before.clone());
        let events: Vec<(i64, u64, EventRecord)> = self
            .store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                if table.get(&stream)?.is_none() {
                    return Err(stream_missing());
                }
                let entries = table.scan_between(&prefix, Some(&bounds_after), Some(&bounds_before))?;
                let decode = |entry: nimbus_store::Result<nimbus_store::Entry>| -> Result<_, AwsError> {
                    let entry = entry?;
                    let (timestamp, sequence) = position_of(&entry.key).unwrap_or_default();
                    Ok((timestamp, sequence, entry.decode::<EventRecord>()?))
                };
                let mut events: Vec<_> = if forward {
                    entries.take(limit).map(decode).collect::<Result<_, _>>()?
                } else {
                    entries.rev().take(limit).map(decode).collect::<Result<_, _>>()?
                };
                if !forward {
                    events.reverse();
                }
                Ok(events)
            })
            .await?;
        let place = |direction, key: &[u8]| {
            let (timestamp, sequence) = position_of(key).unwrap_or_default();
            Place {
                direction,
                timestamp,
                sequence,
            }
            .token()
        };
        let (next_forward, next_backward) = match (events.first(), events.last()) {
            (Some(first), Some(last)) => (
                Place {
                    direction: Direction::Forward,
                    timestamp: last.0,
                    sequence: last.1,
                }
                .token(),
                Place {
                    direction: Direction::Backward,
                    timestamp: first.0,
                    sequence: first.1,
                }
                .token(),
            ),
            // Nothing (more) to read: the tokens come back as they were.
            _ => (
                place(Direction::Forward, &after),
                place(Direction::Backward, &before),
            ),
        };
        Ok(GetLogEventsResponse {
            events: Some(
                events
                    .into_iter()
                    .map(|(timestamp, _, event)| OutputLogEvent {
                        timestamp: Some(timestamp),
                        message: Some(event.message),
                        ingestion_time: Some(event.ingestion_time),
                    })
                    .collect(),
            ),
            next_forward_token: Some(next_forward),
            next_backward_token: Some(next_backward),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(timestamps: &[i64]) -> Vec<InputLogEvent> {
        timestamps
            .iter()
            .map(|&timestamp| InputLogEvent {
                timestamp,
                message: "m".into(),
            })
            .collect()
    }

    #[test]
    fn a_batch_keeps_what_is_neither_too_old_nor_too_new() {
        let now = 100 * DAY_MS;
        let hour = 60 * 60 * 1000;
        let batch = at(&[now - 15 * DAY_MS, now - hour, now, now + 3 * hour]);
        let sorted = sort_out(&batch, now, None).unwrap();
        assert_eq!(sorted.kept, 1..3);
        let rejected = sorted.rejected.unwrap();
        assert_eq!(rejected.too_old_log_event_end_index, Some(1));
        assert_eq!(rejected.too_new_log_event_start_index, Some(3));
        assert_eq!(rejected.expired_log_event_end_index, None);
        // A one-day retention sets aside the event of 30 hours ago.
        let sorted = sort_out(&at(&[now - 30 * hour, now - 10 * hour]), now, Some(1)).unwrap();
        assert_eq!(sorted.kept, 1..2);
        assert_eq!(sorted.rejected.unwrap().expired_log_event_end_index, Some(1));
        assert_eq!(sort_out(&at(&[now]), now, None).unwrap().rejected, None);
    }

    #[test]
    fn a_batch_out_of_order_or_over_a_day_is_refused() {
        let now = 100 * DAY_MS;
        let refused = sort_out(&at(&[now, now - 1]), now, None).unwrap_err();
        assert!(refused.message.contains("chronological order"));
        let refused = sort_out(&at(&[now - DAY_MS - 1, now]), now, None).unwrap_err();
        assert!(refused.message.contains("cannot span more than 24 hours"));
    }
}
