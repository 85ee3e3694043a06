//! One matcher of a pattern's array, and how it matches a leaf value.

use std::net::IpAddr;

use serde_json::Value as Json;

/// A matcher, as parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Matcher {
    /// A literal: a string, number, boolean or null equal to the value
    /// (numbers by their value).
    Exact(Json),
    Prefix {
        text: String,
        ignore_case: bool,
    },
    Suffix {
        text: String,
        ignore_case: bool,
    },
    EqualsIgnoreCase(String),
    /// `*` for any run of characters (`\*` a star itself).
    Wildcard(String),
    /// Matches what none of the inner matchers match (strings and numbers only).
    AnythingBut(Vec<Matcher>),
    /// Comparisons that must all hold (`>`, `>=`, `=`, `<`, `<=`).
    Numeric(Vec<(Comparison, f64)>),
    Exists(bool),
    Cidr {
        network: IpAddr,
        prefix: u8,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Less,
    LessOrEqual,
    Equal,
    GreaterOrEqual,
    Greater,
}

impl Matcher {
    /// Whether it matches a field the event does not have.
    pub fn matches_absent(&self) -> bool {
        matches!(self, Matcher::Exists(false))
    }

    /// Whether it matches the leaf `value` (not an array: the caller tries
    /// each element).
    pub fn matches(&self, value: &Json) -> bool {
        if value.is_object() {
            // Matchers speak of leaves; an object is not one.
            return false;
        }
        let text = value.as_str();
        match self {
            Matcher::Exact(expected) => exact(expected, value),
            Matcher::Prefix { text: p, ignore_case } => text.is_some_and(|t| affix(t, p, *ignore_case, true)),
            Matcher::Suffix { text: s, ignore_case } => {
                text.is_some_and(|t| affix(t, s, *ignore_case, false))
            }
            Matcher::EqualsIgnoreCase(expected) => {
                text.is_some_and(|t| t.to_lowercase() == expected.to_lowercase())
            }
            Matcher::Wildcard(pattern) => text.is_some_and(|t| wildcard(pattern, t)),
            Matcher::AnythingBut(excluded) => {
                (value.is_string() || value.is_number()) && !excluded.iter().any(|m| m.matches(value))
            }
            Matcher::Numeric(comparisons) => value
                .as_f64()
                .is_some_and(|n| comparisons.iter().all(|(op, bound)| compare(n, *op, *bound))),
            Matcher::Exists(exists) => *exists,
            Matcher::Cidr { network, prefix } => text
                .and_then(|t| t.parse::<IpAddr>().ok())
                .is_some_and(|ip| in_network(ip, *network, *prefix)),
        }
    }
}

fn exact(expected: &Json, value: &Json) -> bool {
    match (expected, value) {
        (Json::Number(a), Json::Number(b)) => a.as_f64() == b.as_f64(),
        _ => expected == value,
    }
}

fn affix(text: &str, affix: &str, ignore_case: bool, prefix: bool) -> bool {
    let (text, affix) = match ignore_case {
        true => (text.to_lowercase(), affix.to_lowercase()),
        false => (text.to_owned(), affix.to_owned()),
    };
    match prefix {
        true => text.starts_with(&affix),
        false => text.ends_with(&affix),
    }
}

fn compare(n: f64, op: Comparison, bound: f64) -> bool {
    match op {
        Comparison::Less => n < bound,
        Comparison::LessOrEqual => n <= bound,
        Comparison::Equal => n == bound,
        Comparison::GreaterOrEqual => n >= bound,
        Comparison::Greater => n > bound,
    }
}

/// A wildcard pattern's pieces: literal runs between stars.
fn pieces(pattern: &str) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(last)) = (chars.next(), pieces.last_mut()) {
                    last.push(next);
                }
            }
            '*' => pieces.push(String::new()),
            other => {
                if let Some(last) = pieces.last_mut() {
                    last.push(other);
                }
            }
        }
    }
    pieces
}

fn wildcard(pattern: &str, text: &str) -> bool {
    let pieces = pieces(pattern);
    let (Some(first), Some(last)) = (pieces.first(), pieces.last()) else {
        return false;
    };
    if pieces.len() == 1 {
        return text == first;
    }
    if !text.starts_with(first.as_str())
        || text.len() < first.len() + last.len()
        || !text.ends_with(last.as_str())
    {
        return false;
    }
    // The middle pieces in order, each as early as it fits.
    let mut rest = &text[first.len()..text.len() - last.len()];
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece.as_str()) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

fn in_network(ip: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(network)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(network) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(network)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(network) & mask
        }
        _ => false,
    }
}
