//! EventBridge event patterns, the language EventBridge rules and Lambda's
//! event filtering (FilterCriteria) share: a JSON object whose fields name
//! the event's fields, each either a nested pattern or an array of
//! matchers, any of which may match (exact values, `prefix`, `suffix`,
//! `equals-ignore-case`, `wildcard`, `anything-but`, `numeric`, `exists`,
//! `cidr`), with `$or` between alternative patterns. An event matches when
//! every field of the pattern matches; an array in the event matches when
//! any of its elements does.

mod matcher;
mod parse;

use serde_json::Value as Json;

pub use matcher::Matcher;

/// A parsed pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    fields: Vec<(String, Node)>,
    /// `$or`: at least one of these must match too.
    alternatives: Vec<Pattern>,
}

/// What a pattern says of one field.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Nested(Pattern),
    Matchers(Vec<Matcher>),
}

/// Why a pattern is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PatternError {}

impl Pattern {
    /// Parses a pattern's JSON text.
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        let json: Json =
            serde_json::from_str(text).map_err(|e| PatternError(format!("invalid JSON: {e}")))?;
        parse::pattern(&json)
    }

    /// Whether `event` matches.
    pub fn matches(&self, event: &Json) -> bool {
        self.matches_object(event.as_object())
    }

    fn matches_object(&self, object: Option<&serde_json::Map<String, Json>>) -> bool {
        let fields_match = self.fields.iter().all(|(name, node)| {
            let value = object.and_then(|o| o.get(name));
            match node {
                Node::Nested(pattern) => nested_matches(pattern, value),
                Node::Matchers(matchers) => leaf_matches(matchers, value),
            }
        });
        fields_match
            && (self.alternatives.is_empty() || self.alternatives.iter().any(|p| p.matches_object(object)))
    }
}

/// A nested pattern against an object, an array of objects (any of them),
/// or nothing (only patterns asking for absent fields match).
fn nested_matches(pattern: &Pattern, value: Option<&Json>) -> bool {
    match value {
        Some(Json::Object(object)) => pattern.matches_object(Some(object)),
        Some(Json::Array(items)) => items.iter().any(|item| nested_matches(pattern, Some(item))),
        Some(_) => false,
        None => pattern.matches_object(None),
    }
}

/// Matchers against a field: any matcher on the value, or on any element
/// of an array.
fn leaf_matches(matchers: &[Matcher], value: Option<&Json>) -> bool {
    match value {
        None => matchers.iter().any(Matcher::matches_absent),
        Some(Json::Array(items)) => items.iter().any(|item| matchers.iter().any(|m| m.matches(item))),
        Some(value) => matchers.iter().any(|m| m.matches(value)),
    }
}

#[cfg(test)]
mod tests;
