//! SQS: SendMessage in both protocols, Receive+Delete, and receiving from a
//! very deep queue.

use super::{Context, throughput_figures};
use crate::aws::{Problem, RequestFactory, expect_success, json_body};
use crate::http_client::{BodyHandling, Connection, PreparedRequest};
use crate::load::{Operation, Plan, Replay, ReplyCheck};
use serde_json::json;

/// Message body: 256 bytes, a typical small event.
fn message_body() -> String {
    "m".repeat(256)
}

/// Entries per SendMessageBatch, the most SQS allows.
const BATCH_SIZE: usize = 10;

pub async fn send_json(context: &Context<'_>) -> Result<Vec<f64>, Problem> {
    let queue_url = create_queue(context, "bench-send-json").await?;
    let send = send_json_request(context, &queue_url, "check");
    context.call(&send, "SendMessage").await?;
    receive_and_check(context, &queue_url, "check").await?;

    let send = send_json_request(context, &queue_url, &message_body());
    let report = context
        .load(
            replay(context, "SendMessage", send, ReplyCheck::Contains("MessageId")),
            context.small_plan(),
        )
        .await?;
    check_depth(context, &queue_url, report.completed).await?;
    Ok(throughput_figures(&report))
}

pub async fn send_query(context: &Context<'_>) -> Result<Vec<f64>, Problem> {
    let queue_url = create_queue(context, "bench-send-query").await?;
    // The message sent in the query protocol is read back in JSON: same queue.
    let send = send_query_request(context, &queue_url, "check");
    context.call(&send, "SendMessage (query)").await?;
    receive_and_check(context, &queue_url, "check").await?;

    let send = send_query_request(context, &queue_url, &message_body());
    let report = context
        .load(
            replay(
                context,
                "SendMessage (query)",
                send,
                ReplyCheck::Contains("<MessageId>"),
            ),
            context.small_plan(),
        )
        .await?;
    check_depth(context, &queue_url, report.completed).await?;
    Ok(throughput_figures(&report))
}

pub async fn receive_delete(context: &Context<'_>) -> Result<Vec<f64>, Problem> {
    let queue_url = create_queue(context, "bench-receive-delete").await?;
    // A slow server may not take all messages within the time cap; the
    // consumer then handles as many as it got.
    let messages = fill(
        context,
        &queue_url,
        context.settings.requests,
        context.settings.max_duration,
    )
    .await?
    .messages;
    check_depth(context, &queue_url, messages).await?;

    let operation = ReceiveAndDelete {
        requests: context.requests.clone(),
        receive: receive_request(context, &queue_url, 1),
        queue_url: queue_url.clone(),
        reference: context.reference,
    };
    let plan = Plan {
        operations: messages,
        ..context.small_plan()
    };
    let report = context.load(operation, plan).await?;
    // Every message handled under load is gone, the rest still wait.
    check_depth(context, &queue_url, messages - report.completed).await?;
    Ok(throughput_figures(&report))
}

pub async fn big_queue(context: &Context<'_>) -> Result<Vec<f64>, Problem> {
    let queue_url = create_queue(context, "bench-big-queue").await?;
    let filled = fill(
        context,
        &queue_url,
        context.settings.big_queue_messages,
        context.settings.big_queue_fill_allowance(),
    )
    .await?;
    if filled.messages < context.settings.big_queue_messages {
        return Err(Problem::Failed(format!(
            "filling the queue: only {} of {} messages taken within {} s",
            filled.messages,
            context.settings.big_queue_messages,
            context.settings.big_queue_fill_allowance().as_secs()
        )));
    }
    check_depth(context, &queue_url, filled.messages).await?;

    let receive = receive_request(context, &queue_url, BATCH_SIZE);
    let report = context
        .load(
            replay(
                context,
                "ReceiveMessage",
                receive,
                ReplyCheck::Contains("ReceiptHandle"),
            ),
            context.small_plan(),
        )
        .await?;
    let mut figures = vec![filled.messages_per_second];
    figures.extend(throughput_figures(&report));
    Ok(figures)
}

fn replay(
    context: &Context<'_>,
    operation: &'static str,
    request: PreparedRequest,
    check: ReplyCheck,
) -> Replay {
    Replay {
        operation,
        requests: vec![request],
        handling: BodyHandling::Keep,
        check: context.reply_check(check),
    }
}

async fn create_queue(context: &Context<'_>, name: &str) -> Result<String, Problem> {
    let request = context
        .requests
        .sqs_json("CreateQueue", &json!({ "QueueName": name }));
    let reply = context.call(&request, "CreateQueue").await?;
    if context.reference {
        return Ok(context.requests.placeholder_queue_url(name));
    }
    json_body(&reply, "CreateQueue")?
        .get("QueueUrl")
        .and_then(|url| url.as_str())
        .map(str::to_owned)
        .ok_or_else(|| Problem::failed("CreateQueue", "answer has no QueueUrl"))
}

fn send_json_request(context: &Context<'_>, queue_url: &str, body: &str) -> PreparedRequest {
    context.requests.sqs_json(
        "SendMessage",
        &json!({ "QueueUrl": queue_url, "MessageBody": body }),
    )
}

fn send_query_request(context: &Context<'_>, queue_url: &str, body: &str) -> PreparedRequest {
    context
        .requests
        .sqs_query("SendMessage", &[("QueueUrl", queue_url), ("MessageBody", body)])
}

fn receive_request(context: &Context<'_>, queue_url: &str, max_messages: usize) -> PreparedRequest {
    context.requests.sqs_json(
        "ReceiveMessage",
        &json!({ "QueueUrl": queue_url, "MaxNumberOfMessages": max_messages, "WaitTimeSeconds": 0 }),
    )
}

/// Receives one message, checks its body, and deletes it.
async fn receive_and_check(context: &Context<'_>, queue_url: &str, expected: &str) -> Result<(), Problem> {
    let reply = context
        .call(&receive_request(context, queue_url, 1), "ReceiveMessage")
        .await?;
    if context.reference {
        return Ok(());
    }
    let answer = json_body(&reply, "ReceiveMessage")?;
    let message = &answer["Messages"][0];
    context.verify(message["Body"] == expected, || {
        format!("ReceiveMessage returned {answer}, expected the body {expected:?}")
    })?;
    let handle = message["ReceiptHandle"].as_str().unwrap_or_default();
    let delete = context.requests.sqs_json(
        "DeleteMessage",
        &json!({ "QueueUrl": queue_url, "ReceiptHandle": handle }),
    );
    context.call(&delete, "DeleteMessage").await.map(drop)
}

/// Checks the queue holds exactly `expected` messages (visible or in flight).
async fn check_depth(context: &Context<'_>, queue_url: &str, expected: usize) -> Result<(), Problem> {
    let request = context.requests.sqs_json(
        "GetQueueAttributes",
        &json!({
            "QueueUrl": queue_url,
            "AttributeNames": ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        }),
    );
    let reply = context.call(&request, "GetQueueAttributes").await?;
    if context.reference {
        return Ok(());
    }
    let answer = json_body(&reply, "GetQueueAttributes")?;
    let count = |name: &str| {
        answer["Attributes"][name]
            .as_str()
            .and_then(|count| count.parse::<usize>().ok())
            .unwrap_or(0)
    };
    let depth = count("ApproximateNumberOfMessages") + count("ApproximateNumberOfMessagesNotVisible");
    context.verify(depth == expected, || {
        format!("the queue holds {depth} messages, expected {expected}")
    })
}

struct Filled {
    messages: usize,
    messages_per_second: f64,
}

/// Puts `messages` (rounded up to whole batches) into the queue with
/// SendMessageBatch, as fast as the server takes them, for at most
/// `max_duration`; says how many it put.
async fn fill(
    context: &Context<'_>,
    queue_url: &str,
    messages: usize,
    max_duration: std::time::Duration,
) -> Result<Filled, Problem> {
    let body = message_body();
    let entries: Vec<_> = (0..BATCH_SIZE)
        .map(|index| json!({ "Id": format!("m{index}"), "MessageBody": body }))
        .collect();
    // The same batch sent again is a new set of messages: one request will do.
    let batch = context.requests.sqs_json(
        "SendMessageBatch",
        &json!({ "QueueUrl": queue_url, "Entries": entries }),
    );
    let batches = messages.div_ceil(BATCH_SIZE);
    let plan = Plan {
        operations: batches,
        max_duration,
        ..context.small_plan()
    };
    let report = context
        .load(
            replay(
                context,
                "SendMessageBatch",
                batch,
                ReplyCheck::Contains("Successful"),
            ),
            plan,
        )
        .await
        .map_err(|problem| match problem {
            Problem::Failed(why) => Problem::Failed(format!("filling the queue: {why}")),
            unsupported => unsupported,
        })?;
    Ok(Filled {
        messages: report.completed * BATCH_SIZE,
        messages_per_second: (report.completed * BATCH_SIZE) as f64 / report.elapsed.as_secs_f64(),
    })
}

/// Receives one message and deletes it by its receipt handle: the consumer
/// loop of every SQS worker.
struct ReceiveAndDelete {
    requests: RequestFactory,
    receive: PreparedRequest,
    queue_url: String,
    reference: bool,
}

impl Operation for ReceiveAndDelete {
    async fn perform(&self, connection: &mut Connection, _index: usize) -> Result<u64, Problem> {
        let reply = connection
            .send(&self.receive, BodyHandling::Keep)
            .await
            .map_err(Problem::Failed)?;
        let reply = expect_success(reply, "ReceiveMessage")?;
        let handle = if self.reference {
            "reference".to_owned()
        } else {
            receipt_handle(&reply.body)
                .ok_or_else(|| Problem::failed("ReceiveMessage", "no message returned"))?
        };
        let delete = self.requests.sqs_json(
            "DeleteMessage",
            &json!({ "QueueUrl": self.queue_url, "ReceiptHandle": handle }),
        );
        let deleted = connection
            .send(&delete, BodyHandling::Keep)
            .await
            .map_err(Problem::Failed)?;
        expect_success(deleted, "DeleteMessage")?;
        Ok(reply.body_len + delete.body.len() as u64)
    }
}

fn receipt_handle(body: &[u8]) -> Option<String> {
    let answer: serde_json::Value = serde_json::from_slice(body).ok()?;
    answer["Messages"][0]["ReceiptHandle"].as_str().map(str::to_owned)
}
