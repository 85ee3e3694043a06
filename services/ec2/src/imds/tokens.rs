//! IMDSv2 session tokens: a PUT to `/latest/api/token` with a TTL of 1 to
//! 21,600 seconds gives a token that the instance's later requests carry;
//! it is the instance's own and lapses on the nimbus clock.

use std::collections::HashMap;
use std::sync::Mutex;

/// The longest a token lasts (six hours).
pub const MOST_TTL_SECONDS: u64 = 21_600;

/// Tokens by value: whose they are and until when (epoch milliseconds).
#[derive(Default)]
pub struct Tokens(Mutex<HashMap<String, (String, u64)>>);

/// A TTL header's value, if it is a number of seconds IMDS accepts.
pub fn ttl(header: Option<&str>) -> Option<u64> {
    header
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|ttl| (1..=MOST_TTL_SECONDS).contains(ttl))
}

impl Tokens {
    /// A new token for `instance`, valid for `ttl` seconds from `now_ms`.
    pub fn issue(&self, instance: &str, ttl: u64, now_ms: u64) -> String {
        let token = format!("AQAEA{}", uuid::Uuid::new_v4().simple()).replace('-', "");
        let mut tokens = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        tokens.retain(|_, (_, until)| *until > now_ms);
        tokens.insert(token.clone(), (instance.to_owned(), now_ms + ttl * 1000));
        token
    }

    /// Whether `token` is `instance`'s and still good at `now_ms`.
    pub fn valid(&self, token: &str, instance: &str, now_ms: u64) -> bool {
        let tokens = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        tokens
            .get(token)
            .is_some_and(|(owner, until)| owner == instance && *until > now_ms)
    }
}

#[cfg(test)]
mod tests {
    use nimbus_runtime::TestClock;

    use super::*;

    #[tokio::test]
    async fn tokens_lapse_on_the_clock_and_belong_to_one_instance() {
        let clock = TestClock::new();
        let tokens = Tokens::default();
        let now = || clock.clock().now_epoch_millis();
        let token = tokens.issue("i-1", 60, now());
        assert!(tokens.valid(&token, "i-1", now()));
        assert!(!tokens.valid(&token, "i-2", now()), "another instance's token");
        clock.advance(std::time::Duration::from_secs(59)).await;
        assert!(tokens.valid(&token, "i-1", now()));
        clock.advance(std::time::Duration::from_secs(1)).await;
        assert!(!tokens.valid(&token, "i-1", now()));
    }

    #[test]
    fn ttls_must_be_between_a_second_and_six_hours() {
        assert_eq!(ttl(Some("21600")), Some(21_600));
        assert_eq!(ttl(Some("1")), Some(1));
        assert_eq!(ttl(Some("0")), None);
        assert_eq!(ttl(Some("21601")), None);
        assert_eq!(ttl(Some("soon")), None);
        assert_eq!(ttl(None), None);
    }
}
