//! SigV4's signing key (an HMAC chain over date, region, service and
//! `aws4_request`, from `AWS4<secret>`), derived once per scope, and the
//! lower-case hex every signature and hash is compared in.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// An HMAC-SHA256 key or digest.
pub(super) type Digest32 = [u8; 32];

pub(super) fn hmac_sha256(key: &[u8], data: &[u8]) -> Digest32 {
    // HMAC accepts keys of any length; the error branch cannot happen.
    match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0; 32],
    }
}

/// The lower-case hex of up to 32 bytes, on the stack: a request hashes
/// and compares several.
#[derive(Clone, Copy)]
pub(super) struct Hex {
    text: [u8; 64],
    len: usize,
}

impl Hex {
    pub(super) fn of(bytes: &[u8]) -> Self {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0; 64];
        let bytes = &bytes[..bytes.len().min(32)];
        for (i, byte) in bytes.iter().enumerate() {
            text[2 * i] = DIGITS[usize::from(byte >> 4)];
            text[2 * i + 1] = DIGITS[usize::from(byte & 0x0f)];
        }
        Hex {
            text,
            len: bytes.len() * 2,
        }
    }

    pub(super) fn as_str(&self) -> &str {
        // Only ASCII hex digits were written.
        std::str::from_utf8(&self.text[..self.len]).unwrap_or_default()
    }
}

/// What a signing key is derived from.
#[derive(PartialEq, Eq, Hash, Clone)]
struct Scope {
    secret: String,
    date: String,
    region: String,
    service: String,
}

impl Scope {
    fn is(&self, secret: &str, date: &str, region: &str, service: &str) -> bool {
        self.secret == secret && self.date == date && self.region == region && self.service == service
    }
}

/// Keys kept at most (a bound on memory; a busy server signs with few).
const MAX_SIGNING_KEYS: usize = 1024;

thread_local! {
    /// The last key this thread used: most requests sign with the same.
    static LAST: RefCell<Option<(Scope, Digest32)>> = const { RefCell::new(None) };
}

/// The signing key of a scope: a client derives it once a day per region
/// and service, so nimbus keeps it, and each request costs one HMAC, not
/// five (and no allocation when the thread's last scope repeats).
pub(super) fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Digest32 {
    let last = LAST.with_borrow(|last| match last {
        Some((scope, key)) if scope.is(secret, date, region, service) => Some(*key),
        _ => None,
    });
    if let Some(key) = last {
        return key;
    }
    let scope = Scope {
        secret: secret.to_owned(),
        date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
    };
    let key = shared_key(&scope);
    LAST.with_borrow_mut(|last| *last = Some((scope, key)));
    key
}

/// Keys shared by all threads, derived on a miss.
fn shared_key(scope: &Scope) -> Digest32 {
    static KEYS: OnceLock<Mutex<HashMap<Scope, Digest32>>> = OnceLock::new();
    let cache = KEYS.get_or_init(Mutex::default);
    if let Ok(keys) = cache.lock()
        && let Some(key) = keys.get(scope)
    {
        return *key;
    }
    let key = derive(&scope.secret, &scope.date, &scope.region, &scope.service);
    if let Ok(mut keys) = cache.lock() {
        if keys.len() >= MAX_SIGNING_KEYS {
            keys.clear();
        }
        keys.insert(scope.clone(), key);
    }
    key
}

pub(super) fn derive(secret: &str, date: &str, region: &str, service: &str) -> Digest32 {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_and_bounded() {
        assert_eq!(Hex::of(&[0x00, 0xab, 0xff]).as_str(), "00abff");
        assert_eq!(Hex::of(&[0x11; 40]).as_str().len(), 64);
    }

    #[test]
    fn a_cached_key_is_the_derived_one_for_each_scope() {
        let first = signing_key("secret", "20240101", "us-east-1", "service-a");
        let second = signing_key("secret", "20240101", "us-east-1", "service-b");
        assert_eq!(first, derive("secret", "20240101", "us-east-1", "service-a"));
        assert_eq!(second, derive("secret", "20240101", "us-east-1", "service-b"));
        assert_ne!(first, second);
        // Again, from the thread's last key and from the shared map.
        assert_eq!(
            signing_key("secret", "20240101", "us-east-1", "service-b"),
            second
        );
        assert_eq!(signing_key("secret", "20240101", "us-east-1", "service-a"), first);
    }
}
