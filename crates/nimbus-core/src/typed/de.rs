//! [`Value`] → `Deserialize`: the value tree as a serde `Deserializer`.

use serde::de::value::StringDeserializer;
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

use super::{DOCUMENT_MARKER, Error, TIMESTAMP_MARKER};
use crate::Value;

type Result<T> = std::result::Result<T, Error>;

impl<'de> IntoDeserializer<'de, Error> for Value {
    type Deserializer = Value;

    fn into_deserializer(self) -> Value {
        self
    }
}

impl<'de> de::Deserializer<'de> for Value {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            Value::Null => visitor.visit_unit(),
            Value::Boolean(b) => visitor.visit_bool(b),
            Value::Integer(i) => visitor.visit_i64(i),
            Value::Float(f) => visitor.visit_f64(f),
            Value::String(s) => visitor.visit_string(s),
            // Without a copy when the blob is the sole owner of its buffer.
            Value::Blob(b) => visitor.visit_byte_buf(Vec::from(b)),
            Value::Timestamp(t) => visit_list(timestamp_parts(t), visitor),
            Value::List(items) => visit_list(items, visitor),
            Value::Map(entries) | Value::Structure(entries) => visitor.visit_map(MapAccess::new(entries)),
            Value::Document(json) => json.deserialize_any(visitor).map_err(json_error),
            // Handlers take streaming bodies out of their input before typing it.
            Value::Stream(_) => Err(de::Error::custom(
                "a streaming body cannot become a typed member; take it from the input first",
            )),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value> {
        match (name, self) {
            (TIMESTAMP_MARKER, Value::Timestamp(t)) => {
                visitor.visit_newtype_struct(Value::List(timestamp_parts(t)))
            }
            (TIMESTAMP_MARKER, other) => Err(Error::Custom(format!(
                "expected a timestamp, found {}",
                other.kind()
            ))),
            (DOCUMENT_MARKER, value) => visitor.visit_newtype_struct(to_json(value)).map_err(json_error),
            (_, value) => visitor.visit_newtype_struct(value),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self {
            // An operation without input members may arrive as nothing at all.
            Value::Null => visitor.visit_map(MapAccess::new(indexmap::IndexMap::new())),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            Value::Null => visitor.visit_unit(),
            Value::Structure(members) if members.is_empty() => visitor.visit_unit(),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self {
            Value::String(variant) => visitor.visit_enum(variant.into_deserializer()),
            Value::Structure(members) | Value::Map(members) if members.len() == 1 => {
                let mut members = members.into_iter();
                match members.next() {
                    Some((variant, value)) => visitor.visit_enum(EnumAccess { variant, value }),
                    None => Err(Error::Custom("a union needs exactly one member".to_owned())),
                }
            }
            other => Err(Error::Custom(format!(
                "expected a string or a one-member union, found {}",
                other.kind()
            ))),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit_struct seq tuple tuple_struct map identifier
    }
}

fn timestamp_parts(t: crate::Timestamp) -> Vec<Value> {
    vec![Value::Integer(t.seconds), Value::Integer(i64::from(t.nanos))]
}

fn json_error(e: serde_json::Error) -> Error {
    Error::Custom(e.to_string())
}

/// A document member a codec decoded as a plain tree becomes JSON again.
fn to_json(value: Value) -> serde_json::Value {
    use serde_json::Value as Json;
    match value {
        Value::Null => Json::Null,
        Value::Boolean(b) => Json::Bool(b),
        Value::Integer(i) => Json::from(i),
        Value::Float(f) => serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(s),
        Value::Blob(b) => Json::String(String::from_utf8_lossy(&b).into_owned()),
        Value::Timestamp(t) => {
            serde_json::Number::from_f64(t.as_epoch_seconds_f64()).map_or(Json::Null, Json::Number)
        }
        Value::List(items) => Json::Array(items.into_iter().map(to_json).collect()),
        Value::Map(entries) | Value::Structure(entries) => {
            Json::Object(entries.into_iter().map(|(k, v)| (k, to_json(v))).collect())
        }
        Value::Document(json) => json,
        Value::Stream(_) => Json::Null,
    }
}

fn visit_list<'de, V: Visitor<'de>>(items: Vec<Value>, visitor: V) -> Result<V::Value> {
    let mut access = SeqAccess {
        items: items.into_iter(),
    };
    let value = visitor.visit_seq(&mut access)?;
    match access.items.len() {
        0 => Ok(value),
        left => Err(Error::Custom(format!("{left} list items were not expected"))),
    }
}

struct SeqAccess {
    items: std::vec::IntoIter<Value>,
}

impl<'de> de::SeqAccess<'de> for SeqAccess {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        self.items.next().map(|item| seed.deserialize(item)).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapAccess {
    entries: indexmap::map::IntoIter<String, Value>,
    pending_value: Option<Value>,
}

impl MapAccess {
    fn new(entries: indexmap::IndexMap<String, Value>) -> Self {
        MapAccess {
            entries: entries.into_iter(),
            pending_value: None,
        }
    }
}

impl<'de> de::MapAccess<'de> for MapAccess {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.pending_value = Some(value);
        let key: StringDeserializer<Error> = key.into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        match self.pending_value.take() {
            Some(value) => seed.deserialize(value),
            None => Err(Error::Custom("map value requested before its key".to_owned())),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// A union member (`{"Variant": value}`) read as an enum variant with data.
struct EnumAccess {
    variant: String,
    value: Value,
}

impl<'de> de::EnumAccess<'de> for EnumAccess {
    type Error = Error;
    type Variant = Value;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Value)> {
        let variant: StringDeserializer<Error> = self.variant.into_deserializer();
        Ok((seed.deserialize(variant)?, self.value))
    }
}

impl<'de> de::VariantAccess<'de> for Value {
    type Error = Error;

    fn unit_variant(self) -> Result<()> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        de::Deserializer::deserialize_any(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        de::Deserializer::deserialize_any(self, visitor)
    }
}
