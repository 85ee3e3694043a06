//! The scenarios: what each measures, and the shared means to check that a
//! server really did the work before its figures count.

mod apigateway;
mod dynamodb;
mod s3;
mod sqs;

use crate::aws::{Problem, RequestFactory, expect_success};
use crate::http_client::{BodyHandling, Connection, PreparedRequest, Reply};
use crate::load::{self, LoadReport, Operation, Plan, ReplyCheck};
use crate::settings::{MIB, Settings};
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScenarioId {
    ColdStart,
    Memory,
    S3PutSmall,
    S3GetSmall,
    S3PutLarge,
    S3GetLarge,
    SqsSendJson,
    SqsSendQuery,
    SqsReceiveDelete,
    DynamoPut,
    DynamoGet,
    DynamoQuery,
    ApiGatewayMock,
    SqsBigQueue,
    S3GetRss,
}

/// One figure a scenario reports.
#[derive(Clone, Copy, Debug)]
pub struct Metric {
    pub name: &'static str,
    pub unit: &'static str,
    pub higher_is_better: bool,
}

const REQUESTS_PER_SECOND: Metric = Metric {
    name: "throughput",
    unit: "req/s",
    higher_is_better: true,
};
const P50: Metric = Metric {
    name: "p50",
    unit: "ms",
    higher_is_better: false,
};
const P99: Metric = Metric {
    name: "p99",
    unit: "ms",
    higher_is_better: false,
};
/// CPU the server spent per request: unlike throughput, it does not depend
/// on how the client and server share the machine's cores.
const SERVER_CPU: Metric = Metric {
    name: "server CPU",
    unit: "µs/req",
    higher_is_better: false,
};

/// The result of one scenario on one server.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// One value per metric of the scenario, in order.
    Measured(Vec<f64>),
    NotMeasured(Problem),
}

impl From<Result<Vec<f64>, Problem>> for Outcome {
    fn from(result: Result<Vec<f64>, Problem>) -> Self {
        match result {
            Ok(values) => Outcome::Measured(values),
            Err(problem) => Outcome::NotMeasured(problem),
        }
    }
}

impl ScenarioId {
    pub const ALL: [ScenarioId; 15] = [
        ScenarioId::ColdStart,
        ScenarioId::Memory,
        ScenarioId::S3PutSmall,
        ScenarioId::S3GetSmall,
        ScenarioId::S3PutLarge,
        ScenarioId::S3GetLarge,
        ScenarioId::SqsSendJson,
        ScenarioId::SqsSendQuery,
        ScenarioId::SqsReceiveDelete,
        ScenarioId::DynamoPut,
        ScenarioId::DynamoGet,
        ScenarioId::DynamoQuery,
        ScenarioId::ApiGatewayMock,
        ScenarioId::SqsBigQueue,
        ScenarioId::S3GetRss,
    ];

    /// The name used on the command line and in the JSON output.
    pub fn name(self) -> &'static str {
        match self {
            ScenarioId::ColdStart => "cold-start",
            ScenarioId::Memory => "memory",
            ScenarioId::S3PutSmall => "s3-put-small",
            ScenarioId::S3GetSmall => "s3-get-small",
            ScenarioId::S3PutLarge => "s3-put-large",
            ScenarioId::S3GetLarge => "s3-get-large",
            ScenarioId::SqsSendJson => "sqs-send-json",
            ScenarioId::SqsSendQuery => "sqs-send-query",
            ScenarioId::SqsReceiveDelete => "sqs-receive-delete",
            ScenarioId::DynamoPut => "dynamodb-put",
            ScenarioId::DynamoGet => "dynamodb-get",
            ScenarioId::DynamoQuery => "dynamodb-query",
            ScenarioId::ApiGatewayMock => "apigateway-mock",
            ScenarioId::SqsBigQueue => "sqs-big-queue",
            ScenarioId::S3GetRss => "s3-get-1gib-rss",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|id| id.name() == name)
    }

    /// Scenarios run when none are named. Filling a queue with a million
    /// messages takes minutes on a slow peer, so a full run asks for it
    /// explicitly; a smoke run does it at a small scale. The 1 GiB RSS
    /// scenario moves 2 GiB and holds 1 GiB in the client: only when named.
    pub fn defaults(smoke: bool) -> Vec<Self> {
        Self::ALL
            .into_iter()
            .filter(|id| smoke || *id != ScenarioId::SqsBigQueue)
            .filter(|id| *id != ScenarioId::S3GetRss)
            .collect()
    }

    /// Whether the scenario runs against a started server (not at start-up).
    pub fn is_load(self) -> bool {
        !matches!(self, ScenarioId::ColdStart | ScenarioId::Memory)
    }

    /// Small-request scenarios: the ones with the 20x-moto / half-the-limit
    /// targets.
    pub fn is_small_request(self) -> bool {
        matches!(
            self,
            ScenarioId::S3PutSmall
                | ScenarioId::S3GetSmall
                | ScenarioId::SqsSendJson
                | ScenarioId::SqsSendQuery
                | ScenarioId::SqsReceiveDelete
                | ScenarioId::DynamoPut
                | ScenarioId::DynamoGet
                | ScenarioId::DynamoQuery
                | ScenarioId::ApiGatewayMock
        )
    }

    pub fn title(self, settings: &Settings) -> String {
        let large = format!("{} MiB", settings.large_object_bytes / MIB);
        match self {
            ScenarioId::ColdStart => format!("cold start ({} starts)", settings.cold_starts),
            ScenarioId::Memory => "memory (VmRSS)".into(),
            ScenarioId::S3PutSmall => "S3 PutObject 1 KiB".into(),
            ScenarioId::S3GetSmall => "S3 GetObject 1 KiB".into(),
            ScenarioId::S3PutLarge => format!("S3 PutObject {large}"),
            ScenarioId::S3GetLarge => format!("S3 GetObject {large}"),
            ScenarioId::SqsSendJson => "SQS SendMessage (JSON)".into(),
            ScenarioId::SqsSendQuery => "SQS SendMessage (query)".into(),
            ScenarioId::SqsReceiveDelete => "SQS ReceiveMessage+DeleteMessage".into(),
            ScenarioId::DynamoPut => "DynamoDB PutItem".into(),
            ScenarioId::DynamoGet => "DynamoDB GetItem".into(),
            ScenarioId::DynamoQuery => "DynamoDB Query (100 items)".into(),
            ScenarioId::ApiGatewayMock => "API Gateway REST API, MOCK integration".into(),
            ScenarioId::SqsBigQueue => format!(
                "SQS ReceiveMessage, queue of {} messages",
                with_thousands_separators(settings.big_queue_messages)
            ),
            ScenarioId::S3GetRss => format!(
                "server RSS around a {} MiB S3 object",
                settings.rss_object_bytes / MIB
            ),
        }
    }

    pub fn metrics(self) -> Vec<Metric> {
        match self {
            ScenarioId::ColdStart => vec![
                Metric {
                    name: "min",
                    unit: "ms",
                    higher_is_better: false,
                },
                Metric {
                    name: "median",
                    unit: "ms",
                    higher_is_better: false,
                },
            ],
            ScenarioId::Memory => vec![
                Metric {
                    name: "idle",
                    unit: "MiB",
                    higher_is_better: false,
                },
                Metric {
                    name: "after load",
                    unit: "MiB",
                    higher_is_better: false,
                },
            ],
            ScenarioId::S3PutLarge | ScenarioId::S3GetLarge => vec![Metric {
                name: "transfer",
                unit: "MB/s",
                higher_is_better: true,
            }],
            ScenarioId::S3GetRss => vec![
                Metric {
                    name: "peak RSS during PUT",
                    unit: "MiB",
                    higher_is_better: false,
                },
                Metric {
                    name: "peak RSS during GET",
                    unit: "MiB",
                    higher_is_better: false,
                },
                Metric {
                    name: "GET",
                    unit: "MB/s",
                    higher_is_better: true,
                },
            ],
            ScenarioId::SqsReceiveDelete => vec![
                Metric {
                    name: "throughput",
                    unit: "msg/s",
                    higher_is_better: true,
                },
                P50,
                P99,
                SERVER_CPU,
            ],
            ScenarioId::SqsBigQueue => vec![
                Metric {
                    name: "fill (SendMessageBatch)",
                    unit: "msg/s",
                    higher_is_better: true,
                },
                REQUESTS_PER_SECOND,
                P50,
                P99,
                SERVER_CPU,
            ],
            _ => vec![REQUESTS_PER_SECOND, P50, P99, SERVER_CPU],
        }
    }
}

/// 1000000 → "1,000,000".
fn with_thousands_separators(number: usize) -> String {
    let digits = number.to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// Everything a scenario needs to drive one running server.
pub struct Context<'a> {
    pub addr: SocketAddr,
    pub requests: RequestFactory,
    /// The limit server answers a fixed 200 to anything: its answers carry
    /// no data, so checks are skipped and placeholders stand in for ids.
    pub reference: bool,
    pub settings: &'a Settings,
    /// The server's process, whose memory some scenarios sample.
    pub server_pid: u32,
}

impl Context<'_> {
    /// Sends one request on a fresh connection and insists on a 2xx answer.
    pub async fn call(&self, request: &PreparedRequest, operation: &str) -> Result<Reply, Problem> {
        let mut connection = Connection::open(self.addr)
            .await
            .map_err(|error| Problem::failed(operation, error))?;
        let reply = connection
            .send(request, BodyHandling::Keep)
            .await
            .map_err(|error| Problem::failed(operation, error))?;
        expect_success(reply, operation)
    }

    /// Fails the scenario unless `holds` — except on the limit server,
    /// whose answers carry nothing to check.
    pub fn verify(&self, holds: bool, what: impl FnOnce() -> String) -> Result<(), Problem> {
        if holds || self.reference {
            Ok(())
        } else {
            Err(Problem::Failed(format!("check failed: {}", what())))
        }
    }

    /// The check replies must pass under load (none on the limit server).
    pub fn reply_check(&self, check: ReplyCheck) -> ReplyCheck {
        if self.reference {
            ReplyCheck::Success
        } else {
            check
        }
    }

    /// The load plan of small-request scenarios.
    pub fn small_plan(&self) -> Plan {
        Plan {
            concurrency: self.settings.concurrency,
            operations: self.settings.requests,
            max_duration: self.settings.max_duration,
        }
    }

    /// Applies load and insists that every operation succeeded.
    pub async fn load<O: Operation>(&self, operation: O, plan: Plan) -> Result<LoadReport, Problem> {
        let cpu_before = process_cpu(self.server_pid);
        let mut report = load::run(self.addr, Arc::new(operation), plan).await;
        report.server_cpu = match (cpu_before, process_cpu(self.server_pid)) {
            (Some(before), Some(after)) => after.checked_sub(before),
            _ => None,
        };
        report.require_clean().map_err(|problem| match problem {
            Problem::Failed(why) => Problem::Failed(format!("under load: {why}")),
            unsupported => unsupported,
        })?;
        Ok(report)
    }
}

/// Requests/s, p50, p99 and server CPU per request of a small-request load.
fn throughput_figures(report: &LoadReport) -> Vec<f64> {
    vec![
        report.per_second(),
        report.percentile_ms(0.50),
        report.percentile_ms(0.99),
        report.server_cpu_micros_per_operation(),
    ]
}

/// CPU time the threads of a process have run so far, from each thread's
/// `/proc/<pid>/task/<tid>/schedstat` (nanoseconds on a CPU): fine-grained
/// enough for the few requests of a smoke run, where `/proc/<pid>/stat`'s
/// 10 ms ticks read zero. Threads that ended in between are not counted.
fn process_cpu(pid: u32) -> Option<std::time::Duration> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut nanos: u64 = 0;
    for task in tasks.flatten() {
        let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) else {
            continue;
        };
        nanos += text
            .split_whitespace()
            .next()
            .and_then(|on_cpu| on_cpu.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Some(std::time::Duration::from_nanos(nanos))
}

/// Runs one load scenario (cold start and memory are measured by the runner).
pub async fn run(id: ScenarioId, context: &Context<'_>) -> Outcome {
    let result = match id {
        ScenarioId::S3PutSmall => s3::put_small(context).await,
        ScenarioId::S3GetSmall => s3::get_small(context).await,
        ScenarioId::S3PutLarge => s3::put_large(context).await,
        ScenarioId::S3GetLarge => s3::get_large(context).await,
        ScenarioId::S3GetRss => s3::get_rss(context).await,
        ScenarioId::SqsSendJson => sqs::send_json(context).await,
        ScenarioId::SqsSendQuery => sqs::send_query(context).await,
        ScenarioId::SqsReceiveDelete => sqs::receive_delete(context).await,
        ScenarioId::SqsBigQueue => sqs::big_queue(context).await,
        ScenarioId::DynamoPut => dynamodb::put_item(context).await,
        ScenarioId::DynamoGet => dynamodb::get_item(context).await,
        ScenarioId::DynamoQuery => dynamodb::query(context).await,
        ScenarioId::ApiGatewayMock => apigateway::mock(context).await,
        ScenarioId::ColdStart | ScenarioId::Memory => {
            Err(Problem::Failed("measured at start-up, not under load".into()))
        }
    };
    result.into()
}

#[cfg(test)]
mod tests {
    use super::with_thousands_separators;

    #[test]
    fn groups_digits_by_three() {
        assert_eq!(with_thousands_separators(100), "100");
        assert_eq!(with_thousands_separators(1000), "1,000");
        assert_eq!(with_thousands_separators(1_000_000), "1,000,000");
    }
}
