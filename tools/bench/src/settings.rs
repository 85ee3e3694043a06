//! How much work each scenario does: a full run or a smoke run.

use std::time::Duration;

/// Sizes and limits shared by every scenario of one run.
#[derive(Clone, Debug)]
pub struct Settings {
    /// A smoke run: a few requests per scenario, only to prove the harness works.
    pub smoke: bool,
    /// Connections kept open by the load client for small requests.
    pub concurrency: usize,
    /// Requests per small-request scenario (fewer if `max_duration` runs out).
    pub requests: usize,
    /// Time cap of one load phase, so a slow peer cannot stall the run.
    pub max_duration: Duration,
    /// Size of the "large" S3 object.
    pub large_object_bytes: usize,
    /// Large transfers per direction.
    pub large_transfers: usize,
    /// Connections used for large transfers: each holds a whole object in
    /// the server, so fewer than for small requests.
    pub large_concurrency: usize,
    /// Size of the object whose upload and download the RSS scenario watches.
    pub rss_object_bytes: usize,
    /// Starts timed for the cold-start figure.
    pub cold_starts: usize,
    /// Messages in the queue of the big-queue scenario.
    pub big_queue_messages: usize,
    /// Pause between readiness and the idle RSS reading, so lazy start-up
    /// work is counted.
    pub idle_settle: Duration,
    /// How long a server may take to answer its first request.
    pub ready_timeout: Duration,
    /// Time cap of one whole scenario, set-up and checks included.
    pub scenario_timeout: Duration,
    /// nimbus runs with `--ephemeral` instead of its durable default.
    pub nimbus_ephemeral: bool,
}

pub const MIB: usize = 1024 * 1024;

impl Settings {
    pub fn full() -> Self {
        Settings {
            smoke: false,
            concurrency: 16,
            // Enough for about a second of load at the limit server's pace.
            requests: 100_000,
            max_duration: Duration::from_secs(10),
            large_object_bytes: 64 * MIB,
            large_transfers: 8,
            large_concurrency: 2,
            rss_object_bytes: 1024 * MIB,
            cold_starts: 5,
            big_queue_messages: 1_000_000,
            idle_settle: Duration::from_secs(1),
            ready_timeout: Duration::from_secs(60),
            scenario_timeout: Duration::from_secs(300),
            nimbus_ephemeral: false,
        }
    }

    pub fn smoke() -> Self {
        Settings {
            smoke: true,
            concurrency: 4,
            requests: 8,
            max_duration: Duration::from_secs(2),
            large_object_bytes: 4 * MIB,
            large_transfers: 1,
            large_concurrency: 1,
            rss_object_bytes: 16 * MIB,
            cold_starts: 3,
            big_queue_messages: 100,
            idle_settle: Duration::from_millis(100),
            ready_timeout: Duration::from_secs(10),
            scenario_timeout: Duration::from_secs(30),
            nimbus_ephemeral: false,
        }
    }

    /// The big-queue fill is the one phase that scales with the queue, not
    /// with `requests`: it may take 2 ms a message (a slow peer fills about
    /// 1,000 messages/s with batches of 10).
    pub fn big_queue_fill_allowance(&self) -> Duration {
        Duration::from_millis(self.big_queue_messages as u64 * 2).max(self.max_duration)
    }

    /// Time cap of the whole big-queue scenario: the fill, and the rest.
    pub fn big_queue_timeout(&self) -> Duration {
        self.scenario_timeout + self.big_queue_fill_allowance()
    }
}
