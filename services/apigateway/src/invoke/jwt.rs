//! JWT authorizers of HTTP APIs: the bearer token of the identity source
//! must be an RS256 JWT signed by a key of the issuer's JWKS (found through
//! its `/.well-known/openid-configuration`, else `/.well-known/jwks.json`),
//! issued by the authorizer's issuer for one of its audiences (`aud` or
//! `client_id`), in force (`exp`, `nbf` on the nimbus clock), and carrying
//! one of the route's scopes when it names any. 401 Unauthorized, or 403
//! Forbidden for a missing scope.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use nimbus_apigateway_api::{ApiRequest, ApiResponse};
use nimbus_apigatewayv2_api::{Authorizer, Route};
use rsa::{BoxedUint, Pkcs1v15Sign, PublicKey};
use serde_json::{Map, Value as Json, json};
use sha2::{Digest, Sha256};

use super::http_proxy::{self, Outgoing};
use super::message;

/// A token read but not yet trusted.
struct Token {
    header: Json,
    claims: Json,
    signed: String,
    signature: Vec<u8>,
}

fn decode(token: &str) -> Option<Token> {
    let mut parts = token.split('.');
    let (header, claims, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let json = |part: &str| serde_json::from_slice::<Json>(&URL_SAFE_NO_PAD.decode(part).ok()?).ok();
    Some(Token {
        header: json(header)?,
        claims: json(claims)?,
        signed: format!("{header}.{claims}"),
        signature: URL_SAFE_NO_PAD.decode(signature).ok()?,
    })
}

/// Whether `token` is signed with the RSA key `jwk` (RS256).
fn signed_by(token: &Token, jwk: &Json) -> bool {
    let number = |name: &str| {
        let bytes = URL_SAFE_NO_PAD.decode(jwk.get(name)?.as_str()?).ok()?;
        let bits = u32::try_from(bytes.len().div_ceil(8) * 64).ok()?;
        BoxedUint::from_be_slice(&bytes, bits).ok()
    };
    let (Some(n), Some(e)) = (number("n"), number("e")) else {
        return false;
    };
    let Ok(key) = PublicKey::new(n, e) else {
        return false;
    };
    let hashed = Sha256::digest(token.signed.as_bytes());
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &hashed, &token.signature)
        .is_ok()
}

/// A JSON document fetched with GET (the issuer's metadata and keys).
async fn fetch(url: &str) -> Option<Json> {
    let outgoing = Outgoing {
        method: "GET".into(),
        url: url.to_owned(),
        headers: Vec::new(),
        body: bytes::Bytes::new(),
    };
    let answered = http_proxy::exchange(&outgoing, Duration::from_secs(5))
        .await
        .ok()?;
    (answered.status == 200).then(|| serde_json::from_slice(&answered.body).ok())?
}

/// The issuer's signing keys.
async fn keys(issuer: &str) -> Vec<Json> {
    let base = issuer.trim_end_matches('/');
    let configured = fetch(&format!("{base}/.well-known/openid-configuration"))
        .await
        .and_then(|config| config.get("jwks_uri")?.as_str().map(str::to_owned));
    let jwks_url = configured.unwrap_or_else(|| format!("{base}/.well-known/jwks.json"));
    fetch(&jwks_url)
        .await
        .and_then(|jwks| jwks.get("keys")?.as_array().cloned())
        .unwrap_or_default()
}

fn unauthorized() -> ApiResponse {
    message(401, "Unauthorized", "")
}

/// The token's scopes: `scope` (space-separated) or `scp` (a list).
fn scopes(claims: &Json) -> Vec<String> {
    match (claims.get("scope"), claims.get("scp")) {
        (Some(Json::String(text)), _) => text.split_whitespace().map(str::to_owned).collect(),
        (_, Some(Json::Array(list))) => list
            .iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// Checks the request's JWT for `route`; the authorizer context the
/// function sees (`{"jwt": {"claims", "scopes"}}`), or the refusal.
pub async fn authorize(
    authorizer: &Authorizer,
    route: &Route,
    request: &ApiRequest,
    now_seconds: u64,
) -> Result<Json, ApiResponse> {
    let source = authorizer.identity_source.clone().unwrap_or_default();
    let header_name = source
        .first()
        .and_then(|s| s.strip_prefix("$request.header."))
        .unwrap_or("Authorization")
        .to_owned();
    let value = request
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(&header_name))
        .map(|(_, value)| value.clone())
        .ok_or_else(unauthorized)?;
    let raw = value.strip_prefix("Bearer ").unwrap_or(&value);
    let token = decode(raw).ok_or_else(unauthorized)?;
    if token.header.get("alg").and_then(Json::as_str) != Some("RS256") {
        return Err(unauthorized());
    }
    let config = authorizer.jwt_configuration.clone().unwrap_or_default();
    let issuer = config.issuer.unwrap_or_default();
    let claims = &token.claims;
    if claims.get("iss").and_then(Json::as_str) != Some(issuer.as_str()) {
        return Err(unauthorized());
    }
    let audiences = config.audience.unwrap_or_default();
    let named = |value: Option<&Json>| match value {
        Some(Json::String(one)) => audiences.contains(one),
        Some(Json::Array(many)) => many
            .iter()
            .any(|a| a.as_str().is_some_and(|a| audiences.iter().any(|x| x == a))),
        _ => false,
    };
    if !(named(claims.get("aud")) || named(claims.get("client_id"))) {
        return Err(unauthorized());
    }
    let expired = claims
        .get("exp")
        .and_then(Json::as_u64)
        .is_none_or(|exp| exp <= now_seconds);
    let early = claims
        .get("nbf")
        .and_then(Json::as_u64)
        .is_some_and(|nbf| nbf > now_seconds);
    if expired || early {
        return Err(unauthorized());
    }
    let kid = token.header.get("kid").and_then(Json::as_str);
    let keys = keys(&issuer).await;
    let signed = keys
        .iter()
        .filter(|key| kid.is_none() || key.get("kid").and_then(Json::as_str) == kid)
        .any(|key| signed_by(&token, key));
    if !signed {
        return Err(unauthorized());
    }
    let granted = scopes(claims);
    let wanted = route.authorization_scopes.clone().unwrap_or_default();
    if !wanted.is_empty() && !wanted.iter().any(|scope| granted.contains(scope)) {
        return Err(message(403, "Forbidden", ""));
    }
    let claims: Map<String, Json> = claims
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            (
                k.clone(),
                json!(v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
            )
        })
        .collect();
    let scopes = (!granted.is_empty()).then(|| json!(granted));
    Ok(json!({"jwt": {"claims": claims, "scopes": scopes}}))
}
