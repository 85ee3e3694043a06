//! Stage caches: with the stage's cache cluster enabled, a method whose
//! caching is on (GET methods unless their settings say otherwise) answers
//! from the cache for its TTL (`caching/ttlInSeconds`, 300 s by default,
//! on the nimbus clock), per request path and the cache key parameters of
//! its integration. `Cache-Control: max-age=0` bypasses it when the method
//! does not require authorization for that. Answers say where they came
//! from in `X-Nimbus-Cache: Hit|Miss` (nimbus's own header, for tests).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use nimbus_apigateway_api::{ApiResponse, MethodSetting, Stage};

/// Entries kept at most: a bound on memory, not a tuning.
const MOST: usize = 10_000;

/// Cached answers by key, with when they expire.
#[derive(Default)]
pub struct Cache(Mutex<HashMap<String, (SystemTime, ApiResponse)>>);

/// How a method caches in a stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Caching {
    pub ttl: Duration,
    /// Whether `Cache-Control: max-age=0` is honoured without authorization.
    pub bypass_allowed: bool,
}

/// The caching of a method (its settings' key, and `verb`) in `stage`,
/// if it caches.
pub fn caching(stage: &Stage, setting_key: &str, verb: &str) -> Option<Caching> {
    if stage.cache_cluster_enabled != Some(true) {
        return None;
    }
    let settings = stage.method_settings.as_ref();
    let setting: Option<&MethodSetting> = settings.and_then(|s| s.get(setting_key).or_else(|| s.get("*/*")));
    let enabled = setting.and_then(|s| s.caching_enabled).unwrap_or(verb == "GET");
    if !enabled {
        return None;
    }
    let ttl = setting.and_then(|s| s.cache_ttl_in_seconds).unwrap_or(300);
    Some(Caching {
        ttl: Duration::from_secs(u64::try_from(ttl).unwrap_or(0)),
        bypass_allowed: setting.and_then(|s| s.require_authorization_for_cache_control) == Some(false),
    })
}

impl Cache {
    /// The answer cached under `key` at `now`, if it has not expired.
    pub fn get(&self, key: &str, now: SystemTime) -> Option<ApiResponse> {
        let entries = self.0.lock().ok()?;
        let (expires, answer) = entries.get(key)?;
        (now < *expires).then(|| answer.clone())
    }

    pub fn put(&self, key: &str, answer: &ApiResponse, ttl: Duration, now: SystemTime) {
        if ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.0.lock() {
            if entries.len() >= MOST {
                entries.retain(|_, (expires, _)| *expires > now);
            }
            if entries.len() < MOST {
                entries.insert(key.to_owned(), (now + ttl, answer.clone()));
            }
        }
    }

    /// Forgets every answer under `prefix` (FlushStageCache: one stage's).
    pub fn flush(&self, prefix: &str) {
        if let Ok(mut entries) = self.0.lock() {
            entries.retain(|key, _| !key.starts_with(prefix));
        }
    }
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;
    use nimbus_runtime::TestClock;

    use super::*;

    fn answer(body: &'static str) -> ApiResponse {
        ApiResponse {
            status: 200,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    #[tokio::test]
    async fn an_answer_is_served_for_its_ttl_on_the_clock_and_flushed_by_stage() {
        let test = TestClock::new();
        let cache = Cache::default();
        cache.put("api/prod/a", &answer("one"), Duration::from_secs(300), test.now());
        test.advance(Duration::from_secs(299)).await;
        assert_eq!(
            cache.get("api/prod/a", test.now()).map(|a| a.body),
            Some("one".into())
        );
        test.advance(Duration::from_secs(1)).await;
        assert!(
            cache.get("api/prod/a", test.now()).is_none(),
            "expired at its TTL"
        );
        cache.put("api/prod/b", &answer("two"), Duration::from_secs(60), test.now());
        cache.put("api/dev/b", &answer("three"), Duration::from_secs(60), test.now());
        cache.flush("api/prod/");
        assert!(cache.get("api/prod/b", test.now()).is_none());
        assert!(cache.get("api/dev/b", test.now()).is_some());
    }

    #[test]
    fn only_an_enabled_cluster_caches_and_get_methods_by_default() {
        let mut stage = Stage::default();
        assert_eq!(caching(&stage, "~1/GET", "GET"), None);
        stage.cache_cluster_enabled = Some(true);
        assert_eq!(
            caching(&stage, "~1/GET", "GET").map(|c| c.ttl),
            Some(Duration::from_secs(300))
        );
        assert_eq!(caching(&stage, "~1/POST", "POST"), None);
        let mut settings = IndexMap::new();
        settings.insert(
            "~1/GET".to_owned(),
            MethodSetting {
                caching_enabled: Some(true),
                cache_ttl_in_seconds: Some(5),
                require_authorization_for_cache_control: Some(false),
                ..Default::default()
            },
        );
        stage.method_settings = Some(settings);
        assert_eq!(
            caching(&stage, "~1/GET", "GET"),
            Some(Caching {
                ttl: Duration::from_secs(5),
                bypass_allowed: true
            })
        );
    }
}
