//! The time every time-dependent rule reads.
//!
//! Production code holds a [`Clock`] and never calls `SystemTime::now()` or
//! `tokio::time::sleep` itself. In tests the clock comes from a
//! [`TestClock`](crate::TestClock), which stands still until the test
//! advances it, so visibility timeouts, TTLs and retries are tested in
//! microseconds and deterministically.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::test_clock::{TestSleep, TestState};

/// A source of time: the real one, or a test clock. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Clock {
    source: Source,
}

#[derive(Clone, Debug)]
enum Source {
    /// The host's wall clock; sleeps use tokio timers.
    Real,
    /// Time that moves only when a test advances it.
    Test(Arc<TestState>),
}

impl Clock {
    /// The host's clock.
    pub fn real() -> Self {
        Clock { source: Source::Real }
    }

    pub(crate) fn test(state: Arc<TestState>) -> Self {
        Clock {
            source: Source::Test(state),
        }
    }

    /// The current time (wall-clock: what AWS timestamps carry).
    pub fn now(&self) -> SystemTime {
        match &self.source {
            Source::Real => SystemTime::now(),
            Source::Test(state) => state.now(),
        }
    }

    /// Milliseconds since the Unix epoch (SQS and DynamoDB timestamps).
    pub fn now_epoch_millis(&self) -> u64 {
        let since_epoch = self.now().duration_since(UNIX_EPOCH).unwrap_or_default();
        u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX)
    }

    /// Completes when the clock reaches `deadline` (at once if it has).
    /// With the real clock a wall-clock jump moves a pending sleep by the
    /// same amount only if it happens before the sleep starts.
    pub fn sleep_until(&self, deadline: SystemTime) -> Sleep {
        let inner = match &self.source {
            Source::Real => {
                let delay = deadline.duration_since(SystemTime::now()).unwrap_or_default();
                SleepInner::Real(Box::pin(tokio::time::sleep(delay)))
            }
            Source::Test(state) => SleepInner::Test(TestSleep::new(state.clone(), deadline)),
        };
        Sleep { inner }
    }

    /// Completes after `duration` of this clock's time.
    pub fn sleep(&self, duration: Duration) -> Sleep {
        self.sleep_until(self.now() + duration)
    }
}

/// The future returned by [`Clock::sleep_until`].
pub struct Sleep {
    inner: SleepInner,
}

enum SleepInner {
    Real(Pin<Box<tokio::time::Sleep>>),
    Test(TestSleep),
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.get_mut().inner {
            SleepInner::Real(sleep) => sleep.as_mut().poll(cx),
            SleepInner::Test(sleep) => sleep.poll(cx),
        }
    }
}
