//! Throttling of invocations: each method of a stage draws from a token
//! bucket with the limits of its method settings (its own
//! `<~1path>/<VERB>` entry, else the stage's `*/*`), else the account's
//! (10,000 requests a second, bursts of 5,000). Buckets live in memory, as
//! the rates they measure do.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

use nimbus_apigateway_api::Stage;
use nimbus_runtime::TokenBucket;

/// The account-level limits of a region.
pub const ACCOUNT_RATE: f64 = 10_000.0;
pub const ACCOUNT_BURST: f64 = 5_000.0;

/// The buckets, by API, stage, resource path and method.
#[derive(Default)]
pub struct Throttles(Mutex<HashMap<String, TokenBucket>>);

impl Throttles {
    /// Whether a request to `key` with `limits` may go on at `now`.
    pub fn admit(&self, key: &str, (rate, burst): (f64, f64), now: SystemTime) -> bool {
        let Ok(mut buckets) = self.0.lock() else {
            return true;
        };
        if !buckets.contains_key(key) {
            buckets.insert(key.to_owned(), TokenBucket::new(rate, burst, now));
        }
        let Some(bucket) = buckets.get_mut(key) else {
            return true;
        };
        if !bucket.has_limits(rate, burst) {
            *bucket = TokenBucket::new(rate, burst, now);
        }
        bucket.try_take(now)
    }

    /// Forgets every bucket (a reset of nimbus's state).
    pub fn clear(&self) {
        if let Ok(mut buckets) = self.0.lock() {
            buckets.clear();
        }
    }
}

/// The key of a method's own settings in a stage's method settings
/// (`~1pets~1{id}/GET`).
pub fn setting_key(resource_path: &str, verb: &str) -> String {
    let mut key = String::with_capacity(resource_path.len() * 2 + verb.len() + 1);
    for part in resource_path.split('/').skip(1) {
        key.push_str("~1");
        key.push_str(part);
    }
    key.push('/');
    key.push_str(verb);
    key
}

/// The rate and burst limits of a method (its [`setting_key`]) in `stage`.
pub fn limits(stage: &Stage, setting_key: &str) -> (f64, f64) {
    let settings = stage.method_settings.as_ref();
    let setting = settings.and_then(|s| s.get(setting_key).or_else(|| s.get("*/*")));
    match setting {
        Some(setting) => (
            setting.throttling_rate_limit.unwrap_or(ACCOUNT_RATE),
            f64::from(setting.throttling_burst_limit.unwrap_or(5_000)),
        ),
        None => (ACCOUNT_RATE, ACCOUNT_BURST),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use indexmap::IndexMap;
    use nimbus_apigateway_api::MethodSetting;

    use super::*;

    fn setting(rate: f64, burst: i32) -> MethodSetting {
        MethodSetting {
            throttling_rate_limit: Some(rate),
            throttling_burst_limit: Some(burst),
            ..Default::default()
        }
    }

    #[test]
    fn a_methods_own_setting_wins_over_the_stages_and_the_accounts() {
        let mut settings = IndexMap::new();
        settings.insert("*/*".to_owned(), setting(100.0, 50));
        settings.insert("~1pets~1{id}/GET".to_owned(), setting(1.0, 2));
        let stage = Stage {
            method_settings: Some(settings),
            ..Default::default()
        };
        assert_eq!(setting_key("/pets/{id}", "GET"), "~1pets~1{id}/GET");
        assert_eq!(setting_key("/", "GET"), "~1/GET");
        assert_eq!(limits(&stage, &setting_key("/pets/{id}", "GET")), (1.0, 2.0));
        assert_eq!(limits(&stage, &setting_key("/pets/{id}", "PUT")), (100.0, 50.0));
        assert_eq!(limits(&Stage::default(), "~1/GET"), (10_000.0, 5_000.0));
    }

    #[test]
    fn a_method_is_refused_past_its_burst_until_its_rate_refills_it() {
        let throttles = Throttles::default();
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(5);
        assert!(throttles.admit("a", (1.0, 2.0), start));
        assert!(throttles.admit("a", (1.0, 2.0), start));
        assert!(!throttles.admit("a", (1.0, 2.0), start));
        assert!(
            throttles.admit("b", (1.0, 2.0), start),
            "another method has its own bucket"
        );
        assert!(throttles.admit("a", (1.0, 2.0), start + Duration::from_secs(1)));
    }
}
