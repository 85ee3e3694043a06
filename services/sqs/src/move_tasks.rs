//! StartMessageMoveTask's bookkeeping: the tasks of each dead-letter queue,
//! their progress and their cancellation flag.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// One message move task.
pub struct MoveTask {
    pub handle: String,
    pub source_arn: String,
    pub destination_arn: Option<String>,
    pub max_per_second: Option<i32>,
    pub started_ms: u64,
    pub to_move: u64,
    pub moved: AtomicU64,
    pub cancel: AtomicBool,
    /// RUNNING, COMPLETED, CANCELLING, CANCELLED or FAILED.
    pub status: Mutex<&'static str>,
}

impl MoveTask {
    pub fn status(&self) -> &'static str {
        *self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn set_status(&self, status: &'static str) {
        *self.status.lock().unwrap_or_else(PoisonError::into_inner) = status;
    }

    pub fn moved(&self) -> u64 {
        self.moved.load(Ordering::Relaxed)
    }
}

/// Every task since start (newest last); they are not persisted: a task
/// cut short by a restart simply stops, as on a failed task in AWS.
#[derive(Default)]
pub struct MoveTasks {
    tasks: Mutex<Vec<Arc<MoveTask>>>,
}

impl MoveTasks {
    fn list(&self) -> MutexGuard<'_, Vec<Arc<MoveTask>>> {
        self.tasks.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn clear(&self) {
        for task in self.list().drain(..) {
            task.cancel.store(true, Ordering::Relaxed);
        }
    }

    pub fn add(&self, task: Arc<MoveTask>) {
        self.list().push(task);
    }

    pub fn running_for(&self, source_arn: &str) -> bool {
        self.list()
            .iter()
            .any(|t| t.source_arn == source_arn && t.status() == "RUNNING")
    }

    /// The tasks of a source queue, newest first.
    pub fn of_source(&self, source_arn: &str) -> Vec<Arc<MoveTask>> {
        self.list()
            .iter()
            .rev()
            .filter(|t| t.source_arn == source_arn)
            .cloned()
            .collect()
    }

    pub fn by_handle(&self, handle: &str) -> Option<Arc<MoveTask>> {
        self.list().iter().find(|t| t.handle == handle).cloned()
    }
}
