//! Attribute values: the ten DynamoDB types, read off the wire and checked
//! as DynamoDB checks them, sized for the 400 KB limit, compared, encoded
//! as store keys, and written as DynamoDB JSON (the form items are stored
//! in, which is also the wire's: see [`crate::item::AnswerItem`]).
//!
//! On the wire the codecs walk the model's `AttributeValue` union and hand
//! its members to [`AttributeValue`]'s `Deserialize` (blobs as bytes); from
//! the store, `serde_json` hands it DynamoDB JSON (blobs as base64 text).
//! A broken rule raises DynamoDB's own error ([`AwsError::raise`]).

use std::cmp::Ordering;

use indexmap::IndexMap;
use nimbus_core::AwsError;
use serde::de::DeserializeSeed;

use crate::number::Number;

mod read;
mod write;

pub use read::ExpressionValues;
use read::ItemSeed;
use write::JsonItem;
pub use write::json;

/// An item: attribute name → value, in the order the client wrote them.
pub type Item = IndexMap<String, AttributeValue>;

/// Deepest nesting of lists and maps DynamoDB accepts.
pub const MAX_NESTING: usize = 32;

/// One attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    S(String),
    N(Number),
    B(Vec<u8>),
    Bool(bool),
    Null(bool),
    L(Vec<AttributeValue>),
    M(Item),
    SS(Vec<String>),
    NS(Vec<Number>),
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

/// Bytes a number counts: one per two significant digits, plus one.
pub fn number_size(n: &Number) -> usize {
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

/// An item as DynamoDB JSON (`{"name":{"S":"x"},...}`, blobs in base64):
/// the form items are stored in.
pub fn item_to_json(item: &Item) -> Vec<u8> {
    let mut json = Vec::with_capacity(128);
    write_item_json(item, &mut json);
    json
}

/// [`item_to_json`], appended to `out`.
pub fn write_item_json(item: &Item, out: &mut Vec<u8>) {
    // Strings, numbers and base64 always serialize.
    let _ = serde_json::to_writer(out, &JsonItem(item));
}

/// An item from DynamoDB JSON.
pub fn item_from_json(json: &[u8]) -> Result<Item, serde_json::Error> {
    let _ = AwsError::take_raised();
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let item = ItemSeed { depth: 0 }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(item)
}
