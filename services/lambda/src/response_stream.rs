//! InvokeWithResponseStream: the function's answer as an event stream, its
//! payload in PayloadChunk events and an InvokeComplete event last (with
//! the error of a failed invocation and the log tail). A function that
//! streams (Node's `awslambda.streamifyResponse`) is heard chunk by chunk
//! as it writes; one that answers whole sends one chunk.

use bytes::Bytes;
use nimbus_core::{AwsError, EventStream, RequestContext};
use nimbus_lambda_api::{
    InvocationRequest, InvocationResponse, InvokeResponseStreamUpdate, InvokeWithResponseStreamCompleteEvent,
    InvokeWithResponseStreamRequest, InvokeWithResponseStreamResponse, InvokeWithResponseStreamResponseEvent,
};
use tokio::sync::mpsc;

use crate::Lambda;

/// Chunks and events waiting for a slow reader: a bound, not a tuning.
const IN_FLIGHT: usize = 16;

type Event = InvokeWithResponseStreamResponseEvent;

impl Lambda {
    pub(crate) async fn invoke_with_response_stream(
        &self,
        ctx: &RequestContext,
        input: InvokeWithResponseStreamRequest,
    ) -> Result<InvokeWithResponseStreamResponse, AwsError> {
        let kind = input
            .invocation_type
            .unwrap_or_else(|| "RequestResponse".to_owned());
        let invocation = InvocationRequest {
            function_name: input.function_name,
            invocation_type: Some(kind.clone()),
            log_type: input.log_type,
            client_context: input.client_context,
            qualifier: input.qualifier,
            payload: input.payload,
            ..Default::default()
        };
        let (owners, _, record, payload) = self.prepare_invocation(ctx, &invocation, &kind).await?;
        if kind == "DryRun" {
            return Ok(InvokeWithResponseStreamResponse {
                status_code: Some(204),
                ..Default::default()
            });
        }
        let ctx = owners.unwrap_or_else(|| ctx.clone());
        let version = record
            .config
            .version
            .clone()
            .unwrap_or_else(|| "$LATEST".to_owned());
        let (chunks, mut streamed) = mpsc::channel(IN_FLIGHT);
        let lambda = self.clone();
        let mut run = tokio::spawn(async move {
            let request_id = ctx.request_id.clone();
            lambda
                .invoke_streaming(&ctx, &record, (payload, &invocation), &request_id, Some(chunks))
                .await
        });
        let events = match streamed.recv().await {
            // Answered whole, or failed before it could run: the call's error.
            None => {
                let answered = (&mut run)
                    .await
                    .map_err(|e| AwsError::internal(e.to_string()))??;
                EventStream::of(whole(answered))
            }
            Some(first) => {
                let (events, stream) = EventStream::channel(IN_FLIGHT);
                tokio::spawn(async move {
                    let mut next = Some(first);
                    while let Some(data) = next {
                        if events.send(chunk(data)).await.is_err() {
                            break;
                        }
                        next = streamed.recv().await;
                    }
                    let complete = match run.await {
                        Ok(Ok(answered)) => completion(&answered),
                        Ok(Err(error)) => failed(&error.code, error.message),
                        Err(error) => failed("ServiceException", error.to_string()),
                    };
                    let _ = events.send(complete).await;
                });
                stream
            }
        };
        Ok(InvokeWithResponseStreamResponse {
            status_code: Some(200),
            executed_version: Some(version),
            event_stream: Some(events),
            response_stream_content_type: None,
        })
    }
}

fn chunk(payload: Bytes) -> Event {
    Event {
        payload_chunk: Some(InvokeResponseStreamUpdate {
            payload: Some(payload),
        }),
        ..Default::default()
    }
}

/// The events of an answer given whole: its payload (unless it failed),
/// then the completion.
fn whole(answered: InvocationResponse) -> Vec<Event> {
    let mut events = Vec::new();
    if answered.function_error.is_none() {
        events.push(chunk(answered.payload.clone().unwrap_or_default()));
    }
    events.push(completion(&answered));
    events
}

/// InvokeComplete: the error of a failed invocation (its errorType and
/// document), the log tail when asked.
fn completion(answered: &InvocationResponse) -> Event {
    let mut complete = match &answered.function_error {
        None => InvokeWithResponseStreamCompleteEvent::default(),
        Some(_) => {
            let payload = answered.payload.clone().unwrap_or_default();
            InvokeWithResponseStreamCompleteEvent {
                error_code: Some(error_type(&payload)),
                error_details: Some(String::from_utf8_lossy(&payload).into_owned()),
                log_result: None,
            }
        }
    };
    complete.log_result = answered.log_result.clone();
    Event {
        invoke_complete: Some(complete),
        ..Default::default()
    }
}

fn failed(code: &str, details: String) -> Event {
    Event {
        invoke_complete: Some(InvokeWithResponseStreamCompleteEvent {
            error_code: Some(code.to_owned()),
            error_details: Some(details),
            log_result: None,
        }),
        ..Default::default()
    }
}

/// The errorType of an error payload (`Unhandled` when it names none).
fn error_type(payload: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(payload)
        .ok()
        .and_then(|error| error.get("errorType").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "Unhandled".to_owned())
}
