//! Which account an access key acts in.

/// The account used for access keys that do not name one (`test`, `AKIA...`).
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";

/// A 12-digit access key is that account; anything else is `default_account`.
/// (Temporary credentials issued by STS are resolved by STS itself.)
pub fn account_for_access_key<'a>(access_key_id: &'a str, default_account: &'a str) -> &'a str {
    if access_key_id.len() == 12 && access_key_id.bytes().all(|b| b.is_ascii_digit()) {
        access_key_id
    } else {
        default_account
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_digit_keys_name_their_account() {
        assert_eq!(
            account_for_access_key("123456789012", DEFAULT_ACCOUNT_ID),
            "123456789012"
        );
        assert_eq!(account_for_access_key("test", DEFAULT_ACCOUNT_ID), "000000000000");
        assert_eq!(
            account_for_access_key("12345678901a", "111111111111"),
            "111111111111"
        );
    }
}
