//! Group commit: one thread runs every [`Store::write`](crate::Store::write)
//! closure, many per transaction, and commits each transaction once.
//!
//! A durable commit costs an fsync (a few hundred microseconds), so one
//! commit per write caps a store at a few thousand writes per second however
//! many clients wait. Here callers queue their closures; the writer thread
//! takes the first one, then every one queued meanwhile (mostly those that
//! arrived while the previous commit was in flight), up to [`MAX_BATCH`]
//! closures or [`MAX_BATCH_WORK`] of closure time. It runs them one after
//! another in one write transaction, commits once with durability, and only
//! then answers each caller with its own closure's result.
//!
//! Closures are isolated from each other's failures: a closure that returns
//! `Err` or panics is rolled back alone (its keys get their previous values
//! back from the transaction's undo log, its attached blobs are deleted, its
//! released blobs kept) and the batch goes on. The first closure of a
//! transaction records no undo log: when it fails there is nothing else in
//! the transaction, which is dropped and begun again. Failed closures are
//! answered after the commit too, since they may have read what earlier
//! closures of the batch wrote.
//!
//! The result is the same as running the closures one by one in their
//! queue order, each in its own transaction; only the fsyncs are shared.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, RwLock};
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use crate::error::{Result, StoreError};
use crate::txn::WriteTxn;

/// At most this many closures share a commit: bounds a batch's latency and
/// the memory its pending results hold.
pub(crate) const MAX_BATCH: usize = 256;

/// No further closure joins a batch once its closures have run this long:
/// the callers already in it should not wait on an ever-growing batch.
pub(crate) const MAX_BATCH_WORK: Duration = Duration::from_millis(2);

/// A caller's closure with the way to answer it, type-erased for the queue.
pub(crate) trait Job: Send {
    /// Runs the closure (once); says whether it succeeded, i.e. whether its
    /// writes are to be committed.
    fn run(&mut self, txn: &WriteTxn) -> bool;

    /// Answers the caller: its closure's result, unless the closure
    /// succeeded and `failure` says its writes were not committed.
    fn answer(self: Box<Self>, failure: Option<StoreError>);
}

/// Where a caller waits for its answer.
pub(crate) enum Reply<T> {
    /// `Store::write`, awaiting.
    Async(tokio::sync::oneshot::Sender<T>),
    /// `Store::write_blocking`, blocked on a channel.
    Blocking(SyncSender<T>),
}

impl<T> Reply<T> {
    fn send(self, value: T) {
        // A caller that went away (a cancelled request) needs no answer.
        let _ = match self {
            Reply::Async(sender) => sender.send(value).map_err(drop),
            Reply::Blocking(sender) => sender.send(value).map_err(drop),
        };
    }
}

/// One `Store::write` call on its way through the writer.
pub(crate) struct Call<F, R, E> {
    /// The caller's closure; `None` once run.
    work: Option<F>,
    /// What the closure returned; `None` until run.
    result: Option<Result<R, E>>,
    reply: Reply<Result<R, E>>,
}

impl<F, R, E> Call<F, R, E> {
    pub(crate) fn new(work: F, reply: Reply<Result<R, E>>) -> Self {
        Call {
            work: Some(work),
            result: None,
            reply,
        }
    }
}

impl<F, R, E> Job for Call<F, R, E>
where
    F: FnOnce(&WriteTxn) -> Result<R, E> + Send,
    R: Send,
    E: From<StoreError> + Send,
{
    fn run(&mut self, txn: &WriteTxn) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        let result = match catch_unwind(AssertUnwindSafe(|| work(txn))) {
            Ok(result) => result,
            Err(panic) => Err(E::from(StoreError::Task(format!(
                "a write closure panicked: {}",
                panic_message(panic.as_ref())
            )))),
        };
        let succeeded = result.is_ok();
        self.result = Some(result);
        succeeded
    }

    fn answer(self: Box<Self>, failure: Option<StoreError>) {
        let Call { result, reply, .. } = *self;
        let answer = match (result, failure) {
            (Some(Ok(_)), Some(failure)) => Err(E::from(failure)),
            (Some(result), _) => result,
            (None, failure) => {
                Err(E::from(failure.unwrap_or_else(|| {
                    StoreError::Task("the write was never run".to_owned())
                })))
            }
        };
        reply.send(answer);
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    if let Some(message) = panic.downcast_ref::<&str>() {
        message
    } else if let Some(message) = panic.downcast_ref::<String>() {
        message
    } else {
        "(no message)"
    }
}

/// What the writer thread needs to begin transactions.
struct Target {
    db: Arc<redb::Database>,
    blobs_dir: PathBuf,
    unlink_gate: Arc<RwLock<()>>,
    /// Commit with durability (all but ephemeral stores).
    durable: bool,
}

impl Target {
    fn begin(&self) -> Result<WriteTxn> {
        WriteTxn::new(
            self.db.begin_write()?,
            self.blobs_dir.clone(),
            self.unlink_gate.clone(),
            self.durable,
        )
    }
}

/// The handle on the writer thread, owned by the store. Dropping it lets
/// the thread finish the queued closures, then waits for it to end (so the
/// database is closed when the last `Store` is dropped).
pub(crate) struct Writer {
    /// The queue; `None` only while dropping.
    queue: Option<Sender<Box<dyn Job>>>,
    thread: Option<JoinHandle<()>>,
    /// To refuse blocking waits from inside a closure (they would wait on themselves).
    thread_id: ThreadId,
}

impl Writer {
    pub(crate) fn start(
        db: Arc<redb::Database>,
        blobs_dir: PathBuf,
        unlink_gate: Arc<RwLock<()>>,
        durable: bool,
    ) -> Result<Writer> {
        let (queue, jobs) = mpsc::channel();
        let target = Target {
            db,
            blobs_dir,
            unlink_gate,
            durable,
        };
        let thread = std::thread::Builder::new()
            .name("nimbus-store-writer".to_owned())
            .spawn(move || serve(&target, &jobs))
            .map_err(|e| StoreError::io("start the store's writer thread", e))?;
        Ok(Writer {
            queue: Some(queue),
            thread_id: thread.thread().id(),
            thread: Some(thread),
        })
    }

    /// Queues a closure; it is answered through its reply in every case.
    pub(crate) fn submit(&self, job: Box<dyn Job>) {
        let Some(queue) = &self.queue else {
            return job.answer(Some(stopped()));
        };
        if let Err(mpsc::SendError(job)) = queue.send(job) {
            job.answer(Some(stopped()));
        }
    }

    /// Whether the current thread is the writer thread (inside a closure).
    pub(crate) fn is_current(&self) -> bool {
        std::thread::current().id() == self.thread_id
    }
}

fn stopped() -> StoreError {
    StoreError::Task("the store's writer thread has stopped".to_owned())
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.queue = None;
        // The last store handle can be dropped by a closure, on the writer
        // thread itself: it ends on its own once the queue is empty.
        if let Some(thread) = self.thread.take()
            && !self.is_current()
        {
            let _ = thread.join();
        }
    }
}

/// The writer thread: a batch per wake-up until every store handle is gone.
fn serve(target: &Target, jobs: &Receiver<Box<dyn Job>>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = Batch::default();
        // Our own code does not panic; should redb, the callers of this
        // batch get an error (their replies are dropped) and the next batch
        // starts afresh.
        let _ = catch_unwind(AssertUnwindSafe(|| batch.run(target, first, jobs)));
    }
}

/// The closures of one commit, by outcome so far.
#[derive(Default)]
struct Batch {
    /// Ran successfully: committed with the transaction.
    kept: Vec<Box<dyn Job>>,
    /// Failed and rolled back: answered with their own error after the commit.
    failed: Vec<Box<dyn Job>>,
}

impl Batch {
    fn run(&mut self, target: &Target, first: Box<dyn Job>, jobs: &Receiver<Box<dyn Job>>) {
        let started = Instant::now();
        let mut txn: Option<WriteTxn> = None;
        let mut next = Some(first);
        while let Some(mut job) = next.take() {
            let current = match txn.take() {
                Some(current) => current,
                None => match target.begin() {
                    Ok(begun) => begun,
                    Err(err) => {
                        // Only failed closures can be pending here: nothing was kept.
                        job.answer(Some(err));
                        return self.finish(None);
                    }
                },
            };
            let mark = current.begin_closure(!self.kept.is_empty());
            if job.run(&current) {
                self.kept.push(job);
                txn = Some(current);
            } else {
                self.failed.push(job);
                if self.kept.is_empty() {
                    // Nothing else in the transaction: drop it, begin anew
                    // for the next closure.
                    drop(current);
                } else {
                    match catch_unwind(AssertUnwindSafe(|| current.roll_back_to(&mark))) {
                        Ok(Ok(())) => txn = Some(current),
                        Ok(Err(err)) => {
                            drop(current);
                            return self.finish(Some(Err(err)));
                        }
                        Err(_) => {
                            drop(current);
                            let err =
                                StoreError::Task("rolling back a failed write closure panicked".to_owned());
                            return self.finish(Some(Err(err)));
                        }
                    }
                }
            }
            if self.kept.len() + self.failed.len() < MAX_BATCH && started.elapsed() < MAX_BATCH_WORK {
                next = jobs.try_recv().ok();
            }
        }
        let outcome = txn.map(WriteTxn::commit);
        self.finish(outcome);
    }

    /// Answers every caller, once the transaction's fate (`None`: nothing
    /// to commit) is known.
    fn finish(&mut self, outcome: Option<Result<()>>) {
        let kept = std::mem::take(&mut self.kept);
        match outcome {
            None | Some(Ok(())) => {
                for job in kept {
                    job.answer(None);
                }
            }
            Some(Err(err)) => {
                let count = kept.len();
                let mut original = Some(err);
                for (i, job) in kept.into_iter().enumerate() {
                    let failure = if i + 1 == count {
                        original.take()
                    } else {
                        original.as_ref().map(shared_failure)
                    };
                    job.answer(Some(failure.unwrap_or_else(stopped)));
                }
            }
        }
        for job in std::mem::take(&mut self.failed) {
            job.answer(None);
        }
    }
}

/// A commit failure told to one of several callers (errors do not clone).
fn shared_failure(err: &StoreError) -> StoreError {
    match err {
        StoreError::Io { context, source } => StoreError::io(
            context.clone(),
            std::io::Error::new(source.kind(), source.to_string()),
        ),
        StoreError::Task(message) => StoreError::Task(message.clone()),
        other => StoreError::io(
            "commit a batch of writes",
            std::io::Error::other(other.to_string()),
        ),
    }
}
