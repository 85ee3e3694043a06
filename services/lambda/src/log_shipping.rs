//! Functions' output to CloudWatch Logs: every line an execution environment
//! writes, and Lambda's own START, END and REPORT lines, go to the
//! environment's stream in the function's log group (created on first use,
//! as Lambda does), through CloudWatch Logs' own PutLogEvents. Lines are
//! handed to a background task that sends what gathered over a short
//! while in one call per stream, so an invocation never waits for its logs
//! and a busy function costs a few store writes a second, not one per line.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use nimbus_core::RequestContext;
use nimbus_logs_api::{
    CreateLogGroupRequest, CreateLogStreamRequest, InputLogEvent, LogsClient, PutLogEventsRequest,
};
use nimbus_runtime::Clock;
use tokio::sync::mpsc;

/// The most events sent in one PutLogEvents (CloudWatch Logs takes 10,000).
const MAX_BATCH: usize = 5_000;
/// How long lines gather before they are sent (CloudWatch shows a
/// function's lines a little after it ran, too).
const GATHER: Duration = Duration::from_millis(50);

/// Where an environment's lines go.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Destination {
    pub account: String,
    pub region: String,
    pub group: String,
    pub stream: String,
}

/// One line, as CloudWatch Logs keeps it (its message ends with a newline).
struct Line {
    destination: Arc<Destination>,
    timestamp: i64,
    message: String,
}

/// What an execution environment writes its lines with.
#[derive(Clone)]
pub struct LogSink {
    lines: mpsc::UnboundedSender<Line>,
    clock: Clock,
    destination: Arc<Destination>,
}

impl LogSink {
    /// Sends one line, stamped now.
    pub fn line(&self, text: &str) {
        let timestamp = i64::try_from(self.clock.now_epoch_millis()).unwrap_or(i64::MAX);
        let message = match text.ends_with('\n') {
            true => text.to_owned(),
            false => format!("{text}\n"),
        };
        let _ = self.lines.send(Line {
            destination: Arc::clone(&self.destination),
            timestamp,
            message,
        });
    }
}

/// The background task's end of the lines.
pub struct Shipper {
    lines: mpsc::UnboundedSender<Line>,
    clock: Clock,
}

impl Shipper {
    /// Starts sending lines to `logs`.
    pub fn start(logs: LogsClient, clock: Clock) -> Shipper {
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(ship(logs, receiver));
        Shipper { lines: sender, clock }
    }

    pub fn sink(&self, destination: Destination) -> LogSink {
        LogSink {
            lines: self.lines.clone(),
            clock: self.clock.clone(),
            destination: Arc::new(destination),
        }
    }
}

/// Sends what has gathered, one PutLogEvents per stream, until every
/// sender is gone.
async fn ship(logs: LogsClient, mut receiver: mpsc::UnboundedReceiver<Line>) {
    let mut known = HashSet::new();
    while let Some(first) = receiver.recv().await {
        tokio::time::sleep(GATHER).await;
        let mut gathered = vec![first];
        while let Ok(more) = receiver.try_recv() {
            gathered.push(more);
        }
        let mut by_stream: Vec<(Arc<Destination>, Vec<InputLogEvent>)> = Vec::new();
        for line in gathered {
            let event = InputLogEvent {
                timestamp: line.timestamp,
                message: line.message,
            };
            match by_stream.iter_mut().find(|(d, _)| *d == line.destination) {
                Some((_, events)) => events.push(event),
                None => by_stream.push((line.destination, vec![event])),
            }
        }
        for (destination, mut events) in by_stream {
            // Lines of one stream come from several tasks: put them in time order.
            events.sort_by_key(|e| e.timestamp);
            for chunk in events.chunks(MAX_BATCH) {
                send(&logs, &mut known, &destination, chunk.to_vec()).await;
            }
        }
    }
}

async fn send(
    logs: &LogsClient,
    known: &mut HashSet<Arc<Destination>>,
    destination: &Arc<Destination>,
    events: Vec<InputLogEvent>,
) {
    let ctx = RequestContext::internal("logs", "PutLogEvents", &destination.account, &destination.region);
    if !known.contains(destination) {
        create_stream(logs, &ctx, destination).await;
        known.insert(Arc::clone(destination));
    }
    let input = PutLogEventsRequest {
        log_group_name: destination.group.clone(),
        log_stream_name: destination.stream.clone(),
        log_events: events,
        ..Default::default()
    };
    let mut sent = logs.put_log_events(&ctx, input.clone()).await;
    if sent
        .as_ref()
        .is_err_and(|e| e.code == "ResourceNotFoundException")
    {
        // Deleted since: made again, as Lambda does.
        create_stream(logs, &ctx, destination).await;
        sent = logs.put_log_events(&ctx, input).await;
    }
    if let Err(error) = sent {
        tracing::warn!(group = destination.group, %error, "lambda could not write a function's log");
    }
}

/// Makes the group and stream, if they are not there.
async fn create_stream(logs: &LogsClient, ctx: &RequestContext, destination: &Destination) {
    let group = CreateLogGroupRequest {
        log_group_name: destination.group.clone(),
        ..Default::default()
    };
    let _ = logs.create_log_group(ctx, group).await;
    let stream = CreateLogStreamRequest {
        log_group_name: destination.group.clone(),
        log_stream_name: destination.stream.clone(),
    };
    let _ = logs.create_log_stream(ctx, stream).await;
}
