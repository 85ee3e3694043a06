//! Signature verification against AWS's documented examples and real clients' requests.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};

use super::*;
use crate::auth::sigv4;

/// The "get-vanilla-query-order-key-case" shape of AWS's SigV4 test
/// suite, signed with its example key (scope service `service`).
fn example() -> (HttpRequest, RequestAuth) {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("example.amazonaws.com"));
    headers.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
    headers.insert(
        "authorization",
        HeaderValue::from_static(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        ),
    );
    let request = HttpRequest {
        method: Method::GET,
        path: "/".into(),
        query: "Param2=value2&Param1=value1".into(),
        headers,
        body: Bytes::new(),
    };
    let auth = sigv4::parse(&request.headers, &[]).expect("parses");
    (request, auth)
}

fn check_for(request: &HttpRequest, auth: &RequestAuth, secret: &str) -> Check {
    let RequestAuth::SigV4(sig) = auth else {
        panic!("SigV4 expected");
    };
    Check::new(Family::Json, sig, secret, request, false, &[])
}

#[test]
fn the_aws_test_suite_example_verifies() {
    let (request, auth) = example();
    let check = check_for(&request, &auth, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    assert!(check.verify(EMPTY_SHA256).is_ok());
    let wrong = check_for(&request, &auth, "not-the-secret");
    let error = wrong.verify(EMPTY_SHA256).expect_err("mismatch");
    assert_eq!(error.code, "InvalidSignatureException");
}

#[test]
fn declared_body_hash_is_checked_once_for_both_checks() {
    let declared = DeclaredSha256(Hex::of(&Sha256::digest(b"body")).as_str().to_owned());
    assert!(check_body(b"body", None, Some(&declared)).is_ok());
    let error = check_body(b"other", None, Some(&declared)).expect_err("mismatch");
    assert_eq!(
        (error.code.as_ref(), error.status),
        ("XAmzContentSHA256Mismatch", 400)
    );
    assert!(check_body(b"anything", None, None).is_ok());

    let mut running = RunningSha256::new(declared.clone());
    running.update(b"bo");
    running.update(b"dy");
    assert!(running.finish().is_ok());
    let mut short = RunningSha256::new(declared);
    short.update(b"bod");
    assert!(short.finish().is_err());
}

#[test]
fn chunk_signatures_chain_as_documented() {
    let mut chain = documented_chain();
    let chunks: [(usize, &str); 3] = [
        (
            65536,
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        ),
        (
            1024,
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        ),
        (
            0,
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
        ),
    ];
    for (len, signature) in chunks {
        chain.begin(Some(signature));
        chain.update(&vec![b'a'; len]);
        chain.end().expect("documented signature");
    }

    let mut tampered = documented_chain();
    tampered.begin(Some(chunks[0].1));
    tampered.update(&vec![b'b'; 65536]);
    let error = tampered.end().expect_err("other data");
    assert_eq!(
        (error.code.as_ref(), error.status),
        ("SignatureDoesNotMatch", 403)
    );

    // A chunk signed after the previous one was skipped does not verify.
    let mut skipped = documented_chain();
    skipped.begin(Some(chunks[1].1));
    skipped.update(&[b'a'; 1024]);
    assert!(skipped.end().is_err());
}

#[test]
fn canonical_parts() {
    assert_eq!(canonical_uri(true, "/b/a%20b"), "/b/a%20b");
    assert_eq!(canonical_uri(false, "/a%2Fb/c d"), "/a%252Fb/c%20d");
    assert_eq!(canonical_uri(false, ""), "/");
    assert_eq!(uri_encode("a b+c/d"), "a%20b%2Bc%2Fd");
}
