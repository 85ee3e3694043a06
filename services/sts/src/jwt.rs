//! The claims of a web identity token (a JWT), read without verifying the
//! signature: nimbus trusts every identity provider.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value as Json;

#[derive(Debug, Default, PartialEq)]
pub struct Claims {
    /// `sub`: the user at the identity provider.
    pub subject: Option<String>,
    /// `iss`: the identity provider.
    pub issuer: Option<String>,
    /// `aud` (the first one when a list), else `azp`: the client id.
    pub audience: Option<String>,
    /// `exp`: seconds since the epoch after which the token is void.
    pub expires: Option<i64>,
}

/// The claims of `header.payload.signature`, or `None` if it is not a JWT.
pub fn claims(token: &str) -> Option<Claims> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let Json::Object(claims) = serde_json::from_slice::<Json>(&bytes).ok()? else {
        return None;
    };
    let text = |name: &str| claims.get(name).and_then(Json::as_str).map(str::to_owned);
    let audience = match claims.get("aud") {
        Some(Json::Array(audiences)) => audiences.first().and_then(Json::as_str).map(str::to_owned),
        Some(Json::String(audience)) => Some(audience.clone()),
        _ => None,
    };
    Some(Claims {
        subject: text("sub"),
        issuer: text("iss"),
        audience: audience.or_else(|| text("azp")),
        // NumericDate may carry a fraction; the whole second is what counts.
        expires: claims
            .get("exp")
            .and_then(Json::as_f64)
            .map(|exp| exp.floor() as i64),
    })
}

#[cfg(test)]
pub fn token_with(claims: &Json) -> String {
    let encode = |value: &Json| URL_SAFE_NO_PAD.encode(value.to_string());
    format!(
        "{}.{}.signature",
        encode(&serde_json::json!({"alg": "RS256", "typ": "JWT"})),
        encode(claims)
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_the_claims_sts_reports() {
        let token = token_with(&json!({
            "sub": "user-1", "iss": "https://issuer.example", "aud": ["client-a", "client-b"], "exp": 1.9e9
        }));
        assert_eq!(
            claims(&token),
            Some(Claims {
                subject: Some("user-1".into()),
                issuer: Some("https://issuer.example".into()),
                audience: Some("client-a".into()),
                expires: Some(1_900_000_000),
            })
        );
        let token = token_with(&json!({"azp": "client-c"}));
        assert_eq!(claims(&token).and_then(|c| c.audience), Some("client-c".into()));
    }

    #[test]
    fn anything_else_is_not_a_token() {
        assert_eq!(claims("opaque-access-token"), None);
        assert_eq!(claims("a.b.c"), None);
        assert_eq!(claims(&format!("x.{}.y", URL_SAFE_NO_PAD.encode("[1]"))), None);
    }
}
