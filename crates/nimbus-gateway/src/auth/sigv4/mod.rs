//! Who signed a request and how: SigV4 / SigV4a in the `Authorization`
//! header or in presigned query parameters, plus the older SigV2 forms that
//! still name an access key.
//!
//! Only parsing lives here. Verification needs the secret key and waits for
//! IAM; everything it will need (scope, signed headers, signature, date,
//! expiry, payload hash) is kept.

use std::ops::Range;

use http::{HeaderMap, HeaderName};

// Header names as constants: looking a header up by a `&str` parses the
// name first, on every request.
const X_AMZ_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-amz-content-sha256");
const X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
const X_AMZ_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-amz-security-token");
const X_AMZ_REGION_SET: HeaderName = HeaderName::from_static("x-amz-region-set");

/// The signing algorithm named by the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// `AWS4-HMAC-SHA256`: SigV4, scoped to one region.
    HmacSha256,
    /// `AWS4-ECDSA-P256-SHA256`: SigV4a, scoped to a region set.
    EcdsaP256Sha256,
}

impl Algorithm {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "AWS4-HMAC-SHA256" => Some(Algorithm::HmacSha256),
            "AWS4-ECDSA-P256-SHA256" => Some(Algorithm::EcdsaP256Sha256),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::HmacSha256 => "AWS4-HMAC-SHA256",
            Algorithm::EcdsaP256Sha256 => "AWS4-ECDSA-P256-SHA256",
        }
    }
}

/// `Credential=AKID/20240101/us-east-1/sts/aws4_request`, taken apart: one
/// copy of the credential and where its parts are (one allocation per
/// request instead of five).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    text: String,
    access_key_id: Range<usize>,
    date: Range<usize>,
    region: Option<Range<usize>>,
    service: Range<usize>,
    terminator: Range<usize>,
}

impl CredentialScope {
    pub fn access_key_id(&self) -> &str {
        &self.text[self.access_key_id.clone()]
    }

    /// `YYYYMMDD`.
    pub fn date(&self) -> &str {
        &self.text[self.date.clone()]
    }

    /// The scope's region; SigV4a scopes have none (see [`SigV4::region_set`]).
    pub fn region(&self) -> Option<&str> {
        self.region.clone().map(|range| &self.text[range])
    }

    /// The signing name, e.g. `sts`, `monitoring`, `dynamodb`.
    pub fn service(&self) -> &str {
        &self.text[self.service.clone()]
    }

    /// Always `aws4_request`.
    pub fn terminator(&self) -> &str {
        &self.text[self.terminator.clone()]
    }
}

/// Where the signature travelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureLocation {
    /// In the `Authorization` header.
    Header,
    /// In the query string of a presigned URL, valid for `expires` seconds
    /// after the signing date.
    Query { expires: Option<u64> },
}

/// What `x-amz-content-sha256` says about the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadHash {
    /// The header is absent.
    Absent,
    /// `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// The hex SHA-256 of the whole body.
    Sha256(String),
    /// An `aws-chunked` body; see [`StreamingPayload`].
    Streaming(StreamingPayload),
    /// Any other value, kept verbatim for verification to reject.
    Other(String),
}

/// The `STREAMING-*` payload modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamingPayload {
    /// The algorithm of the per-chunk signatures; `None` when chunks are unsigned.
    pub chunk_signing: Option<Algorithm>,
    /// Whether trailing headers (checksums) follow the last chunk.
    pub has_trailer: bool,
}

impl PayloadHash {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        Self::from_header(header(headers, &X_AMZ_CONTENT_SHA256))
    }

    /// From the `x-amz-content-sha256` header's text, if present.
    fn from_header(value: Option<&str>) -> Self {
        match value {
            None => PayloadHash::Absent,
            Some(value) => PayloadHash::parse(value.trim()),
        }
    }

    pub fn parse(value: &str) -> Self {
        let streaming = |chunk_signing, has_trailer| {
            PayloadHash::Streaming(StreamingPayload {
                chunk_signing,
                has_trailer,
            })
        };
        match value {
            "UNSIGNED-PAYLOAD" => PayloadHash::Unsigned,
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER" => streaming(None, true),
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" => streaming(Some(Algorithm::HmacSha256), false),
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" => streaming(Some(Algorithm::HmacSha256), true),
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD" => streaming(Some(Algorithm::EcdsaP256Sha256), false),
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER" => {
                streaming(Some(Algorithm::EcdsaP256Sha256), true)
            }
            hash if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
                PayloadHash::Sha256(hash.to_ascii_lowercase())
            }
            other => PayloadHash::Other(other.to_owned()),
        }
    }

    pub fn streaming(&self) -> Option<StreamingPayload> {
        match self {
            PayloadHash::Streaming(mode) => Some(*mode),
            _ => None,
        }
    }
}

/// A SigV4 or SigV4a signature, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigV4 {
    pub algorithm: Algorithm,
    pub scope: CredentialScope,
    /// Lower-case header names, in the order signed.
    pub signed_headers: SignedHeaders,
    /// Hex signature.
    pub signature: String,
    pub location: SignatureLocation,
    /// `X-Amz-Date` (header or query), `YYYYMMDD'T'HHMMSS'Z'`.
    pub date: Option<String>,
    /// `X-Amz-Security-Token` (header or query): present for temporary credentials.
    pub security_token: Option<String>,
    /// SigV4a `X-Amz-Region-Set`, e.g. `["us-east-1"]` or `["*"]`.
    pub region_set: Vec<String>,
    pub payload: PayloadHash,
}

/// The `SignedHeaders` list, normalized: lower-case names without blanks,
/// kept as one `;`-joined string (one allocation, not one per name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders(String);

impl SignedHeaders {
    fn parse(list: &str) -> Self {
        // Clients send the list normalized already (lower-case names, no
        // blanks, no empty names): then it is copied as is. One pass checks.
        let mut previous = b';';
        let normalized = list.bytes().all(|b| {
            let fits = match b {
                b';' => previous != b';',
                _ => b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-',
            };
            previous = b;
            fits
        }) && previous != b';';
        if normalized {
            return SignedHeaders(list.to_owned());
        }
        let mut joined = String::with_capacity(list.len());
        for name in list.split(';').map(str::trim).filter(|name| !name.is_empty()) {
            if !joined.is_empty() {
                joined.push(';');
            }
            joined.push_str(name);
        }
        joined.make_ascii_lowercase();
        SignedHeaders(joined)
    }

    /// The names, in the order signed.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.split(';').filter(|name| !name.is_empty())
    }

    /// The names joined by `;`, as the canonical request lists them.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The `x-amz-*` headers a header signature reads, found in one pass over
/// the request's headers instead of one hashed lookup each.
#[derive(Default)]
struct AmzHeaders<'h> {
    date: Option<Option<&'h str>>,
    security_token: Option<Option<&'h str>>,
    region_set: Option<Option<&'h str>>,
    content_sha256: Option<Option<&'h str>>,
}

impl<'h> AmzHeaders<'h> {
    fn of(headers: &'h HeaderMap) -> Self {
        let mut found = AmzHeaders::default();
        for (name, value) in headers {
            let slot = if *name == X_AMZ_DATE {
                &mut found.date
            } else if *name == X_AMZ_SECURITY_TOKEN {
                &mut found.security_token
            } else if *name == X_AMZ_REGION_SET {
                &mut found.region_set
            } else if *name == X_AMZ_CONTENT_SHA256 {
                &mut found.content_sha256
            } else {
                continue;
            };
            // The first value counts, as with `HeaderMap::get`.
            slot.get_or_insert_with(|| value.to_str().ok());
        }
        found
    }
}

/// How a request authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestAuth {
    /// No signature at all (anonymous S3 reads, STS web-identity calls).
    Anonymous,
    /// SigV2 (`Authorization: AWS AKID:sig`, or `AWSAccessKeyId=` in the query):
    /// old S3 clients. Only the access key is kept.
    SigV2 { access_key_id: String },
    /// Boxed: it is large and most of the enum's uses only ask for the key.
    SigV4(Box<SigV4>),
}

impl RequestAuth {
    pub fn access_key_id(&self) -> Option<&str> {
        match self {
            RequestAuth::Anonymous => None,
            RequestAuth::SigV2 { access_key_id } => Some(access_key_id),
            RequestAuth::SigV4(sig) => Some(sig.scope.access_key_id()),
        }
    }

    /// The signing name of the credential scope, e.g. `monitoring`.
    pub fn signing_service(&self) -> Option<&str> {
        match self {
            RequestAuth::SigV4(sig) => Some(sig.scope.service()),
            _ => None,
        }
    }

    /// The region the request was signed for: the scope's region, else the
    /// first concrete region of a SigV4a region set.
    pub fn region(&self) -> Option<&str> {
        let RequestAuth::SigV4(sig) = self else {
            return None;
        };
        sig.scope.region().or_else(|| {
            sig.region_set
                .iter()
                .map(String::as_str)
                .find(|region| !region.contains('*'))
        })
    }
}

/// A signature that is present but cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedSignature {
    pub location: SignatureLocation,
    pub message: String,
}

impl MalformedSignature {
    fn header(message: impl Into<String>) -> Self {
        MalformedSignature {
            location: SignatureLocation::Header,
            message: message.into(),
        }
    }

    fn query(message: impl Into<String>) -> Self {
        MalformedSignature {
            location: SignatureLocation::Query { expires: None },
            message: message.into(),
        }
    }
}

/// Parses whatever authentication the request carries. `query` holds the
/// decoded query parameters (only consulted for presigned forms).
pub fn parse(headers: &HeaderMap, query: &[(String, String)]) -> Result<RequestAuth, MalformedSignature> {
    if let Some(value) = headers.get(http::header::AUTHORIZATION) {
        let value = value
            .to_str()
            .map_err(|_| MalformedSignature::header("The Authorization header is not valid text."))?;
        if let Some(auth) = parse_authorization_header(value.trim(), headers)? {
            return Ok(auth);
        }
    }
    if query_param(query, "X-Amz-Algorithm").is_some() || query_param(query, "X-Amz-Credential").is_some() {
        return parse_presigned(query, headers).map(|sig| RequestAuth::SigV4(Box::new(sig)));
    }
    if let Some(access_key_id) = query_param(query, "AWSAccessKeyId") {
        return Ok(RequestAuth::SigV2 {
            access_key_id: access_key_id.to_owned(),
        });
    }
    Ok(RequestAuth::Anonymous)
}

/// `None` for schemes that are not AWS's (treated as anonymous).
fn parse_authorization_header(
    value: &str,
    headers: &HeaderMap,
) -> Result<Option<RequestAuth>, MalformedSignature> {
    if let Some(rest) = value.strip_prefix("AWS ") {
        let access_key_id = rest.split(':').next().unwrap_or_default().trim();
        if access_key_id.is_empty() {
            return Err(MalformedSignature::header(
                "The Authorization header must be of the form AWS AccessKeyId:Signature.",
            ));
        }
        return Ok(Some(RequestAuth::SigV2 {
            access_key_id: access_key_id.to_owned(),
        }));
    }
    if !value.starts_with("AWS4-") {
        return Ok(None);
    }
    let (algorithm_name, params) = split_once_at_byte(value, b' ').unwrap_or((value, ""));
    let algorithm = Algorithm::parse(algorithm_name).ok_or_else(|| {
        MalformedSignature::header(format!(
            "Unsupported signing algorithm {algorithm_name}: expected AWS4-HMAC-SHA256 or AWS4-ECDSA-P256-SHA256."
        ))
    })?;

    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in split_at_byte(params, b',') {
        let part = part.trim_ascii();
        if part.is_empty() {
            continue;
        }
        let Some((key, value)) = split_once_at_byte(part, b'=') else {
            return Err(MalformedSignature::header(format!(
                "Authorization header parameter '{part}' is not a key=value pair."
            )));
        };
        let value = Some(value.trim_ascii_start());
        match key.trim_ascii_end() {
            "Credential" => credential = value,
            "SignedHeaders" => signed_headers = value,
            "Signature" => signature = value,
            _ => {}
        }
    }
    if credential.is_none() || signed_headers.is_none() || signature.is_none() {
        let missing: Vec<&str> = [
            ("Credential", credential.is_none()),
            ("SignedHeaders", signed_headers.is_none()),
            ("Signature", signature.is_none()),
        ]
        .iter()
        .filter(|(_, absent)| *absent)
        .map(|(name, _)| *name)
        .collect();
        let message = missing
            .iter()
            .map(|name| format!("Authorization header requires '{name}' parameter."))
            .collect::<Vec<_>>()
            .join(" ");
        return Err(MalformedSignature::header(format!(
            "{message} Authorization={value}"
        )));
    }
    let (Some(credential), Some(signed_headers), Some(signature)) = (credential, signed_headers, signature)
    else {
        return Err(MalformedSignature::header("Authorization header is incomplete."));
    };
    let scope = parse_credential(algorithm, credential).map_err(MalformedSignature::header)?;
    let amz = AmzHeaders::of(headers);
    Ok(Some(RequestAuth::SigV4(Box::new(SigV4 {
        algorithm,
        scope,
        signed_headers: SignedHeaders::parse(signed_headers),
        signature: signature.to_owned(),
        location: SignatureLocation::Header,
        date: amz.date.flatten().map(str::to_owned),
        security_token: amz.security_token.flatten().map(str::to_owned),
        region_set: region_set(amz.region_set.flatten()),
        payload: PayloadHash::from_header(amz.content_sha256.flatten()),
    }))))
}

fn parse_presigned(query: &[(String, String)], headers: &HeaderMap) -> Result<SigV4, MalformedSignature> {
    const REQUIRED: [&str; 6] = [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-Date",
        "X-Amz-SignedHeaders",
        "X-Amz-Expires",
    ];
    let incomplete = || {
        MalformedSignature::query(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, \
             X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        )
    };
    // X-Amz-Expires is optional for non-S3 presigned requests (e.g. STS), so
    // only the first five are mandatory here; S3 checks the expiry itself.
    if REQUIRED[..5]
        .iter()
        .any(|name| query_param(query, name).is_none())
    {
        return Err(incomplete());
    }
    let algorithm_name = query_param(query, "X-Amz-Algorithm").unwrap_or_default();
    let algorithm = Algorithm::parse(algorithm_name).ok_or_else(|| {
        MalformedSignature::query(format!(
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\" and \"AWS4-ECDSA-P256-SHA256\", not {algorithm_name}."
        ))
    })?;
    let credential = query_param(query, "X-Amz-Credential").unwrap_or_default();
    let scope = parse_credential(algorithm, credential).map_err(MalformedSignature::query)?;
    let expires = match query_param(query, "X-Amz-Expires") {
        None => None,
        Some(raw) => Some(raw.parse::<u64>().map_err(|_| {
            MalformedSignature::query(format!("X-Amz-Expires should be a number, not {raw}."))
        })?),
    };
    Ok(SigV4 {
        algorithm,
        scope,
        signed_headers: SignedHeaders::parse(query_param(query, "X-Amz-SignedHeaders").unwrap_or_default()),
        signature: query_param(query, "X-Amz-Signature")
            .unwrap_or_default()
            .to_owned(),
        location: SignatureLocation::Query { expires },
        date: query_param(query, "X-Amz-Date").map(str::to_owned),
        security_token: query_param(query, "X-Amz-Security-Token")
            .or_else(|| header(headers, &X_AMZ_SECURITY_TOKEN))
            .map(str::to_owned),
        region_set: region_set(
            query_param(query, "X-Amz-Region-Set").or_else(|| header(headers, &X_AMZ_REGION_SET)),
        ),
        payload: PayloadHash::from_headers(headers),
    })
}

/// `AKID/date/region/service/aws4_request` (SigV4) or
/// `AKID/date/service/aws4_request` (SigV4a, whose region set travels apart).
fn parse_credential(algorithm: Algorithm, credential: &str) -> Result<CredentialScope, String> {
    // At most six parts are read: enough to tell a well-formed scope from
    // one with too many parts, without collecting them.
    let (spans, count) = part_spans::<6>(credential, b'/');
    let part = |span: &Range<usize>| &credential[span.clone()];
    let parts = spans.get(..count).unwrap_or_default();
    let (key_span, date_span, region_span, service_span, terminator_span) = match (algorithm, parts) {
        (_, [key, date, region, service, terminator]) => (key, date, Some(region), service, terminator),
        (Algorithm::EcdsaP256Sha256, [key, date, service, terminator]) => {
            (key, date, None, service, terminator)
        }
        _ => {
            return Err(format!(
                "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; \
                 expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\". Credential={credential}"
            ));
        }
    };
    let (access_key_id, date, region, service, terminator) = (
        part(key_span),
        part(date_span),
        region_span.map(part),
        part(service_span),
        part(terminator_span),
    );
    if access_key_id.is_empty() {
        return Err(format!(
            "The Credential names no access key. Credential={credential}"
        ));
    }
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "Error parsing the Credential: the date '{date}' is not in YYYYMMDD format. Credential={credential}"
        ));
    }
    if service.is_empty() || region.is_some_and(str::is_empty) {
        return Err(format!(
            "The Credential must name a region and a service. Credential={credential}"
        ));
    }
    if terminator != "aws4_request" {
        return Err(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        ));
    }
    Ok(CredentialScope {
        access_key_id: key_span.clone(),
        date: date_span.clone(),
        region: region_span.cloned(),
        service: service_span.clone(),
        terminator: terminator_span.clone(),
        text: credential.to_owned(),
    })
}

/// The byte ranges of the first `N` parts of `text` between `separator`s
/// (an ASCII byte), and how many parts there are (up to `N + 1`: one more
/// tells that there are too many).
fn part_spans<const N: usize>(text: &str, separator: u8) -> ([Range<usize>; N], usize) {
    debug_assert!(separator.is_ascii());
    let mut spans = std::array::from_fn(|_| 0..0);
    let mut count = 0;
    let mut start = 0;
    for end in text
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == separator)
        .map(|(at, _)| at)
        .chain(std::iter::once(text.len()))
    {
        if count == N {
            return (spans, N + 1);
        }
        spans[count] = start..end;
        count += 1;
        start = end + 1;
    }
    (spans, count)
}

/// `text` split at every `separator` (an ASCII byte), as `str::split` does:
/// a plain byte scan, cheaper than its searcher on parts this short.
fn split_at_byte(text: &str, separator: u8) -> impl Iterator<Item = &str> {
    debug_assert!(separator.is_ascii());
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.bytes().position(|b| b == separator) {
            Some(at) => {
                rest = Some(&current[at + 1..]);
                Some(&current[..at])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// `text` around its first `separator` (an ASCII byte), as `str::split_once`.
fn split_once_at_byte(text: &str, separator: u8) -> Option<(&str, &str)> {
    debug_assert!(separator.is_ascii());
    let at = text.bytes().position(|b| b == separator)?;
    Some((&text[..at], &text[at + 1..]))
}

fn region_set(value: Option<&str>) -> Vec<String> {
    value
        .map(|list| {
            list.split(',')
                .map(|region| region.trim().to_owned())
                .filter(|region| !region.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn header<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The decoded query parameters when the query may hold a presigned
/// signature, else none (a cheap pre-check, so ordinary requests skip
/// decoding their query twice).
pub(crate) fn query_params_if_presigned(query: &str) -> Vec<(String, String)> {
    if query.contains("X-Amz-") || query.contains("AWSAccessKeyId") {
        nimbus_protocol::codec::form::parse(query.as_bytes())
    } else {
        Vec::new()
    }
}

pub(crate) fn query_param<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

#[cfg(test)]
mod tests;
