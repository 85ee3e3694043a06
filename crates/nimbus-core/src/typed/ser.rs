//! `Serialize` → [`Value`]: a serde `Serializer` whose output is the value tree.

use indexmap::IndexMap;
use serde::ser::{self, Impossible, Serialize};

use super::{DOCUMENT_MARKER, Error, TIMESTAMP_MARKER};
use crate::{Timestamp, Value};

pub(super) struct ValueSerializer;

type Result<T> = std::result::Result<T, Error>;

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = ListSerializer;
    type SerializeTuple = ListSerializer;
    type SerializeTupleStruct = ListSerializer;
    type SerializeTupleVariant = VariantSerializer<ListSerializer>;
    type SerializeMap = MapSerializer;
    type SerializeStruct = StructureSerializer;
    type SerializeStructVariant = VariantSerializer<StructureSerializer>;

    fn serialize_bool(self, v: bool) -> Result<Value> {
        Ok(Value::Boolean(v))
    }

    fn serialize_i8(self, v: i8) -> Result<Value> {
        Ok(Value::Integer(v.into()))
    }

    fn serialize_i16(self, v: i16) -> Result<Value> {
        Ok(Value::Integer(v.into()))
    }

    fn serialize_i32(self, v: i32) -> Result<Value> {
        Ok(Value::Integer(v.into()))
    }

    fn serialize_i64(self, v: i64) -> Result<Value> {
        Ok(Value::Integer(v))
    }

    fn serialize_i128(self, v: i128) -> Result<Value> {
        // Beyond i64 only a float can carry the magnitude.
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Integer))
    }

    fn serialize_u8(self, v: u8) -> Result<Value> {
        Ok(Value::Integer(v.into()))
    }

    fn serialize_u16(self, v: u16) -> Result<Value> {
        Ok(Value::Integer(v.into()))
    }

    fn serialize_u32(self, v: u32) -> Result<Value> {
        Ok(Value::Integer(v.into()))
    }

    fn serialize_u64(self, v: u64) -> Result<Value> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Integer))
    }

    fn serialize_u128(self, v: u128) -> Result<Value> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Integer))
    }

    fn serialize_f32(self, v: f32) -> Result<Value> {
        Ok(Value::Float(v.into()))
    }

    fn serialize_f64(self, v: f64) -> Result<Value> {
        Ok(Value::Float(v))
    }

    fn serialize_char(self, v: char) -> Result<Value> {
        Ok(Value::String(v.to_string()))
    }

    fn serialize_str(self, v: &str) -> Result<Value> {
        Ok(Value::String(v.to_owned()))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Value> {
        Ok(Value::Blob(bytes::Bytes::copy_from_slice(v)))
    }

    fn serialize_none(self) -> Result<Value> {
        Ok(Value::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Value> {
        Ok(Value::Null)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value> {
        Ok(Value::empty())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value> {
        Ok(Value::String(variant.to_owned()))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, value: &T) -> Result<Value> {
        match name {
            TIMESTAMP_MARKER => timestamp_from_parts(value.serialize(self)?),
            DOCUMENT_MARKER => serde_json::to_value(value)
                .map(Value::Document)
                .map_err(|e| Error::Custom(e.to_string())),
            _ => value.serialize(self),
        }
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value> {
        Ok(single_member(variant, value.serialize(self)?))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<ListSerializer> {
        Ok(ListSerializer {
            items: Vec::with_capacity(len.unwrap_or(0)),
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<ListSerializer> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<ListSerializer> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantSerializer<ListSerializer>> {
        Ok(VariantSerializer {
            variant,
            inner: self.serialize_seq(Some(len))?,
        })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<MapSerializer> {
        Ok(MapSerializer {
            entries: IndexMap::with_capacity(len.unwrap_or(0)),
            pending_key: None,
        })
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<StructureSerializer> {
        // `len` counts every field, and most outputs leave most of theirs
        // unset (S3's GetObjectOutput sets 6 of 44): room for a few, grown
        // when more are set.
        Ok(StructureSerializer {
            members: IndexMap::with_capacity(len.min(STRUCTURE_CAPACITY)),
        })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantSerializer<StructureSerializer>> {
        Ok(VariantSerializer {
            variant,
            inner: self.serialize_struct(name, len)?,
        })
    }
}

/// The most members a structure makes room for before its first is set.
const STRUCTURE_CAPACITY: usize = 8;

/// Rebuilds a timestamp from the `(seconds, nanos)` pair it serialized as.
fn timestamp_from_parts(parts: Value) -> Result<Value> {
    if let Value::List(items) = &parts
        && let [Value::Integer(seconds), Value::Integer(nanos)] = items.as_slice()
        && let Ok(nanos) = u32::try_from(*nanos)
    {
        return Ok(Value::Timestamp(Timestamp {
            seconds: *seconds,
            nanos,
        }));
    }
    Err(Error::Custom(format!("malformed timestamp {parts:?}")))
}

/// An enum variant with data, as a union: a structure with one member.
fn single_member(name: &str, value: Value) -> Value {
    let mut members = IndexMap::with_capacity(1);
    members.insert(name.to_owned(), value);
    Value::Structure(members)
}

pub(super) struct ListSerializer {
    items: Vec<Value>,
}

impl ser::SerializeSeq for ListSerializer {
    type Ok = Value;
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.items.push(value.serialize(ValueSerializer)?);
        Ok(())
    }

    fn end(self) -> Result<Value> {
        Ok(Value::List(self.items))
    }
}

impl ser::SerializeTuple for ListSerializer {
    type Ok = Value;
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<Value> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for ListSerializer {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<Value> {
        ser::SerializeSeq::end(self)
    }
}

pub(super) struct MapSerializer {
    entries: IndexMap<String, Value>,
    pending_key: Option<String>,
}

impl ser::SerializeMap for MapSerializer {
    type Ok = Value;
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.pending_key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let key = self
            .pending_key
            .take()
            .ok_or_else(|| Error::Custom("map value without a key".to_owned()))?;
        self.entries.insert(key, value.serialize(ValueSerializer)?);
        Ok(())
    }

    fn end(self) -> Result<Value> {
        Ok(Value::Map(self.entries))
    }
}

pub(super) struct StructureSerializer {
    members: IndexMap<String, Value>,
}

impl ser::SerializeStruct for StructureSerializer {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        let value = value.serialize(ValueSerializer)?;
        // An absent member is left out, not sent as null.
        if !matches!(value, Value::Null) {
            self.members.insert(key.to_owned(), value);
        }
        Ok(())
    }

    fn end(self) -> Result<Value> {
        Ok(Value::Structure(self.members))
    }
}

pub(super) struct VariantSerializer<S> {
    variant: &'static str,
    inner: S,
}

impl ser::SerializeTupleVariant for VariantSerializer<ListSerializer> {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        ser::SerializeSeq::serialize_element(&mut self.inner, value)
    }

    fn end(self) -> Result<Value> {
        Ok(single_member(self.variant, ser::SerializeSeq::end(self.inner)?))
    }
}

impl ser::SerializeStructVariant for VariantSerializer<StructureSerializer> {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }

    fn end(self) -> Result<Value> {
        Ok(single_member(
            self.variant,
            ser::SerializeStruct::end(self.inner)?,
        ))
    }
}

/// Map keys are strings in every AWS model; scalar keys are written as text.
struct KeySerializer;

impl KeySerializer {
    fn text(v: impl ToString) -> Result<String> {
        Ok(v.to_string())
    }

    fn unsupported() -> Result<String> {
        Err(Error::Custom("map keys must be strings".to_owned()))
    }
}

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = Impossible<String, Error>;
    type SerializeTuple = Impossible<String, Error>;
    type SerializeTupleStruct = Impossible<String, Error>;
    type SerializeTupleVariant = Impossible<String, Error>;
    type SerializeMap = Impossible<String, Error>;
    type SerializeStruct = Impossible<String, Error>;
    type SerializeStructVariant = Impossible<String, Error>;

    fn serialize_bool(self, v: bool) -> Result<String> {
        Self::text(v)
    }
    fn serialize_i8(self, v: i8) -> Result<String> {
        Self::text(v)
    }
    fn serialize_i16(self, v: i16) -> Result<String> {
        Self::text(v)
    }
    fn serialize_i32(self, v: i32) -> Result<String> {
        Self::text(v)
    }
    fn serialize_i64(self, v: i64) -> Result<String> {
        Self::text(v)
    }
    fn serialize_u8(self, v: u8) -> Result<String> {
        Self::text(v)
    }
    fn serialize_u16(self, v: u16) -> Result<String> {
        Self::text(v)
    }
    fn serialize_u32(self, v: u32) -> Result<String> {
        Self::text(v)
    }
    fn serialize_u64(self, v: u64) -> Result<String> {
        Self::text(v)
    }
    fn serialize_f32(self, v: f32) -> Result<String> {
        Self::text(v)
    }
    fn serialize_f64(self, v: f64) -> Result<String> {
        Self::text(v)
    }
    fn serialize_char(self, v: char) -> Result<String> {
        Self::text(v)
    }
    fn serialize_str(self, v: &str) -> Result<String> {
        Self::text(v)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<String> {
        Self::unsupported()
    }
    fn serialize_none(self) -> Result<String> {
        Self::unsupported()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<String> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<String> {
        Self::unsupported()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<String> {
        Self::unsupported()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String> {
        Self::text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String> {
        Self::unsupported()
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(Error::Custom("map keys must be strings".to_owned()))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple> {
        Err(Error::Custom("map keys must be strings".to_owned()))
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeTupleStruct> {
        Err(Error::Custom("map keys must be strings".to_owned()))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(Error::Custom("map keys must be strings".to_owned()))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        Err(Error::Custom("map keys must be strings".to_owned()))
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        Err(Error::Custom("map keys must be strings".to_owned()))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(Error::Custom("map keys must be strings".to_owned()))
    }
}
