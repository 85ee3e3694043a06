//! Decoding into the neutral [`Value`] tree, for the reporting pass of
//! validation, for shapes a service keeps dynamic, and for the protocol
//! tests. The deserializers already read the wire by the shape; this seed
//! only needs the shape to tell structures from maps and to find the shape
//! of each member it is handed.

use std::fmt;

use indexmap::IndexMap;
use nimbus_core::{Timestamp, Value};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};

use crate::model::{Model, Shape, ShapeType};

/// Builds the [`Value`] of one shape.
#[derive(Clone, Copy)]
pub struct ValueSeed<'m> {
    model: &'m Model,
    shape: &'m Shape,
}

impl<'m> ValueSeed<'m> {
    pub fn new(model: &'m Model, shape: &'m Shape) -> Self {
        ValueSeed { model, shape }
    }

    fn of(self, shape: &'m Shape) -> Self {
        ValueSeed { shape, ..self }
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a value of {}", self.shape.name)
    }

    fn visit_bool<E: Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Boolean(v))
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Integer(v))
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Integer)
            .map_err(|_| E::custom(format!("{v} is out of range")))
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Blob(bytes::Bytes::copy_from_slice(v)))
    }

    fn visit_byte_buf<E: Error>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Blob(v.into()))
    }

    fn visit_unit<E: Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        if self.shape.document {
            return serde_json::Value::deserialize(deserializer).map(Value::Document);
        }
        match self.shape.kind {
            ShapeType::Timestamp => {
                let (seconds, nanos) = <(i64, u32)>::deserialize(deserializer)?;
                Ok(Value::Timestamp(Timestamp { seconds, nanos }))
            }
            _ => self.deserialize(deserializer),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let Some(item) = &self.shape.item else {
            return Ok(Value::List(Vec::new()));
        };
        let seed = self.of(self.model.target(item));
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4).min(64));
        while let Some(value) = seq.next_element_seed(seed)? {
            if self.shape.sparse || !matches!(value, Value::Null) {
                items.push(value);
            }
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        if self.shape.kind == ShapeType::Structure {
            return self.structure(map);
        }
        let Some(value_member) = &self.shape.value else {
            return Ok(Value::Map(IndexMap::new()));
        };
        let seed = self.of(self.model.target(value_member));
        let mut entries = IndexMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(seed)?;
            if self.shape.sparse || !matches!(value, Value::Null) {
                entries.insert(key, value);
            }
        }
        Ok(Value::Map(entries))
    }
}

impl ValueSeed<'_> {
    /// A structure's members, in model order whatever order they came in.
    fn structure<'de, A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members: Vec<(usize, String, Value)> = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            let Some(position) = self.shape.member_position(&name) else {
                map.next_value::<serde::de::IgnoredAny>()?;
                continue;
            };
            let member = &self.shape.members[position];
            let value = map.next_value_seed(self.of(self.model.target(member)))?;
            if !matches!(value, Value::Null) {
                members.push((position, name, value));
            }
        }
        members.sort_by_key(|(position, ..)| *position);
        Ok(Value::Structure(
            members
                .into_iter()
                .map(|(_, name, value)| (name, value))
                .collect(),
        ))
    }
}
