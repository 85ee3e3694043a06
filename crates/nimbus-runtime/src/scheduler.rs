//! A deadline queue: timers carrying any payload fire at their deadline, in
//! order, through a channel. Timers can be cancelled and rescheduled (SQS's
//! ChangeMessageVisibility moves a timer).
//!
//! One background task drives the queue, in the shape of mini-redis's purge
//! task: it fires what is due, then sleeps until the earliest deadline. It
//! is woken early only when a new or moved timer becomes the earliest;
//! there is no polling loop.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::sync::{Notify, mpsc};

use crate::clock::Clock;

/// Names a scheduled timer, for cancel and reschedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimerId(u64);

/// A timer that came due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired<T> {
    pub id: TimerId,
    /// When it was due (the clock may read later when it is handled).
    pub deadline: SystemTime,
    pub payload: T,
}

/// Where fired timers arrive, in deadline order (ties in scheduling order).
pub type FiredTimers<T> = mpsc::UnboundedReceiver<Fired<T>>;

/// A handle to a deadline queue. Clones share the queue; the driving task
/// stops when the last handle is dropped or the receiver is closed.
pub struct Scheduler<T> {
    handle: Arc<Handle<T>>,
}

impl<T> Clone for Scheduler<T> {
    fn clone(&self) -> Self {
        Scheduler {
            handle: self.handle.clone(),
        }
    }
}

/// Owned by the handles only; dropping the last one stops the driver.
struct Handle<T> {
    shared: Arc<Shared<T>>,
}

/// What the handles and the driving task share.
struct Shared<T> {
    state: Mutex<State<T>>,
    /// Wakes the driver when the earliest deadline moves earlier, or on shutdown.
    driver: Notify,
    clock: Clock,
}

struct State<T> {
    /// Pending timers ordered by (deadline, id): the first is the next to fire.
    queue: BTreeSet<(SystemTime, TimerId)>,
    /// Pending timers by id.
    timers: HashMap<TimerId, Timer<T>>,
    /// Source of ids; never reused, so a stale id cannot touch a newer timer.
    next_id: u64,
    /// Set when the last handle is dropped.
    shutdown: bool,
}

struct Timer<T> {
    deadline: SystemTime,
    payload: T,
}

impl<T: Send + 'static> Scheduler<T> {
    /// Starts a queue on `clock`, driven by a task on the current tokio
    /// runtime. Fired timers arrive on the returned receiver.
    pub fn new(clock: Clock) -> (Scheduler<T>, FiredTimers<T>) {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queue: BTreeSet::new(),
                timers: HashMap::new(),
                next_id: 0,
                shutdown: false,
            }),
            driver: Notify::new(),
            clock,
        });
        let (fired_tx, fired_rx) = mpsc::unbounded_channel();
        tokio::spawn(drive(shared.clone(), fired_tx));
        (
            Scheduler {
                handle: Arc::new(Handle { shared }),
            },
            fired_rx,
        )
    }
}

impl<T> Scheduler<T> {
    /// Fires `payload` at `deadline` (at once if it has passed).
    pub fn schedule_at(&self, deadline: SystemTime, payload: T) -> TimerId {
        let shared = &self.handle.shared;
        let mut state = shared.lock();
        let id = TimerId(state.next_id);
        state.next_id += 1;
        let earlier = state.is_new_earliest(deadline);
        state.queue.insert((deadline, id));
        state.timers.insert(id, Timer { deadline, payload });
        drop(state);
        if earlier {
            shared.driver.notify_one();
        }
        id
    }

    /// Fires `payload` after `delay` of the clock's time.
    pub fn schedule_in(&self, delay: Duration, payload: T) -> TimerId {
        let deadline = self.handle.shared.clock.now() + delay;
        self.schedule_at(deadline, payload)
    }

    /// Removes a pending timer and returns its payload; `None` if it already
    /// fired or was cancelled.
    pub fn cancel(&self, id: TimerId) -> Option<T> {
        let mut state = self.handle.shared.lock();
        let timer = state.timers.remove(&id)?;
        state.queue.remove(&(timer.deadline, id));
        // If it was the earliest the driver wakes once for nothing, then
        // sleeps until the new earliest: cheaper than waking it now.
        Some(timer.payload)
    }

    /// Moves a pending timer to `deadline`; `false` if it already fired or
    /// was cancelled.
    pub fn reschedule(&self, id: TimerId, deadline: SystemTime) -> bool {
        let shared = &self.handle.shared;
        let mut state = shared.lock();
        let Some(old) = state.timers.get(&id).map(|timer| timer.deadline) else {
            return false;
        };
        state.queue.remove(&(old, id));
        let earlier = state.is_new_earliest(deadline);
        state.queue.insert((deadline, id));
        if let Some(timer) = state.timers.get_mut(&id) {
            timer.deadline = deadline;
        }
        drop(state);
        if earlier {
            shared.driver.notify_one();
        }
        true
    }

    /// When a pending timer is due.
    pub fn deadline(&self, id: TimerId) -> Option<SystemTime> {
        self.handle
            .shared
            .lock()
            .timers
            .get(&id)
            .map(|timer| timer.deadline)
    }

    /// Number of pending timers.
    pub fn len(&self) -> usize {
        self.handle.shared.lock().timers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The clock this queue runs on.
    pub fn clock(&self) -> &Clock {
        &self.handle.shared.clock
    }
}

impl<T> Drop for Handle<T> {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.driver.notify_one();
    }
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T> State<T> {
    /// Whether a timer at `deadline` would become the next to fire, so the
    /// driver must re-arm its sleep.
    fn is_new_earliest(&self, deadline: SystemTime) -> bool {
        self.queue
            .first()
            .is_none_or(|(earliest, _)| deadline < *earliest)
    }

    /// Sends every timer due at `now`, in order; returns the next deadline,
    /// or `Err` when nobody listens any more.
    fn fire_due(
        &mut self,
        now: SystemTime,
        fired: &mpsc::UnboundedSender<Fired<T>>,
    ) -> Result<Option<SystemTime>, ()> {
        while let Some(&(deadline, id)) = self.queue.first() {
            if deadline > now {
                return Ok(Some(deadline));
            }
            self.queue.pop_first();
            if let Some(timer) = self.timers.remove(&id) {
                fired
                    .send(Fired {
                        id,
                        deadline,
                        payload: timer.payload,
                    })
                    .map_err(drop)?;
            }
        }
        Ok(None)
    }
}

/// The driving task: fire what is due, sleep until the next deadline or
/// until woken because the earliest deadline changed.
async fn drive<T>(shared: Arc<Shared<T>>, fired: mpsc::UnboundedSender<Fired<T>>) {
    loop {
        let next = {
            let mut state = shared.lock();
            if state.shutdown {
                return;
            }
            match state.fire_due(shared.clock.now(), &fired) {
                Ok(next) => next,
                Err(()) => return,
            }
        };
        match next {
            Some(deadline) => {
                tokio::select! {
                    _ = shared.clock.sleep_until(deadline) => {}
                    _ = shared.driver.notified() => {}
                    _ = fired.closed() => return,
                }
            }
            None => {
                tokio::select! {
                    _ = shared.driver.notified() => {}
                    _ = fired.closed() => return,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TestClock;

    fn drain<T>(fired: &mut FiredTimers<T>) -> Vec<Fired<T>> {
        let mut out = Vec::new();
        while let Ok(timer) = fired.try_recv() {
            out.push(timer);
        }
        out
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[tokio::test]
    async fn timers_fire_in_deadline_order_when_due() {
        let test = TestClock::new();
        let start = test.now();
        let (scheduler, mut fired) = Scheduler::new(test.clock());
        scheduler.schedule_in(secs(30), "c");
        scheduler.schedule_in(secs(10), "a");
        scheduler.schedule_in(secs(20), "b");
        scheduler.schedule_in(secs(20), "b2");

        test.advance(secs(9)).await;
        assert!(drain(&mut fired).is_empty(), "nothing is due yet");
        test.advance(secs(15)).await;
        let got: Vec<_> = drain(&mut fired)
            .into_iter()
            .map(|f| (f.payload, f.deadline))
            .collect();
        assert_eq!(
            got,
            [
                ("a", start + secs(10)),
                ("b", start + secs(20)),
                ("b2", start + secs(20))
            ]
        );
        test.advance(secs(100)).await;
        assert_eq!(
            drain(&mut fired)
                .into_iter()
                .map(|f| f.payload)
                .collect::<Vec<_>>(),
            ["c"]
        );
        assert!(scheduler.is_empty());
    }

    #[tokio::test]
    async fn cancelled_timers_never_fire() {
        let test = TestClock::new();
        let (scheduler, mut fired) = Scheduler::new(test.clock());
        let first = scheduler.schedule_in(secs(1), 1);
        scheduler.schedule_in(secs(2), 2);
        assert_eq!(scheduler.cancel(first), Some(1));
        assert_eq!(scheduler.cancel(first), None);
        test.advance(secs(5)).await;
        assert_eq!(
            drain(&mut fired)
                .into_iter()
                .map(|f| f.payload)
                .collect::<Vec<_>>(),
            [2]
        );
    }

    #[tokio::test]
    async fn rescheduled_timers_fire_at_their_new_deadline() {
        let test = TestClock::new();
        let start = test.now();
        let (scheduler, mut fired) = Scheduler::new(test.clock());
        let message = scheduler.schedule_in(secs(30), "visible again");
        // ChangeMessageVisibility: first extend, then shorten.
        assert!(scheduler.reschedule(message, start + secs(60)));
        test.advance(secs(45)).await;
        assert!(drain(&mut fired).is_empty(), "extended past 45s");
        assert!(scheduler.reschedule(message, start + secs(50)));
        assert_eq!(scheduler.deadline(message), Some(start + secs(50)));
        test.advance(secs(5)).await;
        let got = drain(&mut fired);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].id, got[0].deadline), (message, start + secs(50)));
        assert!(
            !scheduler.reschedule(message, start + secs(99)),
            "a fired timer cannot move"
        );
    }

    #[tokio::test]
    async fn the_driver_sleeps_until_the_earliest_deadline_and_rearms_only_when_it_moves_earlier() {
        let test = TestClock::new();
        let start = test.now();
        let (scheduler, mut fired) = Scheduler::new(test.clock());
        test.settle().await;
        assert!(
            test.sleeping_until().is_empty(),
            "no timers: the driver waits without a deadline"
        );

        scheduler.schedule_in(secs(100), "late");
        test.settle().await;
        assert_eq!(test.sleeping_until(), [start + secs(100)]);

        scheduler.schedule_in(secs(200), "later");
        test.settle().await;
        assert_eq!(
            test.sleeping_until(),
            [start + secs(100)],
            "a later timer does not wake the driver"
        );

        scheduler.schedule_in(secs(5), "early");
        test.settle().await;
        assert_eq!(
            test.sleeping_until(),
            [start + secs(5)],
            "an earlier timer re-arms the sleep"
        );

        test.advance(secs(5)).await;
        assert_eq!(
            drain(&mut fired)
                .into_iter()
                .map(|f| f.payload)
                .collect::<Vec<_>>(),
            ["early"]
        );
        assert_eq!(test.sleeping_until(), [start + secs(100)]);
    }

    #[tokio::test]
    async fn timers_scheduled_by_a_handler_fire_in_the_same_advance_in_order() {
        let test = TestClock::new();
        let start = test.now();
        let (scheduler, mut fired) = Scheduler::new(test.clock());
        scheduler.schedule_in(secs(10), "first");
        scheduler.schedule_in(secs(15), "third");
        let handler = {
            let scheduler = scheduler.clone();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                while let Some(timer) = fired.recv().await {
                    if timer.payload == "first" {
                        // A retry 2s after the first fired: due before "third".
                        scheduler.schedule_at(timer.deadline + secs(2), "second");
                    }
                    seen.push((timer.payload, timer.deadline));
                    if seen.len() == 3 {
                        return seen;
                    }
                }
                seen
            })
        };
        test.advance(secs(60)).await;
        let seen = handler.await.unwrap_or_default();
        assert_eq!(
            seen,
            [
                ("first", start + secs(10)),
                ("second", start + secs(12)),
                ("third", start + secs(15))
            ]
        );
    }

    #[tokio::test]
    async fn the_driver_stops_when_the_last_handle_is_dropped() {
        let test = TestClock::new();
        let (scheduler, mut fired) = Scheduler::new(test.clock());
        scheduler.schedule_in(secs(1), ());
        drop(scheduler);
        test.settle().await;
        assert!(fired.recv().await.is_none(), "the sender closes with the driver");
    }
}
