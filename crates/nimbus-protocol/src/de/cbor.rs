//! A parsed CBOR item (ciborium's tree) as a serde deserializer, for the
//! document walker: ciborium keeps its own streaming deserializer private,
//! and rpcv2Cbor requests are small.

use ciborium::value::Value as Cbor;
use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{Deserializer, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

use super::WireError;

/// One CBOR item.
pub(crate) struct CborDe<'c>(pub &'c Cbor);

impl<'de, 'c> IntoDeserializer<'de, WireError> for CborDe<'c> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> Deserializer<'de> for CborDe<'_> {
    type Error = WireError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, WireError> {
        match self.0 {
            Cbor::Integer(i) => visitor.visit_i128(i128::from(*i)),
            Cbor::Bytes(bytes) => visitor.visit_bytes(bytes),
            Cbor::Float(f) => visitor.visit_f64(*f),
            Cbor::Text(text) => visitor.visit_str(text),
            Cbor::Bool(b) => visitor.visit_bool(*b),
            Cbor::Null => visitor.visit_unit(),
            // The tagged item, read by its shape (epoch time is tag 1).
            Cbor::Tag(_, inner) => CborDe(inner).deserialize_any(visitor),
            Cbor::Array(items) => visitor.visit_seq(SeqDeserializer::new(items.iter().map(CborDe))),
            Cbor::Map(entries) => visitor.visit_map(MapDeserializer::new(
                entries.iter().map(|(key, value)| (CborDe(key), CborDe(value))),
            )),
            _ => Err(WireError::message("an unsupported CBOR item")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, WireError> {
        match self.0 {
            Cbor::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}
