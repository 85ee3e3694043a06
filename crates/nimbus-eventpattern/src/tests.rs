use serde_json::json;

use crate::Pattern;

fn matches(pattern: serde_json::Value, event: serde_json::Value) -> bool {
    Pattern::parse(&pattern.to_string())
        .unwrap_or_else(|e| panic!("{pattern} is a pattern: {e}"))
        .matches(&event)
}

#[test]
fn fields_must_all_match_and_each_array_is_a_choice() {
    let pattern = json!({"source": ["aws.ec2"], "detail": {"state": ["running", "stopped"]}});
    assert!(matches(
        pattern.clone(),
        json!({"source": "aws.ec2", "detail": {"state": "stopped"}})
    ));
    assert!(!matches(
        pattern.clone(),
        json!({"source": "aws.ec2", "detail": {"state": "pending"}})
    ));
    assert!(!matches(pattern, json!({"source": "aws.ec2"})));
}

#[test]
fn an_array_in_the_event_matches_when_any_element_does() {
    let pattern = json!({"resources": ["arn:a"]});
    assert!(matches(pattern.clone(), json!({"resources": ["arn:b", "arn:a"]})));
    assert!(!matches(pattern, json!({"resources": ["arn:b"]})));
}

#[test]
fn literals_match_by_type_and_numbers_by_value() {
    assert!(matches(json!({"n": [300]}), json!({"n": 3.0e2})));
    assert!(!matches(json!({"n": ["300"]}), json!({"n": 300})));
    assert!(matches(
        json!({"b": [true], "z": [null]}),
        json!({"b": true, "z": null})
    ));
    assert!(!matches(json!({"z": [null]}), json!({})));
}

#[test]
fn prefix_suffix_wildcard_and_ignoring_case() {
    assert!(matches(
        json!({"k": [{"prefix": "img/"}]}),
        json!({"k": "img/cat.png"})
    ));
    assert!(matches(
        json!({"k": [{"suffix": ".png"}]}),
        json!({"k": "img/cat.png"})
    ));
    assert!(matches(
        json!({"k": [{"prefix": {"equals-ignore-case": "IMG/"}}]}),
        json!({"k": "img/x"})
    ));
    assert!(matches(
        json!({"k": [{"equals-ignore-case": "ALICE"}]}),
        json!({"k": "alice"})
    ));
    assert!(matches(
        json!({"k": [{"wildcard": "img/*/*.png"}]}),
        json!({"k": "img/2024/cat.png"})
    ));
    assert!(!matches(
        json!({"k": [{"wildcard": "img/*.png"}]}),
        json!({"k": "img/cat.jpg"})
    ));
    assert!(matches(
        json!({"k": [{"wildcard": "a\\*b"}]}),
        json!({"k": "a*b"})
    ));
}

#[test]
fn anything_but_excludes_values_and_never_matches_absence() {
    let pattern = json!({"state": [{"anything-but": ["stopped", "terminated"]}]});
    assert!(matches(pattern.clone(), json!({"state": "running"})));
    assert!(!matches(pattern.clone(), json!({"state": "stopped"})));
    assert!(!matches(pattern, json!({})));
    assert!(matches(
        json!({"k": [{"anything-but": {"prefix": "tmp/"}}]}),
        json!({"k": "img/a"})
    ));
    assert!(!matches(
        json!({"k": [{"anything-but": {"prefix": "tmp/"}}]}),
        json!({"k": "tmp/a"})
    ));
}

#[test]
fn numeric_ranges_exists_and_cidr() {
    let range = json!({"price": [{"numeric": [">", 0, "<=", 5]}]});
    assert!(matches(range.clone(), json!({"price": 5})));
    assert!(!matches(range.clone(), json!({"price": 0})));
    assert!(!matches(range, json!({"price": "3"})));
    assert!(matches(json!({"x": [{"exists": true}]}), json!({"x": "y"})));
    assert!(!matches(
        json!({"x": [{"exists": true}]}),
        json!({"x": {"nested": 1}})
    ));
    assert!(matches(json!({"x": [{"exists": false}]}), json!({"y": 1})));
    assert!(matches(json!({"d": {"x": [{"exists": false}]}}), json!({})));
    assert!(matches(
        json!({"ip": [{"cidr": "10.0.0.0/24"}]}),
        json!({"ip": "10.0.0.7"})
    ));
    assert!(!matches(
        json!({"ip": [{"cidr": "10.0.0.0/24"}]}),
        json!({"ip": "10.0.1.7"})
    ));
}

#[test]
fn or_takes_any_of_its_alternatives() {
    let pattern =
        json!({"source": ["app"], "$or": [{"level": ["error"]}, {"status": [{"numeric": [">=", 500]}]}]});
    assert!(matches(pattern.clone(), json!({"source": "app", "status": 503})));
    assert!(matches(
        pattern.clone(),
        json!({"source": "app", "level": "error"})
    ));
    assert!(!matches(
        pattern,
        json!({"source": "app", "level": "info", "status": 200})
    ));
}

#[test]
fn what_is_not_a_pattern_is_refused() {
    for text in [
        "[]",
        "{\"a\": \"b\"}",
        "{\"a\": [{\"prefx\": \"b\"}]}",
        "{\"a\": [{\"numeric\": [\">\"]}]}",
        "{\"a\": [{\"exists\": \"yes\"}]}",
        "{\"a\": [{\"cidr\": \"10.0.0.0/33\"}]}",
        "{\"$or\": [{\"a\": [1]}]}",
        "{\"a\": [[1]]}",
        "not json",
    ] {
        assert!(Pattern::parse(text).is_err(), "{text} was accepted");
    }
}
