//! Walks a value along its shape and collects every broken constraint, with
//! paths and wording as AWS's own validation prints them.

use nimbus_core::Value;

use super::rules::{self, all_constraints, bound, enum_constraint, pattern_constraint};
use super::{MAX_DEPTH, Violation};
use crate::model::{Model, Shape, ShapeType};

pub struct Walker<'m> {
    model: &'m Model,
    /// EC2 does not enforce its model's patterns (some, such as
    /// `...:placement-group/^.{1,255}$`, could never match).
    check_patterns: bool,
    pub violations: Vec<Violation>,
}

impl<'m> Walker<'m> {
    pub fn new(model: &'m Model, check_patterns: bool) -> Self {
        Walker {
            model,
            check_patterns,
            violations: Vec::new(),
        }
    }

    /// Checks `value`, the value of `shape` found at `path` (`member` is the
    /// model name of the member holding it).
    pub fn value(&mut self, shape: &Shape, value: &Value, path: &str, member: &str, depth: usize) {
        // Decoders refuse deeper input; this only keeps hostile values built
        // elsewhere from exhausting the stack.
        if depth > MAX_DEPTH {
            return;
        }
        for constraint in broken_constraints(shape, value, self.check_patterns) {
            self.push(path, member, shape, value, constraint);
        }
        match (shape.kind, value) {
            (ShapeType::Structure, Value::Structure(members)) => {
                for member_ref in &shape.members {
                    let member_path = join(path, &member_ref.path_name);
                    match members.get(&member_ref.name) {
                        None | Some(Value::Null) => {
                            if member_ref.required {
                                self.violations.push(Violation {
                                    path: member_path,
                                    value: "null".to_owned(),
                                    constraint: "Member must not be null".to_owned(),
                                    member: member_ref.name.clone(),
                                });
                            }
                        }
                        Some(member_value) => {
                            let target = self.model.target(member_ref);
                            self.value(target, member_value, &member_path, &member_ref.name, depth + 1);
                        }
                    }
                }
            }
            (ShapeType::List, Value::List(items)) => {
                let Some(item) = &shape.item else { return };
                let item_shape = self.model.target(item);
                if item_shape.kind.is_container() {
                    for (index, element) in items.iter().enumerate() {
                        let item_path = format!("{path}.{}.member", index + 1);
                        self.value(item_shape, element, &item_path, member, depth + 1);
                    }
                } else if items
                    .iter()
                    .any(|element| self.scalar_is_broken(item_shape, element))
                {
                    self.push_element_constraints(path, member, shape, value, "Member", item_shape);
                }
            }
            (ShapeType::Map, Value::Map(entries)) => {
                if let Some(key) = &shape.key {
                    let key_shape = self.model.target(key);
                    let key_broken = entries
                        .keys()
                        .any(|k| self.scalar_is_broken(key_shape, &Value::String(k.clone())));
                    if key_broken {
                        self.push_element_constraints(path, member, shape, value, "Map keys", key_shape);
                    }
                }
                let Some(value_member) = &shape.value else { return };
                let value_shape = self.model.target(value_member);
                if value_shape.kind.is_container() {
                    for (key, entry) in entries {
                        let entry_path = format!("{path}.{key}.member");
                        self.value(value_shape, entry, &entry_path, member, depth + 1);
                    }
                } else if entries
                    .values()
                    .any(|entry| self.scalar_is_broken(value_shape, entry))
                {
                    self.push_element_constraints(path, member, shape, value, "Map value", value_shape);
                }
            }
            _ => {}
        }
    }

    fn push(&mut self, path: &str, member: &str, shape: &Shape, value: &Value, constraint: String) {
        self.violations.push(Violation {
            path: path.to_owned(),
            value: describe(shape, value),
            constraint,
            member: member.to_owned(),
        });
    }

    /// Lists and maps of scalars report one violation on the collection that
    /// names every constraint of the element shape, as AWS does:
    /// `Map keys must satisfy constraint: [Member must have length ...]`.
    fn push_element_constraints(
        &mut self,
        path: &str,
        member: &str,
        shape: &Shape,
        value: &Value,
        subject: &str,
        element: &Shape,
    ) {
        let constraint = format!(
            "{subject} must satisfy constraint: [{}]",
            all_constraints(element).join(", ")
        );
        self.push(path, member, shape, value, constraint);
    }

    fn scalar_is_broken(&self, shape: &Shape, value: &Value) -> bool {
        !broken_constraints(shape, value, self.check_patterns).is_empty()
    }
}

/// The constraints of `shape` that `value` breaks, in AWS's words.
fn broken_constraints(shape: &Shape, value: &Value, check_patterns: bool) -> Vec<String> {
    let mut broken = Vec::new();
    let constraints = &shape.constraints;
    if constraints.is_empty() {
        return broken;
    }
    if let (Some(allowed), Value::String(s)) = (&constraints.enum_values, value)
        && !allowed.iter().any(|a| a == s)
    {
        broken.push(enum_constraint(allowed));
    }
    if let Some(length) = length_of(value) {
        if let Some(min) = constraints.min.filter(|min| (length as f64) < *min) {
            broken.push(format!(
                "Member must have length greater than or equal to {}",
                bound(min)
            ));
        }
        if let Some(max) = constraints.max.filter(|max| (length as f64) > *max) {
            broken.push(format!(
                "Member must have length less than or equal to {}",
                bound(max)
            ));
        }
    }
    if let Some(number) = number_of(value) {
        if let Some(min) = constraints.min.filter(|min| number < *min) {
            broken.push(format!(
                "Member must have value greater than or equal to {}",
                bound(min)
            ));
        }
        if let Some(max) = constraints.max.filter(|max| number > *max) {
            broken.push(format!(
                "Member must have value less than or equal to {}",
                bound(max)
            ));
        }
    }
    if let (true, Some(pattern), Value::String(s)) = (check_patterns, &constraints.pattern, value)
        && !pattern.matches(s)
    {
        broken.push(pattern_constraint(&pattern.source));
    }
    broken
}

fn length_of(value: &Value) -> Option<usize> {
    match value {
        Value::String(s) => Some(rules::utf16_len(s)),
        Value::Blob(b) => Some(b.len()),
        Value::List(items) => Some(items.len()),
        Value::Map(entries) => Some(entries.len()),
        _ => None,
    }
}

fn number_of(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(i) => Some(*i as f64),
        Value::Float(f) if !f.is_nan() => Some(*f),
        _ => None,
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// The offending value as AWS quotes it (Java's `toString` in single quotes);
/// empty for sensitive shapes, whose values AWS never echoes.
fn describe(shape: &Shape, value: &Value) -> String {
    if shape.sensitive {
        String::new()
    } else if matches!(value, Value::Null) {
        "null".to_owned()
    } else {
        format!("'{}'", java_text(value, 0))
    }
}

fn java_text(value: &Value, depth: usize) -> String {
    if depth > 8 {
        return "...".to_owned();
    }
    match value {
        Value::Null => "null".to_owned(),
        Value::Boolean(b) => b.to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => java_double(*f),
        Value::String(s) => s.clone(),
        Value::Blob(b) => format!("java.nio.HeapByteBuffer[pos=0 lim={0} cap={0}]", b.len()),
        Value::Stream(_) => "java.io.InputStream".to_owned(),
        Value::Timestamp(t) => crate::timestamp::format(*t, crate::timestamp::TimestampFormat::Iso8601),
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(|item| java_text(item, depth + 1)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{k}={}", java_text(v, depth + 1)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        Value::Structure(members) => {
            let members: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("{k}: {}", java_text(v, depth + 1)))
                .collect();
            format!("{{{}}}", members.join(","))
        }
        Value::Document(json) => json.to_string(),
    }
}

fn java_double(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else if f.fract() == 0.0 && f.abs() < 1e7 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}
