//! Routing as real clients' requests ask for it.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};

use super::*;
use crate::auth::sigv4;

/// A request as a real client shapes it.
struct Case {
    method: Method,
    uri: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    body: &'static str,
}

impl Case {
    fn post(uri: &'static str, headers: &[(&'static str, &'static str)], body: &'static str) -> Self {
        Case {
            method: Method::POST,
            uri,
            headers: headers.to_vec(),
            body,
        }
    }

    fn get(uri: &'static str, headers: &[(&'static str, &'static str)]) -> Self {
        Case {
            method: Method::GET,
            uri,
            headers: headers.to_vec(),
            body: "",
        }
    }

    fn request(&self) -> HttpRequest {
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        let (path, query) = self.uri.split_once('?').unwrap_or((self.uri, ""));
        HttpRequest {
            method: self.method.clone(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body: Bytes::from_static(self.body.as_bytes()),
        }
    }

    /// Routes as the gateway does: head first, then the action if needed.
    fn route(&self) -> Result<Route, AwsError> {
        let request = self.request();
        let auth = sigv4::parse(&request.headers, &request.query_params()).expect("valid auth");
        match identify(&request, &auth)? {
            Identification::Routed(route) => Ok(route),
            Identification::ByAction => route_by_action(&request),
        }
    }
}

fn auth(scope: &'static str) -> (&'static str, &'static str) {
    ("authorization", scope)
}

const STS_SIGNED: &str =
    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00";
const SQS_SIGNED: &str =
    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00";
const DDB_SIGNED: &str = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00";
const CW_SIGNED: &str = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=00";
const S3_SIGNED: &str =
    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00";
const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded; charset=utf-8");

fn expect(case: Case, model: &str, protocol: Protocol) {
    let route = case
        .route()
        .unwrap_or_else(|e| panic!("{} {} did not route: {e}", case.method, case.uri));
    assert_eq!(
        (route.model, route.protocol),
        (model, protocol),
        "{} {} {:?}",
        case.method,
        case.uri,
        case.headers
    );
}

#[test]
fn query_services_by_credential_scope() {
    expect(
        Case::post(
            "/",
            &[auth(STS_SIGNED), FORM],
            "Action=GetCallerIdentity&Version=2011-06-15",
        ),
        "sts",
        Protocol::Query,
    );
    expect(
        Case::post(
            "/",
            &[
                auth(
                    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00",
                ),
                FORM,
            ],
            "Action=DescribeInstances&Version=2016-11-15",
        ),
        "ec2",
        Protocol::Ec2,
    );
    expect(
        Case::post(
            "/",
            &[
                auth(
                    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=00",
                ),
                FORM,
            ],
            "Action=DescribeLoadBalancers&Version=2015-12-01",
        ),
        "elbv2",
        Protocol::Query,
    );
}

#[test]
fn json_services_by_target() {
    expect(
        Case::post(
            "/",
            &[
                auth(DDB_SIGNED),
                ("x-amz-target", "DynamoDB_20120810.ListTables"),
                ("content-type", "application/x-amz-json-1.0"),
            ],
            "{}",
        ),
        "dynamodb",
        Protocol::Json10,
    );
    expect(
        Case::post(
            "/",
            &[
                auth(DDB_SIGNED),
                ("x-amz-target", "DynamoDBStreams_20120810.ListStreams"),
                ("content-type", "application/x-amz-json-1.0"),
            ],
            "{}",
        ),
        "dynamodbstreams",
        Protocol::Json10,
    );
    expect(
        Case::post(
            "/",
            &[
                ("x-amz-target", "TrentService.ListKeys"),
                ("content-type", "application/x-amz-json-1.1"),
            ],
            "{}",
        ),
        "kms",
        Protocol::Json11,
    );
}

#[test]
fn sqs_speaks_json_and_query() {
    expect(
        Case::post(
            "/",
            &[
                auth(SQS_SIGNED),
                ("x-amz-target", "AmazonSQS.ListQueues"),
                ("content-type", "application/x-amz-json-1.0"),
            ],
            "{}",
        ),
        "sqs",
        Protocol::Json10,
    );
    expect(
        Case::post(
            "/000000000000/q",
            &[auth(SQS_SIGNED), FORM],
            "Action=SendMessage&MessageBody=hi",
        ),
        "sqs",
        Protocol::Query,
    );
    // A queue URL host on a LocalStack-style domain is not a bucket.
    expect(
        Case::post(
            "/000000000000/q",
            &[
                auth(SQS_SIGNED),
                FORM,
                ("host", "sqs.us-east-1.localhost.localstack.cloud:4566"),
            ],
            "Action=SendMessage&MessageBody=hi",
        ),
        "sqs",
        Protocol::Query,
    );
}

#[test]
fn cloudwatch_in_all_three_protocols() {
    expect(
        Case::post(
            "/service/GraniteServiceVersion20100801/operation/ListMetrics",
            &[
                auth(CW_SIGNED),
                ("smithy-protocol", "rpc-v2-cbor"),
                ("content-type", "application/cbor"),
            ],
            "",
        ),
        "cloudwatch",
        Protocol::Cbor,
    );
    expect(
        Case::post(
            "/",
            &[
                auth(CW_SIGNED),
                ("x-amz-target", "GraniteServiceVersion20100801.ListMetrics"),
                ("content-type", "application/x-amz-json-1.0"),
            ],
            "{}",
        ),
        "cloudwatch",
        Protocol::Json10,
    );
    expect(
        Case::post(
            "/",
            &[auth(CW_SIGNED), FORM],
            "Action=ListMetrics&Version=2010-08-01",
        ),
        "cloudwatch",
        Protocol::Query,
    );
    // No shape hint at all: the model's preferred protocol.
    expect(
        Case::post("/", &[auth(CW_SIGNED)], ""),
        "cloudwatch",
        Protocol::Cbor,
    );
}

#[test]
fn rest_services_by_scope() {
    expect(
        Case::get(
            "/2015-03-31/functions/",
            &[auth(
                "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00",
            )],
        ),
        "lambda",
        Protocol::RestJson,
    );
    expect(
        Case::get(
            "/2013-04-01/hostedzone",
            &[auth(
                "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=00",
            )],
        ),
        "route53",
        Protocol::RestXml,
    );
}

#[test]
fn s3_addressing_styles() {
    expect(
        Case::get(
            "/my-bucket/key.txt",
            &[auth(S3_SIGNED), ("host", "127.0.0.1:4566")],
        ),
        "s3",
        Protocol::RestXml,
    );
    for host in [
        "my-bucket.s3.localhost:4566",
        "my-bucket.localhost",
        "my-bucket.s3.localhost.localstack.cloud:4566",
        "my-bucket.localhost.localstack.cloud",
    ] {
        expect(
            Case::get("/key.txt", &[auth(S3_SIGNED), ("host", host)]),
            "s3",
            Protocol::RestXml,
        );
    }
    expect(
        Case::get("/", &[auth(S3_SIGNED), ("host", "s3.localhost:4566")]),
        "s3",
        Protocol::RestXml,
    );
    // A form-typed object upload is still S3: S3 speaks no query protocol.
    expect(
        Case {
            method: Method::PUT,
            uri: "/b/k",
            headers: vec![auth(S3_SIGNED), FORM],
            body: "a=b",
        },
        "s3",
        Protocol::RestXml,
    );
}

#[test]
fn unsigned_requests() {
    expect(Case::get("/public-bucket/file", &[]), "s3", Protocol::RestXml);
    expect(
        Case::get("/file", &[("host", "public-bucket.s3.localhost:4566")]),
        "s3",
        Protocol::RestXml,
    );
    expect(
        Case::get(
            "/my-bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
            &[],
        ),
        "s3",
        Protocol::RestXml,
    );
    expect(
        Case::post(
            "/",
            &[FORM],
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn&RoleSessionName=s&WebIdentityToken=t",
        ),
        "sts",
        Protocol::Query,
    );
    expect(
        Case::get(
            "/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20240101%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
            &[],
        ),
        "sts",
        Protocol::Query,
    );
}

#[test]
fn unknown_services_are_client_errors() {
    let unknown_scope = Case::post(
        "/",
        &[auth(
            "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/nosuchsvc/aws4_request, SignedHeaders=host, Signature=00",
        )],
        "",
    );
    let err = unknown_scope.route().expect_err("unknown");
    assert_eq!((err.code.as_ref(), err.status), ("UnknownService", 400));
    assert!(err.message.contains("nosuchsvc"));

    let unknown_target = Case::post("/", &[("x-amz-target", "NoSuchPrefix.DoIt")], "{}");
    assert_eq!(unknown_target.route().expect_err("unknown").status, 400);

    let unknown_action = Case::post("/", &[FORM], "Action=NoSuchAction");
    assert_eq!(unknown_action.route().expect_err("unknown").code, "InvalidAction");

    let bad_cbor_path = Case::post("/nope", &[("smithy-protocol", "rpc-v2-cbor")], "");
    assert_eq!(bad_cbor_path.route().expect_err("unknown").status, 400);
}
