//! How many batches an SQS mapping keeps in flight. Lambda starts with five
//! pollers and, while messages wait in the queue, adds up to 300 concurrent
//! invocations a minute (five a second here), up to 1,250 or the mapping's
//! ScalingConfig.MaximumConcurrency; a poller whose long poll finds the
//! queue empty leaves, down to the first five.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use nimbus_core::RequestContext;
use nimbus_lambda_api::EventSourceMappingConfiguration;
use nimbus_sqs_api::{GetQueueAttributesRequest, SqsClient};

/// Lambda's most concurrent invocations for one SQS mapping.
const MOST: usize = 1_250;
/// The pollers a mapping starts with.
const FIRST: usize = 5;
/// Pollers added per look at the queue: 300 a minute.
const STEP: usize = 5;
/// How often the queue's depth is looked at.
pub(crate) const LOOK_EVERY: Duration = Duration::from_secs(1);

/// The pollers of one mapping: how many run, and within which bounds.
#[derive(Debug)]
pub(crate) struct Scaling {
    active: AtomicUsize,
    floor: usize,
    ceiling: usize,
}

impl Scaling {
    pub(crate) fn new(config: &EventSourceMappingConfiguration) -> Arc<Self> {
        let ceiling = config
            .scaling_config
            .as_ref()
            .and_then(|s| s.maximum_concurrency)
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(MOST)
            .clamp(1, MOST);
        Arc::new(Scaling {
            active: AtomicUsize::new(0),
            floor: FIRST.min(ceiling),
            ceiling,
        })
    }

    /// The pollers to start with.
    pub(crate) fn first(&self) -> usize {
        self.active.fetch_add(self.floor, Ordering::AcqRel);
        self.floor
    }

    /// With `waiting` messages in the queue: how many pollers to add (and
    /// counted as running from now).
    pub(crate) fn grow(&self, waiting: usize) -> usize {
        if waiting == 0 {
            return 0;
        }
        let mut added = 0;
        let _ = self
            .active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |active| {
                added = STEP.min(self.ceiling.saturating_sub(active)).min(waiting);
                Some(active + added)
            });
        added
    }

    /// A poller that found the queue empty: whether it leaves (never below
    /// the first pollers).
    pub(crate) fn may_leave(&self) -> bool {
        self.active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |active| {
                (active > self.floor).then(|| active - 1)
            })
            .is_ok()
    }

    #[cfg(test)]
    fn active(&self) -> usize {
        self.active.load(Ordering::Acquire)
    }
}

/// The queue's ApproximateNumberOfMessages (none when it cannot be read).
pub(crate) async fn waiting(sqs: &SqsClient, ctx: &RequestContext, url: &str) -> usize {
    let input = GetQueueAttributesRequest {
        queue_url: url.to_owned(),
        attribute_names: Some(vec!["ApproximateNumberOfMessages".to_owned()]),
    };
    sqs.get_queue_attributes(ctx, input)
        .await
        .ok()
        .and_then(|result| {
            result
                .attributes?
                .get("ApproximateNumberOfMessages")?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_lambda_api::ScalingConfig;

    fn scaling(maximum: Option<i32>) -> Arc<Scaling> {
        Scaling::new(&EventSourceMappingConfiguration {
            scaling_config: maximum.map(|m| ScalingConfig {
                maximum_concurrency: Some(m),
            }),
            ..Default::default()
        })
    }

    #[test]
    fn five_pollers_grow_by_five_while_messages_wait_up_to_the_ceiling() {
        let unbounded = scaling(None);
        assert_eq!(unbounded.first(), 5);
        assert_eq!(unbounded.grow(0), 0);
        assert_eq!(unbounded.grow(100), 5);
        assert_eq!(unbounded.grow(2), 2);
        assert_eq!(unbounded.active(), 12);
        let bounded = scaling(Some(8));
        assert_eq!(bounded.first(), 5);
        assert_eq!(bounded.grow(100), 3);
        assert_eq!(bounded.grow(100), 0);
        let small = scaling(Some(2));
        assert_eq!(small.first(), 2);
    }

    #[test]
    fn idle_pollers_leave_down_to_the_first_five() {
        let scaling = scaling(None);
        scaling.first();
        scaling.grow(100);
        assert!((0..5).all(|_| scaling.may_leave()));
        assert!(!scaling.may_leave());
        assert_eq!(scaling.active(), 5);
    }
}
