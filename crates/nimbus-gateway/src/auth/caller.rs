//! Who is calling, from where: the account and region of a request.

use nimbus_core::account::account_for_access_key;
use nimbus_core::identity::CredentialRegistry;

use crate::GatewayConfig;
use crate::auth::sigv4::RequestAuth;

/// STS issues temporary keys as `ASIA...` and IAM long-term keys as
/// `AKIA...`, as AWS does: only such keys can be in the credential
/// registry, so others (`test`, 12 digits) skip its lock and lookup.
const REGISTERED_KEY_PREFIXES: [&str; 2] = ["ASIA", "AKIA"];

/// The account and region a request acts in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub access_key_id: Option<String>,
    pub account_id: String,
    pub region: String,
}

impl Caller {
    /// Keys issued by STS or IAM act in the account they were issued
    /// for; other keys name their account (12 digits) or get the default
    /// one. The region is the signature's, else the default.
    pub fn resolve(auth: &RequestAuth, credentials: &CredentialRegistry, config: &GatewayConfig) -> Self {
        let access_key_id = auth.access_key_id().map(str::to_owned);
        let account_id = match &access_key_id {
            Some(key) => key
                .get(..4)
                .is_some_and(|prefix| REGISTERED_KEY_PREFIXES.contains(&prefix))
                .then(|| credentials.lookup(key))
                .flatten()
                .map(|identity| identity.account_id)
                .unwrap_or_else(|| account_for_access_key(key, &config.default_account).to_owned()),
            None => config.default_account.clone(),
        };
        let region = auth.region().unwrap_or(&config.default_region).to_owned();
        Caller {
            access_key_id,
            account_id,
            region,
        }
    }
}

#[cfg(test)]
mod tests {
    use nimbus_core::identity::Identity;

    use super::*;

    fn signed(key: &str, region: &str) -> RequestAuth {
        let mut headers = http::HeaderMap::new();
        let value = format!(
            "AWS4-HMAC-SHA256 Credential={key}/20240101/{region}/sts/aws4_request, SignedHeaders=host, Signature=00"
        );
        headers.insert("authorization", value.parse().expect("header"));
        crate::auth::sigv4::parse(&headers, &[]).expect("auth")
    }

    #[test]
    fn accounts_come_from_keys_and_sts() {
        let registry = CredentialRegistry::new();
        registry.insert(
            "ASIATEMP".into(),
            Identity {
                account_id: "222222222222".into(),
                arn: "arn:aws:sts::222222222222:assumed-role/r/s".into(),
                user_id: "AROA:s".into(),
                session: None,
            },
        );
        let config = GatewayConfig {
            default_account: "111111111111".into(),
            ..GatewayConfig::default()
        };
        let resolve = |auth: &RequestAuth| Caller::resolve(auth, &registry, &config);

        assert_eq!(resolve(&signed("test", "eu-west-1")).account_id, "111111111111");
        assert_eq!(resolve(&signed("test", "eu-west-1")).region, "eu-west-1");
        assert_eq!(
            resolve(&signed("123456789012", "us-east-1")).account_id,
            "123456789012"
        );
        assert_eq!(
            resolve(&signed("ASIATEMP", "us-east-1")).account_id,
            "222222222222"
        );
        let anonymous = resolve(&RequestAuth::Anonymous);
        assert_eq!(
            (
                anonymous.account_id.as_str(),
                anonymous.region.as_str(),
                anonymous.access_key_id
            ),
            ("111111111111", "us-east-1", None)
        );
    }
}
