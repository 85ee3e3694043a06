//! The serde bridge between typed Rust shapes and the neutral [`Value`] tree.
//!
//! Handlers work on generated structs (`AssumeRoleRequest`), codecs on
//! [`Value`]s; [`from_value`] and [`to_value`] cross between the two without a
//! detour through text. Structures map to structs whose fields are renamed to
//! the model member names, lists to `Vec`, maps to `IndexMap`/`HashMap`,
//! blobs to [`Bytes`], timestamps to [`Timestamp`] and documents to
//! [`Document`]. Timestamps and documents travel as newtype structs with a
//! marker name, so the bridge can rebuild `Value::Timestamp`/`Value::Document`
//! exactly while other serde formats (JSON state files) still see plain data.

mod de;
mod ser;

use std::fmt;

pub use bytes::Bytes;
pub use indexmap::IndexMap;
use serde::de::{DeserializeOwned, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{AwsError, Timestamp, Value};

/// Newtype name that tells the bridge and the codecs "this is a timestamp".
pub const TIMESTAMP_MARKER: &str = "$nimbus::Timestamp";
/// Newtype name that tells the bridge and the codecs "this is a smithy document".
pub const DOCUMENT_MARKER: &str = "$nimbus::Document";
/// Newtype name that tells the codecs "this is JSON already encoded".
pub const RAW_JSON_MARKER: &str = "$nimbus::RawJson";

/// Builds a typed shape from a decoded value.
///
/// Input that passed model validation always converts; a missing member is
/// reported as AWS reports a missing required member (`ValidationError`), any
/// other mismatch as a `SerializationException`.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, AwsError> {
    T::deserialize(value).map_err(AwsError::from)
}

/// Turns a typed shape into a value for the encoder. `None` members are left
/// out of structures.
///
/// Every shape generated from a model converts; a hand-written `Serialize`
/// impl that fails yields `Value::Null` (use [`try_to_value`] to see why).
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Value {
    try_to_value(value).unwrap_or(Value::Null)
}

/// [`to_value`] that reports a failing `Serialize` impl as an internal error.
pub fn try_to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, AwsError> {
    value
        .serialize(ser::ValueSerializer)
        .map_err(|e| AwsError::internal(format!("cannot build the response: {e}")))
}

/// A value already encoded as JSON in the form the wire carries it (a
/// DynamoDB item as stored): a JSON encoder copies it as it is, other
/// encoders read it by its shape.
#[derive(Debug, Clone, PartialEq)]
pub struct RawJson(pub Bytes);

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // As bytes: a JSON encoder copies them without looking at them.
        serializer.serialize_newtype_struct(RAW_JSON_MARKER, &RawBytes(&self.0))
    }
}

struct RawBytes<'a>(&'a [u8]);

impl Serialize for RawBytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

/// A free-form JSON document member (smithy `document`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document(pub serde_json::Value);

impl Serialize for Document {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(DOCUMENT_MARKER, &self.0)
    }
}

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DocumentVisitor;
        impl<'de> Visitor<'de> for DocumentVisitor {
            type Value = Document;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a document")
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Document, D::Error> {
                serde_json::Value::deserialize(d).map(Document)
            }
        }
        deserializer.deserialize_newtype_struct(DOCUMENT_MARKER, DocumentVisitor)
    }
}

/// Outside the bridge a timestamp is the pair `[seconds, nanos]`: exact, and
/// readable by any serde format.
impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(TIMESTAMP_MARKER, &(self.seconds, self.nanos))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(TIMESTAMP_MARKER, TimestampVisitor)
    }
}

struct TimestampVisitor;

impl<'de> Visitor<'de> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a timestamp")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Timestamp, D::Error> {
        d.deserialize_tuple(2, self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Timestamp, A::Error> {
        use serde::de::Error;
        let seconds: i64 = seq
            .next_element()?
            .ok_or_else(|| A::Error::invalid_length(0, &self))?;
        let nanos: u32 = seq
            .next_element()?
            .ok_or_else(|| A::Error::invalid_length(1, &self))?;
        if nanos >= 1_000_000_000 {
            return Err(A::Error::custom("timestamp nanoseconds out of range"));
        }
        Ok(Timestamp { seconds, nanos })
    }
}

/// The Unix epoch, so generated shapes with a required timestamp can derive `Default`.
impl Default for Timestamp {
    fn default() -> Self {
        Timestamp { seconds: 0, nanos: 0 }
    }
}

/// Why a value and a typed shape did not match.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A structure lacks a member the shape requires (model member name).
    MissingField(&'static str),
    Custom(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MissingField(name) => write!(f, "missing member {name}"),
            Error::Custom(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::Custom(msg.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        Error::MissingField(field)
    }
}

impl serde::ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::Custom(msg.to_string())
    }
}

impl From<Error> for AwsError {
    fn from(error: Error) -> Self {
        match error {
            // Worded as AWS words a null required member, should model
            // validation not have caught it first.
            Error::MissingField(name) => AwsError::new(
                "ValidationError",
                format!(
                    "1 validation error detected: Value null at '{}' failed to satisfy constraint: \
                     Member must not be null",
                    lower_first(name)
                ),
                400,
            ),
            Error::Custom(message) => AwsError::new("SerializationException", message, 400),
        }
    }
}

/// `RoleArn` → `roleArn`, as AWS names members in validation messages.
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::structure;

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    struct Tag {
        #[serde(rename = "Key")]
        key: String,
        #[serde(rename = "Value")]
        value: String,
    }

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    struct Everything {
        #[serde(rename = "Name")]
        name: String,
        #[serde(rename = "Count")]
        count: Option<i32>,
        #[serde(rename = "Big")]
        big: Option<i64>,
        #[serde(rename = "Ratio")]
        ratio: Option<f64>,
        #[serde(rename = "Small")]
        small: Option<f32>,
        #[serde(rename = "Enabled")]
        enabled: Option<bool>,
        #[serde(rename = "Data")]
        data: Option<Bytes>,
        #[serde(rename = "When")]
        when: Option<Timestamp>,
        #[serde(rename = "Tags")]
        tags: Option<Vec<Tag>>,
        #[serde(rename = "Attributes")]
        attributes: Option<IndexMap<String, String>>,
        #[serde(rename = "Counts")]
        counts: Option<HashMap<String, i64>>,
        #[serde(rename = "Sparse")]
        sparse: Option<Vec<Option<String>>>,
        #[serde(rename = "Doc")]
        doc: Option<Document>,
        #[serde(rename = "Nested")]
        nested: Option<Box<Everything>>,
    }

    fn full_value() -> Value {
        let mut attributes = IndexMap::new();
        attributes.insert("b".to_owned(), Value::from("2"));
        attributes.insert("a".to_owned(), Value::from("1"));
        let mut counts = IndexMap::new();
        counts.insert("x".to_owned(), Value::Integer(7));
        structure! {
            "Name" => "n",
            "Count" => 5i64,
            "Big" => Value::Integer(1 << 40),
            "Ratio" => Value::Float(0.5),
            "Small" => Value::Float(1.5),
            "Enabled" => true,
            "Data" => Value::Blob(Bytes::from_static(b"\x00\xff")),
            "When" => Timestamp { seconds: 1_700_000_000, nanos: 123_456_789 },
            "Tags" => Value::List(vec![structure! { "Key" => "k", "Value" => "v" }]),
            "Attributes" => Value::Map(attributes),
            "Counts" => Value::Map(counts),
            "Sparse" => Value::List(vec![Value::from("s"), Value::Null]),
            "Doc" => Value::Document(serde_json::json!({"a": [1, 2.5, null, "x"]})),
            "Nested" => structure! { "Name" => "inner" },
        }
    }

    #[test]
    fn every_kind_round_trips() {
        let typed: Everything = from_value(full_value()).expect("converts");
        assert_eq!(typed.count, Some(5));
        assert_eq!(typed.small, Some(1.5));
        assert_eq!(typed.data.as_deref(), Some(&b"\x00\xff"[..]));
        assert_eq!(typed.when.map(|t| t.nanos), Some(123_456_789));
        assert_eq!(typed.sparse, Some(vec![Some("s".to_owned()), None]));
        assert_eq!(typed.nested.as_ref().map(|n| n.name.as_str()), Some("inner"));
        let keys: Vec<_> = typed.attributes.iter().flat_map(|m| m.keys()).collect();
        assert_eq!(keys, ["b", "a"], "map order is kept");
        assert_eq!(to_value(&typed), full_value());
    }

    #[test]
    fn none_members_are_left_out() {
        let typed = Everything {
            name: "only".to_owned(),
            ..Everything::default()
        };
        assert_eq!(to_value(&typed), structure! { "Name" => "only" });
    }

    #[test]
    fn missing_required_member_is_a_validation_error() {
        let error = from_value::<Tag>(structure! { "Key" => "k" }).expect_err("Value is required");
        assert_eq!(error.code, "ValidationError");
        assert_eq!(error.status, 400);
        assert_eq!(
            error.message,
            "1 validation error detected: Value null at 'value' failed to satisfy constraint: \
             Member must not be null"
        );
    }

    #[test]
    fn mismatched_kind_is_a_serialization_error() {
        let error = from_value::<Tag>(structure! { "Key" => 5i64, "Value" => "v" }).expect_err("wrong kind");
        assert_eq!(error.code, "SerializationException");
        assert_eq!(error.status, 400);
    }

    #[test]
    fn out_of_range_integer_is_rejected() {
        #[derive(Debug, Deserialize)]
        struct Small {
            #[serde(rename = "N")]
            _n: i32,
        }
        let value = structure! { "N" => Value::Integer(i64::from(i32::MAX) + 1) };
        assert!(from_value::<Small>(value).is_err());
    }

    #[test]
    fn null_and_empty_input_make_an_empty_shape() {
        #[derive(Debug, Serialize, Deserialize, PartialEq)]
        struct Empty {}
        assert_eq!(from_value::<Empty>(Value::Null), Ok(Empty {}));
        assert_eq!(from_value::<Empty>(Value::empty()), Ok(Empty {}));
        assert_eq!(to_value(&Empty {}), Value::empty());
    }

    #[test]
    fn integers_widen_to_floats() {
        assert_eq!(from_value::<f64>(Value::Integer(3)), Ok(3.0));
    }

    #[test]
    fn document_accepts_a_plain_tree() {
        let doc: Document =
            from_value(structure! { "k" => Value::List(vec![Value::Integer(1)]) }).expect("converts");
        assert_eq!(doc.0, serde_json::json!({"k": [1]}));
    }

    #[test]
    fn timestamps_and_documents_survive_json() {
        let t = Timestamp {
            seconds: -5,
            nanos: 7,
        };
        let text = serde_json::to_string(&t).expect("serializes");
        assert_eq!(text, "[-5,7]");
        assert_eq!(serde_json::from_str::<Timestamp>(&text).expect("parses"), t);
        let doc = Document(serde_json::json!({"x": true}));
        let text = serde_json::to_string(&doc).expect("serializes");
        assert_eq!(serde_json::from_str::<Document>(&text).expect("parses"), doc);
    }

    #[test]
    fn enums_are_strings_or_single_member_structures() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        enum Choice {
            Plain,
            #[serde(rename = "S3Key")]
            Key(String),
        }
        assert_eq!(to_value(&Choice::Plain), Value::from("Plain"));
        assert_eq!(from_value::<Choice>(Value::from("Plain")), Ok(Choice::Plain));
        let keyed = structure! { "S3Key" => "k" };
        assert_eq!(to_value(&Choice::Key("k".to_owned())), keyed);
        assert_eq!(from_value::<Choice>(keyed), Ok(Choice::Key("k".to_owned())));
    }

    #[test]
    fn unsigned_and_wide_integers_stay_representable() {
        assert_eq!(to_value(&7u64), Value::Integer(7));
        assert_eq!(to_value(&u64::MAX), Value::Float(u64::MAX as f64));
        let mut by_number = IndexMap::new();
        by_number.insert(3u8, "three");
        assert_eq!(to_value(&by_number), {
            let mut m = IndexMap::new();
            m.insert("3".to_owned(), Value::from("three"));
            Value::Map(m)
        });
    }
}
