//! Small serializers that capture one scalar out of a `Serialize` value:
//! a timestamp's parts, a raw JSON fragment, a whole number. The encoders use them where
//! the wire form of a value depends on more than serde's data model says
//! (a timestamp inside its marker newtype, a header's text).

use nimbus_core::Timestamp;
use serde::ser::{Impossible, Serialize, SerializeTuple, Serializer};

use super::sink::Sink;
use super::{SerError, refuse};

/// A timestamp from the parts its `Serialize` writes (`(seconds, nanos)`).
pub(crate) fn timestamp<T: Serialize + ?Sized>(value: &T) -> Result<Timestamp, SerError> {
    let mut parts = Parts::default();
    value.serialize(&mut parts)?;
    match (parts.numbers.first(), parts.numbers.get(1)) {
        (Some(&seconds), Some(&nanos)) => Ok(Timestamp {
            seconds,
            nanos: u32::try_from(nanos).map_err(|_| SerError("timestamp nanoseconds out of range".into()))?,
        }),
        _ => Err(SerError("a timestamp is two numbers".into())),
    }
}

#[derive(Default)]
struct Parts {
    numbers: Vec<i64>,
}

impl Serializer for &mut Parts {
    type Ok = ();
    type Error = SerError;
    type SerializeSeq = Impossible<(), SerError>;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Impossible<(), SerError>;
    type SerializeTupleVariant = Impossible<(), SerError>;
    type SerializeMap = Impossible<(), SerError>;
    type SerializeStruct = Impossible<(), SerError>;
    type SerializeStructVariant = Impossible<(), SerError>;

    fn serialize_i64(self, v: i64) -> Result<(), SerError> {
        self.numbers.push(v);
        Ok(())
    }

    fn serialize_u32(self, v: u32) -> Result<(), SerError> {
        self.numbers.push(i64::from(v));
        Ok(())
    }

    fn serialize_tuple(self, _: usize) -> Result<Self, SerError> {
        Ok(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        value.serialize(self)
    }

    refuse! {
        bool i8 i16 i32 u8 u16 u64 f32 f64 char str bytes none some unit unit_struct
        unit_variant newtype_variant seq tuple_struct tuple_variant map struct struct_variant
    }
}

impl SerializeTuple for &mut Parts {
    type Ok = ();
    type Error = SerError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        value.serialize(&mut **self)
    }

    fn end(self) -> Result<(), SerError> {
        Ok(())
    }
}

/// The text of a string value (a map key).
pub(crate) fn text<T: Serialize + ?Sized>(value: &T) -> Result<String, SerError> {
    value.serialize(Text)
}

struct Text;

impl Serializer for Text {
    type Ok = String;
    type Error = SerError;
    type SerializeSeq = Impossible<String, SerError>;
    type SerializeTuple = Impossible<String, SerError>;
    type SerializeTupleStruct = Impossible<String, SerError>;
    type SerializeTupleVariant = Impossible<String, SerError>;
    type SerializeMap = Impossible<String, SerError>;
    type SerializeStruct = Impossible<String, SerError>;
    type SerializeStructVariant = Impossible<String, SerError>;

    fn serialize_str(self, v: &str) -> Result<String, SerError> {
        Ok(v.to_owned())
    }

    refuse! {
        bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 char bytes none some unit unit_struct
        unit_variant newtype_struct newtype_variant seq tuple tuple_struct tuple_variant map struct
        struct_variant
    }
}

/// Writes the bytes of a raw JSON fragment ([`nimbus_core::RawJson`]) into `sink`.
pub(crate) fn raw_json<T: Serialize + ?Sized, S: Sink>(value: &T, sink: &mut S) -> Result<(), SerError> {
    value.serialize(RawJsonInto(sink))
}

struct RawJsonInto<'s, S>(&'s mut S);

impl<S: Sink> Serializer for RawJsonInto<'_, S> {
    type Ok = ();
    type Error = SerError;
    type SerializeSeq = Impossible<(), SerError>;
    type SerializeTuple = Impossible<(), SerError>;
    type SerializeTupleStruct = Impossible<(), SerError>;
    type SerializeTupleVariant = Impossible<(), SerError>;
    type SerializeMap = Impossible<(), SerError>;
    type SerializeStruct = Impossible<(), SerError>;
    type SerializeStructVariant = Impossible<(), SerError>;

    fn serialize_bytes(self, v: &[u8]) -> Result<(), SerError> {
        self.0.raw_json(v);
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), SerError> {
        self.0.raw_json(v.as_bytes());
        Ok(())
    }

    refuse! {
        bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 char none some unit unit_struct
        unit_variant newtype_struct newtype_variant seq tuple tuple_struct tuple_variant map struct
        struct_variant
    }
}
