//! Reading attribute values, from the wire's codecs (blobs as bytes) or
//! from DynamoDB JSON (blobs in base64), with DynamoDB's checks: exactly one
//! type, valid numbers, non-empty sets without duplicates, bounded nesting.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use indexmap::IndexMap;
use nimbus_core::AwsError;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::{AttributeValue, Item, MAX_NESTING};
use crate::errors::{serialization, validation};
use crate::number::Number;

impl<'de> Deserialize<'de> for AttributeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ValueSeed { depth: 0 }.deserialize(deserializer)
    }
}

/// Reads one attribute value `depth` levels down.
#[derive(Clone, Copy)]
struct ValueSeed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = AttributeValue;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<AttributeValue, D::Error> {
        // Bounded explicitly: hostile nesting must not reach the stack's limit.
        if self.depth > MAX_NESTING {
            return Err(validation("Nesting Levels have exceeded supported limits").raise());
        }
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = AttributeValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an attribute value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AttributeValue, A::Error> {
        let mut found = None;
        while let Some(kind) = map.next_key::<String>()? {
            let value = self.member(&kind, &mut map)?;
            match (value, &found) {
                (None, _) => {}
                (Some(_), Some(_)) => return Err(more_than_one().raise()),
                (Some(value), None) => found = Some(value),
            }
        }
        found.ok_or_else(|| {
            validation(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            )
            .raise()
        })
    }
}

fn more_than_one() -> AwsError {
    validation(
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
    )
}

impl ValueSeed {
    /// The value of the member `kind`; `None` for a null member.
    fn member<'de, A: MapAccess<'de>>(
        self,
        kind: &str,
        map: &mut A,
    ) -> Result<Option<AttributeValue>, A::Error> {
        let nested = ValueSeed {
            depth: self.depth + 1,
        };
        Ok(Some(match kind {
            "S" => match map.next_value::<Option<String>>()? {
                Some(s) => AttributeValue::S(s),
                None => return Ok(None),
            },
            "N" => match map.next_value::<Option<String>>()? {
                Some(text) => AttributeValue::N(number(&text)?),
                None => return Ok(None),
            },
            "B" => match map.next_value::<Option<BlobIn>>()? {
                Some(BlobIn(bytes)) => AttributeValue::B(bytes),
                None => return Ok(None),
            },
            "BOOL" => match map.next_value::<Option<bool>>()? {
                Some(b) => AttributeValue::Bool(b),
                None => return Ok(None),
            },
            "NULL" => match map.next_value::<Option<bool>>()? {
                Some(true) => AttributeValue::Null(true),
                Some(false) => {
                    return Err(validation(
                        "One or more parameter values were invalid: Null attribute value types must have the value of true",
                    )
                    .raise());
                }
                None => return Ok(None),
            },
            "L" => match map.next_value_seed(OptionSeed(ListSeed(nested)))? {
                Some(items) => AttributeValue::L(items),
                None => return Ok(None),
            },
            "M" => match map.next_value_seed(OptionSeed(ItemSeed { depth: nested.depth }))? {
                Some(item) => AttributeValue::M(item),
                None => return Ok(None),
            },
            "SS" => match map.next_value::<Option<Vec<String>>>()? {
                Some(values) => {
                    check_set("string", &values, Clone::clone)?;
                    AttributeValue::SS(values)
                }
                None => return Ok(None),
            },
            "NS" => match map.next_value::<Option<Vec<String>>>()? {
                Some(texts) => {
                    let values = texts.iter().map(|t| number(t)).collect::<Result<Vec<_>, _>>()?;
                    check_set("number", &values, Number::to_string)?;
                    AttributeValue::NS(values)
                }
                None => return Ok(None),
            },
            "BS" => match map.next_value::<Option<Vec<BlobIn>>>()? {
                Some(blobs) => {
                    let values: Vec<Vec<u8>> = blobs.into_iter().map(|b| b.0).collect();
                    check_set("binary", &values, |v| BASE64.encode(v))?;
                    AttributeValue::BS(values)
                }
                None => return Ok(None),
            },
            other => {
                return Err(serialization(format!("Unknown AttributeValue type: {other}")).raise());
            }
        }))
    }
}

fn number<E: de::Error>(text: &str) -> Result<Number, E> {
    Number::parse(text).map_err(AwsError::raise)
}

fn check_set<T: PartialEq, E: de::Error>(
    kind: &str,
    values: &[T],
    show: impl Fn(&T) -> String,
) -> Result<(), E> {
    if values.is_empty() {
        return Err(validation(format!(
            "One or more parameter values were invalid: An {kind} set  may not be empty"
        ))
        .raise());
    }
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            let shown: Vec<String> = values.iter().map(&show).collect();
            return Err(validation(format!(
                "One or more parameter values were invalid: Input collection [{}] contains duplicates.",
                shown.join(", ")
            ))
            .raise());
        }
    }
    Ok(())
}

/// A blob: bytes from the wire's codecs, base64 text from DynamoDB JSON.
struct BlobIn(Vec<u8>);

impl<'de> Deserialize<'de> for BlobIn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(BlobVisitor)
    }
}

struct BlobVisitor;

impl Visitor<'_> for BlobVisitor {
    type Value = BlobIn;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("bytes")
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<BlobIn, E> {
        Ok(BlobIn(v.to_vec()))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<BlobIn, E> {
        Ok(BlobIn(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<BlobIn, E> {
        BASE64.decode(v).map(BlobIn).map_err(E::custom)
    }
}

/// An item (a `Key`, a `MapAttributeValue`) `depth` levels down.
#[derive(Clone, Copy)]
pub(super) struct ItemSeed {
    pub(super) depth: usize,
}

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Item;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Item, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed {
    type Value = Item;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of attribute values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
        let mut item = Item::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(name) = map.next_key::<String>()? {
            let value = map.next_value_seed(ValueSeed { depth: self.depth })?;
            item.insert(name, value);
        }
        Ok(item)
    }
}

/// A list of attribute values.
#[derive(Clone, Copy)]
struct ListSeed(ValueSeed);

impl<'de> DeserializeSeed<'de> for ListSeed {
    type Value = Vec<AttributeValue>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ListSeed {
    type Value = Vec<AttributeValue>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of attribute values")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(value) = seq.next_element_seed(self.0)? {
            values.push(value);
        }
        Ok(values)
    }
}

/// A member that may be null.
struct OptionSeed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for OptionSeed<S> {
    type Value = Option<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for OptionSeed<S> {
    type Value = Option<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(deserializer).map(Some)
    }
}

/// A request's `ExpressionAttributeValues`: an invalid value is reported
/// naming its placeholder, as DynamoDB does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExpressionValues(pub IndexMap<String, AttributeValue>);

impl Serialize for ExpressionValues {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ExpressionValues {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ExpressionValuesVisitor)
    }
}

struct ExpressionValuesVisitor;

impl<'de> Visitor<'de> for ExpressionValuesVisitor {
    type Value = ExpressionValues;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of attribute values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ExpressionValues, A::Error> {
        let mut values = IndexMap::with_capacity(map.size_hint().unwrap_or(4));
        while let Some(placeholder) = map.next_key::<String>()? {
            let value = map
                .next_value_seed(ValueSeed { depth: 0 })
                .map_err(|error| name_placeholder(error, &placeholder))?;
            values.insert(placeholder, value);
        }
        Ok(ExpressionValues(values))
    }
}

/// A value's own fault (a ValidationException), told with its placeholder;
/// the wire's errors pass unchanged.
fn name_placeholder<E: de::Error>(error: E, placeholder: &str) -> E {
    match AwsError::take_raised() {
        Some(raised) if raised.code == "ValidationException" => validation(format!(
            "ExpressionAttributeValues contains invalid value: {} for key {placeholder}",
            raised.message
        ))
        .raise(),
        Some(raised) => raised.raise(),
        None => error,
    }
}
