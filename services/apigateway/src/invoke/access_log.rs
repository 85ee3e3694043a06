//! Access logs: a stage with access log settings writes a line per request
//! to its CloudWatch Logs group (`destinationArn`), the format's `$context`
//! variables rendered (requestId, identity.sourceIp, requestTime,
//! httpMethod, resourcePath/routeKey, path, protocol, status,
//! responseLength, stage, apiId), through CloudWatch Logs' own API, in the
//! background.

use std::collections::HashMap;

use nimbus_apigateway_api::ApiResponse;
use nimbus_core::RequestContext;
use nimbus_logs_api::{CreateLogGroupRequest, CreateLogStreamRequest, InputLogEvent, PutLogEventsRequest};
use nimbus_vtl::{Template, Value};
use serde_json::{Value as Json, json};

use crate::ApiGateway;

/// Where and how a stage logs.
pub struct Destination<'a> {
    pub arn: &'a str,
    pub format: &'a str,
}

impl ApiGateway {
    /// Writes the access log line of a request (`context`: its
    /// requestContext) answered with `answer`.
    pub(in crate::invoke) fn access_log(
        &self,
        destination: Destination<'_>,
        mut context: Json,
        answer: &ApiResponse,
    ) {
        if self.logs.get().is_none() {
            return;
        }
        // arn:aws:logs:<region>:<account>:log-group:<name>[:*]
        let parts: Vec<&str> = destination.arn.splitn(7, ':').collect();
        let (Some(region), Some(account), Some(group)) = (parts.get(3), parts.get(4), parts.get(6)) else {
            return;
        };
        let group = group.trim_end_matches(":*").to_owned();
        context["status"] = json!(answer.status);
        context["responseLength"] = json!(answer.body.len());
        let Ok(template) = Template::parse(destination.format) else {
            return;
        };
        let variables = HashMap::from([("context".to_owned(), Value::from_json(&context))]);
        let line = nimbus_vtl::render(&template, variables);
        let stream = format!(
            "{}-{}",
            context["apiId"].as_str().unwrap_or_default(),
            context["stage"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches('$')
        );
        // The destination group must exist, as AWS requires.
        let place = LogPlace {
            account,
            region,
            group,
            stream,
            make_group: false,
        };
        self.write_log(place, vec![line]);
    }

    /// Writes `lines` to a stream of a log group through CloudWatch Logs,
    /// in the background, making the group and stream when they are new.
    pub(in crate::invoke) fn write_log(&self, place: LogPlace<'_>, lines: Vec<String>) {
        let Some(logs) = self.logs.get().cloned() else {
            return;
        };
        let ctx = RequestContext::internal("logs", "PutLogEvents", place.account, place.region);
        let timestamp = i64::try_from(self.clock.now_epoch_millis()).unwrap_or(i64::MAX);
        let (group, stream, make_group) = (place.group, place.stream, place.make_group);
        tokio::spawn(async move {
            // Made once; later creations are refused, harmlessly.
            if make_group {
                let group_request = CreateLogGroupRequest {
                    log_group_name: group.clone(),
                    ..Default::default()
                };
                let _ = logs.create_log_group(&ctx, group_request).await;
            }
            let create = CreateLogStreamRequest {
                log_group_name: group.clone(),
                log_stream_name: stream.clone(),
            };
            let _ = logs.create_log_stream(&ctx, create).await;
            let events = lines
                .into_iter()
                .map(|message| InputLogEvent { timestamp, message });
            let put = PutLogEventsRequest {
                log_group_name: group,
                log_stream_name: stream,
                log_events: events.collect(),
                ..Default::default()
            };
            if let Err(error) = logs.put_log_events(&ctx, put).await {
                tracing::warn!(%error, "API Gateway could not write a log line");
            }
        });
    }
}

/// A log stream of a group, in an account's region.
pub struct LogPlace<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub group: String,
    pub stream: String,
    /// Make the group when it is missing (execution logs' groups are API
    /// Gateway's own).
    pub make_group: bool,
}
