//! Shape-driven conversion between JSON documents and [`Value`]s: the body
//! format of awsJson1_0/1_1 and of rest-json payloads.
//!
//! Wire rules (botocore's serializers and parsers are the contract):
//! members travel under their `locationName` when they have one; blobs are
//! base64; timestamps are epoch seconds unless the shape names another
//! `timestampFormat`; floats may be the strings `NaN`, `Infinity`,
//! `-Infinity`; a JSON `null` member is the same as an absent one.

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use indexmap::IndexMap;
use nimbus_core::{AwsError, Timestamp, Value};
use serde_json::{Map, Number, Value as Json};

use crate::model::{ServiceModel, Shape, ShapeLookups, ShapeRef, ShapeType};
use crate::timestamp::{self, TimestampFormat};
use crate::validate::MAX_DEPTH;

/// Accepts base64 with or without padding: clients differ.
const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The error AWS json services give for a body that does not fit its shape.
pub(crate) fn serialization_error(message: impl Into<String>) -> AwsError {
    AwsError::new("SerializationException", message, 400)
}

/// A JSON document to a value of the shape `shape_name`. Members bound to
/// HTTP locations (headers, URI, query string) are not read from the body.
pub fn value_from_json(model: &ServiceModel, shape_name: &str, json: &Json) -> Result<Value, AwsError> {
    Decoder {
        shapes: ShapeLookups::new(model),
    }
    .shape(shape_name, json, 0)
}

/// A value of the shape `shape_name` to a JSON document. Absent and null
/// members are left out, as are members bound to HTTP locations.
pub fn value_to_json(model: &ServiceModel, shape_name: &str, value: &Value) -> Json {
    Encoder { model }.shape(shape_name, None, value, 0)
}

/// The timestamp format of a member: its own trait, else its shape's.
pub(crate) fn timestamp_format(member: Option<&ShapeRef>, shape: &Shape) -> Option<TimestampFormat> {
    TimestampFormat::from_model(
        member
            .and_then(|m| m.timestamp_format.as_deref())
            .or(shape.timestamp_format.as_deref()),
    )
}

/// The key a structure member travels under.
pub(crate) fn wire_name<'a>(member_name: &'a str, member: &'a ShapeRef) -> &'a str {
    member.location_name.as_deref().unwrap_or(member_name)
}

/// Checks an integer against the range of its shape type (byte, short, ...).
pub(crate) fn integer_in_range(kind: ShapeType, value: i128) -> Result<i64, AwsError> {
    let (min, max) = match kind {
        ShapeType::Byte => (i128::from(i8::MIN), i128::from(i8::MAX)),
        ShapeType::Short => (i128::from(i16::MIN), i128::from(i16::MAX)),
        ShapeType::Integer => (i128::from(i32::MIN), i128::from(i32::MAX)),
        _ => (i128::from(i64::MIN), i128::from(i64::MAX)),
    };
    if (min..=max).contains(&value) {
        // In range of i64 by construction.
        Ok(i64::try_from(value).unwrap_or_default())
    } else {
        Err(serialization_error(format!(
            "Value {value} is out of range for {}",
            java_type(kind)
        )))
    }
}

/// The Java type AWS's messages name for a shape type.
pub(crate) fn java_type(kind: ShapeType) -> &'static str {
    match kind {
        ShapeType::Structure => "a Structure",
        ShapeType::List => "a List",
        ShapeType::Map => "a Map",
        ShapeType::String => "a String",
        ShapeType::Integer => "an Integer",
        ShapeType::Long => "a Long",
        ShapeType::Short => "a Short",
        ShapeType::Byte => "a Byte",
        ShapeType::Float => "a Float",
        ShapeType::Double => "a Double",
        ShapeType::Boolean => "a Boolean",
        ShapeType::Blob => "a ByteBuffer",
        ShapeType::Timestamp => "a Date",
        ShapeType::BigInteger => "a BigInteger",
        ShapeType::BigDecimal => "a BigDecimal",
    }
}

pub(crate) fn too_deep() -> AwsError {
    serialization_error(format!(
        "Request nesting exceeds the supported depth of {MAX_DEPTH} levels"
    ))
}

/// The special float spellings of the JSON protocols.
pub(crate) fn special_float(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

struct Decoder<'m> {
    shapes: ShapeLookups<'m>,
}

impl<'m> Decoder<'m> {
    fn lookup(&self, shape_name: &str) -> Option<&'m Shape> {
        self.shapes.get(shape_name)
    }

    fn shape(&self, shape_name: &str, json: &Json, depth: usize) -> Result<Value, AwsError> {
        if depth > MAX_DEPTH {
            return Err(too_deep());
        }
        let shape = self
            .lookup(shape_name)
            .ok_or_else(|| AwsError::internal(format!("shape {shape_name} is not in the model")))?;
        if shape.document {
            return Ok(Value::Document(json.clone()));
        }
        let kind = shape.kind;
        match (kind, json) {
            (ShapeType::Structure, Json::Object(object)) => self.structure(shape, object, depth),
            (ShapeType::List, Json::Array(items)) => self.list(shape, items, depth),
            (ShapeType::Map, Json::Object(object)) => self.map(shape, object, depth),
            (ShapeType::String, Json::String(s)) => Ok(Value::String(s.clone())),
            (ShapeType::Boolean, Json::Bool(b)) => Ok(Value::Boolean(*b)),
            (ShapeType::Byte | ShapeType::Short | ShapeType::Integer | ShapeType::Long, Json::Number(n)) => {
                integer(kind, n).map(Value::Integer)
            }
            (ShapeType::Float | ShapeType::Double, Json::Number(n)) => {
                Ok(Value::Float(n.as_f64().unwrap_or(f64::NAN)))
            }
            (ShapeType::Float | ShapeType::Double, Json::String(s)) => special_float(s)
                .map(Value::Float)
                .ok_or_else(|| mismatch(json, kind)),
            (ShapeType::BigInteger | ShapeType::BigDecimal, Json::Number(n)) => {
                Ok(Value::String(n.to_string()))
            }
            (ShapeType::BigInteger | ShapeType::BigDecimal, Json::String(s)) => Ok(Value::String(s.clone())),
            (ShapeType::Blob, Json::String(s)) => BASE64_LENIENT
                .decode(s)
                .map(|bytes| Value::Blob(bytes.into()))
                .map_err(|_| serialization_error(format!("'{s}' is not valid base64 encoded data"))),
            // Every timestamp format is accepted whatever the shape says:
            // clients are not always strict about which one they send.
            (ShapeType::Timestamp, _) => decode_timestamp(json),
            _ => Err(mismatch(json, kind)),
        }
    }

    fn structure(&self, shape: &Shape, object: &Map<String, Json>, depth: usize) -> Result<Value, AwsError> {
        // Only the top level carries HTTP bindings (rest-json); those
        // members live in headers, the URI or the query string.
        let read = |member: &ShapeRef| depth > 0 || member.location.is_none();
        let mut members = IndexMap::new();
        if object.len() < shape.members.len() && shape.members.values().all(|m| m.location_name.is_none()) {
            // Few members sent (an AttributeValue sets one of ten), each
            // under its own name: look those up in the shape, then decode
            // them in the shape's order, as the loop below would.
            let mut sent: Vec<_> = object
                .iter()
                .filter(|(_, json)| !json.is_null())
                .filter_map(|(key, json)| {
                    let (index, name, member) = shape.members.get_full(key.as_str())?;
                    read(member).then_some((index, name, member, json))
                })
                .collect();
            sent.sort_unstable_by_key(|(index, ..)| *index);
            for (_, name, member, json) in sent {
                let value = self.shape(&member.shape, json, depth + 1)?;
                members.insert(name.clone(), value);
            }
        } else {
            for (name, member) in &shape.members {
                if !read(member) {
                    continue;
                }
                match object.get(wire_name(name, member)) {
                    None | Some(Json::Null) => {}
                    Some(json) => {
                        let value = self.shape(&member.shape, json, depth + 1)?;
                        members.insert(name.clone(), value);
                    }
                }
            }
        }
        if shape.union && members.len() > 1 {
            return Err(serialization_error(format!(
                "A union must have exactly one member set, found {}",
                members.len()
            )));
        }
        Ok(Value::Structure(members))
    }

    fn list(&self, shape: &Shape, items: &[Json], depth: usize) -> Result<Value, AwsError> {
        let Some(member) = &shape.member else {
            return Ok(Value::List(Vec::new()));
        };
        let mut values = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Json::Null if shape.sparse => values.push(Value::Null),
                // A dense list has no room for nulls; clients never send them.
                Json::Null => {}
                item => values.push(self.shape(&member.shape, item, depth + 1)?),
            }
        }
        Ok(Value::List(values))
    }

    fn map(&self, shape: &Shape, object: &Map<String, Json>, depth: usize) -> Result<Value, AwsError> {
        let Some(value_ref) = &shape.value else {
            return Ok(Value::Map(IndexMap::new()));
        };
        let mut entries = IndexMap::with_capacity(object.len());
        for (key, json) in object {
            match json {
                Json::Null if shape.sparse => {
                    entries.insert(key.clone(), Value::Null);
                }
                Json::Null => {}
                json => {
                    let value = self.shape(&value_ref.shape, json, depth + 1)?;
                    entries.insert(key.clone(), value);
                }
            }
        }
        Ok(Value::Map(entries))
    }
}

fn integer(kind: ShapeType, n: &Number) -> Result<i64, AwsError> {
    let whole = if let Some(i) = n.as_i64() {
        i128::from(i)
    } else if let Some(u) = n.as_u64() {
        i128::from(u)
    } else {
        // 5.0 is an integer; 5.5 is not.
        match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e20 => f as i128,
            _ => {
                return Err(serialization_error(format!(
                    "{n} can not be converted to {}",
                    java_type(kind)
                )));
            }
        }
    };
    integer_in_range(kind, whole)
}

fn decode_timestamp(json: &Json) -> Result<Value, AwsError> {
    let parsed = match json {
        Json::Number(n) => match n.as_i64() {
            Some(seconds) => Some(Timestamp { seconds, nanos: 0 }),
            None => n
                .as_f64()
                .filter(|f| f.is_finite())
                .map(Timestamp::from_epoch_seconds_f64),
        },
        Json::String(s) => timestamp::parse(s),
        _ => return Err(mismatch(json, ShapeType::Timestamp)),
    };
    parsed
        .map(Value::Timestamp)
        .ok_or_else(|| serialization_error(format!("Invalid timestamp: {json}")))
}

/// A JSON token where the shape wants something else, in AWS's wording.
fn mismatch(json: &Json, expected: ShapeType) -> AwsError {
    let message = match json {
        Json::Object(_) => "Start of structure or map found where not expected.".to_owned(),
        Json::Array(_) => "Start of list found where not expected".to_owned(),
        Json::String(_) => format!("STRING_VALUE can not be converted to {}", java_type(expected)),
        Json::Number(_) => format!("NUMBER_VALUE can not be converted to {}", java_type(expected)),
        Json::Bool(true) => format!("TRUE_VALUE can not be converted to {}", java_type(expected)),
        Json::Bool(false) => format!("FALSE_VALUE can not be converted to {}", java_type(expected)),
        Json::Null => format!("null can not be converted to {}", java_type(expected)),
    };
    serialization_error(message)
}

struct Encoder<'m> {
    model: &'m ServiceModel,
}

impl Encoder<'_> {
    fn shape(&self, shape_name: &str, member: Option<&ShapeRef>, value: &Value, depth: usize) -> Json {
        let Some(shape) = self.model.shapes.get(shape_name) else {
            return generic_json(value, depth);
        };
        if depth > MAX_DEPTH {
            return Json::Null;
        }
        match value {
            Value::Structure(members) if shape.kind == ShapeType::Structure => {
                self.structure(shape, members, depth)
            }
            Value::List(items) if shape.kind == ShapeType::List => match &shape.member {
                Some(item_ref) => Json::Array(
                    items
                        .iter()
                        .map(|item| self.shape(&item_ref.shape, Some(item_ref), item, depth + 1))
                        .collect(),
                ),
                None => generic_json(value, depth),
            },
            Value::Map(entries) if shape.kind == ShapeType::Map => match &shape.value {
                Some(value_ref) => Json::Object(
                    entries
                        .iter()
                        .filter(|(_, entry)| shape.sparse || !matches!(entry, Value::Null))
                        .map(|(key, entry)| {
                            (
                                key.clone(),
                                self.shape(&value_ref.shape, Some(value_ref), entry, depth + 1),
                            )
                        })
                        .collect(),
                ),
                None => generic_json(value, depth),
            },
            Value::Timestamp(t) => encode_timestamp(*t, timestamp_format(member, shape)),
            _ => generic_json(value, depth),
        }
    }

    fn structure(&self, shape: &Shape, members: &IndexMap<String, Value>, depth: usize) -> Json {
        let mut object = Map::new();
        for (name, member) in &shape.members {
            if depth == 0 && member.location.is_some() {
                continue;
            }
            match members.get(name) {
                None | Some(Value::Null) => {}
                Some(value) => {
                    let json = self.shape(&member.shape, Some(member), value, depth + 1);
                    object.insert(wire_name(name, member).to_owned(), json);
                }
            }
        }
        Json::Object(object)
    }
}

pub(super) fn encode_timestamp(t: Timestamp, format: Option<TimestampFormat>) -> Json {
    match format.unwrap_or(TimestampFormat::UnixTimestamp) {
        TimestampFormat::UnixTimestamp if t.nanos / 1_000_000 == 0 => Json::from(t.seconds),
        TimestampFormat::UnixTimestamp => {
            let millis = t.as_epoch_millis();
            // Whole milliseconds, so 946845296.123 prints as such.
            Number::from_f64(millis as f64 / 1000.0).map_or(Json::Null, Json::Number)
        }
        other => Json::String(timestamp::format(t, other)),
    }
}

fn encode_float(f: f64) -> Json {
    match Number::from_f64(f) {
        Some(n) => Json::Number(n),
        None if f.is_nan() => Json::from("NaN"),
        None if f > 0.0 => Json::from("Infinity"),
        None => Json::from("-Infinity"),
    }
}

/// A value without (or not matching) its shape, in the obvious JSON form.
pub(super) fn generic_json(value: &Value, depth: usize) -> Json {
    if depth > MAX_DEPTH {
        return Json::Null;
    }
    match value {
        Value::Null => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::Integer(i) => Json::from(*i),
        Value::Float(f) => encode_float(*f),
        Value::String(s) => Json::String(s.clone()),
        Value::Blob(bytes) => Json::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
        Value::Timestamp(t) => encode_timestamp(*t, None),
        Value::List(items) => Json::Array(items.iter().map(|item| generic_json(item, depth + 1)).collect()),
        Value::Map(entries) | Value::Structure(entries) => Json::Object(
            entries
                .iter()
                .filter(|(_, entry)| !matches!(entry, Value::Null))
                .map(|(key, entry)| (key.clone(), generic_json(entry, depth + 1)))
                .collect(),
        ),
        Value::Document(json) => json.clone(),
        // A streaming body is never part of a document.
        Value::Stream(_) => Json::Null,
    }
}

/// One member's value as JSON (error fields, rest-json payload members).
pub(crate) fn member_to_json(model: &ServiceModel, member: &ShapeRef, value: &Value) -> Json {
    Encoder { model }.shape(&member.shape, Some(member), value, 1)
}

/// A value with no shape to follow, in the obvious JSON form.
pub(crate) fn untyped_json(value: &Value) -> Json {
    generic_json(value, 0)
}
