//! The condition operators and how each compares one policy value with
//! one request value ("IAM JSON policy elements: Condition operators").

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use time::OffsetDateTime;
use time::format_description::well_known::Iso8601;

use crate::context::Context;
use crate::pattern::Pattern;
use crate::wildcard::{matches, tokens};

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

/// A condition value as its operator reads it, prepared when the policy
/// is parsed.
#[derive(Debug, Clone)]
pub enum Compiled {
    /// String, ARN and Bool operators: text, maybe with wildcards or
    /// variables.
    Text(Pattern),
    /// Numeric operators (`None`: not a number, matches nothing).
    Number(Option<f64>),
    /// Date operators, in nanoseconds since the epoch.
    Instant(Option<i128>),
    /// IpAddress and NotIpAddress.
    Block(Option<Cidr>),
    /// BinaryEquals, decoded from base64.
    Bytes(Option<Vec<u8>>),
    /// Null: `true` or `false` (`None`: neither, matches nothing).
    Flag(Option<bool>),
}

impl Compiled {
    pub(crate) fn new(operator: Operator, text: &str, variables: bool) -> Compiled {
        use Operator::*;
        match operator {
            NumericEquals
            | NumericNotEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => Compiled::Number(text.trim().parse().ok()),
            DateEquals
            | DateNotEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => Compiled::Instant(instant(text)),
            IpAddress | NotIpAddress => Compiled::Block(Cidr::parse(text)),
            BinaryEquals => Compiled::Bytes(BASE64.decode(text.trim()).ok()),
            Null => Compiled::Flag(match text.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            }),
            _ => Compiled::Text(Pattern::new(text, variables && operator.takes_variables())),
        }
    }
}

/// The positive comparison of the operator (a negated operator's
/// negation is applied by the caller).
pub(crate) fn value_matches(operator: Operator, policy: &Compiled, request: &str, context: &Context) -> bool {
    use Operator::*;
    match (operator, policy) {
        (StringEquals | StringNotEquals, Compiled::Text(p)) => {
            p.resolved(context).is_some_and(|p| p == request)
        }
        (StringEqualsIgnoreCase | StringNotEqualsIgnoreCase, Compiled::Text(p)) => p
            .resolved(context)
            .is_some_and(|p| p.to_lowercase() == request.to_lowercase()),
        (StringLike | StringNotLike, Compiled::Text(p)) => p.matches(request, false, context),
        (Bool, Compiled::Text(p)) => p
            .resolved(context)
            .is_some_and(|p| p.eq_ignore_ascii_case(request)),
        (ArnEquals | ArnLike | ArnNotEquals | ArnNotLike, Compiled::Text(p)) => {
            p.resolved(context).is_some_and(|p| arn_like(&p, request))
        }
        (_, Compiled::Number(Some(p))) => request
            .trim()
            .parse::<f64>()
            .is_ok_and(|r| compare(operator, *p, r)),
        (_, Compiled::Instant(Some(p))) => instant(request).is_some_and(|r| compare(operator, *p, r)),
        (_, Compiled::Block(Some(block))) => block.contains(request),
        (_, Compiled::Bytes(Some(p))) => BASE64.decode(request.trim()).is_ok_and(|r| r == *p),
        _ => false,
    }
}

/// The ordering operators, on the request value `r` against the policy's `p`.
fn compare<T: PartialOrd>(operator: Operator, p: T, r: T) -> bool {
    use Operator::*;
    match operator {
        NumericLessThan | DateLessThan => r < p,
        NumericLessThanEquals | DateLessThanEquals => r <= p,
        NumericGreaterThan | DateGreaterThan => r > p,
        NumericGreaterThanEquals | DateGreaterThanEquals => r >= p,
        _ => r == p,
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

/// An address block (`/32` or `/128` when no prefix is given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    base: u128,
    prefix: u32,
    v6: bool,
}

impl Cidr {
    pub(crate) fn parse(block: &str) -> Option<Cidr> {
        let (base, prefix) = match block.split_once('/') {
            Some((base, prefix)) => (base, Some(prefix.trim().parse::<u32>().ok()?)),
            None => (block, None),
        };
        let (base, width, v6) = match base.trim().parse::<IpAddr>().ok()? {
            IpAddr::V4(b) => (u128::from(u32::from(b)), 32, false),
            IpAddr::V6(b) => (u128::from(b), 128, true),
        };
        let prefix = prefix.unwrap_or(width);
        (prefix <= width).then_some(Cidr { base, prefix, v6 })
    }

    /// Whether the address (IPv4 or IPv6 text) is in the block.
    pub(crate) fn contains(&self, address: &str) -> bool {
        let (address, width) = match address.trim().parse::<IpAddr>() {
            Ok(IpAddr::V4(a)) if !self.v6 => (u128::from(u32::from(a)), 32),
            Ok(IpAddr::V6(a)) if self.v6 => (u128::from(a), 128),
            _ => return false,
        };
        let shift = width - self.prefix;
        let masked = |v: u128| if shift >= 128 { 0 } else { v >> shift };
        masked(self.base) == masked(address)
    }
}

/// ArnLike: each of the six colon-separated parts matched on its own (the
/// last part keeps any further colons).
fn arn_like(policy_text: &str, request: &str) -> bool {
    let pattern_parts: Vec<&str> = policy_text.splitn(6, ':').collect();
    let request_parts: Vec<&str> = request.splitn(6, ':').collect();
    if pattern_parts.len() != 6 || request_parts.len() != 6 {
        return pattern_parts.len() == request_parts.len() && matches(&tokens(policy_text), request, false);
    }
    pattern_parts
        .iter()
        .zip(&request_parts)
        .all(|(pattern, part)| matches(&tokens(pattern), part, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_cidr(block: &str, address: &str) -> bool {
        Cidr::parse(block).is_some_and(|block| block.contains(address))
    }

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
        let pattern = "arn:aws:someservice:*:111122223333:finance/*";
        assert!(!arn_like(
            pattern,
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
        ));
        assert!(arn_like(
            pattern,
            "arn:aws:someservice:us-east-2:111122223333:finance/a.txt"
        ));
    }
}
