//! Model constraints (enum, length, range, pattern): whether a value keeps
//! them, and how AWS words the ones it breaks. Decoders ask the cheap
//! questions on every request; the walker words the answers for the few
//! requests that break one.

use crate::model::{Shape, ShapeType};

/// Whether a string keeps its shape's enum, length and pattern.
pub fn string_ok(shape: &Shape, text: &str, check_patterns: bool) -> bool {
    let constraints = &shape.constraints;
    if constraints.is_empty() {
        return true;
    }
    if let Some(allowed) = &constraints.enum_values
        && !allowed.iter().any(|a| a == text)
    {
        return false;
    }
    if (constraints.min.is_some() || constraints.max.is_some()) && !length_ok(shape, utf16_len(text)) {
        return false;
    }
    !check_patterns || constraints.pattern.as_ref().is_none_or(|p| p.matches(text))
}

/// Whether a length (of a string in UTF-16 units, a blob, a list or a map)
/// is within the shape's `min` and `max`.
pub fn length_ok(shape: &Shape, length: usize) -> bool {
    let length = length as f64;
    shape.constraints.min.is_none_or(|min| length >= min)
        && shape.constraints.max.is_none_or(|max| length <= max)
}

/// Whether a number is within the shape's `min` and `max` (NaN always is).
pub fn number_ok(shape: &Shape, number: f64) -> bool {
    number.is_nan()
        || (shape.constraints.min.is_none_or(|min| number >= min)
            && shape.constraints.max.is_none_or(|max| number <= max))
}

/// Length as AWS (Java) measures it: UTF-16 units.
pub fn utf16_len(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.encode_utf16().count()
    }
}

pub fn enum_constraint(allowed: &[String]) -> String {
    format!("Member must satisfy enum value set: [{}]", allowed.join(", "))
}

pub fn pattern_constraint(regex: &str) -> String {
    format!("Member must satisfy regular expression pattern: {regex}")
}

/// Every constraint `shape` declares, for the `must satisfy constraint: [...]` form.
pub fn all_constraints(shape: &Shape) -> Vec<String> {
    let numeric = shape.kind.is_integer() || shape.kind.is_float();
    let measure = if numeric { "value" } else { "length" };
    let mut all = Vec::new();
    let constraints = &shape.constraints;
    if let Some(max) = constraints.max {
        all.push(format!(
            "Member must have {measure} less than or equal to {}",
            bound(max)
        ));
    }
    if let Some(min) = constraints.min {
        all.push(format!(
            "Member must have {measure} greater than or equal to {}",
            bound(min)
        ));
    }
    if let Some(pattern) = &constraints.pattern {
        all.push(pattern_constraint(&pattern.source));
    }
    if let Some(allowed) = &constraints.enum_values {
        all.push(enum_constraint(allowed));
    }
    all
}

/// A model bound as AWS prints it: `1`, not `1.0`.
pub fn bound(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e18 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// Whether a shape of this kind measures length (not value).
pub fn has_length(kind: ShapeType) -> bool {
    matches!(
        kind,
        ShapeType::String | ShapeType::Blob | ShapeType::List | ShapeType::Map
    )
}
