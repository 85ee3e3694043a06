//! A scalar as the shape rules made it of a token, apart from the target.
//!
//! The rules (ranges, patterns, formats, encodings) run once per token kind
//! in code that does not know the target type; only the hand-off to the
//! target's visitor is generic. Every generated type instantiates the
//! walkers, so keeping the rules out of them keeps the binary small.

use std::borrow::Cow;

use serde::de::value::SeqDeserializer;
use serde::de::{Error, Visitor};

use nimbus_core::Timestamp;

/// What a scalar token becomes under its shape.
pub(crate) enum Scalar<'t> {
    /// Text for a string shape, borrowed when it came so.
    Text(Cow<'t, str>),
    Bool(bool),
    Integer(i64),
    Float(f64),
    /// A big number's digits.
    Digits(String),
    Bytes(Vec<u8>),
    Timestamp(Timestamp),
}

impl<'t> Scalar<'t> {
    /// Hands the scalar to `visitor`; text goes through `forward`, which
    /// keeps it borrowed when the source allows.
    pub(crate) fn hand<'de, V: Visitor<'de>, E: Error>(
        self,
        visitor: V,
        forward: impl FnOnce(V, Cow<'t, str>) -> Result<V::Value, E>,
    ) -> Result<V::Value, E> {
        match self {
            Scalar::Text(text) => forward(visitor, text),
            Scalar::Bool(flag) => visitor.visit_bool(flag),
            Scalar::Integer(value) => visitor.visit_i64(value),
            Scalar::Float(value) => visitor.visit_f64(value),
            Scalar::Digits(text) => visitor.visit_string(text),
            Scalar::Bytes(bytes) => visitor.visit_byte_buf(bytes),
            Scalar::Timestamp(t) => visitor.visit_newtype_struct(timestamp_parts::<E>(t)),
        }
    }
}

/// Text handed on as it came: borrowed from the source's buffer or owned.
pub(crate) fn text_as_it_came<'de, V: Visitor<'de>, E: Error>(
    visitor: V,
    text: Cow<'_, str>,
) -> Result<V::Value, E> {
    match text {
        Cow::Borrowed(text) => visitor.visit_str(text),
        Cow::Owned(text) => visitor.visit_string(text),
    }
}

/// For scalars that are never text (numbers): the forward is not called.
pub(crate) fn never_text<'de, V: Visitor<'de>, E: Error>(_: V, _: Cow<'_, str>) -> Result<V::Value, E> {
    Err(E::custom("a number became text"))
}

/// A timestamp as its parts, the form [`Timestamp`]'s `Deserialize` reads.
pub(crate) fn timestamp_parts<E: Error>(t: Timestamp) -> SeqDeserializer<std::array::IntoIter<i64, 2>, E> {
    SeqDeserializer::new([t.seconds, i64::from(t.nanos)].into_iter())
}
