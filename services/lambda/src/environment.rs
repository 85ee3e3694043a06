//! An execution environment: the function's runtime as a local process
//! (its own process group), its Runtime API, and the log lines it writes.
//! One invocation at a time; reused while warm, ended at a timeout.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nimbus_runtime::Clock;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::{mpsc, oneshot, watch};

use crate::log_shipping::LogSink;
use crate::runtime_api::{Invocation, Outcome, RuntimeApi};
use crate::runtimes::Launch;

/// The longest an invocation waits for its output to be read.
const CATCH_UP_AT_MOST: Duration = Duration::from_millis(100);
/// How long a reading of the runtime's memory high-water mark is used.
const PEAK_FRESH_FOR: Duration = Duration::from_millis(100);

/// What an environment is started with.
pub struct Spec {
    pub launch: Launch,
    pub task_root: PathBuf,
    /// The reserved variables and the function's own.
    pub variables: Vec<(String, String)>,
    /// Where its lines go in CloudWatch Logs (none when no Logs is wired).
    pub log: Option<LogSink>,
    /// When the execution role's session it was given ends.
    pub credentials_expire: Option<std::time::SystemTime>,
    /// The function's MemorySize: a runtime holding more is ended.
    pub memory_mb: Option<u64>,
}

/// How an invocation ended, seen from outside the runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    Reported(Outcome),
    /// The deadline passed; the environment was ended.
    TimedOut,
    /// The runtime held more memory than the function's MemorySize; the
    /// environment was ended.
    OutOfMemory,
    /// The process exited (or failed to initialise) before answering.
    Exited {
        init_error: Option<Outcome>,
        status: String,
    },
}

pub struct Environment {
    api: RuntimeApi,
    invocations: mpsc::Sender<Invocation>,
    process_group: i32,
    exited: watch::Receiver<Option<String>>,
    /// Lines the process wrote since the current invocation began.
    log: Arc<Mutex<Vec<String>>>,
    /// Asks each output reader to take in what the process has written.
    readers: Vec<mpsc::UnboundedSender<oneshot::Sender<()>>>,
    sink: Option<LogSink>,
    credentials_expire: Option<std::time::SystemTime>,
    memory_mb: Option<u64>,
    started: std::time::Instant,
    /// The runtime's memory high-water mark as last read, and when.
    last_peak: Mutex<Option<(std::time::Instant, u64)>>,
    /// Whether an invocation's REPORT has said how long init took.
    init_reported: std::sync::atomic::AtomicBool,
    /// Set once the environment is ended: it is not alive even before its
    /// process has been seen to exit.
    ended: std::sync::atomic::AtomicBool,
}

impl Environment {
    pub async fn start(spec: Spec) -> Result<Environment, String> {
        let started = std::time::Instant::now();
        let (api, invocations) = RuntimeApi::start()
            .await
            .map_err(|e| format!("cannot serve the Runtime API: {e}"))?;
        let mut command = match &spec.launch {
            Launch::Interpreter { program, client } => {
                let mut command = tokio::process::Command::new(program);
                command.arg(client);
                command
            }
            Launch::Bootstrap(bootstrap) => tokio::process::Command::new(bootstrap),
        };
        command
            .current_dir(&spec.task_root)
            .env_clear()
            .envs(spec.variables.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("AWS_LAMBDA_RUNTIME_API", api.address.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start the runtime: {e}"))?;
        let process_group = child.id().and_then(|id| i32::try_from(id).ok()).unwrap_or(0);
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut readers = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            let (barriers, heard) = mpsc::unbounded_channel();
            tokio::spawn(collect_lines(stdout, Arc::clone(&log), spec.log.clone(), heard));
            readers.push(barriers);
        }
        if let Some(stderr) = child.stderr.take() {
            let (barriers, heard) = mpsc::unbounded_channel();
            tokio::spawn(collect_lines(stderr, Arc::clone(&log), spec.log.clone(), heard));
            readers.push(barriers);
        }
        let (exit_sender, exited) = watch::channel(None);
        tokio::spawn(async move {
            let status = match child.wait().await {
                Ok(status) => status.to_string(),
                Err(error) => error.to_string(),
            };
            let _ = exit_sender.send(Some(status));
        });
        Ok(Environment {
            api,
            invocations,
            process_group,
            exited,
            log,
            readers,
            sink: spec.log,
            credentials_expire: spec.credentials_expire,
            memory_mb: spec.memory_mb,
            started,
            last_peak: Mutex::new(None),
            init_reported: std::sync::atomic::AtomicBool::new(false),
            ended: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// How long the runtime took to initialise, told once (the first
    /// invocation's REPORT line carries it).
    pub fn init_duration(&self) -> Option<Duration> {
        let polled = self.api.first_poll()?;
        let first = !self.init_reported.swap(true, std::sync::atomic::Ordering::AcqRel);
        first.then(|| polled.duration_since(self.started))
    }

    /// An environment started ahead of demand (provisioned concurrency): its
    /// invocations' REPORT lines carry no init.
    pub fn started_ahead(&self) {
        self.init_reported
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// Returns once the runtime holds more than the function's MemorySize.
    async fn memory_exceeded(&self) {
        match self.memory_mb {
            Some(limit) if self.process_group > 0 => crate::memory::exceeded(self.process_group, limit).await,
            _ => std::future::pending().await,
        }
    }

    /// The most memory the runtime has held, in MB; an environment that
    /// went past its MemorySize is ended (as Lambda's would have been).
    /// Read from /proc at most every [`PEAK_FRESH_FOR`]: a busy environment
    /// answers thousands of invocations a second, and the high-water mark
    /// only grows.
    pub fn peak_memory(&self) -> Option<u64> {
        let now = std::time::Instant::now();
        let mut last = self.last_peak.lock().ok()?;
        let peak = match *last {
            Some((read, peak)) if now.duration_since(read) < PEAK_FRESH_FOR => peak,
            _ => {
                let peak = crate::memory::peak_mb(self.process_group)?;
                *last = Some((now, peak));
                peak
            }
        };
        if self.memory_mb.is_some_and(|limit| peak > limit) {
            self.end();
        }
        Some(peak)
    }

    /// Whether its credentials still have a while left at `now` (or it has
    /// none that expire).
    pub fn credentials_last_past(&self, now: std::time::SystemTime) -> bool {
        self.credentials_expire
            .is_none_or(|expires| expires > now + crate::execution_role::USABLE_FOR)
    }

    /// Whether the process still runs.
    pub fn alive(&self) -> bool {
        !self.ended.load(std::sync::atomic::Ordering::Acquire) && self.exited.borrow().is_none()
    }

    /// Runs one invocation until the runtime answers, the process exits or
    /// the timeout passes (then the environment is ended).
    pub async fn invoke(
        &self,
        clock: &Clock,
        timeout: Duration,
        build: impl FnOnce(oneshot::Sender<Outcome>) -> Invocation,
    ) -> Ended {
        if let Ok(mut log) = self.log.lock() {
            log.clear();
        }
        let (reply, outcome) = oneshot::channel();
        let mut exited = self.exited.clone();
        let sent = self.invocations.send(build(reply));
        let waited = async {
            if sent.await.is_err() {
                return None;
            }
            outcome.await.ok()
        };
        tokio::select! {
            outcome = waited => match outcome {
                Some(outcome) => Ended::Reported(outcome),
                None => self.exit(&mut self.exited.clone()).await,
            },
            _ = async { exited.wait_for(Option::is_some).await.is_ok() } => self.exit(&mut self.exited.clone()).await,
            () = clock.sleep(timeout) => {
                self.end();
                Ended::TimedOut
            }
            () = self.memory_exceeded() => {
                self.end();
                Ended::OutOfMemory
            }
        }
    }

    async fn exit(&self, exited: &mut watch::Receiver<Option<String>>) -> Ended {
        let status = exited
            .wait_for(Option::is_some)
            .await
            .map(|s| s.clone().unwrap_or_default())
            .unwrap_or_default();
        Ended::Exited {
            init_error: self.api.init_error(),
            status,
        }
    }

    /// The log lines of the current (or last) invocation, once the process
    /// has had a moment to write what it printed before answering.
    pub async fn log_lines(&self) -> Vec<String> {
        self.catch_up().await;
        self.log.lock().map(|log| log.clone()).unwrap_or_default()
    }

    /// Returns once the output readers have taken in what the process wrote
    /// before now (its answer came after its lines: END must follow them).
    pub async fn catch_up(&self) {
        let mut acknowledged = Vec::new();
        for reader in &self.readers {
            let (done, heard) = oneshot::channel();
            if reader.send(done).is_ok() {
                acknowledged.push(heard);
            }
        }
        for heard in acknowledged {
            let _ = tokio::time::timeout(CATCH_UP_AT_MOST, heard).await;
        }
    }

    /// Writes a line of Lambda's own (START, END, REPORT) to the
    /// environment's log stream.
    pub fn log_line(&self, line: &str) {
        if let Some(sink) = &self.sink {
            sink.line(line);
        }
    }

    /// Ends the process group (the runtime and whatever it started).
    pub fn end(&self) {
        self.ended.store(true, std::sync::atomic::Ordering::Release);
        if self.process_group > 0 {
            let group = nix::unistd::Pid::from_raw(self.process_group);
            let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        }
    }
}

impl Drop for Environment {
    fn drop(&mut self) {
        self.end();
    }
}

/// A future's output if it is ready without waiting (a zero timeout would
/// wait for the timer's next tick, a millisecond).
fn ready_now<F: std::future::Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(output) => Some(output),
        std::task::Poll::Pending => None,
    }
}

async fn collect_lines(
    stream: impl AsyncRead + Unpin,
    log: Arc<Mutex<Vec<String>>>,
    sink: Option<LogSink>,
    mut barriers: mpsc::UnboundedReceiver<oneshot::Sender<()>>,
) {
    let keep = |line: String| {
        if let Some(sink) = &sink {
            sink.line(&line);
        }
        if let Ok(mut log) = log.lock() {
            log.push(line);
        }
    };
    let mut lines = BufReader::new(stream).lines();
    loop {
        tokio::select! {
            biased;
            line = lines.next_line() => match line {
                Ok(Some(line)) => keep(line),
                _ => break,
            },
            Some(done) = barriers.recv() => {
                // What the process wrote before it answered is ready to read.
                while let Some(Ok(Some(line))) = ready_now(lines.next_line()) {
                    keep(line);
                }
                let _ = done.send(());
            }
        }
    }
    // The process is gone: nothing more will come.
    while let Some(done) = barriers.recv().await {
        let _ = done.send(());
    }
}
