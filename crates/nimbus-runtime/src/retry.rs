//! How long to wait before trying a failed delivery again.

use std::time::Duration;

/// Exponential backoff without jitter (deterministic under the test clock):
/// `first_delay`, then times `factor` per attempt, capped at `max_delay`,
/// for at most `max_attempts` attempts in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    pub first_delay: Duration,
    pub factor: u32,
    pub max_delay: Duration,
    /// Attempts including the first; after the last failure the delivery is
    /// dead-lettered.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// 1 s, 2 s, 4 s … up to 5 min between tries, 12 tries: about 17 minutes
    /// of retrying, in the range of what SNS and EventBridge do by default.
    fn default() -> Self {
        RetryPolicy {
            first_delay: Duration::from_secs(1),
            factor: 2,
            max_delay: Duration::from_secs(300),
            max_attempts: 12,
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (1-based), or `None`
    /// when no attempt is left.
    pub fn delay_after(&self, attempt: u32) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let exponent = attempt.saturating_sub(1);
        let multiplier = self.factor.checked_pow(exponent).unwrap_or(u32::MAX);
        let delay = self.first_delay.checked_mul(multiplier).unwrap_or(self.max_delay);
        Some(delay.min(self.max_delay))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_then_cap_then_stop() {
        let policy = RetryPolicy {
            first_delay: Duration::from_secs(1),
            factor: 3,
            max_delay: Duration::from_secs(20),
            max_attempts: 5,
        };
        let delays: Vec<_> = (1..=5)
            .map(|attempt| policy.delay_after(attempt).map(|d| d.as_secs()))
            .collect();
        assert_eq!(delays, [Some(1), Some(3), Some(9), Some(20), None]);
    }
}
