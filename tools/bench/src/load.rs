//! The load engine: N workers, each on its own keep-alive connection, pull
//! operation numbers from a shared counter until the count or the time cap
//! runs out, and time every operation.

use crate::aws::{Problem, expect_success};
use crate::http_client::{BodyHandling, Connection, PreparedRequest};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One unit of load: usually one request, sometimes a short exchange.
pub trait Operation: Send + Sync + 'static {
    /// Performs operation number `index`; returns the payload bytes moved.
    fn perform(
        &self,
        connection: &mut Connection,
        index: usize,
    ) -> impl Future<Output = Result<u64, Problem>> + Send;
}

/// How much load to apply.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub concurrency: usize,
    pub operations: usize,
    pub max_duration: Duration,
}

/// What a load phase measured.
#[derive(Debug)]
pub struct LoadReport {
    pub completed: usize,
    pub errors: usize,
    pub first_error: Option<Problem>,
    pub elapsed: Duration,
    pub bytes: u64,
    /// CPU time the server process spent (user + system) while the load ran,
    /// when its `/proc/<pid>/stat` could be read.
    pub server_cpu: Option<Duration>,
    /// Sorted, one per completed operation.
    latencies: Vec<Duration>,
}

impl LoadReport {
    pub fn per_second(&self) -> f64 {
        self.completed as f64 / self.elapsed.as_secs_f64()
    }

    /// Server CPU time per completed operation, in microseconds.
    pub fn server_cpu_micros_per_operation(&self) -> f64 {
        match self.server_cpu {
            Some(cpu) if self.completed > 0 => cpu.as_secs_f64() * 1e6 / self.completed as f64,
            _ => f64::NAN,
        }
    }

    pub fn megabytes_per_second(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.elapsed.as_secs_f64()
    }

    /// The latency below which `fraction` of the operations finished, in ms.
    pub fn percentile_ms(&self, fraction: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let rank = (fraction * self.latencies.len() as f64).ceil() as usize;
        let index = rank.clamp(1, self.latencies.len()) - 1;
        self.latencies[index].as_secs_f64() * 1e3
    }

    /// `Err` if any operation failed: a figure built on failed requests
    /// would be a fake. A server that refused every request as not
    /// implemented is reported as such.
    pub fn require_clean(&self) -> Result<(), Problem> {
        match &self.first_error {
            None if self.completed > 0 => Ok(()),
            None => Err(Problem::Failed("no operation completed".into())),
            Some(Problem::Unsupported(why)) if self.completed == 0 => Err(Problem::Unsupported(why.clone())),
            Some(error) => Err(Problem::Failed(format!(
                "{} of {} operations failed, first: {error}",
                self.errors,
                self.errors + self.completed
            ))),
        }
    }
}

/// Runs `operation` under `plan` against `addr`.
pub async fn run<O: Operation>(addr: SocketAddr, operation: Arc<O>, plan: Plan) -> LoadReport {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + plan.max_duration;
    let workers: Vec<_> = (0..plan.concurrency.max(1))
        .map(|_| {
            let operation = Arc::clone(&operation);
            let next = Arc::clone(&next);
            tokio::spawn(worker(addr, operation, next, plan.operations, deadline))
        })
        .collect();

    let mut report = LoadReport {
        completed: 0,
        errors: 0,
        first_error: None,
        elapsed: Duration::ZERO,
        bytes: 0,
        server_cpu: None,
        latencies: Vec::with_capacity(plan.operations),
    };
    for worker in workers {
        let outcome = worker.await.unwrap_or_else(|error| {
            WorkerOutcome::failed(Problem::Failed(format!("worker panicked: {error}")))
        });
        report.completed += outcome.latencies.len();
        report.latencies.extend(outcome.latencies);
        report.bytes += outcome.bytes;
        report.errors += outcome.errors;
        if report.first_error.is_none() {
            report.first_error = outcome.first_error;
        }
    }
    report.elapsed = started.elapsed();
    report.latencies.sort_unstable();
    report
}

#[derive(Default)]
struct WorkerOutcome {
    latencies: Vec<Duration>,
    bytes: u64,
    errors: usize,
    first_error: Option<Problem>,
}

impl WorkerOutcome {
    fn failed(error: Problem) -> Self {
        WorkerOutcome {
            errors: 1,
            first_error: Some(error),
            ..WorkerOutcome::default()
        }
    }

    fn record_error(&mut self, error: Problem) {
        self.errors += 1;
        self.first_error.get_or_insert(error);
    }
}

async fn worker<O: Operation>(
    addr: SocketAddr,
    operation: Arc<O>,
    next: Arc<AtomicUsize>,
    total: usize,
    deadline: Instant,
) -> WorkerOutcome {
    let mut outcome = WorkerOutcome::default();
    let mut connection = match Connection::open(addr).await {
        Ok(connection) => connection,
        Err(error) => return WorkerOutcome::failed(Problem::Failed(error)),
    };
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        if index >= total || Instant::now() >= deadline {
            return outcome;
        }
        let started = Instant::now();
        match operation.perform(&mut connection, index).await {
            Ok(bytes) => {
                outcome.latencies.push(started.elapsed());
                outcome.bytes += bytes;
            }
            Err(error) => {
                outcome.record_error(error);
                // Too many errors: the figure is lost anyway, stop early.
                if outcome.errors >= 100 {
                    return outcome;
                }
            }
        }
    }
}

/// What a reply must look like to count as the server doing its work.
#[derive(Clone, Debug)]
pub enum ReplyCheck {
    /// Any 2xx answer.
    Success,
    /// A 2xx answer with exactly this many body bytes (an object read back).
    BodyLen(u64),
    /// A 2xx answer of at least this many bytes (a query returning items).
    MinBodyLen(u64),
    /// A 2xx answer containing this text (a message, an item).
    Contains(&'static str),
}

/// Sends prepared requests in turn: operation `i` sends request
/// `i % requests.len()`.
pub struct Replay {
    /// The AWS operation, named in errors.
    pub operation: &'static str,
    pub requests: Vec<PreparedRequest>,
    pub handling: BodyHandling,
    pub check: ReplyCheck,
}

impl Operation for Replay {
    async fn perform(&self, connection: &mut Connection, index: usize) -> Result<u64, Problem> {
        let request = &self.requests[index % self.requests.len()];
        let reply = connection
            .send(request, self.handling)
            .await
            .map_err(Problem::Failed)?;
        let reply = expect_success(reply, self.operation)?;
        let wrong = match &self.check {
            ReplyCheck::Success => None,
            ReplyCheck::BodyLen(expected) => (reply.body_len != *expected)
                .then(|| format!("{} bytes, expected {expected}", reply.body_len)),
            ReplyCheck::MinBodyLen(minimum) => (reply.body_len < *minimum)
                .then(|| format!("{} bytes, expected at least {minimum}", reply.body_len)),
            ReplyCheck::Contains(text) => {
                (!contains(&reply.body, text.as_bytes())).then(|| format!("answer lacks {text:?}"))
            }
        };
        match wrong {
            Some(why) => Err(Problem::Failed(format!("wrong answer: {why}"))),
            None => Ok(request.body.len() as u64 + reply.body_len),
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}
