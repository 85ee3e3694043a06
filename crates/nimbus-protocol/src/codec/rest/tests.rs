//! Routing against the vendored S3, Lambda and Route 53 models, and the HTTP
//! bindings of requests, responses and errors.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use nimbus_core::{AwsError, Timestamp, Value, structure};

use super::*;
use crate::models;
use crate::{HttpResponse, Protocol};

type ServiceModel = Model;

fn protocol(format: BodyFormat) -> Protocol {
    match format {
        BodyFormat::Json => Protocol::RestJson,
        BodyFormat::Xml => Protocol::RestXml,
    }
}

fn decode(
    format: BodyFormat,
    model: &Model,
    operation: &Operation,
    req: &HttpRequest,
) -> Result<Value, AwsError> {
    protocol(format).decode_request(model, operation, req)
}

fn encode_response(
    format: BodyFormat,
    model: &Model,
    operation: &Operation,
    output: &Value,
    id: &str,
) -> HttpResponse {
    protocol(format).encode_response(model, operation, output, id)
}

fn encode_error(
    format: BodyFormat,
    model: &Model,
    operation: Option<&Operation>,
    error: &AwsError,
    id: &str,
) -> HttpResponse {
    protocol(format).encode_error(model, operation, error, id)
}

fn request(method: &str, uri: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpRequest {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(value).expect("header value"),
        );
    }
    HttpRequest {
        method: Method::from_bytes(method.as_bytes()).expect("method"),
        path: path.to_owned(),
        query: query.to_owned(),
        headers: map,
        body: Bytes::copy_from_slice(body),
    }
}

fn operation_name(model: &ServiceModel, req: &HttpRequest) -> String {
    match identify(model, req) {
        Ok(operation) => operation.name.clone(),
        Err(error) => format!("error {}", error.code),
    }
}

/// Method, URI, headers and the operation (or error code) they route to.
type RouteCase<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], &'a str);

#[test]
fn routes_s3_requests() {
    let s3 = models::get("s3").expect("s3 model");
    let table: &[RouteCase] = &[
        ("GET", "/", &[], "ListBuckets"),
        ("PUT", "/bucket", &[], "CreateBucket"),
        ("PUT", "/bucket/", &[], "CreateBucket"),
        ("HEAD", "/bucket", &[], "HeadBucket"),
        ("DELETE", "/bucket", &[], "DeleteBucket"),
        ("GET", "/bucket", &[], "ListObjects"),
        ("GET", "/bucket/", &[], "ListObjects"),
        ("GET", "/bucket?list-type=2", &[], "ListObjectsV2"),
        (
            "GET",
            "/bucket?list-type=2&prefix=a%2Fb&delimiter=%2F",
            &[],
            "ListObjectsV2",
        ),
        ("GET", "/bucket?list-type=1", &[], "ListObjects"),
        ("GET", "/bucket?versions", &[], "ListObjectVersions"),
        ("GET", "/bucket?uploads", &[], "ListMultipartUploads"),
        ("GET", "/bucket?location", &[], "GetBucketLocation"),
        ("GET", "/bucket?versioning", &[], "GetBucketVersioning"),
        ("PUT", "/bucket?versioning", &[], "PutBucketVersioning"),
        ("GET", "/bucket?tagging", &[], "GetBucketTagging"),
        ("PUT", "/bucket?tagging", &[], "PutBucketTagging"),
        ("DELETE", "/bucket?tagging", &[], "DeleteBucketTagging"),
        ("GET", "/bucket?policy", &[], "GetBucketPolicy"),
        ("PUT", "/bucket?policy", &[], "PutBucketPolicy"),
        ("GET", "/bucket?acl", &[], "GetBucketAcl"),
        ("GET", "/bucket?cors", &[], "GetBucketCors"),
        ("GET", "/bucket?lifecycle", &[], "GetBucketLifecycleConfiguration"),
        ("PUT", "/bucket?lifecycle", &[], "PutBucketLifecycleConfiguration"),
        (
            "GET",
            "/bucket?notification",
            &[],
            "GetBucketNotificationConfiguration",
        ),
        (
            "PUT",
            "/bucket?notification",
            &[],
            "PutBucketNotificationConfiguration",
        ),
        ("GET", "/bucket?encryption", &[], "GetBucketEncryption"),
        (
            "GET",
            "/bucket?analytics",
            &[],
            "ListBucketAnalyticsConfigurations",
        ),
        (
            "GET",
            "/bucket?analytics&id=a1",
            &[],
            "GetBucketAnalyticsConfiguration",
        ),
        (
            "GET",
            "/bucket?metrics&id=m1",
            &[],
            "GetBucketMetricsConfiguration",
        ),
        ("POST", "/bucket?delete", &[], "DeleteObjects"),
        ("PUT", "/bucket/key", &[], "PutObject"),
        ("PUT", "/bucket/dir/sub/key.txt", &[], "PutObject"),
        ("PUT", "/bucket/dir/", &[], "PutObject"),
        (
            "PUT",
            "/bucket/key",
            &[("x-amz-copy-source", "/src/k")],
            "CopyObject",
        ),
        ("PUT", "/bucket/key?partNumber=1&uploadId=u", &[], "UploadPart"),
        (
            "PUT",
            "/bucket/key?partNumber=1&uploadId=u",
            &[("x-amz-copy-source", "/src/k")],
            "UploadPartCopy",
        ),
        ("GET", "/bucket/key", &[], "GetObject"),
        ("GET", "/bucket/key?versionId=v1", &[], "GetObject"),
        ("GET", "/bucket/key?uploadId=u", &[], "ListParts"),
        ("HEAD", "/bucket/key", &[], "HeadObject"),
        ("DELETE", "/bucket/key", &[], "DeleteObject"),
        ("DELETE", "/bucket/key?uploadId=u", &[], "AbortMultipartUpload"),
        ("POST", "/bucket/key?uploads", &[], "CreateMultipartUpload"),
        ("POST", "/bucket/key?uploadId=u", &[], "CompleteMultipartUpload"),
        ("POST", "/bucket/key?restore", &[], "RestoreObject"),
        (
            "POST",
            "/bucket/key?select&select-type=2",
            &[],
            "SelectObjectContent",
        ),
        ("GET", "/bucket/key?tagging", &[], "GetObjectTagging"),
        ("PUT", "/bucket/key?tagging", &[], "PutObjectTagging"),
        ("GET", "/bucket/key?acl", &[], "GetObjectAcl"),
        ("GET", "/bucket/key?attributes", &[], "GetObjectAttributes"),
        ("PUT", "/bucket/key?retention", &[], "PutObjectRetention"),
        ("PUT", "/bucket?encryption", &[], "PutBucketEncryption"),
        ("PUT", "/bucket/key?encryption", &[], "UpdateObjectEncryption"),
        // Unsupported methods get S3's own answer.
        ("PATCH", "/bucket/key", &[], "error MethodNotAllowed"),
        ("POST", "/", &[], "error MethodNotAllowed"),
    ];
    for (method, uri, headers, expected) in table {
        let req = request(method, uri, headers, b"");
        assert_eq!(operation_name(s3, &req), *expected, "{method} {uri} {headers:?}");
    }
}

#[test]
fn s3_method_not_allowed_names_the_resource() {
    let s3 = models::get("s3").expect("s3 model");
    let error = identify(s3, &request("PATCH", "/bucket/a/b", &[], b"")).expect_err("no PATCH in S3");
    assert_eq!(error.status, 405);
    assert_eq!(error.fields.get("Method"), Some(&Value::from("PATCH")));
    assert_eq!(error.fields.get("ResourceType"), Some(&Value::from("OBJECT")));
    let error = identify(s3, &request("POST", "/bucket", &[], b"")).expect_err("no POST /bucket");
    assert_eq!(error.fields.get("ResourceType"), Some(&Value::from("BUCKET")));
}

#[test]
fn routes_lambda_and_route53_requests() {
    let lambda = models::get("lambda").expect("lambda model");
    let table: &[(&str, &str, &str)] = &[
        ("GET", "/2015-03-31/functions/", "ListFunctions"),
        ("GET", "/2015-03-31/functions", "ListFunctions"),
        ("POST", "/2015-03-31/functions", "CreateFunction"),
        ("GET", "/2015-03-31/functions/my-fn", "GetFunction"),
        ("DELETE", "/2015-03-31/functions/my-fn", "DeleteFunction"),
        (
            "GET",
            "/2015-03-31/functions/my-fn/configuration",
            "GetFunctionConfiguration",
        ),
        ("PUT", "/2015-03-31/functions/my-fn/code", "UpdateFunctionCode"),
        (
            "POST",
            "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Amy-fn/invocations",
            "Invoke",
        ),
        ("GET", "/2018-10-31/layers", "ListLayers"),
        (
            "GET",
            "/2018-10-31/layers?find=LayerVersion&Arn=x",
            "GetLayerVersionByArn",
        ),
        (
            "GET",
            "/2015-03-31/functions/my-fn/nope",
            "error UnknownOperationException",
        ),
    ];
    for (method, uri, expected) in table {
        let req = request(method, uri, &[], b"");
        assert_eq!(operation_name(lambda, &req), *expected, "{method} {uri}");
    }
    let route53 = models::get("route53").expect("route53 model");
    let req = request("GET", "/2013-04-01/hostedzone/Z123", &[], b"");
    assert_eq!(operation_name(route53, &req), "GetHostedZone");
}

fn decode_request(model: &ServiceModel, format: BodyFormat, req: &HttpRequest) -> Result<Value, AwsError> {
    let operation = identify(model, req)?;
    decode(format, model, operation, req)
}

#[test]
fn decodes_s3_put_object_bindings() {
    let s3 = models::get("s3").expect("s3 model");
    let req = request(
        "PUT",
        "/bucket/dir/a%20b+c%2Fd%C3%A9",
        &[
            ("Content-MD5", "iB0/3YSo7maijL0IGOgA9g=="),
            ("x-amz-checksum-crc32", "AAAAAA=="),
            ("Content-Type", "text/plain"),
            ("Content-Length", "5"),
            ("x-amz-meta-Color", "blue"),
            ("x-amz-meta-size", "L"),
            ("x-amz-object-lock-retain-until-date", "2030-01-02T03:04:05Z"),
            ("x-amz-server-side-encryption-bucket-key-enabled", "true"),
        ],
        b"hello",
    );
    let value = decode_request(s3, BodyFormat::Xml, &req).expect("decodes");
    assert_eq!(value.get("Bucket"), Some(&Value::from("bucket")));
    assert_eq!(value.get("Key"), Some(&Value::from("dir/a b+c/dé")));
    assert_eq!(
        value.get("ContentMD5"),
        Some(&Value::from("iB0/3YSo7maijL0IGOgA9g=="))
    );
    assert_eq!(value.get("ChecksumCRC32"), Some(&Value::from("AAAAAA==")));
    assert_eq!(value.get("ContentLength"), Some(&Value::Integer(5)));
    assert_eq!(value.get("BucketKeyEnabled"), Some(&Value::Boolean(true)));
    assert_eq!(
        value.get("ObjectLockRetainUntilDate"),
        Some(&Value::Timestamp(Timestamp {
            seconds: 1_893_553_445,
            nanos: 0
        }))
    );
    assert_eq!(
        value.get("Body"),
        Some(&Value::Blob(Bytes::from_static(b"hello")))
    );
    let metadata = value.get("Metadata").expect("metadata");
    assert_eq!(metadata.get("color"), Some(&Value::from("blue")));
    assert_eq!(metadata.get("size"), Some(&Value::from("L")));
}

#[test]
fn decodes_s3_query_members_and_rejects_bad_numbers() {
    let s3 = models::get("s3").expect("s3 model");
    let req = request(
        "GET",
        "/bucket?list-type=2&prefix=a%2Fb&max-keys=10&fetch-owner=true",
        &[],
        b"",
    );
    let value = decode_request(s3, BodyFormat::Xml, &req).expect("decodes");
    assert_eq!(value.get("Prefix"), Some(&Value::from("a/b")));
    assert_eq!(value.get("MaxKeys"), Some(&Value::Integer(10)));
    assert_eq!(value.get("FetchOwner"), Some(&Value::Boolean(true)));
    assert_eq!(value.get("Delimiter"), None);

    let req = request("GET", "/bucket?list-type=2&max-keys=ten", &[], b"");
    let error = decode_request(s3, BodyFormat::Xml, &req).expect_err("max-keys is a number");
    assert_eq!((error.code.as_ref(), error.status), ("InvalidArgument", 400));
    assert_eq!(error.fields.get("ArgumentName"), Some(&Value::from("max-keys")));
}

#[test]
fn decodes_s3_upload_part_with_empty_body() {
    let s3 = models::get("s3").expect("s3 model");
    let req = request("PUT", "/bucket/key?partNumber=3&uploadId=abc%2B1", &[], b"");
    let value = decode_request(s3, BodyFormat::Xml, &req).expect("decodes");
    assert_eq!(value.get("PartNumber"), Some(&Value::Integer(3)));
    assert_eq!(value.get("UploadId"), Some(&Value::from("abc+1")));
    assert_eq!(value.get("Body"), None);
}

/// A tiny rest-json model exercising the bindings the vendored models do not.
fn bindings_model() -> ServiceModel {
    ServiceModel::from_json(
        &serde_json::json!({
            "metadata": {"protocol": "rest-json", "endpointPrefix": "test"},
            "operations": {
                "Op": {
                    "name": "Op",
                    "http": {"method": "POST", "requestUri": "/things/{Id}?mode=fast", "responseCode": 201},
                    "input": {"shape": "OpInput"},
                    "output": {"shape": "OpOutput"}
                }
            },
            "shapes": {
                "OpInput": {"type": "structure", "members": {
                    "Id": {"shape": "Integer", "location": "uri", "locationName": "Id"},
                    "Names": {"shape": "StringList", "location": "querystring", "locationName": "name"},
                    "Since": {"shape": "Timestamp", "location": "querystring", "locationName": "since"},
                    "Rest": {"shape": "StringListMap", "location": "querystring"},
                    "Tags": {"shape": "StringList", "location": "header", "locationName": "X-Tags"},
                    "Dates": {"shape": "TimestampList", "location": "header", "locationName": "X-Dates"},
                    "Doc": {"shape": "String", "location": "header", "locationName": "X-Doc", "jsonvalue": true},
                    "Ratio": {"shape": "Double", "location": "header", "locationName": "X-Ratio"}
                }},
                "OpOutput": {"type": "structure", "members": {
                    "Tags": {"shape": "StringList", "location": "header", "locationName": "X-Tags"},
                    "When": {"shape": "Timestamp", "location": "header", "locationName": "X-When"},
                    "Meta": {"shape": "StringMap", "location": "headers", "locationName": "X-Meta-"},
                    "Code": {"shape": "Integer", "location": "statusCode"},
                    "Doc": {"shape": "String", "location": "header", "locationName": "X-Doc", "jsonvalue": true}
                }},
                "String": {"type": "string"},
                "Integer": {"type": "integer"},
                "Double": {"type": "double"},
                "Timestamp": {"type": "timestamp"},
                "StringList": {"type": "list", "member": {"shape": "String"}},
                "TimestampList": {"type": "list", "member": {"shape": "Timestamp"}},
                "StringMap": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "String"}},
                "StringListMap": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "StringList"}}
            }
        })
        .to_string(),
    )
    .expect("model")
}

#[test]
fn decodes_query_lists_maps_and_header_lists() {
    let model = bindings_model();
    let req = request(
        "POST",
        "/things/42?mode=fast&name=a&name=b%20c&since=2019-12-16T23%3A48%3A18Z&x=1&x=2&y=3",
        &[
            ("X-Tags", r#"a, "b,c", "\"d\"""#),
            (
                "X-Dates",
                "Mon, 16 Dec 2019 23:48:18 GMT, Mon, 16 Dec 2019 23:48:18 GMT",
            ),
            ("X-Doc", "eyJhIjoxfQ=="),
            ("X-Ratio", "-Infinity"),
        ],
        b"",
    );
    let value = decode_request(&model, BodyFormat::Json, &req).expect("decodes");
    let since = Timestamp {
        seconds: 1_576_540_098,
        nanos: 0,
    };
    let expected = structure! {
        "Id" => Value::Integer(42),
        "Names" => Value::List(vec!["a".into(), "b c".into()]),
        "Since" => since,
        "Rest" => Value::Map([
            ("x".to_owned(), Value::List(vec!["1".into(), "2".into()])),
            ("y".to_owned(), Value::List(vec!["3".into()])),
        ].into_iter().collect()),
        "Tags" => Value::List(vec!["a".into(), "b,c".into(), "\"d\"".into()]),
        "Dates" => Value::List(vec![since.into(), since.into()]),
        "Doc" => "{\"a\":1}",
        "Ratio" => Value::Float(f64::NEG_INFINITY),
    };
    assert_eq!(value, expected);

    let req = request("POST", "/things/abc?mode=fast", &[], b"");
    let error = decode_request(&model, BodyFormat::Json, &req).expect_err("Id is an integer");
    assert_eq!(
        (error.code.as_ref(), error.status),
        ("SerializationException", 400)
    );
    let req = request("POST", "/things/1", &[], b"");
    assert_eq!(operation_name(&model, &req), "error UnknownOperationException");
}

#[test]
fn encodes_bound_response_members() {
    let model = bindings_model();
    let operation = model.operation("Op").expect("op");
    let when = Timestamp {
        seconds: 1_576_540_098,
        nanos: 0,
    };
    let output = structure! {
        "Tags" => Value::List(vec!["a".into(), "b,c".into()]),
        "When" => when,
        "Meta" => Value::Map([("color".to_owned(), Value::from("blue"))].into_iter().collect()),
        "Doc" => "true",
    };
    let response = encode_response(BodyFormat::Json, &model, operation, &output, "req-1");
    assert_eq!(response.status, 201);
    let header = |name: &str| response.headers.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(header("x-amzn-requestid"), Some("req-1"));
    assert_eq!(header("x-tags"), Some(r#"a, "b,c""#));
    assert_eq!(header("x-when"), Some("Mon, 16 Dec 2019 23:48:18 GMT"));
    assert_eq!(header("x-meta-color"), Some("blue"));
    assert_eq!(header("x-doc"), Some("dHJ1ZQ=="));
    assert!(response.body.is_empty(), "no body members, no body");

    let output = structure! { "Code" => Value::Integer(202) };
    let response = encode_response(BodyFormat::Json, &model, operation, &output, "req-1");
    assert_eq!(response.status, 202);
}

#[test]
fn encodes_s3_head_object_headers() {
    let s3 = models::get("s3").expect("s3 model");
    let operation = s3.operation("HeadObject").expect("HeadObject");
    let output = structure! {
        "ContentLength" => Value::Integer(5),
        "ContentType" => "text/plain",
        "ETag" => "\"abc\"",
        "LastModified" => Timestamp { seconds: 1_398_796_238, nanos: 0 },
        "Metadata" => Value::Map([("color".to_owned(), Value::from("blue"))].into_iter().collect()),
    };
    let response = encode_response(BodyFormat::Xml, s3, operation, &output, "RID");
    let header = |name: &str| response.headers.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(response.status, 200);
    assert_eq!(header("content-length"), Some("5"));
    assert_eq!(header("content-type"), Some("text/plain"));
    assert_eq!(header("etag"), Some("\"abc\""));
    assert_eq!(header("last-modified"), Some("Tue, 29 Apr 2014 18:30:38 GMT"));
    assert_eq!(header("x-amz-meta-color"), Some("blue"));
    assert_eq!(header("x-amz-request-id"), Some("RID"));
    assert!(header("x-amz-id-2").is_some());
    assert!(response.body.is_empty());

    let delete = s3.operation("DeleteObject").expect("DeleteObject");
    let response = encode_response(BodyFormat::Xml, s3, delete, &Value::empty(), "RID");
    assert_eq!(response.status, 204);
}

#[test]
fn header_members_are_written_in_any_order() {
    let s3 = models::get("s3").expect("s3 model");
    let operation = s3.operation("HeadObject").expect("HeadObject");
    let members = [
        ("ContentType", Value::from("text/plain")),
        ("AcceptRanges", Value::from("bytes")),
        ("NotAMember", Value::from("ignored")),
        ("ETag", Value::from("\"abc\"")),
        ("ContentLength", Value::Integer(5)),
        ("VersionId", Value::from("v1")),
    ];
    // Model order, reversed, and every rotation: the same headers each time.
    let mut orders = vec![members.to_vec(), members.iter().rev().cloned().collect()];
    for shift in 1..members.len() {
        let mut rotated = members.to_vec();
        rotated.rotate_left(shift);
        orders.push(rotated);
    }
    for order in orders {
        let output = Value::Structure(order.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
        let response = encode_response(BodyFormat::Xml, s3, operation, &output, "RID");
        let header = |name: &str| response.headers.get(name).and_then(|v| v.to_str().ok());
        assert_eq!(header("content-type"), Some("text/plain"));
        assert_eq!(header("accept-ranges"), Some("bytes"));
        assert_eq!(header("etag"), Some("\"abc\""));
        assert_eq!(header("content-length"), Some("5"));
        assert_eq!(header("x-amz-version-id"), Some("v1"));
        assert_eq!(header("notamember"), None);
    }
}

#[test]
fn encodes_s3_get_object_payload() {
    let s3 = models::get("s3").expect("s3 model");
    let operation = s3.operation("GetObject").expect("GetObject");
    let output = structure! { "Body" => Value::Blob(Bytes::from_static(b"hello")) };
    let response = encode_response(BodyFormat::Xml, s3, operation, &output, "RID");
    assert_eq!(response.body, Bytes::from_static(b"hello"));
    let output = structure! {
        "Body" => Value::Blob(Bytes::from_static(b"{}")),
        "ContentType" => "application/json",
    };
    let response = encode_response(BodyFormat::Xml, s3, operation, &output, "RID");
    let content_type = response.headers.get("content-type").and_then(|v| v.to_str().ok());
    assert_eq!(content_type, Some("application/json"));
}

#[test]
fn encodes_s3_errors_without_a_wrapper() {
    let s3 = models::get("s3").expect("s3 model");
    let operation = s3.operation("GetObject");
    let error = AwsError::new("NoSuchKey", "The specified key does not exist.", 404).with_field("Key", "a&b");
    let response = encode_error(BodyFormat::Xml, s3, operation, &error, "RID");
    assert_eq!(response.status, 404);
    let body = String::from_utf8_lossy(&response.body).into_owned();
    assert!(
        body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"),
        "{body}"
    );
    assert!(
        body.contains("<Message>The specified key does not exist.</Message><Key>a&amp;b</Key>"),
        "{body}"
    );
    assert!(body.contains("<RequestId>RID</RequestId><HostId>"), "{body}");
    assert!(body.ends_with("</Error>"), "{body}");
    let header = |name: &str| response.headers.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(header("content-type"), Some("application/xml"));
    assert_eq!(header("x-amz-request-id"), Some("RID"));
}

#[test]
fn encodes_route53_errors_in_an_error_response() {
    let route53 = models::get("route53").expect("route53 model");
    let operation = route53.operation("GetHostedZone");
    let error = AwsError::new("NoSuchHostedZone", "No hosted zone found with ID: Z1", 404);
    let response = encode_error(BodyFormat::Xml, route53, operation, &error, "RID");
    let body = String::from_utf8_lossy(&response.body).into_owned();
    assert!(
        body.contains(
            "<ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Error><Type>Sender</Type>\
             <Code>NoSuchHostedZone</Code><Message>No hosted zone found with ID: Z1</Message></Error>\
             <RequestId>RID</RequestId></ErrorResponse>"
        ),
        "{body}"
    );
    assert_eq!(
        response
            .headers
            .get("x-amzn-requestid")
            .and_then(|v| v.to_str().ok()),
        Some("RID")
    );
}

#[test]
fn encodes_rest_json_errors() {
    let lambda = models::get("lambda").expect("lambda model");
    let operation = lambda.operation("GetFunction");
    let error = AwsError::new("ResourceNotFoundException", "Function not found: f", 404);
    let response = encode_error(BodyFormat::Json, lambda, operation, &error, "RID");
    assert_eq!(response.status, 404);
    let header = |name: &str| response.headers.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(header("x-amzn-errortype"), Some("ResourceNotFoundException"));
    assert_eq!(header("x-amzn-requestid"), Some("RID"));
    assert_eq!(header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&response.body).expect("json body");
    let message = body
        .as_object()
        .and_then(|object| object.iter().find(|(key, _)| key.eq_ignore_ascii_case("message")))
        .map(|(_, value)| value.clone());
    assert_eq!(message, Some(serde_json::json!("Function not found: f")));

    let error = AwsError::new("SomethingUnmodeled", "boom", 400).with_field("Reason", "x");
    let response = encode_error(BodyFormat::Json, lambda, None, &error, "RID");
    let body: serde_json::Value = serde_json::from_slice(&response.body).expect("json body");
    assert_eq!(body, serde_json::json!({"Reason": "x", "message": "boom"}));
}

#[test]
fn writes_a_root_that_is_its_one_scalar_member_as_text() {
    // S3's GetBucketLocation, with the output's root named as S3 names it.
    let model = ServiceModel::from_json(
        &serde_json::json!({
            "metadata": {"protocol": "rest-xml", "endpointPrefix": "s3"},
            "operations": {"GetBucketLocation": {
                "name": "GetBucketLocation",
                "http": {"method": "GET", "requestUri": "/{Bucket}?location"},
                "output": {"shape": "GetBucketLocationOutput"}
            }},
            "shapes": {
                "GetBucketLocationOutput": {"type": "structure", "locationName": "LocationConstraint",
                    "members": {"LocationConstraint": {"shape": "String"}}},
                "String": {"type": "string"}
            }
        })
        .to_string(),
    )
    .expect("model");
    let operation = model.operation("GetBucketLocation").expect("op");
    let output = structure! { "LocationConstraint" => "eu-west-1" };
    let response = encode_response(BodyFormat::Xml, &model, operation, &output, "RID");
    assert_eq!(
        String::from_utf8_lossy(&response.body),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint>eu-west-1</LocationConstraint>"
    );
    let response = encode_response(BodyFormat::Xml, &model, operation, &Value::empty(), "RID");
    assert!(String::from_utf8_lossy(&response.body).ends_with("<LocationConstraint/>"));
}

#[test]
fn streaming_payloads_pass_through_as_streams() {
    let s3 = models::get("s3").expect("s3 model");
    let put = s3.operation("PutObject").expect("PutObject");
    let get = s3.operation("GetObject").expect("GetObject");
    assert_eq!(Protocol::RestXml.streaming_input_member(s3, put), Some("Body"));
    assert_eq!(
        Protocol::RestXml.streaming_input_member(s3, get),
        None,
        "GetObject's input has no payload"
    );
    let create = s3.operation("CreateBucket").expect("CreateBucket");
    assert_eq!(
        Protocol::RestXml.streaming_input_member(s3, create),
        None,
        "a structure payload is not a stream"
    );

    // The request: every bound member as usual, the body as the stream.
    let req = request("PUT", "/b/k", &[("content-type", "text/plain")], b"");
    let body = nimbus_core::ByteStream::from_bytes(Bytes::from_static(b"hello"));
    let input = Protocol::RestXml
        .decode_streaming_request(s3, put, &req, body.clone())
        .expect("decodes");
    assert_eq!(input.get("Key"), Some(&Value::from("k")));
    assert_eq!(input.get("ContentType"), Some(&Value::from("text/plain")));
    assert_eq!(input.get("Body"), Some(&Value::Stream(body)));

    // The response: the stream beside the headers, no buffered body.
    let (_sender, stream) = nimbus_core::ByteStream::channel(Some(6), 1);
    let mut output = structure! { "ContentLength" => 6i64 };
    if let Value::Structure(members) = &mut output {
        members.insert("Body".into(), Value::Stream(stream.clone()));
    }
    let response = encode_response(BodyFormat::Xml, s3, get, &output, "req-1");
    assert_eq!(response.stream, Some(stream));
    assert!(response.body.is_empty());
    assert_eq!(
        response.headers.get("content-length").map(|v| v.as_bytes()),
        Some(&b"6"[..])
    );

    // A payload already in memory is written as the body.
    let in_memory = nimbus_core::ByteStream::from_bytes(Bytes::from_static(b"object"));
    if let Value::Structure(members) = &mut output {
        members.insert("Body".into(), Value::Stream(in_memory));
    }
    let response = encode_response(BodyFormat::Xml, s3, get, &output, "req-1");
    assert_eq!(response.stream, None);
    assert_eq!(response.body, Bytes::from_static(b"object"));
}
