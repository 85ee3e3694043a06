//! The internal event bus: cross-service deliveries (S3 → SQS, SNS → Lambda,
//! EventBridge → targets) with at-least-once semantics.
//!
//! A publisher names a target (`"sqs"`, `"lambda"`, a topic ARN: whatever
//! the subscriber registered) and hands over opaque bytes. The bus calls the
//! target's subscriber; an `Ok` acknowledges the delivery, an error or a
//! panic schedules another attempt after a backoff, on the bus's clock, until
//! the [`RetryPolicy`] gives up and the delivery is dead-lettered. A
//! delivery may therefore arrive more than once; subscribers must tolerate
//! that, as AWS's do. Deliveries are not ordered.
//!
//! Durability: pending deliveries live in memory, so a crash loses those
//! not yet acknowledged. Everything in a [`Delivery`] is plain data (a
//! target string, bytes, counters) so that a persistent outbox, written in
//! the publisher's store transaction and replayed at start, can replace the
//! in-memory map without changing this interface.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, Weak};
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use crate::clock::Clock;
use crate::retry::RetryPolicy;
use crate::scheduler::{FiredTimers, Scheduler};

/// Names one published delivery across its attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliveryId(pub u64);

/// One message on its way to a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: DeliveryId,
    /// Who receives it: the name a subscriber registered under.
    pub target: String,
    /// What to deliver, encoded by the publisher (usually JSON).
    pub payload: Bytes,
    /// 1 for the first try, 2 for the first retry, ...
    pub attempt: u32,
    pub published_at: SystemTime,
}

/// Why a delivery attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryError {
    pub message: String,
    /// `false` for failures retrying cannot fix (the target was deleted): the
    /// delivery is dead-lettered at once.
    pub retryable: bool,
    /// Try again after this long without counting an attempt (the target
    /// is busy, not failing: Lambda's throttled asynchronous invocations).
    pub deferred: Option<Duration>,
}

impl DeliveryError {
    pub fn retry(message: impl Into<String>) -> Self {
        DeliveryError {
            message: message.into(),
            retryable: true,
            deferred: None,
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        DeliveryError {
            message: message.into(),
            retryable: false,
            deferred: None,
        }
    }

    /// Not an attempt: the delivery comes again after `delay`, its
    /// attempts as they were (the subscriber decides when to give up).
    pub fn deferred(message: impl Into<String>, delay: Duration) -> Self {
        DeliveryError {
            message: message.into(),
            retryable: true,
            deferred: Some(delay),
        }
    }
}

impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A delivery the bus gave up on, kept for inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub delivery: Delivery,
    pub last_error: String,
}

pub type DeliveryFuture = Pin<Box<dyn Future<Output = Result<(), DeliveryError>> + Send>>;

/// Receives deliveries for one target. Any `Fn(Delivery) -> impl Future`
/// closure is a subscriber.
pub trait Subscriber: Send + Sync + 'static {
    fn deliver(&self, delivery: Delivery) -> DeliveryFuture;
}

impl<F, Fut> Subscriber for F
where
    F: Fn(Delivery) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), DeliveryError>> + Send + 'static,
{
    fn deliver(&self, delivery: Delivery) -> DeliveryFuture {
        Box::pin(self(delivery))
    }
}

/// Dead letters kept; older ones are dropped first.
const DEAD_LETTERS_KEPT: usize = 1_000;

/// The bus. Cheap to clone; all clones share subscribers and deliveries.
#[derive(Clone)]
pub struct EventBus {
    inner: Arc<BusInner>,
}

struct BusInner {
    clock: Clock,
    policy: RetryPolicy,
    subscribers: RwLock<HashMap<String, Arc<dyn Subscriber>>>,
    /// Deliveries published and not yet acknowledged or dead-lettered: the
    /// outbox a persistent bus would keep in the store.
    pending: Mutex<HashMap<DeliveryId, Delivery>>,
    /// Retries waiting for their backoff to pass.
    retries: Scheduler<DeliveryId>,
    next_id: AtomicU64,
    dead_letters: Mutex<Vec<DeadLetter>>,
}

impl EventBus {
    /// A bus whose retries wait on `clock`. Must be called inside a tokio runtime.
    pub fn new(clock: Clock, policy: RetryPolicy) -> Self {
        let (retries, due) = Scheduler::new(clock.clone());
        let inner = Arc::new(BusInner {
            clock,
            policy,
            subscribers: RwLock::default(),
            pending: Mutex::default(),
            retries,
            next_id: AtomicU64::new(1),
            dead_letters: Mutex::default(),
        });
        tokio::spawn(run_retries(Arc::downgrade(&inner), due));
        EventBus { inner }
    }

    /// Routes deliveries for `target` to `subscriber`, replacing any previous one.
    pub fn subscribe(&self, target: impl Into<String>, subscriber: impl Subscriber) {
        let mut subscribers = self
            .inner
            .subscribers
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        subscribers.insert(target.into(), Arc::new(subscriber));
    }

    /// Stops routing to `target`; its pending deliveries keep retrying
    /// (a subscriber may come back) until the policy gives up.
    pub fn unsubscribe(&self, target: &str) {
        let mut subscribers = self
            .inner
            .subscribers
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        subscribers.remove(target);
    }

    /// Queues `payload` for `target` and starts the first attempt at once.
    pub fn publish(&self, target: impl Into<String>, payload: impl Into<Bytes>) -> DeliveryId {
        let id = DeliveryId(self.inner.next_id.fetch_add(1, Ordering::Relaxed));
        let delivery = Delivery {
            id,
            target: target.into(),
            payload: payload.into(),
            attempt: 1,
            published_at: self.inner.clock.now(),
        };
        self.inner.lock_pending().insert(id, delivery);
        tokio::spawn(attempt(self.inner.clone(), id));
        id
    }

    /// Deliveries not yet acknowledged or dead-lettered.
    pub fn pending(&self) -> usize {
        self.inner.lock_pending().len()
    }

    /// The most recent deliveries the bus gave up on, oldest first.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.inner
            .dead_letters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl BusInner {
    fn lock_pending(&self) -> MutexGuard<'_, HashMap<DeliveryId, Delivery>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn subscriber(&self, target: &str) -> Option<Arc<dyn Subscriber>> {
        self.subscribers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(target)
            .cloned()
    }

    /// Records a failed attempt: schedules the next one or dead-letters.
    fn failed(&self, id: DeliveryId, error: DeliveryError) {
        let mut pending = self.lock_pending();
        let Some(delivery) = pending.get_mut(&id) else {
            return;
        };
        if let Some(delay) = error.deferred {
            tracing::debug!(target = %delivery.target, attempt = delivery.attempt, %error, "delivery deferred");
            self.retries.schedule_in(delay, id);
            return;
        }
        let delay = if error.retryable {
            self.policy.delay_after(delivery.attempt)
        } else {
            None
        };
        match delay {
            Some(delay) => {
                tracing::debug!(target = %delivery.target, attempt = delivery.attempt, %error, "delivery failed; will retry");
                delivery.attempt += 1;
                self.retries.schedule_in(delay, id);
            }
            None => {
                let Some(delivery) = pending.remove(&id) else {
                    return;
                };
                drop(pending);
                tracing::warn!(target = %delivery.target, attempts = delivery.attempt, %error, "delivery dead-lettered");
                let mut dead = self.dead_letters.lock().unwrap_or_else(PoisonError::into_inner);
                if dead.len() >= DEAD_LETTERS_KEPT {
                    dead.remove(0);
                }
                dead.push(DeadLetter {
                    delivery,
                    last_error: error.message,
                });
            }
        }
    }
}

/// One attempt of one delivery. The subscriber runs in its own task so a
/// panic counts as a failed attempt instead of losing the delivery.
async fn attempt(bus: Arc<BusInner>, id: DeliveryId) {
    let Some(delivery) = bus.lock_pending().get(&id).cloned() else {
        return;
    };
    let outcome = match bus.subscriber(&delivery.target) {
        Some(subscriber) => match tokio::spawn(subscriber.deliver(delivery.clone())).await {
            Ok(outcome) => outcome,
            Err(join) => Err(DeliveryError::retry(format!("subscriber failed: {join}"))),
        },
        None => Err(DeliveryError::retry(format!(
            "no subscriber for {:?}",
            delivery.target
        ))),
    };
    match outcome {
        Ok(()) => {
            bus.lock_pending().remove(&id);
        }
        Err(error) => bus.failed(id, error),
    }
}

/// Starts the retries whose backoff has passed; ends with the bus.
async fn run_retries(bus: Weak<BusInner>, mut due: FiredTimers<DeliveryId>) {
    while let Some(fired) = due.recv().await {
        let Some(bus) = bus.upgrade() else { return };
        tokio::spawn(attempt(bus, fired.payload));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;

    use super::*;
    use crate::TestClock;

    fn policy(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            first_delay: Duration::from_secs(1),
            factor: 2,
            max_delay: Duration::from_secs(60),
            max_attempts,
        }
    }

    #[tokio::test]
    async fn a_failing_delivery_is_retried_with_backoff_until_acknowledged() {
        let test = TestClock::new();
        let start = test.now();
        let bus = EventBus::new(test.clock(), policy(10));
        let attempts = Arc::new(Mutex::new(Vec::new()));
        let seen = attempts.clone();
        let clock = test.clock();
        bus.subscribe("sqs", move |delivery: Delivery| {
            let seen = seen.clone();
            let now = clock.now();
            async move {
                seen.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push((delivery.attempt, now));
                if delivery.attempt < 3 {
                    Err(DeliveryError::retry("queue busy"))
                } else {
                    Ok(())
                }
            }
        });
        bus.publish("sqs", &b"{\"Records\":[]}"[..]);
        test.advance(Duration::from_secs(60)).await;

        let attempts = attempts.lock().unwrap_or_else(PoisonError::into_inner).clone();
        // First try at once, then after 1 s, then after 2 more.
        assert_eq!(
            attempts,
            [
                (1, start),
                (2, start + Duration::from_secs(1)),
                (3, start + Duration::from_secs(3))
            ]
        );
        assert_eq!(bus.pending(), 0);
        assert!(bus.dead_letters().is_empty());
    }

    #[tokio::test]
    async fn deliveries_wait_for_a_late_subscriber_and_survive_a_panic() {
        let test = TestClock::new();
        let bus = EventBus::new(test.clock(), policy(10));
        bus.publish("lambda", "event");
        test.settle().await;
        assert_eq!(bus.pending(), 1, "no subscriber yet: kept for retry");

        let calls = Arc::new(AtomicU32::new(0));
        let counter = calls.clone();
        bus.subscribe("lambda", move |delivery: Delivery| {
            let call = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                assert!(call > 0, "first call panics, like a crashing handler");
                assert_eq!(delivery.payload, Bytes::from("event"));
                Ok(())
            }
        });
        test.advance(Duration::from_secs(10)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(bus.pending(), 0);
    }

    #[tokio::test]
    async fn deliveries_are_dead_lettered_when_attempts_run_out_or_failure_is_permanent() {
        let test = TestClock::new();
        let bus = EventBus::new(test.clock(), policy(3));
        bus.subscribe("down", |_: Delivery| async {
            Err(DeliveryError::retry("connection refused"))
        });
        bus.subscribe("gone", |_: Delivery| async {
            Err(DeliveryError::permanent("queue deleted"))
        });
        bus.publish("down", "a");
        bus.publish("gone", "b");
        test.advance(Duration::from_secs(3600)).await;
        let dead = bus.dead_letters();
        let summary: Vec<_> = dead
            .iter()
            .map(|d| (d.delivery.target.as_str(), d.delivery.attempt))
            .collect();
        assert!(
            summary.contains(&("down", 3)) && summary.contains(&("gone", 1)),
            "{summary:?}"
        );
        assert_eq!(bus.pending(), 0);
    }

    #[tokio::test]
    async fn a_deferred_delivery_comes_again_without_spending_an_attempt() {
        let test = TestClock::new();
        let bus = EventBus::new(test.clock(), policy(2));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        bus.subscribe("busy", move |delivery: Delivery| {
            let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
            log.push(delivery.attempt);
            let calls = log.len();
            async move {
                match calls {
                    1..=3 => Err(DeliveryError::deferred("throttled", Duration::from_secs(5))),
                    _ => Ok(()),
                }
            }
        });
        bus.publish("busy", "event");
        test.advance(Duration::from_secs(14)).await;
        assert_eq!(
            seen.lock().unwrap_or_else(PoisonError::into_inner).len(),
            3,
            "every 5 s"
        );
        test.advance(Duration::from_secs(1)).await;
        assert_eq!(*seen.lock().unwrap_or_else(PoisonError::into_inner), [1, 1, 1, 1]);
        assert_eq!(bus.pending(), 0);
        assert!(bus.dead_letters().is_empty());
    }
}
