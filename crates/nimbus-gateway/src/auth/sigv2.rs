//! SigV2 (HMAC-SHA1) verification of S3 requests, part of the opt-in
//! `--verify-signatures` (see [`verify`](crate::auth::verify)).
//!
//! The string to sign, as S3 defines it (and botocore's HmacV1 signers
//! build it): the method, Content-MD5, Content-Type, the date (the `Date`
//! header, or a presigned URL's `Expires`), the `x-amz-*` headers sorted
//! by name, then the resource: the path-style path as sent and the
//! sub-resources of the query (`acl`, `uploadId`, `response-*`, ...).
//! Presigned URLs take Content-MD5, Content-Type and `x-amz-*` from their
//! query, where botocore moves them.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use nimbus_core::AwsError;
use nimbus_protocol::HttpRequest;
use sha1::Sha1;

/// Query parameters that are part of the signed resource.
const SUB_RESOURCES: [&str; 35] = [
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// Checks a SigV2 S3 request signed with `secret`. `host_path` is the
/// path-style path of a virtual-hosted request (the signed resource always
/// names the bucket); `query` holds the decoded query parameters.
pub fn verify(
    request: &HttpRequest,
    query: &[(String, String)],
    access_key_id: &str,
    secret: &str,
    host_path: Option<&str>,
) -> Result<(), AwsError> {
    let presigned_signature = param(query, "Signature");
    let provided = match presigned_signature {
        Some(signature) => signature.to_owned(),
        None => request
            .header("authorization")
            .and_then(|value| value.trim().strip_prefix("AWS "))
            .and_then(|rest| rest.rsplit_once(':'))
            .map(|(_, signature)| signature.trim().to_owned())
            .unwrap_or_default(),
    };
    let string_to_sign = string_to_sign(request, query, presigned_signature.is_some(), host_path);
    let expected = BASE64.encode(hmac_sha1(secret.as_bytes(), string_to_sign.as_bytes()));
    if expected == provided {
        return Ok(());
    }
    Err(AwsError::new(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. \
         Check your key and signing method.",
        403,
    )
    .with_field("AWSAccessKeyId", access_key_id)
    .with_field("StringToSign", string_to_sign.clone())
    .with_field("SignatureProvided", provided)
    .with_field(
        "StringToSignBytes",
        crate::auth::spaced_hex(string_to_sign.as_bytes()),
    ))
}

fn string_to_sign(
    request: &HttpRequest,
    query: &[(String, String)],
    presigned: bool,
    host_path: Option<&str>,
) -> String {
    // Presigned URLs carry these in their query; header-signed requests in headers.
    let field = |name: &str| -> String {
        let value = if presigned {
            query
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.as_str())
        } else {
            request.header(name)
        };
        value.unwrap_or_default().trim().to_owned()
    };
    let date = if presigned {
        param(query, "Expires").unwrap_or_default().to_owned()
    } else if request.headers.contains_key("date") {
        field("date")
    } else {
        // Dated by x-amz-date alone: that header is signed among the x-amz-* ones.
        String::new()
    };
    let mut out = format!(
        "{}\n{}\n{}\n{date}\n",
        request.method,
        field("content-md5"),
        field("content-type")
    );
    for (name, value) in amz_headers(request, query, presigned) {
        out.push_str(&format!("{name}:{value}\n"));
    }
    out.push_str(&resource(request, host_path));
    out
}

/// The `x-amz-*` headers (query parameters when presigned), lower-cased,
/// sorted, repeated values joined by `,`.
fn amz_headers(request: &HttpRequest, query: &[(String, String)], presigned: bool) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut add = |name: String, value: &str| match headers.iter_mut().find(|(n, _)| *n == name) {
        Some((_, existing)) => {
            existing.push(',');
            existing.push_str(value.trim());
        }
        None => headers.push((name, value.trim().to_owned())),
    };
    if presigned {
        for (name, value) in query {
            let name = name.to_ascii_lowercase();
            if name.starts_with("x-amz-") {
                add(name, value);
            }
        }
    } else {
        for (name, value) in &request.headers {
            if name.as_str().starts_with("x-amz-") {
                add(
                    name.as_str().to_owned(),
                    &String::from_utf8_lossy(value.as_bytes()),
                );
            }
        }
    }
    headers.sort();
    headers
}

/// `/bucket/key` as sent, plus the sub-resources, sorted by name.
fn resource(request: &HttpRequest, host_path: Option<&str>) -> String {
    let path = if request.path.is_empty() {
        "/"
    } else {
        &request.path
    };
    let mut out = host_path.unwrap_or(path).to_owned();
    // A request on the bucket itself signs `/bucket/`.
    if out.len() > 1 && !out[1..].contains('/') {
        out.push('/');
    }
    let mut sub: Vec<(&str, Option<&str>)> = raw_pairs(&request.query)
        .filter(|(name, _)| SUB_RESOURCES.contains(name))
        .collect();
    if !sub.is_empty() {
        sub.sort_by(|a, b| a.0.cmp(b.0));
        let parts: Vec<String> = sub
            .iter()
            .map(|(name, value)| match value {
                Some(value) => format!("{name}={}", decode(value)),
                None => (*name).to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&parts.join("&"));
    }
    out
}

/// The raw query as `(name, value)` pairs; `None` when a pair has no `=`.
fn raw_pairs(query: &str) -> impl Iterator<Item = (&str, Option<&str>)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (pair, None),
        })
}

fn decode(value: &str) -> String {
    percent_encoding::percent_decode_str(value)
        .decode_utf8_lossy()
        .into_owned()
}

fn param<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length; the error branch cannot happen.
    match <Hmac<Sha1> as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::{HeaderMap, HeaderValue, Method};

    use super::*;

    /// The GET example of S3's SigV2 documentation (RESTAuthentication).
    #[test]
    fn the_documented_example_verifies() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "host",
            HeaderValue::from_static("awsexamplebucket1.us-west-1.s3.amazonaws.com"),
        );
        headers.insert(
            "date",
            HeaderValue::from_static("Tue, 27 Mar 2007 19:36:42 +0000"),
        );
        headers.insert(
            "authorization",
            HeaderValue::from_static("AWS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g="),
        );
        let request = HttpRequest {
            method: Method::GET,
            path: "/photos/puppy.jpg".into(),
            query: String::new(),
            headers,
            body: Bytes::new(),
        };
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let bucket = Some("/awsexamplebucket1/photos/puppy.jpg");
        assert_eq!(
            string_to_sign(&request, &[], false, bucket),
            "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg"
        );
        assert!(verify(&request, &[], "AKIAIOSFODNN7EXAMPLE", secret, bucket).is_ok());
        let error = verify(&request, &[], "AKIAIOSFODNN7EXAMPLE", "wrong", bucket).expect_err("mismatch");
        assert_eq!(
            (error.code.as_ref(), error.status),
            ("SignatureDoesNotMatch", 403)
        );
    }

    #[test]
    fn sub_resources_are_signed_sorted() {
        let request = HttpRequest {
            method: Method::GET,
            path: "/b/k".into(),
            query: "versionId=v1&prefix=x&acl".into(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        };
        assert_eq!(resource(&request, None), "/b/k?acl&versionId=v1");
        let bucket_level = HttpRequest {
            path: "/b".into(),
            query: "encoding-type=url".into(),
            ..request
        };
        assert_eq!(resource(&bucket_level, None), "/b/");
        let virtual_root = HttpRequest {
            path: "/".into(),
            ..bucket_level
        };
        // A virtual-hosted `/` names the bucket: its path-style path is `/b`.
        assert_eq!(resource(&virtual_root, Some("/b")), "/b/");
    }
}
