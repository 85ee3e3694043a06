//! Log streams: CreateLogStream, DeleteLogStream, DescribeLogStreams.

use nimbus_core::{AwsError, RequestContext};
use nimbus_logs_api::*;

use crate::Logs;
use crate::groups::group_missing;
use crate::records::*;

pub fn stream_missing() -> AwsError {
    errors::resource_not_found("The specified log stream does not exist.")
}

/// The group a request names, by `logGroupName` or by `logGroupIdentifier`
/// (its name or ARN), never both.
pub fn group_named(name: Option<String>, identifier: Option<String>) -> Result<String, AwsError> {
    match (name, identifier) {
        (Some(_), Some(_)) => Err(AwsError::new(
            "ValidationException",
            "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
            400,
        )),
        (Some(name), None) => Ok(name),
        (None, Some(identifier)) => Ok(name_of_identifier(&identifier).to_owned()),
        (None, None) => Err(errors::invalid_parameter(
            "Either logGroupName or logGroupIdentifier must be specified.",
        )),
    }
}

/// `arn:aws:logs:<region>:<account>:log-group:<name>[:*]` → `<name>`.
fn name_of_identifier(identifier: &str) -> &str {
    match identifier.split_once(":log-group:") {
        Some((_, rest)) => rest.strip_suffix(":*").unwrap_or(rest),
        None => identifier,
    }
}

fn described(ctx: &RequestContext, group: &str, stream: &StreamRecord) -> LogStream {
    LogStream {
        log_stream_name: Some(stream.name.clone()),
        creation_time: Some(stream.creation_time),
        first_event_timestamp: stream.first_event_timestamp,
        last_event_timestamp: stream.last_event_timestamp,
        last_ingestion_time: stream.last_ingestion_time,
        upload_sequence_token: (stream.upload_sequence > 0)
            .then(|| crate::events::sequence_token(stream.upload_sequence)),
        arn: Some(stream_arn(ctx, group, &stream.name)),
        stored_bytes: Some(0),
    }
}

impl Logs {
    pub(crate) async fn create_log_stream(
        &self,
        ctx: &RequestContext,
        input: CreateLogStreamRequest,
    ) -> Result<(), AwsError> {
        let ns = namespace(ctx)?;
        let record = StreamRecord {
            name: input.log_stream_name,
            creation_time: self.now_ms(),
            first_event_timestamp: None,
            last_event_timestamp: None,
            last_ingestion_time: None,
            upload_sequence: 0,
        };
        let group = input.log_group_name;
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                if table.get(&group_key(&group))?.is_none() {
                    return Err(group_missing());
                }
                let key = stream_key(&group, &record.name);
                if table.get(&key)?.is_some() {
                    return Err(errors::resource_already_exists(
                        "The specified log stream already exists",
                    ));
                }
                table.put_json(&key, &record)?;
                Ok(())
            })
            .await
    }

    pub(crate) async fn delete_log_stream(
        &self,
        ctx: &RequestContext,
        input: DeleteLogStreamRequest,
    ) -> Result<(), AwsError> {
        let ns = namespace(ctx)?;
        let (group, stream) = (input.log_group_name, input.log_stream_name);
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                if table.get(&group_key(&group))?.is_none() {
                    return Err(group_missing());
                }
                if !table.delete(&stream_key(&group, &stream))? {
                    return Err(stream_missing());
                }
                table.delete_prefix(&events_prefix(&group, &stream))?;
                Ok(())
            })
            .await
    }

    pub(crate) async fn describe_log_streams(
        &self,
        ctx: &RequestContext,
        input: DescribeLogStreamsRequest,
    ) -> Result<DescribeLogStreamsResponse, AwsError> {
        let group = group_named(input.log_group_name, input.log_group_identifier)?;
        let by_last_event = input.order_by.as_deref() == Some("LastEventTime");
        if by_last_event && input.log_stream_name_prefix.is_some() {
            return Err(errors::invalid_parameter(
                "Cannot order by LastEventTime with a logStreamNamePrefix.",
            ));
        }
        self.group(ctx, &group).await?;
        let ns = namespace(ctx)?;
        let prefix = [
            streams_prefix(&group).as_slice(),
            input.log_stream_name_prefix.unwrap_or_default().as_bytes(),
        ]
        .concat();
        let mut streams: Vec<StreamRecord> = self
            .store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let mut streams = Vec::new();
                for entry in table.scan(&prefix)? {
                    streams.push(entry?.decode::<StreamRecord>()?);
                }
                Ok::<_, AwsError>(streams)
            })
            .await?;
        if by_last_event {
            streams.sort_by_key(|s| (s.last_event_timestamp.unwrap_or(s.creation_time), s.name.clone()));
        }
        if input.descending.unwrap_or(false) {
            streams.reverse();
        }
        // Pages go on from a position in the ordered list.
        let start: usize = match input.next_token.as_deref() {
            None => 0,
            Some(token) => crate::tokens::decode_name(Some(token))?
                .and_then(|text| text.parse().ok())
                .ok_or_else(|| errors::invalid_parameter("The specified nextToken is invalid."))?,
        };
        let limit = usize::try_from(input.limit.unwrap_or(50)).unwrap_or(50);
        let end = (start + limit).min(streams.len());
        let page = streams.get(start..end).unwrap_or_default();
        Ok(DescribeLogStreamsResponse {
            log_streams: Some(page.iter().map(|s| described(ctx, &group, s)).collect()),
            next_token: (end < streams.len()).then(|| crate::tokens::encode_name(&end.to_string())),
        })
    }
}
