//! Temporary credentials and the ids STS hands out.

use nimbus_core::Timestamp;
use rand::Rng;

use nimbus_sts_api::Credentials;

const UPPER_ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/// The alphabet of IAM unique ids (`AROA...`, `AIDA...`).
const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Real session tokens are long base64 blobs; clients only store and echo them.
const SESSION_TOKEN_PREFIX: &str = "IQoJb3JpZ2luX2VjE";
const SESSION_TOKEN_RANDOM_LEN: usize = 300;

/// A fresh set of temporary credentials valid for `duration_seconds` from now.
/// New credentials that expire at `expires_at` (seconds since the epoch).
pub fn issue(expires_at: i64) -> Credentials {
    let mut rng = rand::rng();
    let mut token = String::from(SESSION_TOKEN_PREFIX);
    token.push_str(&random_string(
        &mut rng,
        SECRET_ALPHABET,
        SESSION_TOKEN_RANDOM_LEN,
    ));
    Credentials {
        access_key_id: format!("ASIA{}", random_string(&mut rng, UPPER_ALPHANUMERIC, 16)),
        secret_access_key: random_string(&mut rng, SECRET_ALPHABET, 40),
        session_token: token,
        expiration: Timestamp {
            seconds: expires_at,
            nanos: 0,
        },
    }
}

/// Now plus `seconds`, to the whole second as AWS reports expirations.
#[cfg(test)]
pub fn expires_in(seconds: i64) -> Timestamp {
    use std::time::{SystemTime, UNIX_EPOCH};
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    Timestamp {
        seconds: now.saturating_add(seconds),
        nanos: 0,
    }
}

fn random_string(rng: &mut impl Rng, alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// The unique id of a role (`AROA` + 17 characters), derived from its ARN so
/// every session of a role, across restarts, reports the same id.
pub fn role_id(role_arn: &str) -> String {
    format!("AROA{}", stable_id(role_arn, 17))
}

/// `len` id characters from a 128-bit FNV-1a hash of `seed`.
fn stable_id(seed: &str, len: usize) -> String {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let mut hash = OFFSET;
    for byte in seed.bytes() {
        hash ^= u128::from(byte);
        hash = hash.wrapping_mul(PRIME);
    }
    (0..len)
        .map(|i| {
            let index = (hash >> (5 * i)) & 0x1f;
            char::from(ID_ALPHABET[usize::try_from(index).unwrap_or(0)])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_credentials_look_like_aws_ones() {
        let credentials = issue(expires_in(900).seconds);
        let key = &credentials.access_key_id;
        assert_eq!(key.len(), 20);
        assert!(key.starts_with("ASIA"));
        assert!(key.bytes().all(|b| UPPER_ALPHANUMERIC.contains(&b)));
        assert_eq!(credentials.secret_access_key.len(), 40);
        assert!(credentials.session_token.len() > 100);
        assert_ne!(
            issue(expires_in(900).seconds).access_key_id,
            credentials.access_key_id
        );
    }

    #[test]
    fn expiration_is_now_plus_duration() {
        let before = expires_in(0).seconds;
        let expiration = issue(expires_in(3600).seconds).expiration;
        assert!(expiration.seconds >= before + 3600 && expiration.seconds <= before + 3601);
        assert_eq!(expiration.nanos, 0);
    }

    #[test]
    fn role_ids_are_stable_per_role() {
        let id = role_id("arn:aws:iam::111111111111:role/a");
        assert_eq!(id, role_id("arn:aws:iam::111111111111:role/a"));
        assert_ne!(id, role_id("arn:aws:iam::111111111111:role/b"));
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AROA"));
        assert!(id[4..].bytes().all(|b| ID_ALPHABET.contains(&b)));
    }
}
