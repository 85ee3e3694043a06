//! Attribute values: the ten DynamoDB types, converted once from the decoded
//! request, checked as DynamoDB checks them, sized for the 400 KB limit, and
//! stored as DynamoDB JSON.

use std::cmp::Ordering;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use indexmap::IndexMap;
use nimbus_core::{AwsError, Value};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{serialization, validation};
use crate::number::Number;

/// An item: attribute name → value, in the order the client wrote them.
pub type Item = IndexMap<String, AttributeValue>;

/// Deepest nesting of lists and maps DynamoDB accepts.
pub const MAX_NESTING: usize = 32;

/// One attribute value; serialized in DynamoDB JSON (`{"S": "x"}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AttributeValue {
    S(String),
    N(Number),
    #[serde(with = "base64_bytes")]
    B(Vec<u8>),
    #[serde(rename = "BOOL")]
    Bool(bool),
    #[serde(rename = "NULL")]
    Null(bool),
    L(Vec<AttributeValue>),
    M(Item),
    SS(Vec<String>),
    NS(Vec<Number>),
    #[serde(with = "base64_list")]
    BS(Vec<Vec<u8>>),
}

impl AttributeValue {
    /// The type descriptor DynamoDB uses in messages and `attribute_type`.
    pub fn type_name(&self) -> &'static str {
        match self {
            AttributeValue::S(_) => "S",
            AttributeValue::N(_) => "N",
            AttributeValue::B(_) => "B",
            AttributeValue::Bool(_) => "BOOL",
            AttributeValue::Null(_) => "NULL",
            AttributeValue::L(_) => "L",
            AttributeValue::M(_) => "M",
            AttributeValue::SS(_) => "SS",
            AttributeValue::NS(_) => "NS",
            AttributeValue::BS(_) => "BS",
        }
    }

    /// Converts one decoded `AttributeValue` structure, checking it.
    pub fn from_value(value: &Value) -> Result<AttributeValue, AwsError> {
        AttributeValue::from_value_at(value, 0)
    }

    fn from_value_at(value: &Value, depth: usize) -> Result<AttributeValue, AwsError> {
        // Bounded explicitly: hostile nesting must not reach the stack's limit.
        if depth > MAX_NESTING {
            return Err(validation("Nesting Levels have exceeded supported limits"));
        }
        let members = match value {
            Value::Structure(members) | Value::Map(members) => members,
            _ => return Err(serialization("Unexpected value type in payload")),
        };
        let mut set = members.iter().filter(|(_, v)| !matches!(v, Value::Null));
        let Some((kind, inner)) = set.next() else {
            return Err(validation(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            ));
        };
        if set.next().is_some() {
            return Err(validation(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
            ));
        }
        let text = |v: &Value| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| serialization("Unexpected value type in payload"))
        };
        let blob = |v: &Value| match v {
            Value::Blob(b) => Ok(b.to_vec()),
            Value::String(s) => Ok(s.as_bytes().to_vec()),
            _ => Err(serialization("Unexpected value type in payload")),
        };
        let list = |v: &Value| {
            v.as_list()
                .map(<[Value]>::to_vec)
                .ok_or_else(|| serialization("Unexpected value type in payload"))
        };
        Ok(match kind.as_str() {
            "S" => AttributeValue::S(text(inner)?),
            "N" => AttributeValue::N(Number::parse(&text(inner)?)?),
            "B" => AttributeValue::B(blob(inner)?),
            "BOOL" => AttributeValue::Bool(
                inner
                    .as_bool()
                    .ok_or_else(|| serialization("Unexpected value type in payload"))?,
            ),
            "NULL" => {
                if inner.as_bool() != Some(true) {
                    return Err(validation(
                        "One or more parameter values were invalid: Null attribute value types must have the value of true",
                    ));
                }
                AttributeValue::Null(true)
            }
            "L" => AttributeValue::L(
                list(inner)?
                    .iter()
                    .map(|v| AttributeValue::from_value_at(v, depth + 1))
                    .collect::<Result<_, _>>()?,
            ),
            "M" => {
                let (Value::Map(entries) | Value::Structure(entries)) = inner else {
                    return Err(serialization("Unexpected value type in payload"));
                };
                let mut map = Item::with_capacity(entries.len());
                for (name, v) in entries {
                    map.insert(name.clone(), AttributeValue::from_value_at(v, depth + 1)?);
                }
                AttributeValue::M(map)
            }
            "SS" => {
                let values: Vec<String> = list(inner)?.iter().map(text).collect::<Result<_, _>>()?;
                check_set("string", &values, |v| v.clone())?;
                AttributeValue::SS(values)
            }
            "NS" => {
                let raw: Vec<String> = list(inner)?.iter().map(text).collect::<Result<_, _>>()?;
                let values: Vec<Number> = raw.iter().map(|t| Number::parse(t)).collect::<Result<_, _>>()?;
                check_set("number", &values, |v| v.to_string())?;
                AttributeValue::NS(values)
            }
            "BS" => {
                let values: Vec<Vec<u8>> = list(inner)?.iter().map(blob).collect::<Result<_, _>>()?;
                check_set("binary", &values, |v| BASE64.encode(v))?;
                AttributeValue::BS(values)
            }
            other => return Err(serialization(format!("Unknown AttributeValue type: {other}"))),
        })
    }

    /// The decoded-value form the protocol layer encodes.
    pub fn to_value(&self) -> Value {
        let (kind, inner) = match self {
            AttributeValue::S(s) => ("S", Value::String(s.clone())),
            AttributeValue::N(n) => ("N", Value::String(n.to_string())),
            AttributeValue::B(b) => ("B", Value::Blob(Bytes::from(b.clone()))),
            AttributeValue::Bool(b) => ("BOOL", Value::Boolean(*b)),
            AttributeValue::Null(_) => ("NULL", Value::Boolean(true)),
            AttributeValue::L(items) => (
                "L",
                Value::List(items.iter().map(AttributeValue::to_value).collect()),
            ),
            AttributeValue::M(map) => ("M", item_to_value(map)),
            AttributeValue::SS(v) => (
                "SS",
                Value::List(v.iter().map(|s| Value::String(s.clone())).collect()),
            ),
            AttributeValue::NS(v) => (
                "NS",
                Value::List(v.iter().map(|n| Value::String(n.to_string())).collect()),
            ),
            AttributeValue::BS(v) => (
                "BS",
                Value::List(v.iter().map(|b| Value::Blob(Bytes::from(b.clone()))).collect()),
            ),
        };
        let mut members = IndexMap::with_capacity(1);
        members.insert(kind.to_owned(), inner);
        Value::Structure(members)
    }

    /// [`to_value`](Self::to_value) by move: the strings and bytes of the
    /// value become the decoded value's, without copies (answers of
    /// hundreds of items are mostly these).
    pub fn into_value(self) -> Value {
        let (kind, inner) = match self {
            AttributeValue::S(s) => ("S", Value::String(s)),
            AttributeValue::N(n) => ("N", Value::String(n.to_string())),
            AttributeValue::B(b) => ("B", Value::Blob(Bytes::from(b))),
            AttributeValue::Bool(b) => ("BOOL", Value::Boolean(b)),
            AttributeValue::Null(_) => ("NULL", Value::Boolean(true)),
            AttributeValue::L(items) => (
                "L",
                Value::List(items.into_iter().map(AttributeValue::into_value).collect()),
            ),
            AttributeValue::M(map) => ("M", item_into_value(map)),
            AttributeValue::SS(v) => ("SS", Value::List(v.into_iter().map(Value::String).collect())),
            AttributeValue::NS(v) => (
                "NS",
                Value::List(v.iter().map(|n| Value::String(n.to_string())).collect()),
            ),
            AttributeValue::BS(v) => (
                "BS",
                Value::List(v.into_iter().map(|b| Value::Blob(Bytes::from(b))).collect()),
            ),
        };
        let mut members = IndexMap::with_capacity(1);
        members.insert(kind.to_owned(), inner);
        Value::Structure(members)
    }

    /// Bytes this value counts toward the item size limit.
    pub fn size(&self) -> usize {
        match self {
            AttributeValue::S(s) => s.len(),
            AttributeValue::N(n) => number_size(n),
            AttributeValue::B(b) => b.len(),
            AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
            AttributeValue::L(items) => 3 + items.iter().map(|v| 1 + v.size()).sum::<usize>(),
            AttributeValue::M(map) => 3 + map.iter().map(|(k, v)| 1 + k.len() + v.size()).sum::<usize>(),
            AttributeValue::SS(v) => v.iter().map(String::len).sum(),
            AttributeValue::NS(v) => v.iter().map(number_size).sum(),
            AttributeValue::BS(v) => v.iter().map(Vec::len).sum(),
        }
    }

    /// Order for `<`, `>`, BETWEEN: only between two values of the same
    /// scalar type (S by UTF-8 bytes, N numerically, B by bytes).
    pub fn compare(&self, other: &AttributeValue) -> Option<Ordering> {
        match (self, other) {
            (AttributeValue::S(a), AttributeValue::S(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            (AttributeValue::N(a), AttributeValue::N(b)) => Some(a.cmp(b)),
            (AttributeValue::B(a), AttributeValue::B(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// Equality as expressions see it: sets compare without order.
    pub fn equals(&self, other: &AttributeValue) -> bool {
        match (self, other) {
            (AttributeValue::SS(a), AttributeValue::SS(b)) => same_members(a, b),
            (AttributeValue::NS(a), AttributeValue::NS(b)) => same_members(a, b),
            (AttributeValue::BS(a), AttributeValue::BS(b)) => same_members(a, b),
            (AttributeValue::L(a), AttributeValue::L(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.equals(y))
            }
            (AttributeValue::M(a), AttributeValue::M(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v.equals(w)))
            }
            _ => self == other,
        }
    }

    /// Order-preserving, self-delimiting bytes of a key value (S, N or B).
    pub fn encode_key(&self, out: &mut Vec<u8>) {
        match self {
            AttributeValue::S(s) => escape_bytes(s.as_bytes(), out),
            AttributeValue::B(b) => escape_bytes(b, out),
            AttributeValue::N(n) => n.sort_key(out),
            // Key attributes are checked to be S, N or B before they get here.
            _ => {}
        }
    }
}

fn same_members<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

fn number_size(n: &Number) -> usize {
    n.significant_digits().div_ceil(2) + 1
}

/// `0x00` becomes `0x00 0xFF` and the end is `0x00 0x01`, so shorter strings
/// sort first and a component never runs into the next one.
fn escape_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 1]);
}

fn check_set<T: PartialEq>(kind: &str, values: &[T], show: impl Fn(&T) -> String) -> Result<(), AwsError> {
    if values.is_empty() {
        return Err(validation(format!(
            "One or more parameter values were invalid: An {kind} set  may not be empty"
        )));
    }
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            let shown: Vec<String> = values.iter().map(&show).collect();
            return Err(validation(format!(
                "One or more parameter values were invalid: Input collection [{}] contains duplicates.",
                shown.join(", ")
            )));
        }
    }
    Ok(())
}

/// An item (or a key) from a decoded `AttributeMap`.
pub fn item_from_value(value: &Value) -> Result<Item, AwsError> {
    let (Value::Map(entries) | Value::Structure(entries)) = value else {
        return Err(serialization("Unexpected value type in payload"));
    };
    let mut item = Item::with_capacity(entries.len());
    for (name, v) in entries {
        item.insert(name.clone(), AttributeValue::from_value(v)?);
    }
    Ok(item)
}

pub fn item_to_value(item: &Item) -> Value {
    Value::Map(item.iter().map(|(k, v)| (k.clone(), v.to_value())).collect())
}

/// [`item_to_value`] by move.
pub fn item_into_value(item: Item) -> Value {
    Value::Map(item.into_iter().map(|(k, v)| (k, v.into_value())).collect())
}

/// How deep lists and maps nest in `item` (a top-level scalar is 0), counted
/// with an explicit stack: updates can nest values below existing paths, so
/// writes check the result.
pub fn nesting_depth(item: &Item) -> usize {
    let mut deepest = 0;
    let mut pending: Vec<(&AttributeValue, usize)> = item.values().map(|v| (v, 0)).collect();
    while let Some((value, depth)) = pending.pop() {
        deepest = deepest.max(depth);
        match value {
            AttributeValue::L(items) => pending.extend(items.iter().map(|v| (v, depth + 1))),
            AttributeValue::M(map) => pending.extend(map.values().map(|v| (v, depth + 1))),
            _ => {}
        }
    }
    deepest
}

/// Bytes an item counts toward the 400 KB limit: names plus values.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Number::parse(&text).map_err(|e| serde::de::Error::custom(e.message))
    }
}

mod base64_bytes {
    use super::*;

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&BASE64.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        BASE64.decode(text).map_err(serde::de::Error::custom)
    }
}

mod base64_list {
    use super::*;

    pub fn serialize<S: Serializer>(list: &[Vec<u8>], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(list.iter().map(|b| BASE64.encode(b)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let texts = Vec::<String>::deserialize(deserializer)?;
        texts
            .into_iter()
            .map(|t| BASE64.decode(t).map_err(serde::de::Error::custom))
            .collect()
    }
}
