//! The condition operators and how each compares one policy value with
//! one request value ("IAM JSON policy elements: Condition operators").

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use time::OffsetDateTime;
use time::format_description::well_known::Iso8601;

use crate::variables::plain;
use crate::wildcard::{Token, matches, tokens};

/// A condition operator, without qualifier or `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const NAMES: &[(&str, Operator)] = &[
    ("StringEquals", Operator::StringEquals),
    ("StringNotEquals", Operator::StringNotEquals),
    ("StringEqualsIgnoreCase", Operator::StringEqualsIgnoreCase),
    ("StringNotEqualsIgnoreCase", Operator::StringNotEqualsIgnoreCase),
    ("StringLike", Operator::StringLike),
    ("StringNotLike", Operator::StringNotLike),
    ("NumericEquals", Operator::NumericEquals),
    ("NumericNotEquals", Operator::NumericNotEquals),
    ("NumericLessThan", Operator::NumericLessThan),
    ("NumericLessThanEquals", Operator::NumericLessThanEquals),
    ("NumericGreaterThan", Operator::NumericGreaterThan),
    ("NumericGreaterThanEquals", Operator::NumericGreaterThanEquals),
    ("DateEquals", Operator::DateEquals),
    ("DateNotEquals", Operator::DateNotEquals),
    ("DateLessThan", Operator::DateLessThan),
    ("DateLessThanEquals", Operator::DateLessThanEquals),
    ("DateGreaterThan", Operator::DateGreaterThan),
    ("DateGreaterThanEquals", Operator::DateGreaterThanEquals),
    ("Bool", Operator::Bool),
    ("BinaryEquals", Operator::BinaryEquals),
    ("IpAddress", Operator::IpAddress),
    ("NotIpAddress", Operator::NotIpAddress),
    ("ArnEquals", Operator::ArnEquals),
    ("ArnLike", Operator::ArnLike),
    ("ArnNotEquals", Operator::ArnNotEquals),
    ("ArnNotLike", Operator::ArnNotLike),
    ("Null", Operator::Null),
];

impl Operator {
    /// The operator an IAM name (case-sensitive, as IAM reads it) stands for.
    pub fn from_name(name: &str) -> Option<Operator> {
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, op)| *op)
    }

    /// Operators that hold when the value does not match (and when the key
    /// is missing).
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            Operator::StringNotEquals
                | Operator::StringNotEqualsIgnoreCase
                | Operator::StringNotLike
                | Operator::NumericNotEquals
                | Operator::DateNotEquals
                | Operator::NotIpAddress
                | Operator::ArnNotEquals
                | Operator::ArnNotLike
        )
    }

    /// Operators whose values may hold policy variables.
    pub fn takes_variables(self) -> bool {
        matches!(
            self,
            Operator::StringEquals
                | Operator::StringNotEquals
                | Operator::StringEqualsIgnoreCase
                | Operator::StringNotEqualsIgnoreCase
                | Operator::StringLike
                | Operator::StringNotLike
                | Operator::Bool
                | Operator::ArnEquals
                | Operator::ArnLike
                | Operator::ArnNotEquals
                | Operator::ArnNotLike
        )
    }
}

/// The positive comparison of the operator (a negated operator's
/// negation is applied by the caller).
pub(crate) fn value_matches(operator: Operator, policy: &[Token], request: &str) -> bool {
    use Operator::*;
    match operator {
        StringEquals | StringNotEquals => plain(policy) == request,
        StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
            plain(policy).to_lowercase() == request.to_lowercase()
        }
        StringLike | StringNotLike => matches(policy, request, false),
        NumericEquals | NumericNotEquals => numeric(policy, request, |p, r| r == p),
        NumericLessThan => numeric(policy, request, |p, r| r < p),
        NumericLessThanEquals => numeric(policy, request, |p, r| r <= p),
        NumericGreaterThan => numeric(policy, request, |p, r| r > p),
        NumericGreaterThanEquals => numeric(policy, request, |p, r| r >= p),
        DateEquals | DateNotEquals => date(policy, request, |p, r| r == p),
        DateLessThan => date(policy, request, |p, r| r < p),
        DateLessThanEquals => date(policy, request, |p, r| r <= p),
        DateGreaterThan => date(policy, request, |p, r| r > p),
        DateGreaterThanEquals => date(policy, request, |p, r| r >= p),
        Bool => plain(policy).eq_ignore_ascii_case(request),
        BinaryEquals => binary_equals(&plain(policy), request),
        IpAddress | NotIpAddress => in_cidr(&plain(policy), request),
        ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => arn_like(policy, request),
        Null => false,
    }
}

fn numeric(policy: &[Token], request: &str, compare: fn(f64, f64) -> bool) -> bool {
    match (plain(policy).trim().parse::<f64>(), request.trim().parse::<f64>()) {
        (Ok(p), Ok(r)) => compare(p, r),
        _ => false,
    }
}

fn date(policy: &[Token], request: &str, compare: fn(i128, i128) -> bool) -> bool {
    match (instant(&plain(policy)), instant(request)) {
        (Some(p), Some(r)) => compare(p, r),
        _ => false,
    }
}

/// An ISO 8601 date or date-time, or epoch seconds, in nanoseconds.
pub(crate) fn instant(text: &str) -> Option<i128> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<i128>().ok().map(|s| s * 1_000_000_000);
    }
    if let Ok(t) = OffsetDateTime::parse(text, &Iso8601::DEFAULT) {
        return Some(t.unix_timestamp_nanos());
    }
    // A date alone (`2026-01-31`) or a time without its offset: UTC.
    let with_zone = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        format!("{text}Z")
    };
    OffsetDateTime::parse(&with_zone, &Iso8601::DEFAULT)
        .ok()
        .map(|t| t.unix_timestamp_nanos())
}

fn binary_equals(policy: &str, request: &str) -> bool {
    match (BASE64.decode(policy), BASE64.decode(request)) {
        (Ok(p), Ok(r)) => p == r,
        _ => false,
    }
}

/// Whether the address is in the block (`/32` or `/128` when none given).
pub(crate) fn in_cidr(block: &str, address: &str) -> bool {
    let (base, prefix) = match block.split_once('/') {
        Some((base, prefix)) => (base, prefix.parse::<u32>().ok()),
        None => (block, None),
    };
    let (Ok(base), Ok(address)) = (base.trim().parse::<IpAddr>(), address.trim().parse::<IpAddr>()) else {
        return false;
    };
    let (base, address, width) = match (base, address) {
        (IpAddr::V4(b), IpAddr::V4(a)) => (u128::from(u32::from(b)), u128::from(u32::from(a)), 32),
        (IpAddr::V6(b), IpAddr::V6(a)) => (u128::from(b), u128::from(a), 128),
        _ => return false,
    };
    let prefix = prefix.unwrap_or(width);
    if prefix > width {
        return false;
    }
    let shift = width - prefix;
    let masked = |v: u128| if shift >= 128 { 0 } else { v >> shift };
    masked(base) == masked(address)
}

/// ArnLike: each of the six colon-separated parts matched on its own (the
/// last part keeps any further colons).
fn arn_like(policy: &[Token], request: &str) -> bool {
    let policy_text = plain(policy);
    let pattern_parts: Vec<&str> = policy_text.splitn(6, ':').collect();
    let request_parts: Vec<&str> = request.splitn(6, ':').collect();
    if pattern_parts.len() != 6 || request_parts.len() != 6 {
        return matches(policy, request, false) && pattern_parts.len() == request_parts.len();
    }
    pattern_parts
        .iter()
        .zip(&request_parts)
        .all(|(pattern, part)| matches(&tokens(pattern), part, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_blocks() {
        assert!(in_cidr("203.0.113.0/24", "203.0.113.77"));
        assert!(!in_cidr("203.0.113.0/24", "203.0.114.1"));
        assert!(in_cidr("203.0.113.5", "203.0.113.5"));
        assert!(in_cidr("0.0.0.0/0", "8.8.8.8"));
        assert!(in_cidr("2001:DB8:1234:5678::/64", "2001:db8:1234:5678::1"));
        assert!(!in_cidr("2001:DB8:1234:5678::/64", "203.0.113.5"));
    }

    #[test]
    fn dates_in_iso_8601_or_epoch() {
        assert_eq!(instant("1970-01-01T00:00:10Z"), Some(10_000_000_000));
        assert_eq!(instant("10"), Some(10_000_000_000));
        assert_eq!(instant("1970-01-02"), Some(86_400_000_000_000));
        assert!(instant("yesterday").is_none());
    }

    #[test]
    fn arn_like_keeps_wildcards_within_a_part() {
        let pattern = tokens("arn:aws:someservice:*:111122223333:finance/*");
        assert!(!arn_like(
            &pattern,
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
        ));
        assert!(arn_like(
            &pattern,
            "arn:aws:someservice:us-east-2:111122223333:finance/a.txt"
        ));
    }
}
