//! The examples of the CloudWatch Logs filter pattern syntax page.

use super::*;

fn matching(pattern: &str, events: &[&str]) -> Vec<usize> {
    let pattern = Pattern::parse(pattern).unwrap();
    (0..events.len())
        .filter(|&i| pattern.matches(events[i]))
        .map(|i| i + 1)
        .collect()
}

#[test]
fn text_terms_and_or_and_exclusion() {
    let events = ["ERROR WARN message", "ERROR message", "WARN message"];
    assert_eq!(matching("ERROR", &events), [1, 2]);
    assert_eq!(matching("?ERROR ?WARN", &events), [1, 2, 3]);
    assert_eq!(matching("ERROR WARN", &events), [1]);
    assert_eq!(matching("ERROR -WARN", &events), [2]);
    assert_eq!(matching("", &events), [1, 2, 3]);
}

#[test]
fn terms_are_case_sensitive_substrings_and_quotes_keep_phrases() {
    let events = [
        "[ERROR] A fatal exception",
        "Exiting with ERRORCODE: -1",
        "error: lower case",
    ];
    assert_eq!(matching("ERROR", &events), [1, 2]);
    assert_eq!(matching("\"ERROR:\"", &events), Vec::<usize>::new());
    assert_eq!(matching("\"ERRORCODE: -1\"", &events), [2]);
    assert_eq!(matching("\"ERROR\" -\"Exiting\"", &events), [1]);
    assert_eq!(matching("%[Ee]rror%", &events), [3]);
}

#[test]
fn json_comparisons_wildcards_and_existence() {
    let events = [
        r#"{"eventType":"UpdateTrail","sourceIPAddress":"123.123.1.1","latency":700,"flag":true,"list":[{"id":1},{"id":2}]}"#,
        r#"{"eventType":"CreateTrail","sourceIPAddress":"10.0.0.1","latency":20,"gone":null}"#,
        "not json at all",
    ];
    assert_eq!(matching(r#"{ $.eventType = "UpdateTrail" }"#, &events), [1]);
    assert_eq!(matching("{ $.sourceIPAddress != 123.123.* }", &events), [2]);
    assert_eq!(matching("{ $.eventType = *Trail }", &events), [1, 2]);
    assert_eq!(matching("{ $.latency >= 500 }", &events), [1]);
    assert_eq!(matching("{ $.latency < 10e3 }", &events), [1, 2]);
    assert_eq!(matching("{ $.list[1].id = 2 }", &events), [1]);
    assert_eq!(matching("{ $.gone IS NULL }", &events), [2]);
    assert_eq!(matching("{ $.flag NOT EXISTS }", &events), [2]);
    assert_eq!(matching("{ $.flag IS TRUE }", &events), [1]);
    assert_eq!(
        matching(
            r#"{ ($.latency > 500 && $.flag IS TRUE) || $.eventType = "CreateTrail" }"#,
            &events
        ),
        [1, 2]
    );
    // An object matches neither = nor !=.
    assert_eq!(matching("{ $.list != 1 }", &events), Vec::<usize>::new());
}

#[test]
fn broken_patterns_are_refused() {
    for broken in ["{ $.a = }", "{ a = 1 }", "\"unclosed", "{ ($.a = 1 }", "%[%"] {
        let refused = Pattern::parse(broken).unwrap_err();
        assert_eq!(refused.code, "InvalidParameterException", "{broken}");
    }
}
