//! Opt-in SigV4 signature verification (`--verify-signatures`,
//! `NIMBUS_VERIFY_SIGNATURES=1`): the request's signature is recomputed with
//! the secret key of its access key and compared.
//!
//! Known keys: `test` (secret `test`) and the temporary keys STS issued.
//! Verified: SigV4 `AWS4-HMAC-SHA256` in the `Authorization` header and in
//! presigned query strings; of `STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER)`
//! uploads the seed signature and the chained chunk signatures
//! ([`ChunkSignatureChain`], checked by the chunk decoder as the body
//! arrives); S3's SigV2 (header and presigned, [`verify_v2`]). Not verified:
//! the trailer signature of signed streams with trailers, SigV4a (ECDSA),
//! SigV2 of other services.
//!
//! The payload hash is `x-amz-content-sha256` when sent (S3 always sends
//! it), `UNSIGNED-PAYLOAD` for S3's presigned URLs, else the SHA-256 of the
//! body (other services' presigned URLs included): then the check waits for
//! the body ([`PendingSignature`]).
//!
//! Always on, whether or not signatures are verified: S3's check that a body
//! matches the hex SHA-256 its `x-amz-content-sha256` declares
//! ([`declared_sha256`], [`check_body`], [`RunningSha256`] for streamed
//! bodies), which shares the one hash of the body with [`PendingSignature`].

mod keys;
mod skew;
mod whole;

pub use whole::whole_request;

use hmac::{Hmac, KeyInit, Mac};
use keys::{Digest32, Hex, hmac_sha256, signing_key};
use nimbus_core::AwsError;
use nimbus_core::identity::CredentialRegistry;
use nimbus_protocol::model::Signing;
use nimbus_protocol::{HttpRequest, Protocol};
use sha2::{Digest, Sha256};

use crate::auth::sigv4::{Algorithm, PayloadHash, RequestAuth, SigV4, SignatureLocation, SignedHeaders};
use crate::auth::{sigv2, spaced_hex};
use crate::route::Route;

/// The long-term credentials every nimbus knows (AWS's documented test pair).
const DEFAULT_CREDENTIALS: [(&str, &str); 1] = [("test", "test")];

/// What the error messages and shapes depend on: the signing rules of the
/// service's signing rules (its profile's), or its protocol family.
#[derive(Clone, Copy)]
enum Family {
    /// The path signed as sent, object-store errors (`Signing::RawPath`).
    RawPath,
    /// Query and EC2 protocols (STS, SNS, SQS query).
    Query,
    /// JSON, rest-json and CBOR protocols (DynamoDB, SQS json, ...).
    Json,
}

impl Family {
    /// By the service's signing rules (its profile's `signing`), else its protocol.
    fn of(route: &Route) -> Self {
        match (route.profile.signing, route.protocol) {
            (Signing::RawPath, _) => Family::RawPath,
            (_, Protocol::Query | Protocol::Ec2 | Protocol::RestXml) => Family::Query,
            _ => Family::Json,
        }
    }
}

/// A signature whose canonical request waits for the body's hash.
pub struct PendingSignature {
    check: Check,
}

impl PendingSignature {
    /// Completes the check with the hex SHA-256 of the body as received.
    fn finish(self, body_sha256: &str) -> Result<(), AwsError> {
        self.check.verify(body_sha256)
    }
}

/// The SHA-256 of the body as `x-amz-content-sha256` declares it (S3 checks
/// it always, whether or not signatures are verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredSha256(String);

impl DeclaredSha256 {
    /// Compares with the hex SHA-256 of the body as received.
    pub fn check(&self, body_sha256: &str) -> Result<(), AwsError> {
        if self.0.eq_ignore_ascii_case(body_sha256) {
            return Ok(());
        }
        Err(AwsError::new(
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            400,
        )
        .with_field("ClientComputedContentSHA256", self.0.clone())
        .with_field("S3ComputedContentSHA256", body_sha256))
    }
}

/// The hash a request's body must have, for services whose profile says
/// `checksContentSha256` (S3): `Some` when `x-amz-content-sha256` is a hex
/// SHA-256, `None` when absent or a keyword (`UNSIGNED-PAYLOAD`,
/// `STREAMING-*`: nothing to hash), InvalidArgument for anything else.
pub fn declared_sha256(
    auth: &RequestAuth,
    request: &HttpRequest,
) -> Result<Option<DeclaredSha256>, AwsError> {
    let parsed;
    let payload = match auth {
        RequestAuth::SigV4(sig) if sig.location == SignatureLocation::Header => &sig.payload,
        _ => {
            parsed = PayloadHash::from_headers(&request.headers);
            &parsed
        }
    };
    match payload {
        PayloadHash::Sha256(hash) => Ok(Some(DeclaredSha256(hash.clone()))),
        PayloadHash::Other(value) => Err(AwsError::new(
            "InvalidArgument",
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, \
             STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, \
             STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER \
             or a valid sha256 value.",
            400,
        )
        .with_field("ArgumentName", "x-amz-content-sha256")
        .with_field("ArgumentValue", value.clone())),
        PayloadHash::Absent | PayloadHash::Unsigned | PayloadHash::Streaming(_) => Ok(None),
    }
}

/// The checks of a buffered body that need its SHA-256, which is computed
/// once for both (and not at all when neither asks).
pub fn check_body(
    body: &[u8],
    signature: Option<PendingSignature>,
    declared: Option<&DeclaredSha256>,
) -> Result<(), AwsError> {
    if signature.is_none() && declared.is_none() {
        return Ok(());
    }
    let body_sha256 = sha256_hex(body);
    let body_sha256 = body_sha256.as_str();
    if let Some(signature) = signature {
        signature.finish(body_sha256)?;
    }
    match declared {
        Some(declared) => declared.check(body_sha256),
        None => Ok(()),
    }
}

/// The SHA-256 of the empty body, which GETs and DELETEs declare.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn sha256_hex(body: &[u8]) -> Hex {
    Hex::of(&Sha256::digest(body))
}

/// Hashes a streamed body as it arrives, for [`DeclaredSha256::check`] at its end.
pub struct RunningSha256 {
    hasher: Sha256,
    declared: DeclaredSha256,
}

impl RunningSha256 {
    pub fn new(declared: DeclaredSha256) -> Self {
        RunningSha256 {
            hasher: Sha256::new(),
            declared,
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
    }

    pub fn finish(self) -> Result<(), AwsError> {
        self.declared.check(Hex::of(&self.hasher.finalize()).as_str())
    }
}

/// What is left to verify once the head's signature checked out.
#[derive(Default)]
pub struct BodyVerification {
    /// The payload hash is the body's own: see [`check_body`].
    pub signature: Option<PendingSignature>,
    /// The chunks of a signed `aws-chunked` body carry chained signatures.
    pub chunks: Option<ChunkSignatureChain>,
}

/// Verifies what can be verified from the request head; the rest waits for
/// the body ([`BodyVerification`]). Requests of no known route, anonymous,
/// SigV2 and SigV4a requests pass.
pub fn before_body(
    config: &crate::GatewayConfig,
    credentials: &CredentialRegistry,
    route: Option<&Route>,
    auth: &RequestAuth,
    request: &HttpRequest,
    host_path: Option<&str>,
    query: &[(String, String)],
) -> Result<BodyVerification, AwsError> {
    let nothing_left = BodyVerification::default;
    if !config.verify_signatures {
        return Ok(nothing_left());
    }
    let Some(route) = route else {
        // Routed by its Action alone: a signature without a service scope
        // (SigV2 to a query service), which nimbus cannot check.
        return match auth {
            RequestAuth::Anonymous => Ok(nothing_left()),
            _ => Err(unverifiable(Family::Query)),
        };
    };
    let family = Family::of(route);
    // Expired session credentials are refused however they sign.
    let now = config.clock.now_epoch_millis() / 1000;
    if auth
        .access_key_id()
        .is_some_and(|key| credentials.expired(key, now))
    {
        return Err(expired_token(family));
    }
    let sig = match auth {
        RequestAuth::SigV4(sig) if sig.algorithm == Algorithm::HmacSha256 => sig,
        RequestAuth::SigV2 { access_key_id } if matches!(family, Family::RawPath) => {
            let secret =
                secret_of(credentials, access_key_id).ok_or_else(|| unknown_key(family, access_key_id))?;
            return sigv2::verify(request, query, access_key_id, &secret, host_path).map(|()| nothing_left());
        }
        RequestAuth::Anonymous => return Ok(nothing_left()),
        // A signature nimbus cannot check (SigV4a, SigV2 outside S3) must
        // not let its claimed key act unchecked.
        _ => return Err(unverifiable(family)),
    };
    let Some(secret) = secret_of(credentials, sig.scope.access_key_id()) else {
        return Err(unknown_key(family, sig.scope.access_key_id()));
    };
    let presigned = matches!(sig.location, SignatureLocation::Query { .. });
    let date = sig.date.as_deref().unwrap_or_default();
    match sig.location {
        SignatureLocation::Header => skew::check(family, date, config.clock.now())?,
        SignatureLocation::Query { expires } if !matches!(family, Family::RawPath) => {
            skew::check_presigned(family, date, expires, config.clock.now())?;
        }
        SignatureLocation::Query { .. } => {}
    }
    let check = Check::new(family, sig, &secret, request, presigned, query);
    let payload_hash = match request.header("x-amz-content-sha256") {
        Some(hash) => hash.trim().to_owned(),
        // S3's presigned URLs sign no payload; other services' sign the
        // body's hash (the empty body's for a GET, as `aws eks get-token`).
        None if presigned && matches!(family, Family::RawPath) => "UNSIGNED-PAYLOAD".to_owned(),
        None if matches!(family, Family::RawPath) => {
            return Err(AwsError::new(
                "InvalidRequest",
                "Missing required header for this request: x-amz-content-sha256",
                400,
            ));
        }
        None => {
            return Ok(BodyVerification {
                signature: Some(PendingSignature { check }),
                chunks: None,
            });
        }
    };
    check.verify(&payload_hash)?;
    let chunks_signed = sig
        .payload
        .streaming()
        .is_some_and(|mode| mode.chunk_signing == Some(Algorithm::HmacSha256));
    Ok(BodyVerification {
        signature: None,
        chunks: chunks_signed.then(|| ChunkSignatureChain::after_seed(check)),
    })
}

/// The signatures of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER)` body:
/// each chunk's signs the SHA-256 of its data and the signature before it,
/// the first one the request's own (the seed). Fed by the chunk decoder:
/// [`begin`](Self::begin), [`update`](Self::update), [`end`](Self::end)
/// for every chunk, the final empty one included.
pub struct ChunkSignatureChain {
    access_key_id: String,
    signing_key: Digest32,
    /// `AWS4-HMAC-SHA256-PAYLOAD\n<date>\n<scope>\n`.
    string_to_sign_head: String,
    previous: String,
    /// The signature the current chunk claims.
    provided: String,
    data: Sha256,
}

impl ChunkSignatureChain {
    fn after_seed(check: Check) -> Self {
        let string_to_sign_head = format!("AWS4-HMAC-SHA256-PAYLOAD\n{}", check.date_and_scope());
        ChunkSignatureChain {
            access_key_id: check.access_key_id,
            signing_key: check.signing_key,
            string_to_sign_head,
            previous: check.provided,
            provided: String::new(),
            data: Sha256::new(),
        }
    }

    /// A chunk starts, claiming `signature` (`None` when it has none).
    pub fn begin(&mut self, signature: Option<&str>) {
        self.provided = signature.unwrap_or_default().to_ascii_lowercase();
        self.data = Sha256::new();
    }

    /// Some of the current chunk's data.
    pub fn update(&mut self, data: &[u8]) {
        self.data.update(data);
    }

    /// The current chunk's data is complete: its signature must match.
    pub fn end(&mut self) -> Result<(), AwsError> {
        let data_sha256 = Hex::of(&std::mem::take(&mut self.data).finalize());
        let data_sha256 = data_sha256.as_str();
        let string_to_sign = format!(
            "{}{}\n{EMPTY_SHA256}\n{data_sha256}",
            self.string_to_sign_head, self.previous
        );
        let expected = Hex::of(&hmac_sha256(&self.signing_key, string_to_sign.as_bytes()));
        if expected.as_str() != self.provided {
            return Err(AwsError::new(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. \
                 Check your key and signing method.",
                403,
            )
            .with_field("AWSAccessKeyId", self.access_key_id.clone())
            .with_field("StringToSign", string_to_sign.as_str())
            .with_field("SignatureProvided", self.provided.clone())
            .with_field("StringToSignBytes", spaced_hex(string_to_sign.as_bytes())));
        }
        self.previous = expected.as_str().to_owned();
        Ok(())
    }
}

/// The secret of a key: `test` for the default key and for a 12-digit key
/// (the root user of that account), else what STS or IAM issued.
fn secret_of(credentials: &CredentialRegistry, access_key_id: &str) -> Option<String> {
    let account_root = access_key_id.len() == 12 && access_key_id.bytes().all(|b| b.is_ascii_digit());
    DEFAULT_CREDENTIALS
        .iter()
        .find(|(key, _)| *key == access_key_id || account_root)
        .map(|(_, secret)| (*secret).to_owned())
        .or_else(|| credentials.secret(access_key_id))
}

/// Everything of a signature check but the payload hash.
struct Check {
    family: Family,
    access_key_id: String,
    provided: String,
    /// The canonical request up to (and including) the signed header list.
    canonical_head: String,
    /// `AWS4-HMAC-SHA256\n<date>\n<scope>\n`.
    string_to_sign_head: String,
    signing_key: Digest32,
}

impl Check {
    fn new(
        family: Family,
        sig: &SigV4,
        secret: &str,
        request: &HttpRequest,
        presigned: bool,
        query: &[(String, String)],
    ) -> Self {
        let scope = &sig.scope;
        let region = scope.region().unwrap_or_default();
        // Written into one buffer: every signed request builds one.
        let mut canonical_head = String::with_capacity(512);
        canonical_head.push_str(request.method.as_str());
        canonical_head.push('\n');
        push_canonical_uri(
            &mut canonical_head,
            matches!(family, Family::RawPath),
            &request.path,
        );
        canonical_head.push('\n');
        push_canonical_query(&mut canonical_head, request, presigned, query);
        canonical_head.push('\n');
        push_canonical_headers(&mut canonical_head, request, &sig.signed_headers);
        canonical_head.push('\n');
        canonical_head.push_str(sig.signed_headers.as_str());
        canonical_head.push('\n');
        let mut string_to_sign_head = String::with_capacity(128);
        for part in [
            Algorithm::HmacSha256.as_str(),
            "\n",
            sig.date.as_deref().unwrap_or_default(),
            "\n",
            scope.date(),
            "/",
            region,
            "/",
            scope.service(),
            "/",
            scope.terminator(),
            "\n",
        ] {
            string_to_sign_head.push_str(part);
        }
        Check {
            family,
            access_key_id: scope.access_key_id().to_owned(),
            provided: sig.signature.to_ascii_lowercase(),
            canonical_head,
            string_to_sign_head,
            signing_key: signing_key(secret, scope.date(), region, scope.service()),
        }
    }

    /// `<date>\n<scope>\n`, which chunk signatures sign too.
    fn date_and_scope(&self) -> &str {
        &self.string_to_sign_head[Algorithm::HmacSha256.as_str().len() + 1..]
    }

    fn verify(&self, payload_hash: &str) -> Result<(), AwsError> {
        // Hashed in pieces: the strings are built only to word a mismatch.
        let request_hash = Hex::of(
            &Sha256::new()
                .chain_update(self.canonical_head.as_bytes())
                .chain_update(payload_hash.as_bytes())
                .finalize(),
        );
        let request_hash = request_hash.as_str();
        if let Ok(mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.signing_key) {
            let expected = mac
                .chain_update(self.string_to_sign_head.as_bytes())
                .chain_update(request_hash.as_bytes())
                .finalize()
                .into_bytes();
            if Hex::of(&expected).as_str() == self.provided {
                return Ok(());
            }
        }
        let canonical_request = format!("{}{payload_hash}", self.canonical_head);
        let string_to_sign = format!("{}{request_hash}", self.string_to_sign_head);
        Err(self.mismatch(&canonical_request, &string_to_sign))
    }

    /// SignatureDoesNotMatch in the service's words; S3 also shows what it signed.
    fn mismatch(&self, canonical_request: &str, string_to_sign: &str) -> AwsError {
        match self.family {
            Family::RawPath => AwsError::new(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. \
                 Check your key and signing method.",
                403,
            )
            .with_field("AWSAccessKeyId", self.access_key_id.clone())
            .with_field("StringToSign", string_to_sign)
            .with_field("SignatureProvided", self.provided.clone())
            .with_field("StringToSignBytes", spaced_hex(string_to_sign.as_bytes()))
            .with_field("CanonicalRequest", canonical_request)
            .with_field("CanonicalRequestBytes", spaced_hex(canonical_request.as_bytes())),
            Family::Query => AwsError::new("SignatureDoesNotMatch", SIGNATURE_MESSAGE, 403),
            Family::Json => AwsError::new("InvalidSignatureException", SIGNATURE_MESSAGE, 400),
        }
    }
}

const SIGNATURE_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. \
     Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// A signature of a kind nimbus does not verify, refused while signatures
/// are verified.
fn unverifiable(family: Family) -> AwsError {
    const MESSAGE: &str = "nimbus verifies AWS4-HMAC-SHA256 signatures (and S3's SigV2): \
         this request's signature cannot be checked";
    match family {
        Family::RawPath | Family::Query => AwsError::new("SignatureDoesNotMatch", MESSAGE, 403),
        Family::Json => AwsError::new("InvalidSignatureException", MESSAGE, 400),
    }
}

/// Temporary credentials past their expiration, in the service's words.
fn expired_token(family: Family) -> AwsError {
    const MESSAGE: &str = "The security token included in the request is expired";
    match family {
        Family::RawPath => AwsError::new("ExpiredToken", "The provided token has expired.", 400),
        Family::Query => AwsError::new("ExpiredToken", MESSAGE, 403),
        Family::Json => AwsError::new("ExpiredTokenException", MESSAGE, 400),
    }
}

fn unknown_key(family: Family, access_key_id: &str) -> AwsError {
    const TOKEN_MESSAGE: &str = "The security token included in the request is invalid.";
    match family {
        Family::RawPath => AwsError::new(
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            403,
        )
        .with_field("AWSAccessKeyId", access_key_id),
        Family::Query => AwsError::new("InvalidClientTokenId", TOKEN_MESSAGE, 403),
        Family::Json => AwsError::new("UnrecognizedClientException", TOKEN_MESSAGE, 400),
    }
}

/// S3 signs the path as sent; every other service encodes it once more.
#[cfg(test)]
fn canonical_uri(s3: bool, path: &str) -> String {
    let mut out = String::new();
    push_canonical_uri(&mut out, s3, path);
    out
}

fn push_canonical_uri(out: &mut String, s3: bool, path: &str) {
    let path = if path.is_empty() { "/" } else { path };
    if s3 {
        out.push_str(path);
        return;
    }
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        encode_into(out, segment);
    }
}

/// Every query parameter (but a presigned URL's own signature), encoded
/// and sorted by name, then value.
fn push_canonical_query(
    out: &mut String,
    request: &HttpRequest,
    presigned: bool,
    presign_params: &[(String, String)],
) {
    let decoded;
    let params = if presign_params.is_empty() && !request.query.is_empty() {
        decoded = request.query_params();
        &decoded
    } else {
        presign_params
    };
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .filter(|(name, _)| !(presigned && name == "X-Amz-Signature"))
        .map(|(name, value)| (uri_encode(name), uri_encode(value)))
        .collect();
    encoded.sort();
    for (i, (name, value)) in encoded.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
}

/// `name:value\n` for each signed header; repeated headers joined by `,`,
/// values trimmed with inner runs of spaces folded.
fn push_canonical_headers(out: &mut String, request: &HttpRequest, signed: &SignedHeaders) {
    for name in signed.iter() {
        out.push_str(name);
        out.push(':');
        for (i, value) in request.headers.get_all(name).iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let text = match value.to_str() {
                Ok(text) => std::borrow::Cow::Borrowed(text),
                Err(_) => String::from_utf8_lossy(value.as_bytes()),
            };
            for (j, word) in text.split_whitespace().enumerate() {
                if j > 0 {
                    out.push(' ');
                }
                out.push_str(word);
            }
        }
        out.push('\n');
    }
}

/// Percent-encodes all but RFC 3986 unreserved characters (spaces become
/// `%20`, never `+`).
fn uri_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    encode_into(&mut encoded, text);
    encoded
}

fn encode_into(out: &mut String, text: &str) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(DIGITS[usize::from(byte >> 4)]));
            out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
        }
    }
}

#[cfg(test)]
/// The chunked upload example of AWS's SigV4 streaming documentation:
/// 64 KiB and 1 KiB of `a`, then the final empty chunk.
pub(crate) fn documented_chain() -> ChunkSignatureChain {
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    // The documented scope: date, region, service, terminator.
    let scope = "20130524/us-east-1/s3/aws4_request";
    let parts: Vec<&str> = scope.split('/').collect();
    ChunkSignatureChain {
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
        signing_key: keys::derive(secret, parts[0], parts[1], parts[2]),
        string_to_sign_head: format!("AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n{scope}\n"),
        previous: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9".into(),
        provided: String::new(),
        data: Sha256::new(),
    }
}

#[cfg(test)]
mod tests;
