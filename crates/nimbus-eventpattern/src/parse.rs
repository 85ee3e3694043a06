//! Reading a pattern's JSON into matchers, refusing what EventBridge
//! refuses (the reasons worded after its "Event pattern is not valid"
//! messages).

use std::net::IpAddr;

use serde_json::{Map, Value as Json};

use crate::matcher::{Comparison, Matcher};
use crate::{Node, Pattern, PatternError};

fn invalid(reason: impl Into<String>) -> PatternError {
    PatternError(reason.into())
}

/// A pattern object (the whole pattern, a nested one, a `$or` branch).
pub fn pattern(json: &Json) -> Result<Pattern, PatternError> {
    let Json::Object(object) = json else {
        return Err(invalid("Filter is not an object"));
    };
    let mut parsed = Pattern {
        fields: Vec::new(),
        alternatives: Vec::new(),
    };
    for (name, value) in object {
        if name == "$or" {
            parsed.alternatives = alternatives(value)?;
            continue;
        }
        let node = match value {
            Json::Object(_) => Node::Nested(pattern(value)?),
            Json::Array(items) => Node::Matchers(items.iter().map(matcher).collect::<Result<_, _>>()?),
            _ => {
                return Err(invalid(format!(
                    "Match value for \"{name}\" must be an array or an object"
                )));
            }
        };
        parsed.fields.push((name.clone(), node));
    }
    Ok(parsed)
}

fn alternatives(value: &Json) -> Result<Vec<Pattern>, PatternError> {
    match value {
        Json::Array(items) if items.len() >= 2 => items.iter().map(pattern).collect(),
        _ => Err(invalid("Value of $or must be an array of at least two objects")),
    }
}

/// One element of a field's array.
fn matcher(json: &Json) -> Result<Matcher, PatternError> {
    match json {
        Json::Object(object) => operator(object),
        Json::Array(_) => Err(invalid(
            "Match value must be String, number, true, false, or null",
        )),
        literal => Ok(Matcher::Exact(literal.clone())),
    }
}

fn operator(object: &Map<String, Json>) -> Result<Matcher, PatternError> {
    let mut entries = object.iter();
    let (Some((name, value)), None) = (entries.next(), entries.next()) else {
        return Err(invalid("A match expression must have exactly one field"));
    };
    match name.as_str() {
        "prefix" => affix(value, true),
        "suffix" => affix(value, false),
        "equals-ignore-case" => Ok(Matcher::EqualsIgnoreCase(string(name, value)?)),
        "wildcard" => wildcard(value),
        "anything-but" => anything_but(value),
        "numeric" => numeric(value),
        "exists" => match value {
            Json::Bool(exists) => Ok(Matcher::Exists(*exists)),
            _ => Err(invalid("exists match pattern must be either true or false.")),
        },
        "cidr" => cidr(value),
        other => Err(invalid(format!("Unrecognized match type {other}"))),
    }
}

fn string(operator: &str, value: &Json) -> Result<String, PatternError> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| invalid(format!("{operator} match pattern must be a string")))
}

/// `{"prefix": "x"}` or `{"prefix": {"equals-ignore-case": "x"}}`.
fn affix(value: &Json, prefix: bool) -> Result<Matcher, PatternError> {
    let operator = if prefix { "prefix" } else { "suffix" };
    let (text, ignore_case) = match value {
        Json::Object(inner) => match inner.get("equals-ignore-case") {
            Some(text) if inner.len() == 1 => (string(operator, text)?, true),
            _ => return Err(invalid(format!("Unsupported {operator} pattern"))),
        },
        other => (string(operator, other)?, false),
    };
    Ok(match prefix {
        true => Matcher::Prefix { text, ignore_case },
        false => Matcher::Suffix { text, ignore_case },
    })
}

fn wildcard(value: &Json) -> Result<Matcher, PatternError> {
    let text = string("wildcard", value)?;
    if text.contains("**") {
        return Err(invalid("Consecutive wildcard characters at pos 0"));
    }
    Ok(Matcher::Wildcard(text))
}

/// `anything-but`: a value, a list of values, or a prefix/suffix/wildcard/
/// equals-ignore-case matcher, any of which excludes.
fn anything_but(value: &Json) -> Result<Matcher, PatternError> {
    let excluded = match value {
        Json::Array(items) => items
            .iter()
            .map(|item| match item {
                Json::String(_) | Json::Number(_) => Ok(Matcher::Exact(item.clone())),
                _ => Err(invalid(
                    "Inside anything but list, start|null|boolean is not supported.",
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Json::Object(inner) => {
            let inner_matcher = operator(inner)?;
            match inner_matcher {
                Matcher::Prefix { .. }
                | Matcher::Suffix { .. }
                | Matcher::Wildcard(_)
                | Matcher::EqualsIgnoreCase(_) => vec![inner_matcher],
                _ => return Err(invalid("Unsupported anything-but pattern")),
            }
        }
        Json::String(_) | Json::Number(_) => vec![Matcher::Exact(value.clone())],
        _ => {
            return Err(invalid(
                "Inside anything but list, start|null|boolean is not supported.",
            ));
        }
    };
    Ok(Matcher::AnythingBut(excluded))
}

/// `numeric`: one or two comparisons, `["<", 10]` or `[">", 0, "<=", 5]`.
fn numeric(value: &Json) -> Result<Matcher, PatternError> {
    let Json::Array(items) = value else {
        return Err(invalid("Value of numeric must be an array."));
    };
    if items.is_empty() || items.len() % 2 != 0 || items.len() > 4 {
        return Err(invalid(
            "Value of numeric must be an array of one or two comparisons.",
        ));
    }
    let comparisons = items
        .chunks(2)
        .map(|pair| {
            let op = match pair[0].as_str() {
                Some("<") => Comparison::Less,
                Some("<=") => Comparison::LessOrEqual,
                Some("=") => Comparison::Equal,
                Some(">=") => Comparison::GreaterOrEqual,
                Some(">") => Comparison::Greater,
                _ => {
                    return Err(invalid(format!(
                        "Unrecognized numeric range operator: {}",
                        pair[0]
                    )));
                }
            };
            let bound = pair[1]
                .as_f64()
                .ok_or_else(|| invalid("Value of comparison must be a number"))?;
            Ok((op, bound))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Matcher::Numeric(comparisons))
}

fn cidr(value: &Json) -> Result<Matcher, PatternError> {
    let text = string("cidr", value)?;
    let bad = || invalid(format!("Nonstandard IP address: {text}"));
    let (address, prefix) = text.split_once('/').ok_or_else(bad)?;
    let network: IpAddr = address.parse().map_err(|_| bad())?;
    let prefix: u8 = prefix.parse().map_err(|_| bad())?;
    let most = if network.is_ipv4() { 32 } else { 128 };
    if prefix > most {
        return Err(bad());
    }
    Ok(Matcher::Cidr { network, prefix })
}
