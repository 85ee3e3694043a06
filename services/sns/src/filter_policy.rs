//! The filter-policy engine: which published messages a subscription gets.
//!
//! A policy is a JSON object. Every key must match (AND); the values listed
//! for one key are alternatives (OR); `"$or": [ {...}, {...} ]` matches when
//! any of its policies does. With scope `MessageAttributes` keys name
//! message attributes; with scope `MessageBody` they name fields of the JSON
//! message body, nested objects included. Operators: exact strings, numbers,
//! booleans and null, `prefix`, `suffix`, `equals-ignore-case`,
//! `anything-but` (values, `prefix` or `suffix`), `numeric` (`=`, ranges),
//! `exists`, and `cidr` for IP addresses.

use std::net::IpAddr;

use indexmap::IndexMap;
use nimbus_core::AwsError;
use serde_json::Value as Json;

use crate::errors::invalid_parameter;

/// Largest number of value combinations a policy may describe, as on SNS.
const MAX_COMBINATIONS: usize = 150;

/// Keys (leaf fields) one policy may name, as on SNS.
const MAX_KEYS: usize = 5;

/// Numbers a numeric condition may compare with: ±10^9.
const NUMERIC_LIMIT: f64 = 1e9;

/// Where a policy looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    MessageAttributes,
    MessageBody,
}

impl Scope {
    pub fn parse(value: &str) -> Result<Scope, AwsError> {
        match value {
            "MessageAttributes" => Ok(Scope::MessageAttributes),
            "MessageBody" => Ok(Scope::MessageBody),
            other => Err(invalid_parameter(format!(
                "Attributes Reason: FilterPolicyScope: Invalid value [{other}]. Please use either MessageBody or MessageAttributes"
            ))),
        }
    }
}

/// A parsed, validated filter policy.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterPolicy {
    root: Node,
}

/// One policy object: all `fields` must match, and one alternative of each `$or`.
#[derive(Debug, Clone, PartialEq, Default)]
struct Node {
    fields: Vec<(String, Rule)>,
    any_of: Vec<Vec<Node>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Rule {
    /// Alternatives for one value.
    Patterns(Vec<Pattern>),
    /// A nested object of the message body.
    Nested(Node),
}

#[derive(Debug, Clone, PartialEq)]
enum Pattern {
    Exact(Scalar),
    Prefix(String),
    Suffix(String),
    EqualsIgnoreCase(String),
    AnythingBut(Vec<Scalar>),
    AnythingButPrefix(String),
    AnythingButSuffix(String),
    Numeric(Vec<(Comparison, f64)>),
    Exists(bool),
    Cidr(Cidr),
}

/// A value in a message: what patterns compare against.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Text(String),
    Number(f64),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Comparison {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

#[derive(Debug, Clone, PartialEq)]
struct Cidr {
    network: IpAddr,
    prefix_len: u32,
}

/// What a policy is evaluated against: one attribute's or field's values.
/// `None` when the key is absent; an empty list when present with no
/// comparable value (a Binary attribute, a nested object).
pub trait Message {
    fn values(&self, path: &[&str]) -> Option<Vec<Scalar>>;
    /// Whether `path` names a nested object (MessageBody scope only).
    fn is_object(&self, path: &[&str]) -> bool;
}

fn error(detail: impl AsRef<str>) -> AwsError {
    invalid_parameter(format!("FilterPolicy: {}", detail.as_ref()))
}

impl FilterPolicy {
    /// Parses and validates `text` for `scope`, with SNS's error messages.
    pub fn parse(text: &str, scope: Scope) -> Result<FilterPolicy, AwsError> {
        let json: Json =
            serde_json::from_str(text).map_err(|e| error(format!("failed to parse JSON. {e}")))?;
        let Json::Object(object) = json else {
            return Err(error("Filter policy must be a JSON object"));
        };
        let root = parse_node(&object, scope, 0)?;
        if root.keys() > MAX_KEYS {
            return Err(error(format!(
                "Filter policy can not have more than {MAX_KEYS} keys"
            )));
        }
        if root.combinations() > MAX_COMBINATIONS {
            return Err(error("Filter policy is too complex"));
        }
        Ok(FilterPolicy { root })
    }

    pub fn matches(&self, message: &dyn Message) -> bool {
        self.root.matches(message, &mut Vec::new())
    }
}

fn parse_node(object: &serde_json::Map<String, Json>, scope: Scope, depth: usize) -> Result<Node, AwsError> {
    if depth > 5 {
        return Err(error("Filter policy is too complex"));
    }
    let mut node = Node::default();
    for (key, value) in object {
        if key == "$or" {
            let Json::Array(alternatives) = value else {
                return Err(error("$or must be an array of objects"));
            };
            if alternatives.len() < 2 {
                return Err(error("$or must contain at least two objects"));
            }
            let mut parsed = Vec::new();
            for alternative in alternatives {
                let Json::Object(alternative) = alternative else {
                    return Err(error("$or must be an array of objects"));
                };
                parsed.push(parse_node(alternative, scope, depth + 1)?);
            }
            node.any_of.push(parsed);
            continue;
        }
        let rule = match value {
            Json::Array(patterns) => {
                if patterns.is_empty() {
                    return Err(error(format!("Empty arrays are not allowed: \"{key}\"")));
                }
                Rule::Patterns(patterns.iter().map(parse_pattern).collect::<Result<_, _>>()?)
            }
            Json::Object(nested) if scope == Scope::MessageBody => {
                Rule::Nested(parse_node(nested, scope, depth + 1)?)
            }
            Json::Object(_) => {
                return Err(error(
                    "Filter policy scope MessageAttributes does not support nested filter policy",
                ));
            }
            _ => return Err(error(format!("\"{key}\" must be an object or an array"))),
        };
        node.fields.push((key.clone(), rule));
    }
    Ok(node)
}

fn parse_scalar(value: &Json) -> Option<Scalar> {
    match value {
        Json::String(text) => Some(Scalar::Text(text.clone())),
        Json::Number(number) => number.as_f64().map(Scalar::Number),
        Json::Bool(flag) => Some(Scalar::Bool(*flag)),
        Json::Null => Some(Scalar::Null),
        _ => None,
    }
}

fn parse_pattern(value: &Json) -> Result<Pattern, AwsError> {
    if let Some(scalar) = parse_scalar(value) {
        return Ok(Pattern::Exact(scalar));
    }
    let Json::Object(operator) = value else {
        return Err(error("Match value must be String, number, true, false, or null"));
    };
    let mut entries = operator.iter();
    let (Some((name, argument)), None) = (entries.next(), entries.next()) else {
        return Err(error("Match value must contain exactly one operator"));
    };
    let text_argument = |what: &str| match argument {
        Json::String(text) => Ok(text.clone()),
        _ => Err(error(format!("{what} match pattern must be a string"))),
    };
    match name.as_str() {
        "prefix" => Ok(Pattern::Prefix(text_argument("prefix")?)),
        "suffix" => Ok(Pattern::Suffix(text_argument("suffix")?)),
        "equals-ignore-case" => Ok(Pattern::EqualsIgnoreCase(text_argument("equals-ignore-case")?)),
        "exists" => match argument {
            Json::Bool(flag) => Ok(Pattern::Exists(*flag)),
            _ => Err(error("exists match pattern must be either true or false.")),
        },
        "anything-but" => parse_anything_but(argument),
        "numeric" => parse_numeric(argument),
        "cidr" => parse_cidr(&text_argument("cidr")?),
        other => Err(error(format!("Unrecognized match type {other}"))),
    }
}

fn parse_anything_but(argument: &Json) -> Result<Pattern, AwsError> {
    match argument {
        Json::Array(values) => {
            let values: Option<Vec<Scalar>> = values
                .iter()
                .map(|v| parse_scalar(v).filter(|s| matches!(s, Scalar::Text(_) | Scalar::Number(_))))
                .collect();
            match values {
                Some(values) if !values.is_empty() => Ok(Pattern::AnythingBut(values)),
                _ => Err(error("anything-but list must contain strings or numbers")),
            }
        }
        Json::Object(operator) => match operator.iter().next() {
            Some((name, Json::String(text))) if operator.len() == 1 && name == "prefix" => {
                Ok(Pattern::AnythingButPrefix(text.clone()))
            }
            Some((name, Json::String(text))) if operator.len() == 1 && name == "suffix" => {
                Ok(Pattern::AnythingButSuffix(text.clone()))
            }
            _ => Err(error("Unsupported anything-but pattern")),
        },
        other => match parse_scalar(other) {
            Some(scalar @ (Scalar::Text(_) | Scalar::Number(_))) => Ok(Pattern::AnythingBut(vec![scalar])),
            _ => Err(error(
                "anything-but must be a string, number, list or prefix/suffix object",
            )),
        },
    }
}

fn parse_numeric(argument: &Json) -> Result<Pattern, AwsError> {
    let Json::Array(items) = argument else {
        return Err(error("Value of numeric must be an array."));
    };
    let mut conditions = Vec::new();
    let mut items = items.iter();
    while let Some(operator) = items.next() {
        let Json::String(operator) = operator else {
            return Err(error("numeric operator must be a string"));
        };
        let comparison = match operator.as_str() {
            "=" => Comparison::Equal,
            "<" => Comparison::Less,
            "<=" => Comparison::LessOrEqual,
            ">" => Comparison::Greater,
            ">=" => Comparison::GreaterOrEqual,
            other => return Err(error(format!("Unrecognized numeric range operator: {other}"))),
        };
        let Some(bound) = items.next().and_then(Json::as_f64) else {
            return Err(error(format!("Value of {operator} must be numeric")));
        };
        if !(-NUMERIC_LIMIT..=NUMERIC_LIMIT).contains(&bound) {
            return Err(error(format!(
                "Value of {operator} must be between -1.0E9 and 1.0E9 inclusive"
            )));
        }
        conditions.push((comparison, bound));
    }
    let valid = match conditions.as_slice() {
        [(_, _)] => true,
        [
            (Comparison::Greater | Comparison::GreaterOrEqual, low),
            (Comparison::Less | Comparison::LessOrEqual, high),
        ] => low < high,
        _ => false,
    };
    if !valid {
        return Err(error("Too many elements in numeric expression or bad range"));
    }
    Ok(Pattern::Numeric(conditions))
}

fn parse_cidr(text: &str) -> Result<Pattern, AwsError> {
    let invalid = || error(format!("Malformed CIDR, one '/' required: {text}"));
    let (address, length) = text.split_once('/').ok_or_else(invalid)?;
    let network: IpAddr = address
        .parse()
        .map_err(|_| error(format!("Nonstandard IP address: {address}")))?;
    let prefix_len: u32 = length.parse().map_err(|_| invalid())?;
    let max = if network.is_ipv4() { 32 } else { 128 };
    if prefix_len > max {
        return Err(error(format!("Invalid prefix length: {prefix_len}")));
    }
    Ok(Pattern::Cidr(Cidr { network, prefix_len }))
}

impl Node {
    /// Leaf keys the node names; of an `$or`, its largest alternative.
    fn keys(&self) -> usize {
        let fields: usize = self
            .fields
            .iter()
            .map(|(_, rule)| match rule {
                Rule::Patterns(_) => 1,
                Rule::Nested(node) => node.keys(),
            })
            .sum();
        let alternatives: usize = self
            .any_of
            .iter()
            .map(|alternatives| alternatives.iter().map(Node::keys).max().unwrap_or(0))
            .sum();
        fields + alternatives
    }

    /// Value combinations the node describes (SNS's complexity measure).
    fn combinations(&self) -> usize {
        let fields = self.fields.iter().fold(1usize, |total, (_, rule)| {
            let own = match rule {
                Rule::Patterns(patterns) => patterns.len(),
                Rule::Nested(node) => node.combinations(),
            };
            total.saturating_mul(own)
        });
        self.any_of.iter().fold(fields, |total, alternatives| {
            total.saturating_mul(alternatives.iter().map(Node::combinations).sum())
        })
    }

    fn matches<'p>(&'p self, message: &dyn Message, path: &mut Vec<&'p str>) -> bool {
        let fields_match = self.fields.iter().all(|(key, rule)| {
            path.push(key);
            let matched = match rule {
                Rule::Nested(node) => node.matches(message, path),
                Rule::Patterns(patterns) => {
                    let values = if message.is_object(path) {
                        Some(Vec::new())
                    } else {
                        message.values(path)
                    };
                    patterns.iter().any(|pattern| pattern.matches(values.as_deref()))
                }
            };
            path.pop();
            matched
        });
        fields_match
            && self
                .any_of
                .iter()
                .all(|alternatives| alternatives.iter().any(|node| node.matches(message, path)))
    }
}

impl Pattern {
    /// `values` is `None` when the key is absent.
    fn matches(&self, values: Option<&[Scalar]>) -> bool {
        match (self, values) {
            (Pattern::Exists(expected), values) => values.is_some() == *expected,
            (_, None) => false,
            (pattern, Some(values)) => values.iter().any(|value| pattern.matches_value(value)),
        }
    }

    fn matches_value(&self, value: &Scalar) -> bool {
        let text = match value {
            Scalar::Text(text) => Some(text.as_str()),
            _ => None,
        };
        let number = match value {
            Scalar::Number(number) => Some(*number),
            _ => None,
        };
        match self {
            Pattern::Exact(expected) => expected == value,
            Pattern::Prefix(prefix) => text.is_some_and(|t| t.starts_with(prefix.as_str())),
            Pattern::Suffix(suffix) => text.is_some_and(|t| t.ends_with(suffix.as_str())),
            Pattern::EqualsIgnoreCase(expected) => {
                text.is_some_and(|t| t.to_lowercase() == expected.to_lowercase())
            }
            Pattern::AnythingBut(excluded) => {
                matches!(value, Scalar::Text(_) | Scalar::Number(_)) && !excluded.contains(value)
            }
            Pattern::AnythingButPrefix(prefix) => text.is_some_and(|t| !t.starts_with(prefix.as_str())),
            Pattern::AnythingButSuffix(suffix) => text.is_some_and(|t| !t.ends_with(suffix.as_str())),
            Pattern::Numeric(conditions) => number.is_some_and(|n| {
                conditions.iter().all(|(comparison, bound)| match comparison {
                    Comparison::Equal => n == *bound,
                    Comparison::Less => n < *bound,
                    Comparison::LessOrEqual => n <= *bound,
                    Comparison::Greater => n > *bound,
                    Comparison::GreaterOrEqual => n >= *bound,
                })
            }),
            Pattern::Cidr(cidr) => text
                .and_then(|t| t.parse::<IpAddr>().ok())
                .is_some_and(|ip| cidr.contains(ip)),
            Pattern::Exists(_) => true,
        }
    }
}

impl Cidr {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(network), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - self.prefix_len).unwrap_or(0);
                u32::from(network) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - self.prefix_len).unwrap_or(0);
                u128::from(network) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Message attributes as the policy sees them, by name.
pub struct AttributeValues<'a>(pub &'a IndexMap<String, (String, Option<String>)>);

impl Message for AttributeValues<'_> {
    fn values(&self, path: &[&str]) -> Option<Vec<Scalar>> {
        let [name] = path else { return None };
        let (data_type, text) = self.0.get(*name)?;
        let Some(text) = text else { return Some(Vec::new()) };
        let base_type = data_type.split('.').next().unwrap_or_default();
        Some(if data_type == "String.Array" {
            match serde_json::from_str::<Json>(text) {
                Ok(Json::Array(items)) => items.iter().filter_map(parse_scalar).collect(),
                _ => Vec::new(),
            }
        } else if base_type == "Number" {
            text.trim()
                .parse::<f64>()
                .map(Scalar::Number)
                .into_iter()
                .collect()
        } else if base_type == "String" {
            vec![Scalar::Text(text.clone())]
        } else {
            Vec::new()
        })
    }

    fn is_object(&self, _path: &[&str]) -> bool {
        false
    }
}

/// A JSON message body as the policy sees it.
pub struct BodyValues<'a>(pub &'a Json);

impl BodyValues<'_> {
    fn at(&self, path: &[&str]) -> Option<&Json> {
        path.iter()
            .try_fold(self.0, |value, key| value.as_object()?.get(*key))
    }
}

impl Message for BodyValues<'_> {
    fn values(&self, path: &[&str]) -> Option<Vec<Scalar>> {
        match self.at(path)? {
            Json::Array(items) => Some(items.iter().filter_map(parse_scalar).collect()),
            value => Some(parse_scalar(value).into_iter().collect()),
        }
    }

    fn is_object(&self, path: &[&str]) -> bool {
        self.at(path).is_some_and(Json::is_object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attributes(pairs: &[(&str, &str, &str)]) -> IndexMap<String, (String, Option<String>)> {
        pairs
            .iter()
            .map(|(name, kind, value)| {
                (
                    (*name).to_owned(),
                    ((*kind).to_owned(), Some((*value).to_owned())),
                )
            })
            .collect()
    }

    fn on_attributes(policy: &str, pairs: &[(&str, &str, &str)]) -> bool {
        let policy = FilterPolicy::parse(policy, Scope::MessageAttributes).expect("valid policy");
        policy.matches(&AttributeValues(&attributes(pairs)))
    }

    fn on_body(policy: &str, body: &str) -> bool {
        let policy = FilterPolicy::parse(policy, Scope::MessageBody).expect("valid policy");
        let body: Json = serde_json::from_str(body).expect("json body");
        policy.matches(&BodyValues(&body))
    }

    #[test]
    fn exact_prefix_suffix_and_case() {
        assert!(on_attributes(
            r#"{"color":["red","blue"]}"#,
            &[("color", "String", "blue")]
        ));
        assert!(!on_attributes(
            r#"{"color":["red"]}"#,
            &[("color", "String", "green")]
        ));
        assert!(!on_attributes(r#"{"color":["red"]}"#, &[]));
        assert!(on_attributes(
            r#"{"id":[{"prefix":"ord-"}]}"#,
            &[("id", "String", "ord-1")]
        ));
        assert!(on_attributes(
            r#"{"f":[{"suffix":".png"}]}"#,
            &[("f", "String", "a.png")]
        ));
        assert!(on_attributes(
            r#"{"c":[{"equals-ignore-case":"RED"}]}"#,
            &[("c", "String", "rEd")]
        ));
        assert!(on_attributes(r#"{"n":[5]}"#, &[("n", "Number", "5.0")]));
        assert!(!on_attributes(r#"{"n":["5"]}"#, &[("n", "Number", "5")]));
        assert!(on_attributes(
            r#"{"tags":["b"]}"#,
            &[("tags", "String.Array", r#"["a","b"]"#)]
        ));
    }

    #[test]
    fn anything_but_numeric_exists_and_cidr() {
        assert!(on_attributes(
            r#"{"c":[{"anything-but":["red"]}]}"#,
            &[("c", "String", "blue")]
        ));
        assert!(!on_attributes(
            r#"{"c":[{"anything-but":"red"}]}"#,
            &[("c", "String", "red")]
        ));
        assert!(!on_attributes(r#"{"c":[{"anything-but":"red"}]}"#, &[]));
        assert!(on_attributes(
            r#"{"c":[{"anything-but":{"prefix":"re"}}]}"#,
            &[("c", "String", "blue")]
        ));
        assert!(!on_attributes(
            r#"{"c":[{"anything-but":{"prefix":"re"}}]}"#,
            &[("c", "String", "red")]
        ));
        let range = r#"{"p":[{"numeric":[">",0,"<=",100]}]}"#;
        assert!(on_attributes(range, &[("p", "Number", "100")]));
        assert!(!on_attributes(range, &[("p", "Number", "0")]));
        assert!(!on_attributes(range, &[("p", "String", "50")]));
        assert!(on_attributes(
            r#"{"x":[{"exists":true}]}"#,
            &[("x", "String", "1")]
        ));
        assert!(on_attributes(
            r#"{"x":[{"exists":false}]}"#,
            &[("y", "String", "1")]
        ));
        assert!(!on_attributes(
            r#"{"x":[{"exists":false}]}"#,
            &[("x", "String", "1")]
        ));
        let cidr = r#"{"ip":[{"cidr":"10.0.0.0/24"}]}"#;
        assert!(on_attributes(cidr, &[("ip", "String", "10.0.0.255")]));
        assert!(!on_attributes(cidr, &[("ip", "String", "10.0.1.0")]));
        assert!(on_attributes(
            r#"{"ip":[{"cidr":"2001:db8::/32"}]}"#,
            &[("ip", "String", "2001:db8::1")]
        ));
    }

    #[test]
    fn or_and_nested_body_keys() {
        let policy = r#"{"$or":[{"a":["x"]},{"b":["y"]}]}"#;
        assert!(on_attributes(policy, &[("b", "String", "y")]));
        assert!(!on_attributes(policy, &[("b", "String", "x")]));
        let nested = r#"{"order":{"kind":["book"],"total":[{"numeric":[">=",10]}]}}"#;
        assert!(on_body(nested, r#"{"order":{"kind":"book","total":12}}"#));
        assert!(!on_body(nested, r#"{"order":{"kind":"book","total":2}}"#));
        assert!(on_body(r#"{"tags":["b"]}"#, r#"{"tags":["a","b"]}"#));
        assert!(on_body(
            r#"{"flag":[true],"none":[null]}"#,
            r#"{"flag":true,"none":null}"#
        ));
    }

    #[test]
    fn invalid_policies_are_invalid_parameters() {
        for bad in [
            "not json",
            "[1]",
            r#"{"a":"x"}"#,
            r#"{"a":[{"bogus":1}]}"#,
            r#"{"a":[{"numeric":[">","x"]}]}"#,
            r#"{"a":[{"numeric":["<",1,">",2]}]}"#,
            r#"{"a":[{"exists":"yes"}]}"#,
            r#"{"a":[{"cidr":"10.0.0.0"}]}"#,
            r#"{"a":{"b":["c"]}}"#,
            r#"{"a":[]}"#,
            r#"{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}"#,
            r#"{"a":[{"numeric":[">",2000000000]}]}"#,
        ] {
            let error = FilterPolicy::parse(bad, Scope::MessageAttributes).err();
            assert_eq!(
                error.map(|e| (e.code.into_owned(), e.status)),
                Some(("InvalidParameter".to_owned(), 400)),
                "{bad}"
            );
        }
        let many: Vec<String> = (0..151).map(|i| format!("\"v{i}\"")).collect();
        let complex = format!(r#"{{"a":[{}]}}"#, many.join(","));
        assert!(FilterPolicy::parse(&complex, Scope::MessageAttributes).is_err());
    }
}
