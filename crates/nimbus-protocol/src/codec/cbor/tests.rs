use bytes::Bytes;
use http::{HeaderMap, Method};
use nimbus_core::{Timestamp, structure};

use super::*;
use crate::Protocol;
use crate::models;
use nimbus_core::Value;

type ServiceModel = Model;

fn decode(model: &Model, operation: &Operation, request: &HttpRequest) -> Result<Value, AwsError> {
    Protocol::Cbor.decode_request(model, operation, request)
}

fn encode_response(model: &Model, operation: &Operation, output: &Value, request_id: &str) -> HttpResponse {
    Protocol::Cbor.encode_response(model, operation, output, request_id)
}

const MODEL: &str = r#"{
  "metadata": {"protocol": "smithy-rpc-v2-cbor", "targetPrefix": "RpcV2Protocol", "endpointPrefix": "rpc"},
  "operations": {
    "Put": {"name": "Put", "http": {"method": "POST", "requestUri": "/"},
            "input": {"shape": "Scalars"}, "output": {"shape": "Scalars"}},
    "Ping": {"name": "Ping", "http": {"method": "POST", "requestUri": "/"}}
  },
  "shapes": {
    "Scalars": {"type": "structure", "members": {
      "text": {"shape": "Str"}, "int": {"shape": "Int"}, "double": {"shape": "Double"},
      "blob": {"shape": "Blob"}, "when": {"shape": "When"}, "list": {"shape": "List"},
      "flag": {"shape": "Bool"}, "short": {"shape": "Short"}}},
    "Str": {"type": "string"},
    "Int": {"type": "integer"},
    "Short": {"type": "short"},
    "Double": {"type": "double"},
    "Bool": {"type": "boolean"},
    "Blob": {"type": "blob"},
    "When": {"type": "timestamp"},
    "List": {"type": "list", "member": {"shape": "Str"}},
    "Oops": {"type": "structure", "exception": true, "members": {"Message": {"shape": "Str"}}}
  }
}"#;

fn model() -> ServiceModel {
    ServiceModel::from_json(MODEL).expect("test model")
}

fn request(path: &str, body: &[u8]) -> HttpRequest {
    HttpRequest {
        method: Method::POST,
        path: path.to_owned(),
        query: String::new(),
        headers: HeaderMap::new(),
        body: Bytes::copy_from_slice(body),
    }
}

fn decode_put(body: &[u8]) -> Result<Value, AwsError> {
    let model = model();
    let operation = model.operation("Put").expect("Put");
    decode(
        &model,
        operation,
        &request("/service/RpcV2Protocol/operation/Put", body),
    )
}

fn parse(bytes: &[u8]) -> Cbor {
    ciborium::de::from_reader(bytes).expect("cbor")
}

fn text(s: &str) -> Cbor {
    Cbor::Text(s.to_owned())
}

#[test]
fn identifies_service_and_operation_from_the_path() {
    let model = model();
    let ok = identify(&model, &request("/service/RpcV2Protocol/operation/Put", b""));
    assert_eq!(ok.map(|op| op.name.as_str()), Ok("Put"));
    let prefixed = identify(
        &model,
        &request("/custom/service/RpcV2Protocol/operation/Ping", b""),
    );
    assert_eq!(prefixed.map(|op| op.name.as_str()), Ok("Ping"));
    for path in [
        "/service/Other/operation/Put",
        "/service/RpcV2Protocol/operation/Nope",
        "/",
    ] {
        let error = identify(&model, &request(path, b"")).expect_err(path);
        assert_eq!(
            (error.code.as_ref(), error.status),
            ("UnknownOperationException", 404)
        );
    }
    let cloudwatch = models::get("cloudwatch").expect("cloudwatch");
    let path = "/service/GraniteServiceVersion20100801/operation/ListMetrics";
    assert!(identify(cloudwatch, &request(path, b"")).is_ok());
}

#[test]
fn decodes_indefinite_lengths_half_floats_and_tagged_timestamps() {
    // {_ "text": (_ "foo", "ba"), "list": [_ "a"], "double": 1.5 (half),
    //    "when": 1(1398796238.5), "blob": h'6869', "int": -2, "flag": true }
    let mut body = vec![0xbf];
    body.extend([
        0x64, b't', b'e', b'x', b't', 0x7f, 0x63, b'f', b'o', b'o', 0x62, b'b', b'a', 0xff,
    ]);
    body.extend([0x64, b'l', b'i', b's', b't', 0x9f, 0x61, b'a', 0xff]);
    body.extend([0x66, b'd', b'o', b'u', b'b', b'l', b'e', 0xf9, 0x3e, 0x00]);
    body.extend([0x64, b'w', b'h', b'e', b'n', 0xc1, 0xfb]);
    body.extend(1_398_796_238.5f64.to_be_bytes());
    body.extend([0x64, b'b', b'l', b'o', b'b', 0x42, b'h', b'i']);
    body.extend([0x63, b'i', b'n', b't', 0x21]);
    body.extend([
        0x64, b'f', b'l', b'a', b'g', 0xf5, 0x65, b'e', b'x', b't', b'r', b'a', 0xf6, 0xff,
    ]);
    let value = decode_put(&body).expect("decodes");
    assert_eq!(
        value,
        structure! {
            "text" => "fooba",
            "list" => Value::List(vec!["a".into()]),
            "double" => Value::Float(1.5),
            "when" => Timestamp { seconds: 1_398_796_238, nanos: 500_000_000 },
            "blob" => Value::Blob(Bytes::from_static(b"hi")),
            "int" => -2i64,
            "flag" => true,
        }
    );
}

#[test]
fn empty_bodies_and_empty_maps_are_empty_input() {
    assert_eq!(decode_put(b""), Ok(Value::empty()));
    assert_eq!(decode_put(&[0xbf, 0xff]), Ok(Value::empty()));
    assert_eq!(decode_put(&[0xa0]), Ok(Value::empty()));
}

#[test]
fn bad_bodies_are_serialization_exceptions() {
    let mut out_of_range = vec![0xa1, 0x65, b's', b'h', b'o', b'r', b't', 0x1a];
    out_of_range.extend(70_000u32.to_be_bytes());
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", vec![0xbf, 0x64, b't']),
        ("not a map", vec![0x80]),
        ("text for int", vec![0xa1, 0x63, b'i', b'n', b't', 0x61, b'x']),
        ("out of range", out_of_range),
    ];
    for (case, body) in cases {
        let error = decode_put(&body).expect_err(case);
        assert_eq!(error.code, "SerializationException", "{case}");
    }
    let deep: Vec<u8> = std::iter::once(0xa1)
        .chain([0x64, b'l', b'i', b's', b't'])
        .chain(std::iter::repeat_n(0x81, 100_000))
        .chain([0x60])
        .collect();
    assert_eq!(
        decode_put(&deep).map_err(|e| e.code),
        Err("SerializationException".into())
    );
}

#[test]
fn encodes_responses_with_tagged_timestamps_and_protocol_headers() {
    let model = model();
    let operation = model.operation("Put").expect("Put");
    let output = structure! {
        "when" => Timestamp { seconds: 946_845_296, nanos: 123_000_000 },
        "double" => Value::Float(f64::NAN),
        "blob" => Value::Blob(Bytes::from_static(b"foo")),
        "list" => Value::List(vec!["a".into()]),
    };
    let response = encode_response(&model, operation, &output, "req");
    assert_eq!(response.headers["smithy-protocol"], "rpc-v2-cbor");
    assert_eq!(response.headers["content-type"], "application/cbor");
    assert_eq!(response.headers["x-amzn-requestid"], "req");
    let Cbor::Map(entries) = parse(&response.body) else {
        panic!("a map")
    };
    let entry = |name: &str| {
        entries
            .iter()
            .find(|(key, _)| *key == text(name))
            .map(|(_, value)| value.clone())
            .expect(name)
    };
    assert!(matches!(entry("double"), Cbor::Float(f) if f.is_nan()));
    assert_eq!(entry("blob"), Cbor::Bytes(b"foo".to_vec()));
    assert_eq!(
        entry("when"),
        Cbor::Tag(1, Box::new(Cbor::Float(946_845_296.123)))
    );
    assert_eq!(entry("list"), Cbor::Array(vec![text("a")]));
    assert_eq!(entries.len(), 4);

    let ping = model.operation("Ping").expect("Ping");
    let response = encode_response(&model, ping, &Value::empty(), "req");
    assert!(response.body.is_empty());
    assert!(response.headers.get("content-type").is_none());
}

#[test]
fn errors_name_a_shape_id_and_carry_the_query_code() {
    let model = model();
    let response = encode_error(&model, &AwsError::new("Oops", "Hi", 400), "req");
    assert_eq!(response.status, 400);
    assert_eq!(
        parse(&response.body),
        Cbor::Map(vec![
            (text("__type"), text("com.amazonaws.rpc#Oops")),
            (text("Message"), text("Hi")),
        ])
    );
    assert!(response.headers.get("x-amzn-query-error").is_none());

    let cloudwatch = models::get("cloudwatch").expect("cloudwatch");
    let error = AwsError::new("InvalidParameterValueException", "bad", 400);
    let response = encode_error(cloudwatch, &error, "req");
    assert_eq!(
        response.headers["x-amzn-query-error"],
        "InvalidParameterValue;Sender"
    );
    let Cbor::Map(entries) = parse(&response.body) else {
        panic!("a map")
    };
    assert_eq!(
        entries[0],
        (
            text("__type"),
            text("com.amazonaws.cloudwatch#InvalidParameterValueException")
        )
    );

    let validation = AwsError::new("ValidationError", "1 validation error detected: ...", 400);
    let response = encode_error(cloudwatch, &validation, "req");
    assert_eq!(response.headers["x-amzn-query-error"], "ValidationError;Sender");
}

#[test]
fn cloudwatch_input_is_validated_with_query_codes() {
    let cloudwatch = models::get("cloudwatch").expect("cloudwatch");
    let operation = cloudwatch.operation("PutMetricData").expect("PutMetricData");
    // {"Namespace": "n", "MetricData": [{}]}
    let body = [
        0xa2, 0x69, b'N', b'a', b'm', b'e', b's', b'p', b'a', b'c', b'e', 0x61, b'n', 0x6a, b'M', b'e', b't',
        b'r', b'i', b'c', b'D', b'a', b't', b'a', 0x81, 0xa0,
    ];
    let path = "/service/GraniteServiceVersion20100801/operation/PutMetricData";
    let error = decode(cloudwatch, operation, &request(path, &body)).expect_err("MetricName is required");
    assert_eq!(error.code, "ValidationError");
    assert!(
        error.message.contains("'metricData.1.member.metricName'"),
        "{}",
        error.message
    );
}
