//! Walks a value along its shape and collects every broken constraint, with
//! paths and wording as AWS's own validation prints them.

use nimbus_core::Value;

use super::{MAX_DEPTH, Violation, pattern};
use crate::model::{ServiceModel, Shape, ShapeLookups, ShapeType};

pub struct Walker<'m> {
    model: &'m ServiceModel,
    /// EC2 does not enforce its model's patterns (some, such as
    /// `...:placement-group/^.{1,255}$`, could never match).
    check_patterns: bool,
    pub violations: Vec<Violation>,
    shapes: ShapeLookups<'m>,
}

impl<'m> Walker<'m> {
    pub fn new(model: &'m ServiceModel) -> Self {
        Walker {
            model,
            check_patterns: model.metadata.protocol != "ec2",
            violations: Vec::new(),
            shapes: ShapeLookups::new(model),
        }
    }

    fn shape(&self, shape_name: &str) -> Option<&'m Shape> {
        self.shapes.get(shape_name)
    }

    /// Checks `value`, the value of shape `shape_name` found at `path`
    /// (`member` is the model name of the member holding it).
    pub fn value(&mut self, shape_name: &str, value: &Value, path: &str, member: &str, depth: usize) {
        // Decoders refuse deeper input; this only keeps hostile values built
        // elsewhere from exhausting the stack.
        if depth > MAX_DEPTH {
            return;
        }
        let Some(shape) = self.shape(shape_name) else {
            return;
        };
        for constraint in broken_constraints(shape, value, self.check_patterns) {
            self.push(path, member, shape, value, constraint);
        }
        match (shape.kind, value) {
            (ShapeType::Structure, Value::Structure(members)) => {
                for (name, member_ref) in &shape.members {
                    let member_path = join(path, &lower_first(name));
                    match members.get(name) {
                        None | Some(Value::Null) => {
                            if shape.required.iter().any(|r| r == name) {
                                self.violations.push(Violation {
                                    path: member_path,
                                    value: "null".to_owned(),
                                    constraint: "Member must not be null".to_owned(),
                                    member: name.clone(),
                                });
                            }
                        }
                        Some(member_value) => {
                            self.value(&member_ref.shape, member_value, &member_path, name, depth + 1);
                        }
                    }
                }
            }
            (ShapeType::List, Value::List(items)) => {
                let Some(item_ref) = &shape.member else { return };
                if self.is_container(&item_ref.shape) {
                    for (index, item) in items.iter().enumerate() {
                        let item_path = format!("{path}.{}.member", index + 1);
                        self.value(&item_ref.shape, item, &item_path, member, depth + 1);
                    }
                } else if items
                    .iter()
                    .any(|item| self.scalar_is_broken(&item_ref.shape, item))
                {
                    self.push_element_constraints(path, member, shape, value, "Member", &item_ref.shape);
                }
            }
            (ShapeType::Map, Value::Map(entries)) => {
                if let Some(key_ref) = &shape.key {
                    let key_broken = entries
                        .keys()
                        .any(|key| self.scalar_is_broken(&key_ref.shape, &Value::String(key.clone())));
                    if key_broken {
                        self.push_element_constraints(path, member, shape, value, "Map keys", &key_ref.shape);
                    }
                }
                let Some(value_ref) = &shape.value else { return };
                if self.is_container(&value_ref.shape) {
                    for (key, entry) in entries {
                        let entry_path = format!("{path}.{key}.member");
                        self.value(&value_ref.shape, entry, &entry_path, member, depth + 1);
                    }
                } else if entries
                    .values()
                    .any(|entry| self.scalar_is_broken(&value_ref.shape, entry))
                {
                    self.push_element_constraints(path, member, shape, value, "Map value", &value_ref.shape);
                }
            }
            _ => {}
        }
    }

    /// Whether [`value`](Self::value) would find nothing, decided without
    /// building a single path or message: requests are nearly always valid,
    /// and the full walk (a path string for every member it visits) is then
    /// only run for the few that are not. Mirrors `value` rule for rule.
    pub fn is_valid(&self, shape_name: &str, value: &Value, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return true;
        }
        let Some(shape) = self.shape(shape_name) else {
            return true;
        };
        if !broken_constraints(shape, value, self.check_patterns).is_empty() {
            return false;
        }
        match (shape.kind, value) {
            (ShapeType::Structure, Value::Structure(members)) => {
                let missing = shape.required.iter().any(|name| {
                    shape.members.contains_key(name) && matches!(members.get(name), None | Some(Value::Null))
                });
                !missing
                    && members.iter().all(|(name, member_value)| {
                        matches!(member_value, Value::Null)
                            || shape.members.get(name).is_none_or(|member_ref| {
                                self.is_valid(&member_ref.shape, member_value, depth + 1)
                            })
                    })
            }
            (ShapeType::List, Value::List(items)) => {
                let Some(item_ref) = &shape.member else {
                    return true;
                };
                items
                    .iter()
                    .all(|item| self.element_is_valid(&item_ref.shape, item, depth))
            }
            (ShapeType::Map, Value::Map(entries)) => {
                let keys_valid = shape.key.as_ref().is_none_or(|key_ref| {
                    !entries
                        .keys()
                        .any(|key| self.scalar_is_broken(&key_ref.shape, &Value::String(key.clone())))
                });
                let Some(value_ref) = &shape.value else {
                    return keys_valid;
                };
                keys_valid
                    && entries
                        .values()
                        .all(|entry| self.element_is_valid(&value_ref.shape, entry, depth))
            }
            _ => true,
        }
    }

    /// A list item or map value, checked as `value` checks it: containers
    /// walked, scalars tested against their shape's constraints.
    fn element_is_valid(&self, shape_name: &str, element: &Value, depth: usize) -> bool {
        if self.is_container(shape_name) {
            self.is_valid(shape_name, element, depth + 1)
        } else {
            !self.scalar_is_broken(shape_name, element)
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
        element_shape: &str,
    ) {
        let Some(element) = self.model.shapes.get(element_shape) else {
            return;
        };
        let constraint = format!(
            "{subject} must satisfy constraint: [{}]",
            all_constraints(element).join(", ")
        );
        self.push(path, member, shape, value, constraint);
    }

    fn is_container(&self, shape_name: &str) -> bool {
        self.shape(shape_name).is_some_and(|shape| {
            matches!(
                shape.kind,
                ShapeType::Structure | ShapeType::List | ShapeType::Map
            )
        })
    }

    fn scalar_is_broken(&self, shape_name: &str, value: &Value) -> bool {
        self.shape(shape_name)
            .is_some_and(|shape| !broken_constraints(shape, value, self.check_patterns).is_empty())
    }
}

/// The constraints of `shape` that `value` breaks, in AWS's words.
fn broken_constraints(shape: &Shape, value: &Value, check_patterns: bool) -> Vec<String> {
    let mut broken = Vec::new();
    if let (Some(allowed), Value::String(s)) = (&shape.enum_values, value)
        && !allowed.iter().any(|a| a == s)
    {
        broken.push(enum_constraint(allowed));
    }
    if let Some(length) = length_of(value) {
        if let Some(min) = shape.min.filter(|min| (length as f64) < *min) {
            broken.push(format!(
                "Member must have length greater than or equal to {}",
                bound(min)
            ));
        }
        if let Some(max) = shape.max.filter(|max| (length as f64) > *max) {
            broken.push(format!(
                "Member must have length less than or equal to {}",
                bound(max)
            ));
        }
    }
    if let Some(number) = number_of(value) {
        if let Some(min) = shape.min.filter(|min| number < *min) {
            broken.push(format!(
                "Member must have value greater than or equal to {}",
                bound(min)
            ));
        }
        if let Some(max) = shape.max.filter(|max| number > *max) {
            broken.push(format!(
                "Member must have value less than or equal to {}",
                bound(max)
            ));
        }
    }
    if let (true, Some(regex), Value::String(s)) = (check_patterns, &shape.pattern, value)
        && !pattern::matches(regex, s)
    {
        broken.push(pattern_constraint(regex));
    }
    broken
}

/// Every constraint `shape` declares, for the `must satisfy constraint: [...]` form.
fn all_constraints(shape: &Shape) -> Vec<String> {
    let numeric = matches!(
        shape.kind,
        ShapeType::Integer
            | ShapeType::Long
            | ShapeType::Short
            | ShapeType::Byte
            | ShapeType::Float
            | ShapeType::Double
    );
    let measure = if numeric { "value" } else { "length" };
    let mut all = Vec::new();
    if let Some(max) = shape.max {
        all.push(format!(
            "Member must have {measure} less than or equal to {}",
            bound(max)
        ));
    }
    if let Some(min) = shape.min {
        all.push(format!(
            "Member must have {measure} greater than or equal to {}",
            bound(min)
        ));
    }
    if let Some(regex) = &shape.pattern {
        all.push(pattern_constraint(regex));
    }
    if let Some(allowed) = &shape.enum_values {
        all.push(enum_constraint(allowed));
    }
    all
}

fn enum_constraint(allowed: &[String]) -> String {
    format!("Member must satisfy enum value set: [{}]", allowed.join(", "))
}

fn pattern_constraint(regex: &str) -> String {
    format!("Member must satisfy regular expression pattern: {regex}")
}

/// Length as AWS (Java) measures it: UTF-16 units for strings.
fn length_of(value: &Value) -> Option<usize> {
    match value {
        Value::String(s) => Some(s.encode_utf16().count()),
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

/// A model bound as AWS prints it: `1`, not `1.0`.
fn bound(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e18 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

pub fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
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
