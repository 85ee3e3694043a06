//! A clock for tests: it stands still until the test advances it, and an
//! advance wakes every sleeper that comes due, earliest first, letting each
//! woken task run at exactly its deadline before time moves on.
//!
//! Meant for `#[tokio::test]` (a current-thread runtime): "letting woken
//! tasks run" is done by yielding to the runtime, which on one thread means
//! every ready task gets polled.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::clock::Clock;

/// Yields an advance always grants woken tasks (enough for chains like
/// timer → channel → handler → new timer → scheduler re-arms).
const MIN_SETTLE_YIELDS: usize = 16;
/// Upper bound on yields while a woken sleeper has not been polled yet
/// (its task may be gone); keeps a broken test from hanging.
const MAX_SETTLE_YIELDS: usize = 10_000;

/// Controls a test [`Clock`]. Clone it freely; all clones move the same time.
#[derive(Clone, Debug)]
pub struct TestClock {
    state: Arc<TestState>,
}

impl Default for TestClock {
    fn default() -> Self {
        TestClock::new()
    }
}

impl TestClock {
    /// A clock standing at a fixed, arbitrary instant (2024-01-01T00:00:00Z),
    /// so timestamps in test output are reproducible.
    pub fn new() -> Self {
        TestClock::at(UNIX_EPOCH + Duration::from_secs(1_704_067_200))
    }

    /// A clock standing at `start`.
    pub fn at(start: SystemTime) -> Self {
        let state = TestState {
            inner: Mutex::new(Inner {
                now: start,
                sleepers: BTreeMap::new(),
                next_seq: 0,
                woken_unpolled: 0,
            }),
        };
        TestClock {
            state: Arc::new(state),
        }
    }

    /// The clock to hand to the code under test.
    pub fn clock(&self) -> Clock {
        Clock::test(self.state.clone())
    }

    pub fn now(&self) -> SystemTime {
        self.state.now()
    }

    /// Moves time forward by `by`. Every sleeper whose deadline falls in the
    /// interval wakes in deadline order, with the clock reading exactly its
    /// deadline, and its task runs before time moves past it; sleepers those
    /// tasks start inside the interval fire in the same advance.
    pub async fn advance(&self, by: Duration) {
        self.settle().await;
        let target = self.now() + by;
        loop {
            // One statement per lock: a guard held across the loop body would deadlock.
            let step = self
                .state
                .lock()
                .earliest_unwoken()
                .filter(|deadline| *deadline <= target);
            let Some(step) = step else { break };
            self.state.lock().move_to(step);
            self.settle().await;
        }
        self.state.lock().move_to(target);
        self.settle().await;
    }

    /// Lets every task that is ready run (woken sleepers included) without
    /// moving time.
    pub async fn settle(&self) {
        for round in 0..MAX_SETTLE_YIELDS {
            if round >= MIN_SETTLE_YIELDS && self.state.lock().woken_unpolled == 0 {
                return;
            }
            tokio::task::yield_now().await;
        }
    }

    /// The deadlines tasks are sleeping until, earliest first: lets tests
    /// check what a background task is waiting for (and that it is not
    /// waking needlessly).
    pub fn sleeping_until(&self) -> Vec<SystemTime> {
        self.state
            .lock()
            .sleepers
            .iter()
            .filter(|(_, slot)| !slot.woken)
            .map(|((deadline, _), _)| *deadline)
            .collect()
    }
}

/// The shared time of a test clock and its sleepers.
#[derive(Debug)]
pub(crate) struct TestState {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    now: SystemTime,
    /// Parked sleepers by (deadline, registration order).
    sleepers: BTreeMap<(SystemTime, u64), Slot>,
    /// Source of the registration order.
    next_seq: u64,
    /// Sleepers woken by an advance whose task has not polled them yet:
    /// while non-zero, woken tasks still have work to do at this instant.
    woken_unpolled: usize,
}

#[derive(Debug)]
struct Slot {
    waker: Waker,
    /// Woken by an advance, not yet polled.
    woken: bool,
}

impl TestState {
    pub(crate) fn now(&self) -> SystemTime {
        self.lock().now
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inner {
    fn earliest_unwoken(&self) -> Option<SystemTime> {
        self.sleepers
            .iter()
            .find(|(_, slot)| !slot.woken)
            .map(|((deadline, _), _)| *deadline)
    }

    /// Sets the time (never backwards) and wakes every sleeper now due.
    fn move_to(&mut self, time: SystemTime) {
        self.now = self.now.max(time);
        let now = self.now;
        let mut woken = 0;
        for ((deadline, _), slot) in self.sleepers.iter_mut() {
            if *deadline > now {
                break;
            }
            if !slot.woken {
                slot.woken = true;
                slot.waker.wake_by_ref();
                woken += 1;
            }
        }
        self.woken_unpolled += woken;
    }

    fn unpark(&mut self, key: (SystemTime, u64)) {
        if let Some(slot) = self.sleepers.remove(&key)
            && slot.woken
        {
            self.woken_unpolled -= 1;
        }
    }
}

/// A sleep on a test clock. It registers itself when first polled, so a
/// sleep created but never awaited does not hold up `advance`.
pub(crate) struct TestSleep {
    state: Arc<TestState>,
    deadline: SystemTime,
    /// Its key among the sleepers once registered.
    key: Option<(SystemTime, u64)>,
}

impl TestSleep {
    pub(crate) fn new(state: Arc<TestState>, deadline: SystemTime) -> Self {
        TestSleep {
            state,
            deadline,
            key: None,
        }
    }

    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut inner = self.state.lock();
        if inner.now >= self.deadline {
            if let Some(key) = self.key.take() {
                inner.unpark(key);
            }
            return Poll::Ready(());
        }
        match self.key {
            Some(key) => {
                if let Some(slot) = inner.sleepers.get_mut(&key) {
                    slot.waker.clone_from(cx.waker());
                }
            }
            None => {
                let key = (self.deadline, inner.next_seq);
                inner.next_seq += 1;
                inner.sleepers.insert(
                    key,
                    Slot {
                        waker: cx.waker().clone(),
                        woken: false,
                    },
                );
                self.key = Some(key);
            }
        }
        Poll::Pending
    }
}

impl Drop for TestSleep {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.state.lock().unpark(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn time_stands_still_until_advanced() {
        let test = TestClock::new();
        let clock = test.clock();
        let start = clock.now();
        test.settle().await;
        assert_eq!(clock.now(), start);
        test.advance(Duration::from_secs(5)).await;
        assert_eq!(clock.now(), start + Duration::from_secs(5));
    }

    #[tokio::test]
    async fn sleepers_wake_in_order_each_at_its_deadline() {
        let test = TestClock::new();
        let start = test.now();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for secs in [3, 1, 2] {
            let clock = test.clock();
            let tx = tx.clone();
            tokio::spawn(async move {
                clock.sleep(Duration::from_secs(secs)).await;
                let _ = tx.send((secs, clock.now()));
            });
        }
        test.advance(Duration::from_secs(10)).await;
        let mut woke = Vec::new();
        while let Ok(item) = rx.try_recv() {
            woke.push(item);
        }
        let expected: Vec<_> = [1, 2, 3].map(|s| (s, start + Duration::from_secs(s))).to_vec();
        assert_eq!(woke, expected);
    }

    #[tokio::test]
    async fn a_sleep_started_during_an_advance_fires_in_it() {
        let test = TestClock::new();
        let start = test.now();
        let clock = test.clock();
        let task = tokio::spawn(async move {
            clock.sleep(Duration::from_secs(1)).await;
            clock.sleep(Duration::from_secs(1)).await;
            clock.now()
        });
        test.advance(Duration::from_secs(5)).await;
        assert!(task.is_finished());
        assert_eq!(task.await.ok(), Some(start + Duration::from_secs(2)));
    }
}
