//! Warm execution environments per function: an invocation takes an idle
//! one of the function's current revision or starts a new one, and gives
//! it back when done; environments idle past the idle time are ended.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::environment::Environment;

/// How long an environment stays warm without invocations.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(600);

struct Idle {
    environment: Arc<Environment>,
    since: SystemTime,
}

#[derive(Default)]
struct Slot {
    revision: String,
    idle: Vec<Idle>,
    /// How many idle environments stay past the idle time (provisioned
    /// concurrency).
    keep: usize,
}

#[derive(Default)]
pub struct Pool {
    slots: Mutex<HashMap<String, Slot>>,
}

impl Pool {
    /// A warm environment of this function's revision, if one is idle.
    pub fn take(&self, function: &str, revision: &str) -> Option<Arc<Environment>> {
        let mut slots = self.slots.lock().ok()?;
        let slot = slots.entry(function.to_owned()).or_default();
        if slot.revision != revision {
            // Code or configuration changed: the old environments end.
            slot.idle.clear();
            slot.revision = revision.to_owned();
        }
        while let Some(idle) = slot.idle.pop() {
            if idle.environment.alive() {
                return Some(idle.environment);
            }
        }
        None
    }

    /// An environment done with its invocation, kept warm if still current.
    pub fn give_back(&self, function: &str, revision: &str, environment: Arc<Environment>, now: SystemTime) {
        if !environment.alive() {
            return;
        }
        if let Ok(mut slots) = self.slots.lock()
            && let Some(slot) = slots.get_mut(function)
            && slot.revision == revision
        {
            slot.idle.push(Idle {
                environment,
                since: now,
            });
        }
    }

    /// Ends the environments of a function (deleted).
    pub fn forget(&self, function: &str) {
        if let Ok(mut slots) = self.slots.lock() {
            slots.remove(function);
        }
    }

    /// Ends the environments of every slot whose key starts with `prefix`.
    pub fn forget_under(&self, prefix: &str) {
        if let Ok(mut slots) = self.slots.lock() {
            slots.retain(|key, _| !key.starts_with(prefix));
        }
    }

    /// Ends every environment (a reset of nimbus's state).
    pub fn clear(&self) {
        if let Ok(mut slots) = self.slots.lock() {
            slots.clear();
        }
    }

    /// Keeps `count` idle environments of a revision warm past the idle
    /// time (0: none).
    pub fn keep_warm(&self, function: &str, revision: &str, count: usize) {
        if let Ok(mut slots) = self.slots.lock() {
            let slot = slots.entry(function.to_owned()).or_default();
            if slot.revision != revision {
                slot.idle.clear();
                slot.revision = revision.to_owned();
            }
            slot.keep = count;
        }
    }

    /// Ends environments idle for `idle` or longer (but the ones a slot
    /// keeps warm); how many ended.
    pub fn reap(&self, now: SystemTime, idle: Duration) -> usize {
        let Ok(mut slots) = self.slots.lock() else {
            return 0;
        };
        let mut ended = 0;
        for slot in slots.values_mut() {
            let before = slot.idle.len();
            let mut kept = 0;
            // The most recently used first: those stay warm.
            slot.idle.sort_by_key(|env| std::cmp::Reverse(env.since));
            slot.idle.retain(|env| {
                let fresh = now.duration_since(env.since).unwrap_or_default() < idle;
                let keep = env.environment.alive() && (fresh || kept < slot.keep);
                kept += usize::from(keep);
                keep
            });
            ended += before - slot.idle.len();
        }
        ended
    }
}
