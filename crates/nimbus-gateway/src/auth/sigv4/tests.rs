//! SigV4 parsing against the forms real clients send.

use super::*;
use http::HeaderValue;

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(*name, HeaderValue::from_str(value).expect("valid header"));
    }
    map
}

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn sigv4(auth: RequestAuth) -> SigV4 {
    match auth {
        RequestAuth::SigV4(sig) => *sig,
        other => panic!("expected SigV4, got {other:?}"),
    }
}

#[test]
fn parses_the_header_form_as_botocore_sends_it() {
    let h = headers(&[
        (
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/eu-west-2/sts/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=abc123",
        ),
        ("x-amz-date", "20240101T000000Z"),
        ("x-amz-security-token", "token"),
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
    ]);
    let sig = sigv4(parse(&h, &[]).expect("parses"));
    assert_eq!(sig.algorithm, Algorithm::HmacSha256);
    let scope = &sig.scope;
    assert_eq!(
        (
            scope.access_key_id(),
            scope.date(),
            scope.region(),
            scope.service(),
            scope.terminator()
        ),
        (
            "AKIDEXAMPLE",
            "20240101",
            Some("eu-west-2"),
            "sts",
            "aws4_request"
        )
    );
    assert_eq!(
        sig.signed_headers.iter().collect::<Vec<_>>(),
        ["content-type", "host", "x-amz-date", "x-amz-security-token"]
    );
    assert_eq!(sig.signature, "abc123");
    assert_eq!(sig.location, SignatureLocation::Header);
    assert_eq!(sig.date.as_deref(), Some("20240101T000000Z"));
    assert_eq!(sig.security_token.as_deref(), Some("token"));
    assert_eq!(sig.payload, PayloadHash::Unsigned);
}

#[test]
fn accepts_parameters_without_spaces_in_any_order() {
    let h = headers(&[(
        "authorization",
        "AWS4-HMAC-SHA256 Signature=ff,SignedHeaders=host,Credential=test/20240101/us-east-1/s3/aws4_request",
    )]);
    let auth = parse(&h, &[]).expect("parses");
    assert_eq!(auth.access_key_id(), Some("test"));
    assert_eq!(auth.region(), Some("us-east-1"));
    assert_eq!(auth.signing_service(), Some("s3"));
}

#[test]
fn sigv4a_takes_its_region_from_the_region_set() {
    let h = headers(&[
        (
            "authorization",
            "AWS4-ECDSA-P256-SHA256 Credential=AKID/20240101/s3/aws4_request, SignedHeaders=host;x-amz-region-set, Signature=3045",
        ),
        ("x-amz-region-set", "eu-central-1,us-east-1"),
    ]);
    let auth = parse(&h, &[]).expect("parses");
    assert_eq!(auth.region(), Some("eu-central-1"));
    let sig = sigv4(auth);
    assert_eq!(sig.algorithm, Algorithm::EcdsaP256Sha256);
    assert_eq!(sig.scope.region(), None);
    assert_eq!(sig.scope.service(), "s3");

    let wildcard = headers(&[
        (
            "authorization",
            "AWS4-ECDSA-P256-SHA256 Credential=AKID/20240101/s3/aws4_request, SignedHeaders=host, Signature=3045",
        ),
        ("x-amz-region-set", "*"),
    ]);
    assert_eq!(parse(&wildcard, &[]).expect("parses").region(), None);
}

#[test]
fn parses_presigned_query_parameters() {
    let q = params(&[
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Credential", "test/20240101/us-west-2/s3/aws4_request"),
        ("X-Amz-Date", "20240101T120000Z"),
        ("X-Amz-Expires", "3600"),
        ("X-Amz-SignedHeaders", "host"),
        ("X-Amz-Signature", "deadbeef"),
        ("X-Amz-Security-Token", "tok"),
    ]);
    let sig = sigv4(parse(&HeaderMap::new(), &q).expect("parses"));
    assert_eq!(sig.location, SignatureLocation::Query { expires: Some(3600) });
    assert_eq!(sig.scope.region(), Some("us-west-2"));
    assert_eq!(sig.scope.service(), "s3");
    assert_eq!(sig.signed_headers.iter().collect::<Vec<_>>(), ["host"]);
    assert_eq!(sig.signature, "deadbeef");
    assert_eq!(sig.date.as_deref(), Some("20240101T120000Z"));
    assert_eq!(sig.security_token.as_deref(), Some("tok"));
}

#[test]
fn presigned_without_a_signature_is_malformed() {
    let q = params(&[
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Credential", "test/20240101/us-west-2/s3/aws4_request"),
    ]);
    let err = parse(&HeaderMap::new(), &q).expect_err("malformed");
    assert!(matches!(err.location, SignatureLocation::Query { .. }));
    assert!(err.message.contains("X-Amz-Signature"));
}

#[test]
fn header_missing_parts_is_malformed_and_says_which() {
    let h = headers(&[(
        "authorization",
        "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sqs/aws4_request",
    )]);
    let err = parse(&h, &[]).expect_err("malformed");
    assert!(err.message.contains("'SignedHeaders'"), "{}", err.message);
    assert!(err.message.contains("'Signature'"), "{}", err.message);

    let bad_scope = headers(&[(
        "authorization",
        "AWS4-HMAC-SHA256 Credential=test/20240101/sqs/aws4_request, SignedHeaders=host, Signature=00",
    )]);
    assert!(parse(&bad_scope, &[]).is_err());

    let bad_terminator = headers(&[(
        "authorization",
        "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sqs/aws5_request, SignedHeaders=host, Signature=00",
    )]);
    assert!(parse(&bad_terminator, &[]).is_err());
}

#[test]
fn sigv2_and_foreign_schemes() {
    let v2 = headers(&[("authorization", "AWS AKIAOLD:c2lnbmF0dXJl")]);
    assert_eq!(
        parse(&v2, &[]).expect("parses"),
        RequestAuth::SigV2 {
            access_key_id: "AKIAOLD".into()
        }
    );
    let presigned_v2 = params(&[
        ("AWSAccessKeyId", "AKIAOLD"),
        ("Signature", "x"),
        ("Expires", "1"),
    ]);
    assert_eq!(
        parse(&HeaderMap::new(), &presigned_v2)
            .expect("parses")
            .access_key_id(),
        Some("AKIAOLD")
    );
    let bearer = headers(&[("authorization", "Bearer abc")]);
    assert_eq!(parse(&bearer, &[]).expect("parses"), RequestAuth::Anonymous);
    assert_eq!(
        parse(&HeaderMap::new(), &[]).expect("parses"),
        RequestAuth::Anonymous
    );
}

#[test]
fn splits_at_a_byte_as_str_split_does() {
    for text in [
        "",
        "/",
        "a",
        "a/b",
        "/a/",
        "a//b",
        "AKID/20240101/us-east-1/s3/aws4_request",
    ] {
        assert_eq!(
            split_at_byte(text, b'/').collect::<Vec<_>>(),
            text.split('/').collect::<Vec<_>>(),
            "{text}"
        );
    }
}

#[test]
fn signed_headers_are_normalized() {
    for (list, expected) in [
        ("host;x-amz-date", "host;x-amz-date"),
        ("Host; X-Amz-Date", "host;x-amz-date"),
        ("host;;x-amz-date;", "host;x-amz-date"),
        ("", ""),
        (";host", "host"),
        ("host;", "host"),
        ("x-amz-content-sha256", "x-amz-content-sha256"),
    ] {
        assert_eq!(SignedHeaders::parse(list).as_str(), expected, "{list}");
    }
}

#[test]
fn payload_hash_modes() {
    let streaming = |signing, trailer| {
        PayloadHash::Streaming(StreamingPayload {
            chunk_signing: signing,
            has_trailer: trailer,
        })
    };
    assert_eq!(
        PayloadHash::parse("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        streaming(Some(Algorithm::HmacSha256), false)
    );
    assert_eq!(
        PayloadHash::parse("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
        streaming(Some(Algorithm::HmacSha256), true)
    );
    assert_eq!(
        PayloadHash::parse("STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        streaming(None, true)
    );
    assert_eq!(
        PayloadHash::parse("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"),
        streaming(Some(Algorithm::EcdsaP256Sha256), false)
    );
    assert_eq!(
        PayloadHash::parse("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"),
        streaming(Some(Algorithm::EcdsaP256Sha256), true)
    );
    let empty_sha = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
    assert_eq!(
        PayloadHash::parse(empty_sha),
        PayloadHash::Sha256(empty_sha.to_ascii_lowercase())
    );
    assert_eq!(
        PayloadHash::parse("nonsense"),
        PayloadHash::Other("nonsense".into())
    );
}

#[test]
fn credential_parts_are_found_by_their_spans() {
    let (spans, count) = part_spans::<6>("AKID/20240101/us-east-1/sqs/aws4_request", b'/');
    assert_eq!(count, 5);
    assert_eq!(&spans[..count], &[0..4, 5..13, 14..23, 24..27, 28..40]);
    let (_, count) = part_spans::<6>("a/b/c/d/e/f/g/h", b'/');
    assert_eq!(count, 7, "more parts than asked for are told");
    let (spans, count) = part_spans::<6>("", b'/');
    assert_eq!((count, spans[0].clone()), (1, 0..0));
    let scope =
        parse_credential(Algorithm::HmacSha256, "AKID/20240101/us-east-1/sqs/aws4_request").expect("a scope");
    assert_eq!(
        (scope.access_key_id(), scope.region(), scope.service()),
        ("AKID", Some("us-east-1"), "sqs")
    );
    assert!(parse_credential(Algorithm::HmacSha256, "a/b/c/d/e/f/g").is_err());
}
