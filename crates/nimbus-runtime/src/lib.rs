//! The moving parts of nimbus: a [`Clock`] every time-dependent rule reads
//! (a [`TestClock`] in tests), a deadline [`Scheduler`] for timeouts, delays,
//! TTLs and retries, the internal [`EventBus`] for cross-service deliveries,
//! and [`Shutdown`] for stopping gracefully.
//!
//! ```
//! # async fn demo() {
//! use std::time::Duration;
//! use nimbus_runtime::{Scheduler, TestClock};
//!
//! let test = TestClock::new();
//! let (timers, mut fired) = Scheduler::new(test.clock());
//! let id = timers.schedule_in(Duration::from_secs(30), "message-1 visible again");
//! timers.reschedule(id, test.now() + Duration::from_secs(60)); // ChangeMessageVisibility
//! test.advance(Duration::from_secs(60)).await;
//! assert_eq!(fired.try_recv().map(|t| t.payload).ok(), Some("message-1 visible again"));
//! # }
//! ```

mod bus;
mod clock;
mod retry;
mod scheduler;
mod shutdown;
mod test_clock;
mod token_bucket;

pub use bus::{DeadLetter, Delivery, DeliveryError, DeliveryFuture, DeliveryId, EventBus, Subscriber};
pub use clock::{Clock, Sleep};
pub use retry::RetryPolicy;
pub use scheduler::{Fired, FiredTimers, Scheduler, TimerId};
pub use shutdown::{Shutdown, ShutdownListener, ShutdownTrigger};
pub use test_clock::TestClock;
pub use token_bucket::TokenBucket;
