//! A token bucket on the nimbus clock: `rate` tokens a second refill it up
//! to `burst`; each request takes one or is refused. API Gateway's
//! throttling (and usage plans' rate limits) are token buckets.

use std::time::SystemTime;

/// One bucket; starts full.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    refilled: SystemTime,
}

impl TokenBucket {
    pub fn new(rate: f64, burst: f64, now: SystemTime) -> Self {
        let burst = burst.max(0.0);
        TokenBucket {
            rate: rate.max(0.0),
            burst,
            tokens: burst,
            refilled: now,
        }
    }

    /// Takes a token at `now`; false when the bucket is empty.
    pub fn try_take(&mut self, now: SystemTime) -> bool {
        let elapsed = now
            .duration_since(self.refilled)
            .unwrap_or_default()
            .as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.refilled = now.max(self.refilled);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether the bucket has these limits (settings may have changed).
    pub fn has_limits(&self, rate: f64, burst: f64) -> bool {
        self.rate == rate.max(0.0) && self.burst == burst.max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_is_served_then_the_rate_refills_it() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let mut bucket = TokenBucket::new(2.0, 3.0, start);
        assert!((0..3).all(|_| bucket.try_take(start)), "the burst");
        assert!(!bucket.try_take(start));
        let half_second = start + Duration::from_millis(500);
        assert!(
            bucket.try_take(half_second),
            "one token after half a second at 2/s"
        );
        assert!(!bucket.try_take(half_second));
        let later = start + Duration::from_secs(60);
        assert!(
            (0..3).all(|_| bucket.try_take(later)),
            "refilled to the burst, no more"
        );
        assert!(!bucket.try_take(later));
        let mut closed = TokenBucket::new(0.0, 0.0, start);
        assert!(!closed.try_take(later));
    }
}
