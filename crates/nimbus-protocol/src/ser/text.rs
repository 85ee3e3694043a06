//! A scalar value as text: XML element text and attributes, rest headers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use nimbus_core::typed::{DOCUMENT_MARKER, TIMESTAMP_MARKER};
use serde::Serialize;
use serde::ser::{Impossible, Serializer};

use super::{SerError, capture, refuse};
use crate::model::ShapeType;
use crate::timestamp::{self, TimestampFormat};

/// The text of a scalar of a shape of `kind`; `None` for an absent value
/// and for values with no text form (lists, structures, documents).
pub(crate) fn scalar_text<T: Serialize + ?Sized>(
    value: &T,
    kind: Option<ShapeType>,
    format: TimestampFormat,
) -> Result<Option<String>, SerError> {
    value.serialize(ScalarText { kind, format })
}

struct ScalarText {
    kind: Option<ShapeType>,
    format: TimestampFormat,
}

type Text = Result<Option<String>, SerError>;

impl Serializer for ScalarText {
    type Ok = Option<String>;
    type Error = SerError;
    type SerializeSeq = Impossible<Option<String>, SerError>;
    type SerializeTuple = Impossible<Option<String>, SerError>;
    type SerializeTupleStruct = Impossible<Option<String>, SerError>;
    type SerializeTupleVariant = Impossible<Option<String>, SerError>;
    type SerializeMap = Impossible<Option<String>, SerError>;
    type SerializeStruct = Impossible<Option<String>, SerError>;
    type SerializeStructVariant = Impossible<Option<String>, SerError>;

    fn serialize_bool(self, v: bool) -> Text {
        Ok(Some(v.to_string()))
    }

    fn serialize_i8(self, v: i8) -> Text {
        Ok(Some(v.to_string()))
    }

    fn serialize_i16(self, v: i16) -> Text {
        Ok(Some(v.to_string()))
    }

    fn serialize_i32(self, v: i32) -> Text {
        Ok(Some(v.to_string()))
    }

    fn serialize_i64(self, v: i64) -> Text {
        Ok(Some(v.to_string()))
    }

    fn serialize_u8(self, v: u8) -> Text {
        Ok(Some(v.to_string()))
    }

    fn serialize_u16(self, v: u16) -> Text {
        Ok(Some(v.to_string()))
    }

    fn serialize_u32(self, v: u32) -> Text {
        Ok(Some(v.to_string()))
    }

    fn serialize_u64(self, v: u64) -> Text {
        Ok(Some(v.to_string()))
    }

    fn serialize_f32(self, v: f32) -> Text {
        Ok(Some(format_float(self.kind, f64::from(v), Some(v))))
    }

    fn serialize_f64(self, v: f64) -> Text {
        Ok(Some(format_float(self.kind, v, None)))
    }

    fn serialize_char(self, v: char) -> Text {
        Ok(Some(v.to_string()))
    }

    fn serialize_str(self, v: &str) -> Text {
        Ok(Some(match self.kind {
            Some(ShapeType::Blob) => BASE64.encode(v.as_bytes()),
            _ => v.to_owned(),
        }))
    }

    fn serialize_bytes(self, v: &[u8]) -> Text {
        Ok(Some(BASE64.encode(v)))
    }

    fn serialize_none(self) -> Text {
        Ok(None)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Text {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Text {
        Ok(None)
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Text {
        Ok(Some(variant.to_owned()))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, value: &T) -> Text {
        match name {
            TIMESTAMP_MARKER => Ok(Some(timestamp::format(capture::timestamp(value)?, self.format))),
            DOCUMENT_MARKER => Ok(None),
            _ => value.serialize(self),
        }
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, SerError> {
        Err(SerError::no_text())
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, SerError> {
        Err(SerError::no_text())
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, SerError> {
        Err(SerError::no_text())
    }

    refuse! {
        unit_struct newtype_variant tuple tuple_struct tuple_variant struct_variant
    }
}

impl SerError {
    /// A container where a scalar's text was asked for.
    pub(crate) fn no_text() -> SerError {
        SerError("a container has no text form".into())
    }

    pub(crate) fn is_no_text(&self) -> bool {
        self.0 == "a container has no text form"
    }
}

/// Floats as botocore reads them, with AWS's spellings of the special
/// values; an integral float given for an integer shape prints without a
/// fraction; a `float` shape's 32-bit value prints as the shortest text
/// that reads back as it.
pub(crate) fn format_float(kind: Option<ShapeType>, number: f64, single: Option<f32>) -> String {
    if number.is_nan() {
        "NaN".to_owned()
    } else if number.is_infinite() {
        if number > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else if kind.is_some_and(ShapeType::is_integer) && number.fract() == 0.0 && number.abs() < 9.0e15 {
        format!("{number:.0}")
    } else if let Some(single) = single {
        single.to_string()
    } else if kind == Some(ShapeType::Float) {
        (number as f32).to_string()
    } else {
        number.to_string()
    }
}
