//! Which service, in which protocol, a request is for.
//!
//! Real clients say it in different ways: the SigV4 credential scope (header
//! or presigned query), `X-Amz-Target`, the smithy RPC v2 CBOR path, the
//! Content-Type, `Action=`, and for S3 the Host name or nothing at all. The
//! rules, in order:
//!
//! 1. CBOR (`smithy-protocol: rpc-v2-cbor` or `Content-Type: application/cbor`):
//!    the service is the `<Name>` of `/service/<Name>/operation/<Op>`.
//! 2. `X-Amz-Target: <prefix>.<Op>`: the model with that target prefix, in
//!    json (this tells DynamoDB from DynamoDB Streams, which sign alike).
//! 3. A SigV4 scope: the model with that signing name; among its protocols
//!    the one the request's shape asks for (form `Action=` → query, ...).
//! 4. Unsigned `Action=` requests: the query service that has that action,
//!    which needs the body (see [`Identification::ByAction`]).
//! 5. Anything else is S3 (anonymous GETs, SigV2, browser-style requests).

use http::HeaderName;
use http::header::CONTENT_TYPE;
use nimbus_core::AwsError;
use nimbus_protocol::{HttpRequest, Protocol, models};

use crate::catalog::{Catalog, ModelInfo};
use crate::sigv4::RequestAuth;

const X_AMZ_TARGET: HeaderName = HeaderName::from_static("x-amz-target");
const SMITHY_PROTOCOL: HeaderName = HeaderName::from_static("smithy-protocol");
const JSON_MEDIA_PREFIX: &str = "application/x-amz-json";

/// The service and protocol that will handle a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The model name, e.g. `sqs`.
    pub model: &'static str,
    pub protocol: Protocol,
}

/// The outcome of looking at the request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identification {
    Routed(Route),
    /// An unsigned query-protocol request: the service is the one that has
    /// its `Action`, which may be in the body ([`route_by_action`]).
    ByAction,
}

/// What the request head says about its protocol.
#[derive(Debug, Default)]
struct Shape<'r> {
    target: Option<&'r str>,
    cbor: bool,
    json: bool,
    form: bool,
}

impl<'r> Shape<'r> {
    fn of(request: &'r HttpRequest) -> Self {
        // The three headers, found in one pass over the request's headers
        // (cheaper than three hashed lookups); the first value of each
        // counts, as with `HeaderMap::get`.
        let (mut content_type, mut target, mut smithy_protocol) = (None, None, None);
        for (name, value) in &request.headers {
            let slot = if *name == CONTENT_TYPE {
                &mut content_type
            } else if *name == X_AMZ_TARGET {
                &mut target
            } else if *name == SMITHY_PROTOCOL {
                &mut smithy_protocol
            } else {
                continue;
            };
            slot.get_or_insert_with(|| value.to_str().ok());
        }
        let (content_type, target, smithy_protocol) = (
            content_type.flatten(),
            target.flatten(),
            smithy_protocol.flatten(),
        );
        // The media type, compared without case (and without a lower-case copy).
        let content_type = content_type
            .map(|ct| ct.split(';').next().unwrap_or_default().trim())
            .unwrap_or_default();
        let media_is = |media: &str| content_type.eq_ignore_ascii_case(media);
        let json_media = content_type
            .get(..JSON_MEDIA_PREFIX.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(JSON_MEDIA_PREFIX));
        let target = target.map(str::trim).filter(|t| !t.is_empty());
        Shape {
            target,
            cbor: media_is("application/cbor")
                || smithy_protocol.is_some_and(|p| p.eq_ignore_ascii_case("rpc-v2-cbor")),
            json: target.is_some() || json_media,
            form: media_is("application/x-www-form-urlencoded") || has_action_param(&request.query),
        }
    }
}

/// Finds the service and protocol from the request head (never the body).
/// `Err` is a 400 for requests no known service can answer.
pub fn identify(request: &HttpRequest, auth: &RequestAuth) -> Result<Identification, AwsError> {
    let catalog = Catalog::get();
    let shape = Shape::of(request);

    if shape.cbor {
        if let Some(model) = cbor_service_name(&request.path).and_then(|name| catalog.by_target_prefix(name))
            && model.speaks_cbor()
        {
            return Ok(Identification::Routed(route(model, Protocol::Cbor)));
        }
        if auth.signing_service().is_none() {
            return Err(unknown_service(format!(
                "No service is named by the RPC v2 CBOR path '{}'; expected /service/<ServiceName>/operation/<Operation>.",
                request.path
            )));
        }
    }

    if let Some(target) = shape.target {
        let prefix = target.rsplit_once('.').map_or(target, |(prefix, _)| prefix);
        if let Some(model) = catalog.by_target_prefix(prefix)
            && let Some(protocol) = model.speaks_json()
        {
            return Ok(Identification::Routed(route(model, protocol)));
        }
    }

    if let Some(signing_name) = auth.signing_service() {
        let Some(model) = catalog.first_by_signing_name(signing_name) else {
            return Err(unknown_service(format!(
                "nimbus does not know the service '{signing_name}' named by the request's SigV4 credential scope."
            )));
        };
        let protocol = choose_protocol(model, &shape).ok_or_else(|| {
            unknown_service(format!(
                "The service {} speaks no protocol nimbus knows.",
                model.name
            ))
        })?;
        return Ok(Identification::Routed(route(model, protocol)));
    }

    if shape.target.is_some() {
        return Err(unknown_service(format!(
            "nimbus does not know the service of X-Amz-Target '{}'.",
            shape.target.unwrap_or_default()
        )));
    }
    if shape.form {
        return Ok(Identification::ByAction);
    }
    let s3 = catalog
        .model("s3")
        .ok_or_else(|| unknown_service("The S3 model is not vendored.".to_owned()))?;
    Ok(Identification::Routed(route(s3, Protocol::RestXml)))
}

/// Routes an unsigned query request by its `Action` (query string or form
/// body, which must already be decompressed). A form-typed request without
/// an Action is no query request but an S3 upload whose client defaulted the
/// Content-Type (urllib's presigned SigV2 PUTs, for one).
pub fn route_by_action(request: &HttpRequest) -> Result<Route, AwsError> {
    let catalog = Catalog::get();
    let Some(action) = action_of(request) else {
        let s3 = catalog
            .model("s3")
            .ok_or_else(|| unknown_service("The S3 model is not vendored.".to_owned()))?;
        return Ok(route(s3, Protocol::RestXml));
    };
    catalog
        .query_models()
        .find(|info| models::get(info.name).is_some_and(|model| model.operation(&action).is_some()))
        .and_then(|info| Some(route(info, info.speaks_query()?)))
        .ok_or_else(|| {
            AwsError::new(
                "InvalidAction",
                format!("The action {action} is not valid for any service nimbus knows."),
                400,
            )
        })
}

/// The request's protocol among those the service speaks.
fn choose_protocol(model: &ModelInfo, shape: &Shape<'_>) -> Option<Protocol> {
    if shape.cbor && model.speaks_cbor() {
        return Some(Protocol::Cbor);
    }
    if shape.json
        && let Some(json) = model.speaks_json()
    {
        return Some(json);
    }
    if shape.form
        && let Some(query) = model.speaks_query()
    {
        return Some(query);
    }
    model.default_protocol()
}

fn route(model: &ModelInfo, protocol: Protocol) -> Route {
    Route {
        model: model.name,
        protocol,
    }
}

/// `<Name>` of `/service/<Name>/operation/<Operation>`.
fn cbor_service_name(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/service/")?;
    let (name, rest) = rest.split_once('/')?;
    rest.starts_with("operation/").then_some(name)
}

fn has_action_param(query: &str) -> bool {
    query.split('&').any(|pair| pair.starts_with("Action="))
}

fn action_of(request: &HttpRequest) -> Option<String> {
    let find = |pairs: Vec<(String, String)>| {
        pairs
            .into_iter()
            .find(|(key, value)| key == "Action" && !value.is_empty())
            .map(|(_, value)| value)
    };
    find(request.query_params()).or_else(|| find(nimbus_protocol::codec::form::parse(&request.body)))
}

fn unknown_service(message: String) -> AwsError {
    AwsError::new("UnknownService", message, 400)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::{HeaderMap, HeaderValue, Method};

    use super::*;
    use crate::sigv4;

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

    const STS_SIGNED: &str = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00";
    const SQS_SIGNED: &str = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00";
    const DDB_SIGNED: &str = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00";
    const CW_SIGNED: &str = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=00";
    const S3_SIGNED: &str = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00";
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
}
