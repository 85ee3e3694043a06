//! The neutral value tree that sits between the wire codecs and the services.
//!
//! A decoder turns any protocol's request into a `Value` checked against the
//! operation's input shape; an encoder turns a `Value` back into any protocol's
//! response. Structure members are keyed by their *model* member names
//! (`QueueUrl`, not a wire alias such as `queueUrl` or `Queue.N`).

use bytes::Bytes;
use indexmap::IndexMap;

use crate::stream::ByteStream;

/// One value of a shape in an AWS service model.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An explicit null, only where a protocol carries one (sparse lists/maps).
    Null,
    Boolean(bool),
    /// byte, short, integer and long shapes.
    Integer(i64),
    /// float and double shapes (including NaN and the infinities).
    Float(f64),
    /// string shapes and enums; also bigInteger/bigDecimal, kept as text.
    String(String),
    Blob(Bytes),
    Timestamp(Timestamp),
    List(Vec<Value>),
    Map(IndexMap<String, Value>),
    Structure(IndexMap<String, Value>),
    /// A smithy document (free-form JSON) member.
    Document(serde_json::Value),
    /// A blob member the model marks `streaming` (S3 object bodies), read or
    /// written chunk by chunk.
    Stream(ByteStream),
}

/// A point in time with the precision AWS protocols carry (milliseconds and below).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Whole seconds since the Unix epoch (negative before 1970).
    pub seconds: i64,
    /// Nanoseconds past `seconds`, always below 1_000_000_000.
    pub nanos: u32,
}

impl Timestamp {
    pub fn from_epoch_seconds_f64(value: f64) -> Self {
        let seconds = value.floor();
        // Round to the microsecond: protocols carry at most milliseconds, and
        // f64 noise must not turn .123 into .122999.
        let micros = ((value - seconds) * 1_000_000.0).round() as u32;
        let (seconds, micros) = if micros >= 1_000_000 {
            (seconds as i64 + 1, micros - 1_000_000)
        } else {
            (seconds as i64, micros)
        };
        Timestamp {
            seconds,
            nanos: micros * 1000,
        }
    }

    pub fn from_epoch_millis(millis: i64) -> Self {
        Timestamp {
            seconds: millis.div_euclid(1000),
            nanos: (millis.rem_euclid(1000) as u32) * 1_000_000,
        }
    }

    pub fn as_epoch_seconds_f64(&self) -> f64 {
        self.seconds as f64 + f64::from(self.nanos) / 1e9
    }

    pub fn as_epoch_millis(&self) -> i64 {
        self.seconds * 1000 + i64::from(self.nanos / 1_000_000)
    }
}

impl Value {
    /// An empty structure, the output of operations that return nothing.
    pub fn empty() -> Self {
        Value::Structure(IndexMap::new())
    }

    /// A member of a structure (or an entry of a map), if present.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Structure(members) | Value::Map(members) => members.get(name),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Integer(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// The name of the variant, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Boolean(_) => "boolean",
            Value::Integer(_) => "integer",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Blob(_) => "blob",
            Value::Timestamp(_) => "timestamp",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Structure(_) => "structure",
            Value::Document(_) => "document",
            Value::Stream(_) => "stream",
        }
    }
}

/// A value as serde data, for the model-driven encoders: structures and
/// maps as maps keyed by model names, blobs as bytes, timestamps and
/// documents as the typed bridge's marked newtypes. A stream has no data
/// form: encoders take it out of the value before serializing the rest.
impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Value::Null | Value::Stream(_) => serializer.serialize_none(),
            Value::Boolean(b) => serializer.serialize_bool(*b),
            Value::Integer(i) => serializer.serialize_i64(*i),
            Value::Float(f) => serializer.serialize_f64(*f),
            Value::String(s) => serializer.serialize_str(s),
            Value::Blob(bytes) => serializer.serialize_bytes(bytes),
            Value::Timestamp(t) => t.serialize(serializer),
            Value::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Map(entries) | Value::Structure(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, entry) in entries {
                    map.serialize_entry(key, entry)?;
                }
                map.end()
            }
            Value::Document(json) => serializer.serialize_newtype_struct(crate::typed::DOCUMENT_MARKER, json),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Integer(i)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Boolean(b)
    }
}

impl From<Timestamp> for Value {
    fn from(t: Timestamp) -> Self {
        Value::Timestamp(t)
    }
}

/// Builds a `Value::Structure` from `name => value` pairs, skipping `None`s
/// when the value is an `Option`.
#[macro_export]
macro_rules! structure {
    () => { $crate::Value::empty() };
    ($($name:expr => $value:expr),+ $(,)?) => {{
        let mut members = ::indexmap::IndexMap::new();
        $( members.insert(::std::string::String::from($name), $crate::Value::from($value)); )+
        $crate::Value::Structure(members)
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_round_trips_milliseconds() {
        let t = Timestamp::from_epoch_seconds_f64(1_398_796_238.123);
        assert_eq!(t.seconds, 1_398_796_238);
        assert_eq!(t.nanos, 123_000_000);
        assert_eq!(t.as_epoch_millis(), 1_398_796_238_123);
        assert_eq!(
            Timestamp::from_epoch_millis(-1),
            Timestamp {
                seconds: -1,
                nanos: 999_000_000
            }
        );
    }
}
