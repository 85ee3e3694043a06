use bytes::Bytes;
use indexmap::IndexMap;
use nimbus_core::structure;

use super::*;
use crate::models;

type ServiceModel = Model;

/// Every violation of `value` against the shape named `shape`, as the
/// protocol of the model checks it.
fn validate(model: &Model, shape: &str, value: &Value) -> Vec<Violation> {
    let protocol = model.protocol.unwrap_or(Protocol::Json10);
    super::validate(model, protocol, model.shape_named(shape).expect("shape"), value)
}

fn list(items: Vec<Value>) -> Value {
    Value::List(items)
}

fn map(entries: &[(&str, Value)]) -> Value {
    Value::Map(
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect::<IndexMap<_, _>>(),
    )
}

fn model(shapes: &str) -> ServiceModel {
    ServiceModel::from_json(&format!(
        r#"{{"metadata": {{"protocol": "json", "endpointPrefix": "test"}}, "shapes": {shapes}}}"#
    ))
    .expect("test model")
}

#[test]
fn missing_required_member_is_reported_with_a_lowercased_path() {
    let iam = models::get("iam").expect("iam");
    let violations = validate(
        iam,
        "CreateRoleRequest",
        &structure! {"AssumeRolePolicyDocument" => "{}"},
    );
    assert_eq!(violations.len(), 1);
    assert_eq!(
        violations[0].sentence(),
        "Value null at 'roleName' failed to satisfy constraint: Member must not be null"
    );
    assert_eq!(violations[0].member, "RoleName");
    let error = validation_error(Protocol::Query, iam, &violations);
    assert_eq!(error.code, "ValidationError");
    assert_eq!(
        error.message,
        "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn nested_list_members_use_one_based_member_paths() {
    let dynamodb = models::get("dynamodb").expect("dynamodb");
    let input = structure! {
        "TableName" => "t",
        "KeySchema" => list(vec![structure! {"KeyType" => "HASH"}]),
        "AttributeDefinitions" => list(vec![structure! {"AttributeName" => "id", "AttributeType" => "S"}]),
    };
    let violations = validate(dynamodb, "CreateTableInput", &input);
    let sentences: Vec<String> = violations.iter().map(Violation::sentence).collect();
    assert_eq!(
        sentences,
        vec![
            "Value null at 'keySchema.1.member.attributeName' failed to satisfy constraint: Member must not be null"
        ]
    );
    let error = validation_error(Protocol::Json10, dynamodb, &violations);
    assert_eq!(error.code, "ValidationException");
    assert_eq!(error.status, 400);
}

#[test]
fn enum_length_range_and_pattern_are_worded_like_aws() {
    let m = model(
        r#"{
        "In": {"type": "structure", "required": ["Name"], "members": {
            "Name": {"shape": "Name"}, "Kind": {"shape": "Kind"}, "Limit": {"shape": "Limit"},
            "Secret": {"shape": "Secret"}, "Data": {"shape": "Data"}}},
        "Name": {"type": "string", "min": 3, "max": 5, "pattern": "[a-z]+"},
        "Kind": {"type": "string", "enum": ["HASH", "RANGE"]},
        "Limit": {"type": "integer", "min": 1, "max": 100},
        "Secret": {"type": "string", "min": 8, "sensitive": true},
        "Data": {"type": "blob", "min": 1}
    }"#,
    );
    let input = structure! {
        "Name" => "AB",
        "Kind" => "OTHER",
        "Limit" => 0i64,
        "Secret" => "short",
        "Data" => Value::Blob(Bytes::new()),
    };
    let error = validation_error(Protocol::Json11, &m, &validate(&m, "In", &input));
    assert_eq!(
        error.message,
        "6 validation errors detected: \
         Value 'AB' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 3; \
         Value 'AB' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z]+; \
         Value 'OTHER' at 'kind' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]; \
         Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1; \
         Value at 'secret' failed to satisfy constraint: Member must have length greater than or equal to 8; \
         Value 'java.nio.HeapByteBuffer[pos=0 lim=0 cap=0]' at 'data' failed to satisfy constraint: \
         Member must have length greater than or equal to 1"
    );
    assert!(validate(&m, "In", &structure! {"Name" => "abcd", "Limit" => 100i64}).is_empty());
}

#[test]
fn scalar_elements_of_lists_and_maps_are_reported_on_the_collection() {
    let m = model(
        r#"{
        "In": {"type": "structure", "members": {"Names": {"shape": "Names"}, "Tags": {"shape": "Tags"}}},
        "Names": {"type": "list", "member": {"shape": "Kind"}},
        "Kind": {"type": "string", "enum": ["A", "B"]},
        "Tags": {"type": "map", "key": {"shape": "Key"}, "value": {"shape": "Val"}},
        "Key": {"type": "string", "min": 1, "max": 3},
        "Val": {"type": "string", "max": 2}
    }"#,
    );
    let input = structure! {
        "Names" => list(vec!["A".into(), "C".into()]),
        "Tags" => map(&[("long", "abc".into())]),
    };
    let sentences: Vec<String> = validate(&m, "In", &input)
        .iter()
        .map(Violation::sentence)
        .collect();
    assert_eq!(
        sentences,
        vec![
            "Value '[A, C]' at 'names' failed to satisfy constraint: Member must satisfy constraint: \
             [Member must satisfy enum value set: [A, B]]",
            "Value '{long=abc}' at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: \
             [Member must have length less than or equal to 3, Member must have length greater than or equal to 1]",
            "Value '{long=abc}' at 'tags' failed to satisfy constraint: Map value must satisfy constraint: \
             [Member must have length less than or equal to 2]",
        ]
    );
}

#[test]
fn structures_inside_maps_are_walked() {
    let m = model(
        r#"{
        "In": {"type": "structure", "members": {"Items": {"shape": "Items"}}},
        "Items": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "Item"}},
        "Item": {"type": "structure", "required": ["Id"], "members": {"Id": {"shape": "S"}}},
        "S": {"type": "string"}
    }"#,
    );
    let input = structure! {"Items" => map(&[("first", structure! {})])};
    let violations = validate(&m, "In", &input);
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].path, "items.first.member.id");
}

#[test]
fn services_that_name_the_parameter_say_missing_parameter() {
    let sqs = models::get("sqs").expect("sqs");
    let violations = validate(sqs, "SendMessageRequest", &structure! {"MessageBody" => "hi"});
    let error = validation_error(Protocol::Json10, sqs, &violations);
    assert_eq!(error.code, "MissingParameter");
    assert_eq!(error.message, "The request must contain the parameter QueueUrl.");
}

#[test]
fn query_compatible_services_keep_the_query_code() {
    let cloudwatch = models::get("cloudwatch").expect("cloudwatch");
    let input = structure! {"Namespace" => "n", "MetricData" => list(vec![structure! {}])};
    let violations = validate(cloudwatch, "PutMetricDataInput", &input);
    assert!(
        violations
            .iter()
            .any(|v| v.path == "metricData.1.member.metricName")
    );
    assert_eq!(
        validation_error(Protocol::Cbor, cloudwatch, &violations).code,
        "ValidationError"
    );
}

#[test]
fn hostile_nesting_does_not_overflow_the_stack() {
    let m = model(
        r#"{"Node": {"type": "structure", "members": {"Next": {"shape": "Node"}, "Name": {"shape": "Name"}}},
            "Name": {"type": "string", "min": 1}}"#,
    );
    let mut value = structure! {"Name" => ""};
    for _ in 0..10_000 {
        value = structure! {"Next" => value};
    }
    // Too deep to check: the decoder refuses such input before validation.
    assert!(validate(&m, "Node", &value).is_empty());
    // Dropping the value recursively would overflow the test thread itself.
    std::mem::forget(value);
}

#[test]
fn ec2_patterns_are_not_enforced() {
    let ec2 = models::get("ec2").expect("ec2");
    let input = structure! {
        "InstanceType" => "t3.micro",
        "InstancePlatform" => "Linux/UNIX",
        "InstanceCount" => 1i64,
        "PlacementGroupArn" => "arn:aws:ec2:us-east-1:000000000000:placement-group/pg",
    };
    assert!(validate(ec2, "CreateCapacityReservationRequest", &input).is_empty());
}
