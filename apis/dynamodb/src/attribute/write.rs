//! Writing attribute values: the wire's form (blobs as bytes, which the
//! codecs encode) and DynamoDB JSON (blobs in base64) for the store.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use super::{AttributeValue, Item};
use crate::number::Number;

/// `serialize_with` helpers for records kept in the store that hold items:
/// DynamoDB JSON, blobs in base64 (reading takes either form).
pub mod json {
    use serde::{Serialize, Serializer};

    use super::{Item, JsonItem};

    pub fn item<S: Serializer>(item: &Item, serializer: S) -> Result<S::Ok, S::Error> {
        JsonItem(item).serialize(serializer)
    }

    pub fn optional_item<S: Serializer>(item: &Option<Item>, serializer: S) -> Result<S::Ok, S::Error> {
        match item {
            Some(item) => serializer.serialize_some(&JsonItem(item)),
            None => serializer.serialize_none(),
        }
    }
}

/// The wire form: a union member named by the type, blobs as bytes (the
/// codecs write them in the protocol's encoding).
impl Serialize for AttributeValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        write_value(self, serializer, Blobs::Bytes)
    }
}

/// How a serializer is given blobs: as bytes (the wire's codecs encode
/// them) or as base64 text (DynamoDB JSON through serde_json).
#[derive(Clone, Copy)]
enum Blobs {
    Bytes,
    Base64,
}

impl Blobs {
    fn write<S: Serializer>(self, bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Blobs::Bytes => serializer.serialize_bytes(bytes),
            Blobs::Base64 => serializer.serialize_str(&BASE64.encode(bytes)),
        }
    }
}

fn write_value<S: Serializer>(
    value: &AttributeValue,
    serializer: S,
    blobs: Blobs,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(1))?;
    match value {
        AttributeValue::S(s) => map.serialize_entry("S", s)?,
        AttributeValue::N(n) => map.serialize_entry("N", n)?,
        AttributeValue::B(b) => map.serialize_entry("B", &Blob(b, blobs))?,
        AttributeValue::Bool(b) => map.serialize_entry("BOOL", b)?,
        // Stored and answered as `true`, the only value DynamoDB takes.
        AttributeValue::Null(_) => map.serialize_entry("NULL", &true)?,
        AttributeValue::L(items) => map.serialize_entry("L", &List(items, blobs))?,
        AttributeValue::M(item) => map.serialize_entry("M", &Map(item, blobs))?,
        AttributeValue::SS(v) => map.serialize_entry("SS", v)?,
        AttributeValue::NS(v) => map.serialize_entry("NS", v)?,
        AttributeValue::BS(v) => map.serialize_entry("BS", &BlobSet(v, blobs))?,
    }
    map.end()
}

struct Blob<'a>(&'a [u8], Blobs);

impl Serialize for Blob<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.1.write(self.0, serializer)
    }
}

struct BlobSet<'a>(&'a [Vec<u8>], Blobs);

impl Serialize for BlobSet<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for bytes in self.0 {
            seq.serialize_element(&Blob(bytes, self.1))?;
        }
        seq.end()
    }
}

struct List<'a>(&'a [AttributeValue], Blobs);

impl Serialize for List<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for value in self.0 {
            seq.serialize_element(&Json(value, self.1))?;
        }
        seq.end()
    }
}

struct Map<'a>(&'a Item, Blobs);

impl Serialize for Map<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            map.serialize_entry(name, &Json(value, self.1))?;
        }
        map.end()
    }
}

/// A value with its blobs written one way.
struct Json<'a>(&'a AttributeValue, Blobs);

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        write_value(self.0, serializer, self.1)
    }
}

/// An item in DynamoDB JSON.
pub(super) struct JsonItem<'a>(pub(super) &'a Item);

impl Serialize for JsonItem<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Map(self.0, Blobs::Base64).serialize(serializer)
    }
}

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
