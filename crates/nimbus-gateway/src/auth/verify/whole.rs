//! Verifying a whole request at once, outside the AWS pipeline: what a
//! front hook's signed requests need (a function URL with AuthType AWS_IAM).

use nimbus_core::AwsError;
use nimbus_core::identity::CredentialRegistry;
use nimbus_protocol::HttpRequest;
use sha2::{Digest, Sha256};

use super::keys::Hex;
use super::{Check, Family, expired_token, secret_of, skew, unknown_key, unverifiable};
use crate::auth::sigv4::{Algorithm, RequestAuth, SignatureLocation};

/// Verifies the SigV4 signature of a whole request outside the AWS pipeline
/// (a front hook's: a function URL with AuthType AWS_IAM), signed as the
/// JSON services sign: the key must be known, the date within the skew, the
/// payload hash the body's unless the request declares it.
pub fn whole_request(
    config: &crate::GatewayConfig,
    credentials: &CredentialRegistry,
    auth: &RequestAuth,
    request: &HttpRequest,
    query: &[(String, String)],
) -> Result<(), AwsError> {
    let family = Family::Json;
    let RequestAuth::SigV4(sig) = auth else {
        return Err(unverifiable(family));
    };
    if sig.algorithm != Algorithm::HmacSha256 {
        return Err(unverifiable(family));
    }
    let key = sig.scope.access_key_id();
    let now = config.clock.now_epoch_millis() / 1000;
    if credentials.expired(key, now) {
        return Err(expired_token(family));
    }
    let secret = secret_of(credentials, key).ok_or_else(|| unknown_key(family, key))?;
    let date = sig.date.as_deref().unwrap_or_default();
    let presigned = match sig.location {
        SignatureLocation::Header => {
            skew::check(family, date, config.clock.now())?;
            false
        }
        SignatureLocation::Query { expires } => {
            skew::check_presigned(family, date, expires, config.clock.now())?;
            true
        }
    };
    let payload_hash = match request.header("x-amz-content-sha256") {
        Some(declared) => declared.trim().to_owned(),
        None => Hex::of(&Sha256::digest(&request.body)).as_str().to_owned(),
    };
    Check::new(family, sig, &secret, request, presigned, query).verify(&payload_hash)
}
