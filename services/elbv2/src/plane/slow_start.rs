//! Slow start: a target that has just become healthy gets a share of new
//! requests that grows linearly over the group's slow-start duration, while
//! targets past theirs take the rest. A lone target, or one with no other
//! healthy target beside it, takes everything at once (as in ELB).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::groups::{Target, lock};

/// A target's weight at `now`: the fraction of its slow start behind it.
fn weight(target: &Target, now: SystemTime, duration: Duration) -> f64 {
    let Some(since) = *lock(&target.healthy_since) else {
        return 1.0;
    };
    let elapsed = now.duration_since(since).unwrap_or_default();
    (elapsed.as_secs_f64() / duration.as_secs_f64()).clamp(0.05, 1.0)
}

/// The candidate for a request when some are still starting slowly; `None`
/// when none is (the group's algorithm decides then).
pub fn choose<'t>(
    candidates: &[&'t Arc<Target>],
    now: SystemTime,
    duration: Duration,
    roll: f64,
) -> Option<&'t Arc<Target>> {
    if duration.is_zero() || candidates.len() < 2 {
        return None;
    }
    let weights: Vec<f64> = candidates.iter().map(|t| weight(t, now, duration)).collect();
    if weights.iter().all(|w| *w >= 1.0) {
        return None;
    }
    let total: f64 = weights.iter().sum();
    let mut point = roll * total;
    for (target, weight) in candidates.iter().zip(&weights) {
        if point < *weight {
            return Some(target);
        }
        point -= weight;
    }
    candidates.last().copied()
}
