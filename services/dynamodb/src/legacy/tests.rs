//! The legacy parameters' checks and translations, against DynamoDB's messages.

use serde_json::json;

use super::*;
use crate::attribute::{Item, item_from_json};
use crate::expr::eval::evaluate;
use crate::expr::update::apply;

/// The legacy members of a request body, as a client writes it.
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct Body {
    expected: Option<IndexMap<String, ExpectedAttributeValue>>,
    conditional_operator: Option<String>,
    scan_filter: Option<IndexMap<String, LegacyCondition>>,
    query_filter: Option<IndexMap<String, LegacyCondition>>,
    key_conditions: Option<IndexMap<String, LegacyCondition>>,
    attribute_updates: Option<IndexMap<String, AttributeValueUpdate>>,
}

fn body(json: serde_json::Value) -> Body {
    serde_json::from_value(json).expect("a request body")
}

fn item(json: serde_json::Value) -> Item {
    item_from_json(json.to_string().as_bytes()).expect("item")
}

fn expected_of(json: serde_json::Value) -> Result<Option<Condition>, AwsError> {
    let body = body(json);
    super::expected(body.expected.as_ref(), body.conditional_operator.as_deref())
}

fn expected_holds(expected: serde_json::Value, on: serde_json::Value) -> bool {
    let condition = expected_of(json!({ "Expected": expected }))
        .expect("valid")
        .expect("a condition");
    evaluate(&condition, &item(on))
}

fn expected_error(json: serde_json::Value) -> String {
    expected_of(json).expect_err("refused").message
}

/// The members of `json` that are set, as a request's `Sent`.
fn sent(json: serde_json::Value) -> Sent<'static> {
    let names = [
        "AttributeUpdates",
        "AttributesToGet",
        "Expected",
        "QueryFilter",
        "ScanFilter",
        "ConditionalOperator",
        "UpdateExpression",
        "ProjectionExpression",
        "ConditionExpression",
        "FilterExpression",
        "KeyConditionExpression",
        "KeyConditions",
    ];
    let present: Vec<(&'static str, bool)> = names.iter().map(|n| (*n, json.get(n).is_some())).collect();
    Sent::of(&present)
}

#[test]
fn exists_and_value_forms() {
    let stored = json!({"pk": {"S": "k"}, "v": {"N": "5"}});
    assert!(expected_holds(
        json!({"v": {"Value": {"N": "5"}}}),
        stored.clone()
    ));
    assert!(expected_holds(
        json!({"v": {"Value": {"N": "5.0"}, "Exists": true}}),
        stored.clone()
    ));
    assert!(!expected_holds(
        json!({"v": {"Value": {"N": "6"}, "Exists": true}}),
        stored.clone()
    ));
    assert!(!expected_holds(
        json!({"v": {"Value": {"S": "5"}}}),
        stored.clone()
    ));
    assert!(expected_holds(json!({"gone": {"Exists": false}}), stored.clone()));
    assert!(!expected_holds(json!({"v": {"Exists": false}}), stored.clone()));
    // Value with a ComparisonOperator is its argument.
    assert!(expected_holds(
        json!({"v": {"Value": {"N": "4"}, "ComparisonOperator": "GT"}}),
        stored
    ));
}

#[test]
fn every_comparison_operator() {
    let stored = json!({
        "n": {"N": "5"}, "s": {"S": "hello"}, "ss": {"SS": ["a", "b"]},
        "l": {"L": [{"S": "x"}, {"N": "1"}]}, "b": {"B": "AQID"}
    });
    let holds = |name: &str, op: &str, values: serde_json::Value| {
        expected_holds(
            json!({ name: {"ComparisonOperator": op, "AttributeValueList": values} }),
            stored.clone(),
        )
    };
    assert!(holds("n", "EQ", json!([{"N": "5"}])));
    assert!(holds("n", "NE", json!([{"N": "6"}])));
    assert!(holds("missing", "NE", json!([{"N": "6"}])));
    assert!(holds("n", "LE", json!([{"N": "5"}])));
    assert!(!holds("n", "LT", json!([{"N": "5"}])));
    assert!(holds("n", "GE", json!([{"N": "5"}])));
    assert!(holds("n", "GT", json!([{"N": "4"}])));
    assert!(holds("s", "GT", json!([{"S": "a"}])));
    assert!(!holds("n", "GT", json!([{"S": "4"}])));
    assert!(holds("s", "BEGINS_WITH", json!([{"S": "he"}])));
    assert!(holds("s", "CONTAINS", json!([{"S": "ell"}])));
    assert!(holds("ss", "CONTAINS", json!([{"S": "b"}])));
    assert!(holds("l", "CONTAINS", json!([{"N": "1"}])));
    assert!(holds("ss", "NOT_CONTAINS", json!([{"S": "c"}])));
    assert!(!holds("s", "NOT_CONTAINS", json!([{"S": "ell"}])));
    assert!(holds("n", "IN", json!([{"N": "1"}, {"N": "5"}])));
    assert!(!holds("n", "IN", json!([{"N": "1"}, {"N": "2"}])));
    assert!(holds("n", "BETWEEN", json!([{"N": "1"}, {"N": "5"}])));
    assert!(!holds("n", "BETWEEN", json!([{"N": "6"}, {"N": "9"}])));
    // Blobs in base64, as clients write them: [1, 2, 3] begins with [1].
    assert!(holds("b", "BEGINS_WITH", json!([{"B": "AQ=="}])));
    assert!(holds("n", "NOT_NULL", json!([])));
    assert!(holds("missing", "NULL", json!([])));
    assert!(!holds("n", "NULL", json!([])));
}

#[test]
fn conditional_operator_joins_entries() {
    let stored = json!({"a": {"N": "1"}, "b": {"N": "2"}});
    let both = json!({"a": {"Value": {"N": "1"}}, "b": {"Value": {"N": "9"}}});
    let condition = |operator: Option<&str>| {
        let mut body = json!({"Expected": both.clone()});
        if let Some(operator) = operator {
            body["ConditionalOperator"] = json!(operator);
        }
        let parsed = expected_of(body).expect("valid").expect("condition");
        evaluate(&parsed, &item(stored.clone()))
    };
    assert!(!condition(None));
    assert!(!condition(Some("AND")));
    assert!(condition(Some("OR")));
    let one = json!({"Expected": {"a": {"Exists": false}}, "ConditionalOperator": "OR"});
    assert_eq!(
        expected_error(one),
        "ConditionalOperator can only be used when Filter or Expected has two or more elements"
    );
    assert_eq!(
        expected_error(json!({"ConditionalOperator": "OR"})),
        "ConditionalOperator cannot be used without Filter or Expected"
    );
}

#[test]
fn expected_shapes_are_checked_in_order() {
    let prefix = "1 validation error detected: One or more parameter values were invalid: ";
    let cases = [
        (
            json!({"Exists": true}),
            "Value must be provided when Exists is true for Attribute: a",
        ),
        (
            json!({}),
            "Value must be provided when Exists is null for Attribute: a",
        ),
        (
            json!({"Exists": false, "Value": {"S": "x"}}),
            "Value cannot be used when Exists is false for Attribute: a",
        ),
        (
            json!({"Exists": true, "ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}),
            "Exists and ComparisonOperator cannot be used together for Attribute: a",
        ),
        (
            json!({"Value": {"S": "x"}, "AttributeValueList": [{"S": "x"}]}),
            "Value and AttributeValueList cannot be used together for Attribute: a",
        ),
        (
            json!({"Exists": false, "AttributeValueList": [{"S": "x"}]}),
            "AttributeValueList can only be used with a ComparisonOperator for Attribute: a",
        ),
        (
            json!({"ComparisonOperator": "EQ"}),
            "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a",
        ),
    ];
    for (entry, message) in cases {
        assert_eq!(
            expected_error(json!({"Expected": {"a": entry}})),
            format!("{prefix}{message}")
        );
    }
}

#[test]
fn argument_lists_are_checked() {
    let error = |op: &str, values: serde_json::Value| {
        expected_error(json!({"Expected": {"a": {"ComparisonOperator": op, "AttributeValueList": values}}}))
    };
    assert_eq!(
        error("EQ", json!([])),
        "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"
    );
    assert_eq!(
        error("NULL", json!([{"S": "x"}])),
        "One or more parameter values were invalid: Invalid number of argument(s) for the NULL ComparisonOperator"
    );
    assert_eq!(
        error("BETWEEN", json!([{"N": "1"}])),
        "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator"
    );
    assert_eq!(
        error("IN", json!([{"N": "1"}, {"S": "1"}])),
        "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type"
    );
    assert_eq!(
        error("LT", json!([{"SS": ["a"]}])),
        "One or more parameter values were invalid: ComparisonOperator LT is not valid for SS AttributeValue type"
    );
    assert_eq!(
        error("BEGINS_WITH", json!([{"N": "1"}])),
        "One or more parameter values were invalid: ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"
    );
    assert_eq!(
        error("BETWEEN", json!([{"N": "9"}, {"N": "1"}])),
        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"
    );
    assert!(error("FOO", json!([])).contains("Member must satisfy enum value set"));
    // EQ compares any type, lists and maps included.
    assert!(
        expected_of(
            json!({"Expected": {"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"L": []}]}}})
        )
        .is_ok()
    );
}

#[test]
fn mixing_is_refused_with_dynamodb_lists() {
    let error = check_request(&sent(json!({
        "Expected": {}, "ConditionalOperator": "AND",
        "ConditionExpression": "a = b", "UpdateExpression": "SET a = b"
    })))
    .expect_err("mixed");
    assert_eq!(
        error.message,
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected, ConditionalOperator} Expression parameters: {UpdateExpression, ConditionExpression}"
    );
    let error = check_request(&sent(
        json!({"KeyConditions": {}, "KeyConditionExpression": "a = :a"}),
    ))
    .expect_err("mixed");
    assert!(error.message.ends_with(
        "Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}"
    ));
    assert!(check_request(&sent(json!({"KeyConditions": {}, "FilterExpression": "a = :a"}))).is_ok());
    let names = vec!["a".to_owned(), "b".to_owned(), "a".to_owned()];
    let duplicate = sent(json!({"AttributesToGet": ["a", "b", "a"]})).with_attributes_to_get(Some(&names));
    let error = check_request(&duplicate).expect_err("duplicate");
    assert_eq!(
        error.message,
        "One or more parameter values were invalid: Duplicate value in attribute name: a"
    );
}

#[test]
fn filters_and_key_conditions() {
    let request = json!({
        "ScanFilter": {
            "a": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "1"}]},
            "b": {"ComparisonOperator": "NULL"}
        },
        "ConditionalOperator": "OR"
    });
    let scan = body(request);
    let parsed = filter(
        scan.scan_filter.as_ref(),
        FilterMember::Scan,
        scan.conditional_operator.as_deref(),
    )
    .expect("valid")
    .expect("filter");
    assert!(evaluate(&parsed, &item(json!({"a": {"N": "0"}}))));
    assert!(!evaluate(
        &parsed,
        &item(json!({"a": {"N": "0"}, "b": {"N": "0"}}))
    ));
    let unknown = super::tests::body(json!({"QueryFilter": {"a": {"ComparisonOperator": "ALMOST"}}}));
    assert!(
        filter(unknown.query_filter.as_ref(), FilterMember::Query, None)
            .expect_err("unknown operator")
            .message
            .contains("'queryFilter.a.member.comparisonOperator'")
    );
    let keys = json!({"KeyConditions": {
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
        "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "3"}]}
    }});
    assert!(matches!(
        key_conditions(body(keys).key_conditions.as_ref()),
        Ok(Some(Condition::And(..)))
    ));
    let not_indexable =
        json!({"KeyConditions": {"pk": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "p"}]}}});
    assert_eq!(
        key_conditions(body(not_indexable).key_conditions.as_ref())
            .expect_err("NE")
            .message,
        "Attempted conditional constraint is not an indexable operation"
    );
}

fn updated(updates: serde_json::Value, on: serde_json::Value) -> Result<Item, AwsError> {
    let body = body(json!({ "AttributeUpdates": updates }));
    let actions = attribute_updates(body.attribute_updates.as_ref())?.expect("actions");
    let mut target = item(on);
    apply(&actions, &mut target).map_err(update_error)?;
    Ok(target)
}

#[test]
fn attribute_updates_follow_dynamodb_rules() {
    let stored = json!({
        "pk": {"S": "k"}, "n": {"N": "1"}, "ss": {"SS": ["a", "b"]}, "l": {"L": [{"N": "1"}]}, "s": {"S": "x"}
    });
    let result = updated(
        json!({
            "n": {"Action": "ADD", "Value": {"N": "2.5"}},
            "ss": {"Action": "DELETE", "Value": {"SS": ["a"]}},
            "l": {"Action": "ADD", "Value": {"L": [{"N": "2"}]}},
            "new_list": {"Action": "ADD", "Value": {"L": [{"S": "z"}]}},
            "counter": {"Action": "ADD", "Value": {"N": "1"}},
            "s": {"Action": "DELETE"},
            "put": {"Value": {"S": "p"}}
        }),
        stored.clone(),
    )
    .expect("applies");
    assert_eq!(
        result,
        item(json!({
            "pk": {"S": "k"}, "n": {"N": "3.5"}, "ss": {"SS": ["b"]},
            "l": {"L": [{"N": "1"}, {"N": "2"}]},
            "new_list": {"L": [{"S": "z"}]}, "counter": {"N": "1"}, "put": {"S": "p"}
        }))
    );
    // Deleting every member removes the set.
    let emptied = updated(
        json!({"ss": {"Action": "DELETE", "Value": {"SS": ["a", "b"]}}}),
        stored.clone(),
    )
    .expect("applies");
    assert!(!emptied.contains_key("ss"));
    let mismatch = updated(
        json!({"s": {"Action": "ADD", "Value": {"N": "1"}}}),
        stored.clone(),
    )
    .expect_err("S plus N");
    assert_eq!(mismatch.message, "Type mismatch for attribute to update");
    let mismatch = updated(
        json!({"n": {"Action": "ADD", "Value": {"L": []}}}),
        stored.clone(),
    )
    .expect_err("N plus L");
    assert_eq!(mismatch.message, "Type mismatch for attribute to update");
    let mismatch = updated(
        json!({"ss": {"Action": "DELETE", "Value": {"NS": ["1"]}}}),
        stored,
    )
    .expect_err("SS minus NS");
    assert_eq!(mismatch.message, "Type mismatch for attribute to update");
}

#[test]
fn attribute_update_shapes_are_checked() {
    let error = |update: serde_json::Value| {
        let body = body(json!({"AttributeUpdates": {"a": update}}));
        attribute_updates(body.attribute_updates.as_ref())
            .expect_err("refused")
            .message
    };
    assert_eq!(
        error(json!({"Action": "PUT"})),
        "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"
    );
    assert_eq!(
        error(json!({"Action": "ADD"})),
        "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"
    );
    assert_eq!(
        error(json!({"Action": "DELETE", "Value": {"N": "1"}})),
        "One or more parameter values were invalid: DELETE action with value is not supported for the type N"
    );
    assert_eq!(
        error(json!({"Action": "ADD", "Value": {"S": "x"}})),
        "One or more parameter values were invalid: ADD action is not supported for the type S"
    );
    assert_eq!(
        error(json!({"Action": "ADD", "Value": {"M": {}}})),
        "One or more parameter values were invalid: ADD action is not supported for the type M"
    );
}
