//! Stored items straight into answers. An item is stored as DynamoDB JSON
//! (`{"name":{"S":"x"},...}`, numbers already in their canonical spelling),
//! which is the very form a Query or GetItem answer carries. Reading it
//! through [`Item`](crate::attribute::Item) and back into a decoded value
//! builds every attribute twice; [`stored_item_value`] builds the decoded
//! value the protocol layer encodes in one pass. It yields exactly
//! `item_into_value(decode_item(bytes))` (unit-tested below).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use indexmap::IndexMap;
use nimbus_core::{AwsError, Value};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::attribute::{AttributeValue, Item, item_from_value};

/// A stored item as the decoded value of an `AttributeMap`.
pub fn stored_item_value(bytes: &[u8]) -> Result<Value, AwsError> {
    // One UTF-8 check for the whole item instead of one per string.
    let text =
        std::str::from_utf8(bytes).map_err(|e| AwsError::internal(format!("stored item unreadable: {e}")))?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    // serde_json bounds nesting (128 levels), so stored data cannot exhaust the stack.
    let value = ItemSeed
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value))
        .map_err(|e| AwsError::internal(format!("stored item unreadable: {e}")))?;
    Ok(value)
}

/// Bytes an item (as a decoded `AttributeMap`) counts toward sizes and read
/// units: [`crate::attribute::item_size`], without converting the common
/// scalar attributes.
pub fn value_item_size(item: &Value) -> Result<usize, AwsError> {
    let Value::Map(attributes) = item else {
        return Ok(0);
    };
    let mut size = 0;
    for (name, attribute) in attributes {
        size += name.len()
            + match attribute.get("S").or_else(|| attribute.get("B")) {
                Some(Value::String(s)) => s.len(),
                Some(Value::Blob(b)) => b.len(),
                // Numbers, lists, maps and sets: their own rules.
                _ => AttributeValue::from_value(attribute)?.size(),
            };
    }
    Ok(size)
}

/// The key attributes of a decoded item, named by `keys`, as an item.
pub fn value_key_of(item: &Value, keys: &[&crate::schema::KeyAttr]) -> Result<Item, AwsError> {
    let members: IndexMap<String, Value> = keys
        .iter()
        .filter_map(|k| item.get(&k.name).map(|v| (k.name.clone(), v.clone())))
        .collect();
    item_from_value(&Value::Map(members))
}

struct ItemSeed;

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_map(ItemSeed)
    }
}

impl<'de> Visitor<'de> for ItemSeed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of attribute values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut attributes = IndexMap::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(name) = map.next_key::<String>()? {
            let value = map.next_value_seed(AttributeSeed)?;
            attributes.insert(name, value);
        }
        Ok(Value::Map(attributes))
    }
}

#[derive(Clone, Copy)]
struct AttributeSeed;

impl<'de> DeserializeSeed<'de> for AttributeSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_map(AttributeSeed)
    }
}

impl<'de> Visitor<'de> for AttributeSeed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an attribute value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let Some(kind) = map.next_key::<String>()? else {
            return Err(de::Error::custom("an attribute value without a type"));
        };
        let inner = match kind.as_str() {
            "S" | "N" => Value::String(map.next_value()?),
            "B" => Value::Blob(base64_bytes(&map.next_value::<String>()?)?),
            "BOOL" => Value::Boolean(map.next_value()?),
            // Stored only as `true`; answered as `true` whatever it says.
            "NULL" => {
                map.next_value::<bool>()?;
                Value::Boolean(true)
            }
            "L" => Value::List(map.next_value_seed(ListSeed(AttributeSeed))?),
            "M" => map.next_value_seed(ItemSeed)?,
            "SS" | "NS" => Value::List(
                map.next_value::<Vec<String>>()?
                    .into_iter()
                    .map(Value::String)
                    .collect(),
            ),
            "BS" => Value::List(
                map.next_value::<Vec<String>>()?
                    .iter()
                    .map(|text| base64_bytes(text).map(Value::Blob))
                    .collect::<Result<_, _>>()?,
            ),
            other => return Err(de::Error::custom(format!("unknown attribute type {other}"))),
        };
        if map.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("an attribute value with two types"));
        }
        let mut members = IndexMap::with_capacity(1);
        members.insert(kind, inner);
        Ok(Value::Structure(members))
    }
}

/// A JSON list, each element read with the inner seed.
struct ListSeed<S>(S);

impl<'de, S: DeserializeSeed<'de, Value = Value> + Copy> DeserializeSeed<'de> for ListSeed<S> {
    type Value = Vec<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Value>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, S: DeserializeSeed<'de, Value = Value> + Copy> Visitor<'de> for ListSeed<S> {
    type Value = Vec<Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of attribute values")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Value>, A::Error> {
        let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(value) = seq.next_element_seed(self.0)? {
            values.push(value);
        }
        Ok(values)
    }
}

fn base64_bytes<E: de::Error>(text: &str) -> Result<Bytes, E> {
    BASE64.decode(text).map(Bytes::from).map_err(E::custom)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{item_into_value, item_size};
    use crate::storage::{decode_item, encode_item};

    #[test]
    fn a_stored_item_reads_as_the_item_it_was() {
        let request = serde_json::json!({
            "pk": {"S": "p\u{e9}\"\\"},
            "n": {"N": "-0012.50"},
            "b": {"B": "AP8="},
            "t": {"BOOL": true},
            "z": {"NULL": true},
            "l": {"L": [{"N": "1"}, {"M": {"deep": {"SS": ["a", "b"]}}}, {"L": []}]},
            "m": {"M": {}},
            "ns": {"NS": ["3", "1e2"]},
            "bs": {"BS": ["AQ==", "Ag=="]},
        });
        let decoded = nimbus_protocol_free_value(&request);
        let item = item_from_value(&decoded).expect("item");
        let stored = encode_item(&item).expect("stored");
        let direct = stored_item_value(&stored).expect("direct");
        assert_eq!(direct, item_into_value(decode_item(&stored).expect("decoded")));
        assert_eq!(value_item_size(&direct).expect("size"), item_size(&item));
        assert!(stored_item_value(b"{\"a\":{\"S\":\"x\",\"N\":\"1\"}}").is_err());
        assert!(stored_item_value(b"{\"a\":{\"Q\":\"x\"}}").is_err());
        assert!(stored_item_value(b"{} trailing").is_err());
    }

    /// The decoded value a client's `AttributeMap` becomes (blobs decoded).
    fn nimbus_protocol_free_value(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Object(members) => {
                let typed = members.len() == 1
                    && members.keys().all(|k| {
                        ["S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS"].contains(&k.as_str())
                    });
                Value::Structure(
                    members
                        .iter()
                        .map(|(k, v)| {
                            let value = match (typed, k.as_str(), v) {
                                (true, "B", serde_json::Value::String(s)) => {
                                    Value::Blob(BASE64.decode(s).expect("base64").into())
                                }
                                (true, "BS", serde_json::Value::Array(items)) => Value::List(
                                    items
                                        .iter()
                                        .map(|i| {
                                            Value::Blob(
                                                BASE64.decode(i.as_str().unwrap_or("")).expect("b64").into(),
                                            )
                                        })
                                        .collect(),
                                ),
                                _ => nimbus_protocol_free_value(v),
                            };
                            (k.clone(), value)
                        })
                        .collect(),
                )
            }
            serde_json::Value::Array(items) => {
                Value::List(items.iter().map(nimbus_protocol_free_value).collect())
            }
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Bool(b) => Value::Boolean(*b),
            other => Value::String(other.to_string()),
        }
    }
}
