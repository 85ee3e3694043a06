//! Compares a decoded value with the expected one, shape by shape, the way
//! the test cases mean equality:
//!
//! - NaN equals NaN; `float` shapes compare at 32-bit precision.
//! - A member that is an empty list, map or structure in the expectation may
//!   be absent from the decoded value: several wire forms cannot carry an
//!   empty collection (an ec2 list, a query map, a header list), and
//!   botocore's serializers simply leave it out.
//! - `jsonvalue` members compare as the JSON they carry, not as text.
//! - Keys of a `headers`-located map (`x-amz-meta-*`) compare without case:
//!   HTTP header names have none.
//!
//! Everything else must match exactly, including members the decoder adds.

use nimbus_protocol::Value;
use nimbus_protocol::model::{Location, Model, Shape, ShapeType};

use super::value_json::brief;

/// Every difference between `expected` and `actual` (of shape `shape_name`),
/// one line each, located by member path. Empty when they match.
pub fn differences(model: &Model, shape_name: &str, expected: &Value, actual: &Value) -> Vec<String> {
    let mut walk = Walk {
        model,
        found: Vec::new(),
    };
    match model.shape_named(shape_name) {
        Some(shape) => walk.value(shape, expected, actual, "", false),
        None => walk.differ("", format!("shape {shape_name} is not in the model")),
    }
    walk.found
}

struct Walk<'m> {
    model: &'m Model,
    found: Vec<String>,
}

impl Walk<'_> {
    fn differ(&mut self, path: &str, what: String) {
        let path = if path.is_empty() { "(top)" } else { path };
        self.found.push(format!("{path}: {what}"));
    }

    fn mismatch(&mut self, path: &str, expected: &Value, actual: &Value) {
        self.differ(
            path,
            format!("expected {}, got {}", brief(expected), brief(actual)),
        );
    }

    fn value(&mut self, shape: &Shape, expected: &Value, actual: &Value, path: &str, headers_map: bool) {
        match (expected, actual) {
            (Value::Null, Value::Null) => {}
            (Value::Structure(want), Value::Structure(got)) if !shape.document => {
                for (name, want_member) in want {
                    let member_path = join(path, name);
                    let Some(member) = shape.member(name) else {
                        self.differ(&member_path, "not a member of the shape".to_owned());
                        continue;
                    };
                    match got.get(name) {
                        Some(got_member) if member.jsonvalue => {
                            if json_of(want_member) != json_of(got_member) {
                                self.mismatch(&member_path, want_member, got_member);
                            }
                        }
                        Some(got_member) => {
                            let headers = member.location == Some(Location::Headers);
                            let target = self.model.target(member);
                            self.value(target, want_member, got_member, &member_path, headers);
                        }
                        None if is_empty_collection(want_member) => {}
                        None => {
                            self.differ(&member_path, format!("missing, expected {}", brief(want_member)))
                        }
                    }
                }
                for (name, got_member) in got {
                    if !want.contains_key(name) {
                        self.differ(&join(path, name), format!("unexpected {}", brief(got_member)));
                    }
                }
            }
            (Value::List(want), Value::List(got)) => {
                let Some(member) = &shape.item else {
                    return self.mismatch(path, expected, actual);
                };
                if want.len() != got.len() {
                    return self.differ(
                        path,
                        format!(
                            "expected {} items {}, got {} items {}",
                            want.len(),
                            brief(expected),
                            got.len(),
                            brief(actual)
                        ),
                    );
                }
                for (i, (want_item, got_item)) in want.iter().zip(got).enumerate() {
                    let target = self.model.target(member);
                    self.value(target, want_item, got_item, &format!("{path}[{i}]"), false);
                }
            }
            (Value::Map(want), Value::Map(got)) => {
                let Some(value_ref) = &shape.value else {
                    return self.mismatch(path, expected, actual);
                };
                let same_key = |a: &str, b: &str| {
                    if headers_map {
                        a.eq_ignore_ascii_case(b)
                    } else {
                        a == b
                    }
                };
                for (key, want_item) in want {
                    let entry_path = join(path, key);
                    match got.iter().find(|(got_key, _)| same_key(got_key, key)) {
                        Some((_, got_item)) => {
                            let target = self.model.target(value_ref);
                            self.value(target, want_item, got_item, &entry_path, false)
                        }
                        None => self.differ(
                            &entry_path,
                            format!("missing entry, expected {}", brief(want_item)),
                        ),
                    }
                }
                for (key, got_item) in got {
                    if !want.keys().any(|want_key| same_key(want_key, key)) {
                        self.differ(&join(path, key), format!("unexpected entry {}", brief(got_item)));
                    }
                }
            }
            (Value::Float(want), Value::Float(got)) => {
                if !floats_equal(shape.kind, *want, *got) {
                    self.mismatch(path, expected, actual);
                }
            }
            _ => {
                if expected != actual {
                    self.mismatch(path, expected, actual);
                }
            }
        }
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// The JSON a `jsonvalue` member carries, so `{"a": 1}` equals `{ "a":1 }`.
fn json_of(value: &Value) -> Option<serde_json::Value> {
    match value {
        Value::String(text) => serde_json::from_str(text).ok(),
        Value::Document(document) => Some(document.clone()),
        _ => None,
    }
}

fn is_empty_collection(value: &Value) -> bool {
    match value {
        Value::List(items) => items.is_empty(),
        Value::Map(entries) | Value::Structure(entries) => entries.is_empty(),
        _ => false,
    }
}

fn floats_equal(kind: ShapeType, want: f64, got: f64) -> bool {
    if want.is_nan() || got.is_nan() {
        return want.is_nan() && got.is_nan();
    }
    if kind == ShapeType::Float {
        // A 32-bit float on the wire (cbor) cannot hold every f64 the case wrote.
        return (want as f32) == (got as f32);
    }
    want == got
}
