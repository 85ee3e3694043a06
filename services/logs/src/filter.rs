//! FilterLogEvents: the events of a group's streams (all, named, or by
//! prefix) between two times that match a filter pattern, interleaved by
//! timestamp then ingestion, paged after the last event returned.

use nimbus_core::{AwsError, RequestContext};
use nimbus_logs_api::*;

use crate::Logs;
use crate::events::retained_from;
use crate::pattern::Pattern;
use crate::records::*;
use crate::streams::group_named;
use crate::tokens::{filter_token, parse_filter_token};

const DEFAULT_LIMIT: usize = 10_000;

/// Which streams a filter reads.
enum Streams {
    All,
    Named(Vec<String>),
    Prefixed(String),
}

impl Streams {
    fn admits(&self, stream: &str) -> bool {
        match self {
            Streams::All => true,
            Streams::Named(names) => names.iter().any(|n| n == stream),
            Streams::Prefixed(prefix) => stream.starts_with(prefix.as_str()),
        }
    }
}

/// The event id FilterLogEvents gives: unique in its group, the same on
/// every read (`aws logs tail --follow` drops repeats by it).
fn event_id(timestamp: i64, sequence: u64) -> String {
    format!("{}{:016}", filter_token(timestamp, sequence), 0)
}

impl Logs {
    pub(crate) async fn filter_log_events(
        &self,
        ctx: &RequestContext,
        input: FilterLogEventsRequest,
    ) -> Result<FilterLogEventsResponse, AwsError> {
        let group_name = group_named(input.log_group_name, input.log_group_identifier)?;
        let streams = match (input.log_stream_names, input.log_stream_name_prefix) {
            (Some(_), Some(_)) => {
                return Err(errors::invalid_parameter(
                    "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.",
                ));
            }
            (Some(names), None) => Streams::Named(names),
            (None, Some(prefix)) => Streams::Prefixed(prefix),
            (None, None) => Streams::All,
        };
        let pattern = Pattern::parse(input.filter_pattern.as_deref().unwrap_or_default())?;
        let after = input.next_token.as_deref().map(parse_filter_token).transpose()?;
        let group = self.group(ctx, &group_name).await?;
        let from =
            retained_from(self.now_ms(), group.retention_in_days).max(input.start_time.unwrap_or(i64::MIN));
        let until = input.end_time.unwrap_or(i64::MAX);
        let limit = usize::try_from(input.limit.unwrap_or(10_000)).unwrap_or(DEFAULT_LIMIT);
        let ns = namespace(ctx)?;
        let prefix = group_events_prefix(&group_name);
        let mut found: Vec<(i64, u64, String, EventRecord)> = self
            .store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let mut found = Vec::new();
                for entry in table.scan(&prefix)?.borrowed() {
                    let entry = entry?;
                    let Some((timestamp, sequence)) = position_of(entry.key()) else {
                        continue;
                    };
                    let in_time = timestamp >= from && timestamp <= until;
                    let not_seen = after.is_none_or(|place| (timestamp, sequence) > place);
                    if !in_time || !not_seen {
                        continue;
                    }
                    let stream = stream_of_event_key(&group_name, entry.key()).unwrap_or_default();
                    let stream = String::from_utf8_lossy(stream);
                    if !streams.admits(&stream) {
                        continue;
                    }
                    let event: EventRecord = nimbus_store::codec::decode(entry.value())?;
                    if pattern.matches(&event.message) {
                        found.push((timestamp, sequence, stream.into_owned(), event));
                    }
                }
                Ok::<_, AwsError>(found)
            })
            .await?;
        found.sort_by_key(|(timestamp, sequence, ..)| (*timestamp, *sequence));
        let more = found.len() > limit;
        found.truncate(limit);
        let next_token = match more {
            true => found.last().map(|(t, s, ..)| filter_token(*t, *s)),
            false => None,
        };
        Ok(FilterLogEventsResponse {
            events: Some(
                found
                    .into_iter()
                    .map(|(timestamp, sequence, stream, event)| FilteredLogEvent {
                        log_stream_name: Some(stream),
                        timestamp: Some(timestamp),
                        message: Some(event.message),
                        ingestion_time: Some(event.ingestion_time),
                        event_id: Some(event_id(timestamp, sequence)),
                    })
                    .collect(),
            ),
            searched_log_streams: Some(Vec::new()),
            next_token,
        })
    }
}
