//! Access logs: a stage with access log settings writes a line per request
//! to its CloudWatch Logs group (`destinationArn`), the format's `$context`
//! variables rendered (requestId, identity.sourceIp, requestTime,
//! httpMethod, resourcePath/routeKey, path, protocol, status,
//! responseLength, stage, apiId), through CloudWatch Logs' own API, in the
//! background.

use std::collections::HashMap;

use nimbus_apigateway_api::ApiResponse;
use nimbus_core::RequestContext;
use nimbus_logs_api::{CreateLogStreamRequest, InputLogEvent, PutLogEventsRequest};
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
        let Some(logs) = self.logs.get().cloned() else {
            return;
        };
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
        let ctx = RequestContext::internal("logs", "PutLogEvents", account, region);
        let timestamp = i64::try_from(self.clock.now_epoch_millis()).unwrap_or(i64::MAX);
        tokio::spawn(async move {
            let create = CreateLogStreamRequest {
                log_group_name: group.clone(),
                log_stream_name: stream.clone(),
            };
            // The stream is made once; later creations are refused, harmlessly.
            let _ = logs.create_log_stream(&ctx, create).await;
            let put = PutLogEventsRequest {
                log_group_name: group,
                log_stream_name: stream,
                log_events: vec![InputLogEvent {
                    timestamp,
                    message: line,
                }],
                ..Default::default()
            };
            if let Err(error) = logs.put_log_events(&ctx, put).await {
                tracing::warn!(%error, "API Gateway could not write an access log line");
            }
        });
    }
}
