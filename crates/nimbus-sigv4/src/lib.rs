//! AWS Signature Version 4 (header form), done by the book: canonical
//! request, string to sign, derived signing key, `Authorization` header.
//!
//! nimbus signs what it sends to AWS APIs (its own, over HTTP: API
//! Gateway's AWS integrations) as an SDK does, so that the gateway treats
//! it as any client; the benchmark client sends what a real SDK sends.

use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, HeaderValue, Method};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// The algorithm name that opens the string to sign and the header.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Hex SHA-256 of the empty payload, used by every body-less request.
pub const EMPTY_PAYLOAD_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// S3 lets a client skip hashing the body; large uploads do, like the SDKs.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// An access key pair. The emulators map the access key to an account.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub access_key: String,
    pub secret_key: String,
}

/// The instant a request is signed at, in the two forms SigV4 needs.
#[derive(Clone, Debug)]
pub struct SigningTime {
    /// `YYYYMMDDTHHMMSSZ`, sent as `X-Amz-Date`.
    pub amz_date: String,
    /// `YYYYMMDD`, the first element of the credential scope.
    pub date: String,
}

impl SigningTime {
    pub fn now() -> Self {
        SigningTime::at(time::OffsetDateTime::now_utc())
    }

    /// The signing time of an instant (a service's clock).
    pub fn at(now: time::OffsetDateTime) -> Self {
        let date = format!("{:04}{:02}{:02}", now.year(), u8::from(now.month()), now.day());
        let amz_date = format!("{date}T{:02}{:02}{:02}Z", now.hour(), now.minute(), now.second());
        SigningTime { amz_date, date }
    }
}

/// Signs requests for one service in one region.
#[derive(Clone, Debug)]
pub struct Signer {
    pub credentials: Credentials,
    pub region: String,
    pub service: String,
}

/// What the signer needs to know about one request.
pub struct RequestToSign<'a> {
    pub method: &'a Method,
    /// The path exactly as it goes on the wire (already percent-encoded).
    pub path: &'a str,
    /// Query parameters, decoded.
    pub query: &'a [(String, String)],
    /// Hex SHA-256 of the body, or [`UNSIGNED_PAYLOAD`].
    pub payload_hash: &'a str,
}

impl Signer {
    /// Adds `X-Amz-Date` and `Authorization` to `headers`, signing every
    /// header already present (so `Host` must be there).
    pub fn sign(&self, request: &RequestToSign<'_>, headers: &mut HeaderMap, at: &SigningTime) {
        headers.insert(
            "x-amz-date",
            HeaderValue::from_str(&at.amz_date).expect("a date is a valid header value"),
        );
        let (canonical, signed_headers) = self.canonical_request(request, headers);
        let scope = format!("{}/{}/{}/aws4_request", at.date, self.region, self.service);
        let string_to_sign = format!(
            "{ALGORITHM}\n{}\n{scope}\n{}",
            at.amz_date,
            hex_sha256(canonical.as_bytes())
        );
        let signature = hex(&hmac_sha256(
            &self.signing_key(&at.date),
            string_to_sign.as_bytes(),
        ));
        let authorization = format!(
            "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            self.credentials.access_key
        );
        headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_str(&authorization).expect("the Authorization header is ASCII"),
        );
    }

    /// The canonical request and the `;`-joined list of signed header names.
    fn canonical_request(&self, request: &RequestToSign<'_>, headers: &HeaderMap) -> (String, String) {
        // S3 signs the path as sent; every other service encodes it again.
        let canonical_uri = if self.service == "s3" {
            request.path.to_owned()
        } else {
            request
                .path
                .split('/')
                .map(uri_encode)
                .collect::<Vec<_>>()
                .join("/")
        };

        let mut query: Vec<(String, String)> = request
            .query
            .iter()
            .map(|(name, value)| (uri_encode(name), uri_encode(value)))
            .collect();
        query.sort();
        let canonical_query = query
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("&");

        let mut names: Vec<String> = headers.keys().map(|name| name.as_str().to_owned()).collect();
        names.sort();
        names.dedup();
        let mut canonical_headers = String::new();
        for name in &names {
            let values: Vec<String> = headers
                .get_all(name.as_str())
                .iter()
                .map(|value| collapse_spaces(&String::from_utf8_lossy(value.as_bytes())))
                .collect();
            let _ = writeln!(canonical_headers, "{name}:{}", values.join(","));
        }
        let signed_headers = names.join(";");

        let canonical = format!(
            "{}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{}",
            request.method, request.payload_hash
        );
        (canonical, signed_headers)
    }

    fn signing_key(&self, date: &str) -> Vec<u8> {
        let secret = format!("AWS4{}", self.credentials.secret_key);
        let k_date = hmac_sha256(secret.as_bytes(), date.as_bytes());
        let k_region = hmac_sha256(&k_date, self.region.as_bytes());
        let k_service = hmac_sha256(&k_region, self.service.as_bytes());
        hmac_sha256(&k_service, b"aws4_request")
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters, as SigV4
/// requires (spaces become `%20`, never `+`).
pub fn uri_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

pub fn hex_sha256(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key size");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

/// Trims a header value and folds inner runs of spaces into one.
fn collapse_spaces(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The "get-vanilla" case of the AWS SigV4 test suite.
    fn example_signer() -> Signer {
        Signer {
            credentials: Credentials {
                access_key: "AKIDEXAMPLE".into(),
                secret_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            },
            region: "us-east-1".into(),
            service: "service".into(),
        }
    }

    fn example_time() -> SigningTime {
        SigningTime {
            amz_date: "20150830T123600Z".into(),
            date: "20150830".into(),
        }
    }

    fn sign(query: &[(String, String)]) -> String {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("example.amazonaws.com"));
        example_signer().sign(
            &RequestToSign {
                method: &Method::GET,
                path: "/",
                query,
                payload_hash: EMPTY_PAYLOAD_SHA256,
            },
            &mut headers,
            &example_time(),
        );
        headers[http::header::AUTHORIZATION]
            .to_str()
            .expect("ASCII")
            .to_owned()
    }

    #[test]
    fn signs_the_vanilla_get() {
        assert_eq!(
            sign(&[]),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn sorts_query_parameters() {
        let query = [
            ("Param2".to_owned(), "value2".to_owned()),
            ("Param1".to_owned(), "value1".to_owned()),
        ];
        assert!(
            sign(&query)
                .ends_with("Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
        );
    }

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(uri_encode("a b/c~d+e"), "a%20b%2Fc~d%2Be");
    }

    /// Signatures botocore 1.43 computes for the same requests (SigV4Auth
    /// and S3SigV4Auth at 2025-01-02T03:04:05Z, key pair test/test).
    fn sign_like_botocore(
        service: &str,
        method: Method,
        path: &str,
        extra: &[(&str, &str)],
        body: &[u8],
    ) -> String {
        let signer = Signer {
            credentials: Credentials {
                access_key: "test".into(),
                secret_key: "test".into(),
            },
            region: "us-east-1".into(),
            service: service.into(),
        };
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("127.0.0.1:4566"));
        for (name, value) in extra {
            headers.insert(
                http::header::HeaderName::from_bytes(name.as_bytes()).expect("valid name"),
                HeaderValue::from_str(value).expect("valid value"),
            );
        }
        let at = SigningTime {
            amz_date: "20250102T030405Z".into(),
            date: "20250102".into(),
        };
        signer.sign(
            &RequestToSign {
                method: &method,
                path,
                query: &[],
                payload_hash: &hex_sha256(body),
            },
            &mut headers,
            &at,
        );
        headers[http::header::AUTHORIZATION]
            .to_str()
            .expect("ASCII")
            .to_owned()
    }

    #[test]
    fn matches_botocore_for_a_json_call() {
        let authorization = sign_like_botocore(
            "sqs",
            Method::POST,
            "/",
            &[
                ("content-type", "application/x-amz-json-1.0"),
                ("x-amz-target", "AmazonSQS.CreateQueue"),
            ],
            br#"{"QueueName":"q"}"#,
        );
        assert_eq!(
            authorization,
            "AWS4-HMAC-SHA256 Credential=test/20250102/us-east-1/sqs/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-target, \
             Signature=0e1b1c56d5f6ad029909eb5435f7a2f8f7ffb1ed06dfbcb3596cb8ffacbff592"
        );
    }

    #[test]
    fn matches_botocore_for_an_s3_put() {
        let authorization = sign_like_botocore(
            "s3",
            Method::PUT,
            "/bucket/key-1",
            &[("x-amz-content-sha256", &hex_sha256(b"hello"))],
            b"hello",
        );
        assert_eq!(
            authorization,
            "AWS4-HMAC-SHA256 Credential=test/20250102/us-east-1/s3/aws4_request, \
             SignedHeaders=host;x-amz-content-sha256;x-amz-date, \
             Signature=2ec30af94b5dde7d3843a9e7f2050f63fb7527a3425c6307ce058ba3c79b34e6"
        );
    }
}
