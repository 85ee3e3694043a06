use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use nimbus_core::{Timestamp, structure};

use super::*;
use crate::models;
use serde_json::Value as Json;

type ServiceModel = Model;

fn decode(model: &Model, operation: &Operation, request: &HttpRequest) -> Result<Value, AwsError> {
    Protocol::Json11.decode_request(model, operation, request)
}

fn protocol_of(version: &str) -> Protocol {
    if version == "1.0" {
        Protocol::Json10
    } else {
        Protocol::Json11
    }
}

fn encode_response(
    version: &str,
    model: &Model,
    operation: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    protocol_of(version).encode_response(model, operation, output, request_id)
}

fn encode_error(version: &str, model: &Model, error: &AwsError, request_id: &str) -> HttpResponse {
    super::encode_error(protocol_of(version), model, error, request_id)
}

const MODEL: &str = r#"{
  "metadata": {"protocol": "json", "jsonVersion": "1.1", "targetPrefix": "com.amazonaws.foo",
               "endpointPrefix": "foo", "awsQueryCompatible": {}},
  "operations": {
    "Put": {"name": "Put", "http": {"method": "POST", "requestUri": "/"},
            "input": {"shape": "PutInput"}, "output": {"shape": "PutOutput"}},
    "Ping": {"name": "Ping", "http": {"method": "POST", "requestUri": "/"}}
  },
  "shapes": {
    "PutInput": {"type": "structure", "required": ["Name"], "members": {
      "Name": {"shape": "Name"},
      "Renamed": {"shape": "Str", "locationName": "wire"},
      "Count": {"shape": "Int"}, "Big": {"shape": "Long"}, "Ratio": {"shape": "Double"},
      "Data": {"shape": "Data"}, "When": {"shape": "When"}, "Iso": {"shape": "Iso"},
      "Sparse": {"shape": "SparseList"}, "Dense": {"shape": "DenseList"}, "Tags": {"shape": "Tags"},
      "Choice": {"shape": "Choice"}, "Doc": {"shape": "Doc"}, "Flag": {"shape": "Bool"}}},
    "PutOutput": {"type": "structure", "members": {
      "When": {"shape": "When"}, "Iso": {"shape": "Iso"}, "Data": {"shape": "Data"},
      "Ratio": {"shape": "Double"}, "Renamed": {"shape": "Str", "locationName": "wire"}}},
    "Name": {"type": "string", "min": 1},
    "Str": {"type": "string"},
    "Int": {"type": "integer"},
    "Long": {"type": "long"},
    "Double": {"type": "double"},
    "Bool": {"type": "boolean"},
    "Data": {"type": "blob"},
    "When": {"type": "timestamp"},
    "Iso": {"type": "timestamp", "timestampFormat": "iso8601"},
    "SparseList": {"type": "list", "member": {"shape": "Str"}, "sparse": true},
    "DenseList": {"type": "list", "member": {"shape": "Str"}},
    "Tags": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Str"}},
    "Choice": {"type": "structure", "union": true, "members": {"A": {"shape": "Str"}, "B": {"shape": "Int"}}},
    "Doc": {"type": "structure", "document": true, "members": {}},
    "Broken": {"type": "structure", "exception": true, "members": {"Message": {"shape": "Str"}, "Detail": {"shape": "When"}},
               "error": {"code": "Legacy.Broken", "httpStatusCode": 409, "senderFault": true}}
  }
}"#;

fn model() -> ServiceModel {
    ServiceModel::from_json(MODEL).expect("test model")
}

fn request(target: Option<&str>, body: &str) -> HttpRequest {
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    if let Some(target) = target {
        headers.insert("x-amz-target", HeaderValue::from_str(target).expect("header"));
    }
    HttpRequest {
        method: Method::POST,
        path: "/".to_owned(),
        query: String::new(),
        headers,
        body: Bytes::from(body.to_owned()),
    }
}

fn decode_put(body: &str) -> Result<Value, AwsError> {
    let model = model();
    let operation = model.operation("Put").expect("Put");
    decode(&model, operation, &request(Some("com.amazonaws.foo.Put"), body))
}

fn header<'a>(response: &'a HttpResponse, name: &str) -> Option<&'a str> {
    response.headers.get(name).and_then(|v| v.to_str().ok())
}

fn body_json(response: &HttpResponse) -> Json {
    serde_json::from_slice(&response.body).expect("json body")
}

#[test]
fn identifies_the_operation_from_the_target_even_with_a_dotted_prefix() {
    let model = model();
    let operation = identify(&model, &request(Some("com.amazonaws.foo.Put"), "{}")).expect("known");
    assert_eq!(operation.name, "Put");
}

#[test]
fn unknown_missing_and_foreign_targets_are_400s() {
    let model = model();
    for target in [
        Some("com.amazonaws.foo.Nope"),
        None,
        Some("DynamoDB_20120810.Put"),
    ] {
        let error = identify(&model, &request(target, "{}")).expect_err("rejected");
        assert_eq!(error.code, "UnknownOperationException");
        assert_eq!(error.status, 400);
    }
    assert_eq!(
        split_target("DynamoDB_20120810.GetItem"),
        Some(("DynamoDB_20120810", "GetItem"))
    );
}

#[test]
fn decodes_every_kind_of_member() {
    let value = decode_put(
        r#"{"Name": "n", "wire": "renamed", "Count": 5, "Big": 9007199254740993, "Ratio": "NaN",
            "Data": "aGkh", "When": 1398796238.123, "Iso": "2014-04-29T18:30:38Z",
            "Sparse": ["a", null], "Dense": ["a", null], "Tags": {"k": "v"},
            "Choice": {"__type": "x#Choice", "A": "a"}, "Doc": {"free": [1, "form"]}, "Flag": null}"#,
    )
    .expect("decodes");
    assert_eq!(value.get("Renamed"), Some(&Value::from("renamed")));
    assert_eq!(value.get("Count"), Some(&Value::Integer(5)));
    assert_eq!(value.get("Big"), Some(&Value::Integer(9_007_199_254_740_993)));
    assert!(matches!(value.get("Ratio"), Some(Value::Float(f)) if f.is_nan()));
    assert_eq!(value.get("Data"), Some(&Value::Blob(Bytes::from_static(b"hi!"))));
    assert_eq!(
        value.get("When"),
        Some(&Value::Timestamp(Timestamp {
            seconds: 1_398_796_238,
            nanos: 123_000_000
        }))
    );
    assert_eq!(
        value.get("Iso"),
        Some(&Value::Timestamp(Timestamp {
            seconds: 1_398_796_238,
            nanos: 0
        }))
    );
    assert_eq!(
        value.get("Sparse"),
        Some(&Value::List(vec!["a".into(), Value::Null]))
    );
    assert_eq!(value.get("Dense"), Some(&Value::List(vec!["a".into()])));
    assert_eq!(value.get("Choice"), Some(&structure! {"A" => "a"}));
    assert_eq!(
        value.get("Doc"),
        Some(&Value::Document(serde_json::json!({"free": [1, "form"]})))
    );
    assert_eq!(value.get("Flag"), None);
}

#[test]
fn doubles_decode_exactly() {
    let value = decode_put(r#"{"Name": "n", "Ratio": 123456789.12345679}"#).expect("decodes");
    assert_eq!(value.get("Ratio"), Some(&Value::Float(123_456_789.123_456_79)));
}

#[test]
fn an_empty_body_is_an_empty_structure_then_validated() {
    let error = decode_put("").expect_err("Name is required");
    assert_eq!(
        error.code, "ValidationError",
        "query-compatible services keep the query code"
    );
    assert_eq!(
        error.message,
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"
    );
    let model = model();
    let ping = model.operation("Ping").expect("Ping");
    assert_eq!(
        decode(&model, ping, &request(Some("com.amazonaws.foo.Ping"), "")),
        Ok(Value::empty())
    );
}

#[test]
fn malformed_and_mistyped_bodies_are_serialization_exceptions() {
    let cases = [
        (r#"{"Name": "#, "Malformed JSON request body"),
        (r#"["Name"]"#, "must be a JSON object"),
        (r#"{"Name": 5}"#, "NUMBER_VALUE can not be converted to a String"),
        (
            r#"{"Name": "n", "Count": "5"}"#,
            "STRING_VALUE can not be converted to an Integer",
        ),
        (
            r#"{"Name": "n", "Count": 2147483648}"#,
            "out of range for an Integer",
        ),
        (
            r#"{"Name": "n", "Count": 1.5}"#,
            "can not be converted to an Integer",
        ),
        (
            r#"{"Name": "n", "Tags": []}"#,
            "Start of list found where not expected",
        ),
        (
            r#"{"Name": {}}"#,
            "Start of structure or map found where not expected.",
        ),
        (r#"{"Name": "n", "Data": "not base64!"}"#, "not valid base64"),
        (
            r#"{"Name": "n", "Ratio": "lots"}"#,
            "STRING_VALUE can not be converted to a Double",
        ),
        (r#"{"Name": "n", "When": "yesterday"}"#, "Invalid timestamp"),
        (
            r#"{"Name": "n", "Choice": {"A": "a", "B": 1}}"#,
            "exactly one member",
        ),
    ];
    for (body, expected) in cases {
        let error = decode_put(body).expect_err(body);
        assert_eq!(error.code, "SerializationException", "{body}");
        assert_eq!(error.status, 400);
        assert!(error.message.contains(expected), "{body}: {}", error.message);
    }
}

#[test]
fn hostile_nesting_is_refused_without_overflowing() {
    let deep = format!(
        "{{\"Name\": \"n\", \"Doc\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let error = decode_put(&deep).expect_err("too deep");
    assert_eq!(error.code, "SerializationException");
}

#[test]
fn encodes_output_per_shape_with_fractional_timestamps_and_base64() {
    let model = model();
    let operation = model.operation("Put").expect("Put");
    let output = structure! {
        "When" => Timestamp { seconds: 946_845_296, nanos: 123_000_000 },
        "Iso" => Timestamp { seconds: 946_845_296, nanos: 0 },
        "Data" => Value::Blob(Bytes::from_static(b"foo")),
        "Ratio" => Value::Float(f64::NEG_INFINITY),
        "Renamed" => "r",
        "NotInShape" => "ignored",
    };
    let response = encode_response("1.1", &model, operation, &output, "req-1");
    assert_eq!(response.status, 200);
    assert_eq!(
        header(&response, "content-type"),
        Some("application/x-amz-json-1.1")
    );
    assert_eq!(header(&response, "x-amzn-requestid"), Some("req-1"));
    assert_eq!(header(&response, "x-amz-crc32"), None);
    assert_eq!(
        std::str::from_utf8(&response.body).expect("utf8"),
        r#"{"When":946845296.123,"Iso":"2000-01-02T20:34:56Z","Data":"Zm9v","Ratio":"-Infinity","wire":"r"}"#
    );
    let whole = structure! {"When" => Timestamp { seconds: 946_845_296, nanos: 0 }};
    let response = encode_response("1.1", &model, operation, &whole, "req-1");
    assert_eq!(&response.body[..], br#"{"When":946845296}"#);
}

#[test]
fn dynamodb_responses_carry_the_body_crc32() {
    let dynamodb = models::get("dynamodb").expect("dynamodb");
    let operation = dynamodb.operation("ListTables").expect("ListTables");
    let output = structure! {"TableNames" => Value::List(vec!["a".into()])};
    let response = encode_response("1.0", dynamodb, operation, &output, "r");
    let crc = crc32fast::hash(&response.body).to_string();
    assert_eq!(header(&response, "x-amz-crc32"), Some(crc.as_str()));
}

#[test]
fn dynamodb_errors_name_namespaced_types() {
    let dynamodb = models::get("dynamodb").expect("dynamodb");
    let error = AwsError::new("ResourceNotFoundException", "Requested resource not found", 400);
    let response = encode_error("1.0", dynamodb, &error, "r");
    assert_eq!(response.status, 400);
    assert_eq!(
        body_json(&response),
        serde_json::json!({
            "__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
            "message": "Requested resource not found"
        })
    );
    assert_eq!(
        header(&response, "x-amzn-errortype"),
        Some("ResourceNotFoundException")
    );
    assert!(header(&response, "x-amz-crc32").is_some());
    assert!(header(&response, "x-amzn-query-error").is_none());

    let validation = AwsError::new("ValidationException", "1 validation error detected: ...", 400);
    let body = body_json(&encode_error("1.0", dynamodb, &validation, "r"));
    assert_eq!(body["__type"], "com.amazon.coral.validate#ValidationException");
}

#[test]
fn other_services_use_bare_types_and_their_own_message_key() {
    let secrets = models::get("secretsmanager").expect("secretsmanager");
    let error = AwsError::new(
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret.",
        400,
    );
    let body = body_json(&encode_error("1.1", secrets, &error, "r"));
    assert_eq!(
        body,
        serde_json::json!({
            "__type": "ResourceNotFoundException",
            "Message": "Secrets Manager can't find the specified secret."
        })
    );
}

#[test]
fn query_compatible_errors_carry_the_query_code_and_fields() {
    let model = model();
    let error =
        AwsError::new("Broken", "it broke", 409).with_field("Detail", Timestamp { seconds: 5, nanos: 0 });
    let response = encode_error("1.1", &model, &error, "r");
    assert_eq!(response.status, 409);
    assert_eq!(
        header(&response, "x-amzn-query-error"),
        Some("Legacy.Broken;Sender")
    );
    assert_eq!(
        body_json(&response),
        serde_json::json!({"__type": "Broken", "Message": "it broke", "Detail": 5})
    );
    // The query code names the same modeled error.
    let by_query_code = AwsError::new("Legacy.Broken", "it broke", 409);
    let response = encode_error("1.1", &model, &by_query_code, "r");
    assert_eq!(body_json(&response)["__type"], "Broken");
    // An unmodeled error keeps its own code in the header.
    let unmodeled = AwsError::new("InternalFailure", "oops", 500);
    let response = encode_error("1.1", &model, &unmodeled, "r");
    assert_eq!(
        header(&response, "x-amzn-query-error"),
        Some("InternalFailure;Receiver")
    );
}

#[test]
fn sqs_errors_map_to_their_query_codes() {
    let sqs = models::get("sqs").expect("sqs");
    let error = AwsError::new("QueueDoesNotExist", "The specified queue does not exist.", 400);
    let response = encode_error("1.0", sqs, &error, "r");
    assert_eq!(
        body_json(&response)["__type"],
        "com.amazonaws.sqs#QueueDoesNotExist"
    );
    assert_eq!(
        header(&response, "x-amzn-query-error"),
        Some("AWS.SimpleQueueService.NonExistentQueue;Sender")
    );
}

/// DynamoDB items are written as DynamoDB JSON, absent members and nulls
/// left out, strings escaped as serde_json escapes them.
#[test]
fn writes_dynamodb_items_exactly() {
    let dynamodb = models::get("dynamodb").expect("dynamodb");
    let attribute =
        |kind: &str, value: Value| Value::Structure([(kind.to_owned(), value)].into_iter().collect());
    let item = Value::Map(
        [
            (
                "s".to_owned(),
                attribute("S", "quote \" slash \\ tab \t é \u{1}".into()),
            ),
            (
                "b".to_owned(),
                attribute("B", Value::Blob(Bytes::from_static(b"\x00\xffbin"))),
            ),
            (
                "l".to_owned(),
                attribute("L", Value::List(vec![attribute("BOOL", Value::Boolean(false))])),
            ),
            ("gone".to_owned(), Value::Null),
        ]
        .into_iter()
        .collect(),
    );
    let query = structure! {
        "ScannedCount" => Value::Integer(2),
        "Items" => Value::List(vec![item]),
        "NotInShape" => "ignored",
        "Null" => Value::Null,
        "ConsumedCapacity" => structure! {"TableName" => "t", "CapacityUnits" => Value::Float(0.5)},
    };
    let operation = dynamodb.operation("Query").expect("Query");
    let response = encode_response("1.0", dynamodb, operation, &query, "r");
    assert_eq!(
        std::str::from_utf8(&response.body).expect("utf-8"),
        r#"{"ScannedCount":2,"Items":[{"s":{"S":"quote \" slash \\ tab \t é \u0001"},"b":{"B":"AP9iaW4="},"l":{"L":[{"BOOL":false}]}}],"ConsumedCapacity":{"TableName":"t","CapacityUnits":0.5}}"#
    );
}

/// A structure decoded into a value lists its members in the shape's
/// order, whatever order they came in.
#[test]
fn structure_members_decode_in_shape_order() {
    let dynamodb = models::get("dynamodb").expect("dynamodb");
    let shape = dynamodb.shape_named("AttributeValue").expect("AttributeValue");
    let decode = |body: &str| value_from_json(dynamodb, shape, body.as_bytes());
    let value = decode(r#"{"N": "5", "S": "x", "BOOL": null}"#).expect("decoded");
    let Value::Structure(members) = value else {
        panic!("not a structure: {value:?}");
    };
    assert_eq!(members.keys().collect::<Vec<_>>(), ["S", "N"]);
    // Read as they come: the first mistyped member on the wire is the one reported.
    let error = decode(r#"{"N": 5, "S": true}"#).expect_err("both mistyped");
    assert_eq!(error.message, "NUMBER_VALUE can not be converted to a String");
}
