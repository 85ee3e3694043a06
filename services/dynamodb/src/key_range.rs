//! The key side of a Query: its key condition as a partition key value and
//! a range of sort keys, which the scan walks in order; and a PartiQL
//! WHERE clause split into such a key condition and a filter.

use std::cmp::Ordering;

use nimbus_core::AwsError;

use crate::attribute::AttributeValue;
use crate::error::validation;
use crate::expr::ExpressionKind;
use crate::expr::ast::{Comparator, Condition, Operand, Path, PathElement};
use crate::schema::KeyAttr;

/// The condition a Query puts on the sort key.
#[derive(Debug, Clone)]
pub(crate) enum SortCondition {
    Compare(Comparator, AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}

impl SortCondition {
    /// The condition over store keys: each bound encoded as keys are.
    pub(crate) fn encode(&self) -> SortRange {
        let encoded = |value: &AttributeValue| {
            let mut bytes = Vec::new();
            value.encode_key(&mut bytes);
            bytes
        };
        match self {
            SortCondition::Compare(op, bound) => SortRange::Compare(*op, encoded(bound)),
            SortCondition::Between(low, high) => SortRange::Between(encoded(low), encoded(high)),
            SortCondition::BeginsWith(start) => {
                let mut bytes = encoded(start);
                // Without its terminator: what every longer value starts with.
                bytes.truncate(bytes.len().saturating_sub(2));
                SortRange::BeginsWith(bytes)
            }
        }
    }
}

/// A Query's sort condition over the bytes of store keys. Key encodings
/// keep the order of values and none starts another, so the bytes of a key
/// after its partition compare to a bound's encoding as the values compare
/// (an index entry's trailing table keys change nothing): items are placed
/// without being read.
#[derive(Debug, Clone)]
pub(crate) enum SortRange {
    Compare(Comparator, Vec<u8>),
    Between(Vec<u8>, Vec<u8>),
    /// The encoded prefix without its terminator.
    BeginsWith(Vec<u8>),
}

/// How a key (its bytes after the partition) compares to an encoded value.
fn compare(key: &[u8], bound: &[u8]) -> Ordering {
    if key.starts_with(bound) {
        Ordering::Equal
    } else {
        key.cmp(bound)
    }
}

impl SortRange {
    /// Where a key lies: below the range, inside it, or above it.
    fn locate(&self, key: &[u8]) -> Ordering {
        match self {
            SortRange::Compare(op, bound) => {
                let order = compare(key, bound);
                match op {
                    Comparator::Equal => order,
                    Comparator::Less if order == Ordering::Less => Ordering::Equal,
                    Comparator::LessEqual if order != Ordering::Greater => Ordering::Equal,
                    Comparator::Less | Comparator::LessEqual => Ordering::Greater,
                    Comparator::Greater if order == Ordering::Greater => Ordering::Equal,
                    Comparator::GreaterEqual if order != Ordering::Less => Ordering::Equal,
                    _ => Ordering::Less,
                }
            }
            SortRange::Between(low, high) => {
                if compare(key, low) == Ordering::Less {
                    Ordering::Less
                } else if compare(key, high) == Ordering::Greater {
                    Ordering::Greater
                } else {
                    Ordering::Equal
                }
            }
            // A key that does not start with the prefix sorts wholly below or above it.
            SortRange::BeginsWith(start) => compare(key, start),
        }
    }

    /// A store key above every key of the range and below every key past
    /// it, within the partition `prefix` (for a backward scan's start).
    pub(crate) fn upper_marker(&self, prefix: &[u8]) -> Option<Vec<u8>> {
        let mut marker = prefix.to_vec();
        match self {
            SortRange::Compare(Comparator::Less, bound) => {
                marker.extend_from_slice(bound);
                return Some(marker);
            }
            SortRange::Compare(Comparator::LessEqual | Comparator::Equal, bound)
            | SortRange::Between(_, bound)
            | SortRange::BeginsWith(bound) => marker.extend_from_slice(bound),
            SortRange::Compare(..) => return None,
        }
        // Past every key that starts with the marker.
        while let Some(last) = marker.pop() {
            if last < u8::MAX {
                marker.push(last + 1);
                return Some(marker);
            }
        }
        None
    }

    /// A store key below every key of the range, within the partition
    /// `prefix` (for a forward scan's start); keys between it and the range
    /// are skipped by [`Self::step`].
    pub(crate) fn lower_marker(&self, prefix: &[u8]) -> Option<Vec<u8>> {
        let mut marker = prefix.to_vec();
        match self {
            SortRange::Compare(Comparator::Equal | Comparator::Greater | Comparator::GreaterEqual, bound)
            | SortRange::Between(bound, _) => {
                marker.extend_from_slice(bound);
                // One byte short sorts before every key at or above the bound.
                marker.pop();
            }
            SortRange::BeginsWith(start) => marker.extend_from_slice(start),
            SortRange::Compare(..) => return None,
        }
        Some(marker)
    }

    /// What a scan in this direction does with the key `key` (its bytes
    /// after the partition).
    pub(crate) fn step(&self, key: &[u8], forward: bool) -> SortStep {
        match self.locate(key) {
            Ordering::Equal => SortStep::Take,
            Ordering::Less if forward => SortStep::Skip,
            Ordering::Greater if !forward => SortStep::Skip,
            _ => SortStep::Stop,
        }
    }
}

/// An item met by a scan: in the sort range, before it (not there yet), or past it.
pub(crate) enum SortStep {
    Take,
    Skip,
    Stop,
}

fn single_name(operand: &Operand) -> Option<&str> {
    match operand {
        Operand::Path(Path(elements)) if elements.len() == 1 => match &elements[0] {
            PathElement::Name(name) => Some(name),
            PathElement::Index(_) => None,
        },
        _ => None,
    }
}

/// Splits a KeyConditionExpression into the partition key value and the
/// optional sort key condition, with DynamoDB's messages.
pub(crate) fn key_condition(
    condition: Condition,
    hash: &KeyAttr,
    range: Option<&KeyAttr>,
) -> Result<(AttributeValue, Option<SortCondition>), AwsError> {
    let mut parts = Vec::new();
    let mut pending = vec![condition];
    while let Some(c) = pending.pop() {
        match c {
            Condition::And(a, b) => {
                pending.push(*b);
                pending.push(*a);
            }
            Condition::Or(..) => return Err(invalid_operator("OR")),
            Condition::Not(..) => return Err(invalid_operator("NOT")),
            Condition::In(..) => return Err(invalid_operator("IN")),
            Condition::Exists(..) => return Err(invalid_operator("attribute_exists")),
            Condition::NotExists(..) => return Err(invalid_operator("attribute_not_exists")),
            Condition::AttributeType(..) => return Err(invalid_operator("attribute_type")),
            Condition::Contains(..) => return Err(invalid_operator("contains")),
            other => parts.push(other),
        }
        if parts.len() > 2 {
            return Err(validation("Conditions can be of length 1 or 2 only"));
        }
    }
    let unsupported = || validation("Query key condition not supported");
    let mut hash_value = None;
    let mut sort = None;
    for part in parts {
        let (name, sort_condition) = match part {
            Condition::Compare(left, op, right) => {
                let (name, value, op) = match (single_name(&left), &right, single_name(&right), &left) {
                    (Some(name), Operand::Value(v), _, _) => (name.to_owned(), v.clone(), op),
                    (_, _, Some(name), Operand::Value(v)) => (name.to_owned(), v.clone(), flip(op)),
                    _ => return Err(unsupported()),
                };
                if op == Comparator::NotEqual {
                    return Err(invalid_operator("<>"));
                }
                (name, SortCondition::Compare(op, value))
            }
            Condition::Between(value, Operand::Value(low), Operand::Value(high)) => {
                let name = single_name(&value).ok_or_else(unsupported)?.to_owned();
                if low.compare(&high) == Some(Ordering::Greater) {
                    return Err(validation(
                        "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound",
                    ));
                }
                (name, SortCondition::Between(low, high))
            }
            Condition::BeginsWith(path, Operand::Value(prefix)) => {
                let name = single_name(&path).ok_or_else(unsupported)?.to_owned();
                (name, SortCondition::BeginsWith(prefix))
            }
            _ => return Err(unsupported()),
        };
        if name == hash.name {
            match sort_condition {
                SortCondition::Compare(Comparator::Equal, value) if hash_value.is_none() => {
                    hash_value = Some(value)
                }
                SortCondition::Compare(Comparator::Equal, _) => {
                    return Err(ExpressionKind::KeyCondition
                        .error("KeyConditionExpressions must only contain one condition per key"));
                }
                _ => return Err(unsupported()),
            }
        } else if range.is_some_and(|r| r.name == name) {
            if sort.is_some() {
                return Err(ExpressionKind::KeyCondition
                    .error("KeyConditionExpressions must only contain one condition per key"));
            }
            sort = Some(sort_condition);
        } else {
            return Err(validation(format!(
                "Query condition missed key schema element: {}",
                hash.name
            )));
        }
    }
    let hash_value = hash_value.ok_or_else(|| {
        validation(format!(
            "Query condition missed key schema element: {}",
            hash.name
        ))
    })?;
    let type_mismatch = || {
        validation(
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        )
    };
    if hash_value.type_name() != hash.attribute_type {
        return Err(type_mismatch());
    }
    if let (Some(sort), Some(range)) = (&sort, range) {
        let values: Vec<&AttributeValue> = match sort {
            SortCondition::Compare(_, v) | SortCondition::BeginsWith(v) => vec![v],
            SortCondition::Between(a, b) => vec![a, b],
        };
        if values.iter().any(|v| v.type_name() != range.attribute_type) {
            return Err(type_mismatch());
        }
        if matches!(sort, SortCondition::BeginsWith(_)) && range.attribute_type == "N" {
            return Err(validation(
                "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
            ));
        }
    }
    Ok((hash_value, sort))
}

/// DynamoDB's words for an operator a key condition cannot use.
fn invalid_operator(operator: &str) -> AwsError {
    validation(format!(
        "Invalid operator used in KeyConditionExpression: {operator}"
    ))
}

fn flip(op: Comparator) -> Comparator {
    match op {
        Comparator::Less => Comparator::Greater,
        Comparator::LessEqual => Comparator::GreaterEqual,
        Comparator::Greater => Comparator::Less,
        Comparator::GreaterEqual => Comparator::LessEqual,
        other => other,
    }
}

/// Splits a PartiQL WHERE clause into a key condition (when it pins the
/// partition key) and the rest, which becomes a filter.
pub(crate) fn split_where(
    condition: Condition,
    hash: &KeyAttr,
    range: Option<&KeyAttr>,
) -> (Option<Condition>, Option<Condition>) {
    let mut conjuncts = Vec::new();
    let mut pending = vec![condition];
    while let Some(c) = pending.pop() {
        match c {
            Condition::And(a, b) => {
                pending.push(*b);
                pending.push(*a);
            }
            other => conjuncts.push(other),
        }
    }
    let is_name = |operand: &Operand, key: Option<&KeyAttr>| {
        key.is_some_and(|k| single_name(operand) == Some(k.name.as_str()))
    };
    let mut hash_part = None;
    let mut sort_part = None;
    let mut rest = Vec::new();
    for conjunct in conjuncts {
        let is_hash = matches!(&conjunct, Condition::Compare(left, Comparator::Equal, Operand::Value(v))
            if is_name(left, Some(hash)) && v.type_name() == hash.attribute_type);
        let is_sort = match &conjunct {
            Condition::Compare(left, op, Operand::Value(_)) => {
                *op != Comparator::NotEqual && is_name(left, range)
            }
            Condition::Between(left, Operand::Value(_), Operand::Value(_))
            | Condition::BeginsWith(left, Operand::Value(_)) => is_name(left, range),
            _ => false,
        };
        if is_hash && hash_part.is_none() {
            hash_part = Some(conjunct);
        } else if is_sort && sort_part.is_none() {
            sort_part = Some(conjunct);
        } else {
            rest.push(conjunct);
        }
    }
    let join = |parts: Vec<Condition>| {
        parts
            .into_iter()
            .reduce(|a, b| Condition::And(Box::new(a), Box::new(b)))
    };
    match hash_part {
        Some(hash_part) => (
            join(std::iter::once(hash_part).chain(sort_part).collect()),
            join(rest),
        ),
        None => (None, join(sort_part.into_iter().chain(rest).collect())),
    }
}

/// Whether any path in `condition` starts at attribute `name`. Conditions
/// are at most 32 levels deep (the parser's bound), so recursion is safe.
pub(crate) fn condition_mentions(condition: &Condition, name: &str) -> bool {
    let operand = |o: &Operand| match o {
        Operand::Path(path) | Operand::Size(path) => path.root() == name,
        Operand::Value(_) => false,
    };
    match condition {
        Condition::Compare(a, _, b) | Condition::BeginsWith(a, b) | Condition::Contains(a, b) => {
            operand(a) || operand(b)
        }
        Condition::Between(a, b, c) => operand(a) || operand(b) || operand(c),
        Condition::In(a, options) => operand(a) || options.iter().any(operand),
        Condition::Exists(path) | Condition::NotExists(path) => path.root() == name,
        Condition::AttributeType(path, o) => path.root() == name || operand(o),
        Condition::And(a, b) | Condition::Or(a, b) => {
            condition_mentions(a, name) || condition_mentions(b, name)
        }
        Condition::Not(a) => condition_mentions(a, name),
    }
}
