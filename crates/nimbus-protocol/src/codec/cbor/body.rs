//! Shape-driven conversion between CBOR data items and [`Value`]s, per the
//! smithy rpcv2Cbor spec: structures are maps keyed by member name, blobs
//! byte strings, timestamps tag 1 around epoch seconds, floats native CBOR
//! floats (NaN and the infinities included). Input may use definite or
//! indefinite lengths and any float width; output uses definite lengths.

use ciborium::value::{Integer, Value as Cbor};
use indexmap::IndexMap;
use nimbus_core::{AwsError, Timestamp, Value};

use crate::codec::json::{integer_in_range, java_type, serialization_error, too_deep};
use crate::model::{ServiceModel, Shape, ShapeRef, ShapeType};
use crate::validate::MAX_DEPTH;

/// CBOR tag for epoch-based date/time (RFC 8949 §3.4.2).
const EPOCH_TAG: u64 = 1;

/// A CBOR data item to a value of the shape `shape_name`.
pub fn value_from_cbor(model: &ServiceModel, shape_name: &str, cbor: &Cbor) -> Result<Value, AwsError> {
    Decoder { model }.shape(shape_name, cbor, 0)
}

/// A value of the shape `shape_name` to a CBOR data item.
pub fn value_to_cbor(model: &ServiceModel, shape_name: &str, value: &Value) -> Cbor {
    Encoder { model }.shape(shape_name, value, 0)
}

/// One member's value as CBOR (error fields).
pub fn member_to_cbor(model: &ServiceModel, member: &ShapeRef, value: &Value) -> Cbor {
    Encoder { model }.shape(&member.shape, value, 1)
}

/// A value with no shape to follow, in the obvious CBOR form.
pub fn untyped_cbor(value: &Value) -> Cbor {
    generic_cbor(value, 0)
}

struct Decoder<'m> {
    model: &'m ServiceModel,
}

impl Decoder<'_> {
    fn shape(&self, shape_name: &str, cbor: &Cbor, depth: usize) -> Result<Value, AwsError> {
        if depth > MAX_DEPTH {
            return Err(too_deep());
        }
        let shape = self
            .model
            .shapes
            .get(shape_name)
            .ok_or_else(|| AwsError::internal(format!("shape {shape_name} is not in the model")))?;
        if shape.document {
            return Ok(Value::Document(to_json(cbor, depth)));
        }
        let kind = shape.kind;
        match (kind, cbor) {
            (ShapeType::Structure, Cbor::Map(entries)) => self.structure(shape, entries, depth),
            (ShapeType::List, Cbor::Array(items)) => self.list(shape, items, depth),
            (ShapeType::Map, Cbor::Map(entries)) => self.map(shape, entries, depth),
            (ShapeType::String, Cbor::Text(s)) => Ok(Value::String(s.clone())),
            (ShapeType::Boolean, Cbor::Bool(b)) => Ok(Value::Boolean(*b)),
            (ShapeType::Byte | ShapeType::Short | ShapeType::Integer | ShapeType::Long, Cbor::Integer(i)) => {
                integer_in_range(kind, i128::from(*i)).map(Value::Integer)
            }
            // Smaller numbers widen: an integer or a half float is a fine double.
            (ShapeType::Float | ShapeType::Double, Cbor::Float(f)) => Ok(Value::Float(*f)),
            (ShapeType::Float | ShapeType::Double, Cbor::Integer(i)) => {
                Ok(Value::Float(i128::from(*i) as f64))
            }
            (ShapeType::BigInteger | ShapeType::BigDecimal, Cbor::Integer(i)) => {
                Ok(Value::String(i128::from(*i).to_string()))
            }
            (ShapeType::BigInteger | ShapeType::BigDecimal, Cbor::Float(f)) => {
                Ok(Value::String(f.to_string()))
            }
            (ShapeType::Blob, Cbor::Bytes(bytes)) => Ok(Value::Blob(bytes.clone().into())),
            (ShapeType::Timestamp, Cbor::Tag(EPOCH_TAG, inner)) => decode_epoch(inner),
            // Lenient: an untagged number is epoch seconds too.
            (ShapeType::Timestamp, Cbor::Integer(_) | Cbor::Float(_)) => decode_epoch(cbor),
            _ => Err(mismatch(cbor, kind)),
        }
    }

    fn structure(&self, shape: &Shape, entries: &[(Cbor, Cbor)], depth: usize) -> Result<Value, AwsError> {
        let mut members = IndexMap::new();
        for (key, item) in entries {
            let Cbor::Text(key) = key else {
                return Err(serialization_error("Structure keys must be text strings"));
            };
            if matches!(item, Cbor::Null) {
                continue;
            }
            // Member names are the wire names; clients that apply a
            // locationName are understood as well. Unknown keys are ignored.
            let member = shape.members.get_key_value(key.as_str()).or_else(|| {
                shape
                    .members
                    .iter()
                    .find(|(_, m)| m.location_name.as_deref() == Some(key.as_str()))
            });
            if let Some((name, member)) = member {
                let value = self.shape(&member.shape, item, depth + 1)?;
                members.insert(name.clone(), value);
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

    fn list(&self, shape: &Shape, items: &[Cbor], depth: usize) -> Result<Value, AwsError> {
        let Some(member) = &shape.member else {
            return Ok(Value::List(Vec::new()));
        };
        let mut values = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Cbor::Null if shape.sparse => values.push(Value::Null),
                Cbor::Null => {}
                item => values.push(self.shape(&member.shape, item, depth + 1)?),
            }
        }
        Ok(Value::List(values))
    }

    fn map(&self, shape: &Shape, entries: &[(Cbor, Cbor)], depth: usize) -> Result<Value, AwsError> {
        let Some(value_ref) = &shape.value else {
            return Ok(Value::Map(IndexMap::new()));
        };
        let mut map = IndexMap::with_capacity(entries.len());
        for (key, item) in entries {
            let Cbor::Text(key) = key else {
                return Err(serialization_error("Map keys must be text strings"));
            };
            match item {
                Cbor::Null if shape.sparse => {
                    map.insert(key.clone(), Value::Null);
                }
                Cbor::Null => {}
                item => {
                    let value = self.shape(&value_ref.shape, item, depth + 1)?;
                    map.insert(key.clone(), value);
                }
            }
        }
        Ok(Value::Map(map))
    }
}

fn decode_epoch(cbor: &Cbor) -> Result<Value, AwsError> {
    match cbor {
        Cbor::Integer(i) => i64::try_from(i128::from(*i))
            .map(|seconds| Value::Timestamp(Timestamp { seconds, nanos: 0 }))
            .map_err(|_| serialization_error("Timestamp out of range")),
        Cbor::Float(f) if f.is_finite() => Ok(Value::Timestamp(Timestamp::from_epoch_seconds_f64(*f))),
        _ => Err(serialization_error(
            "A timestamp must be a number of epoch seconds",
        )),
    }
}

fn mismatch(cbor: &Cbor, expected: ShapeType) -> AwsError {
    let found = match cbor {
        Cbor::Integer(_) => "an integer",
        Cbor::Bytes(_) => "a byte string",
        Cbor::Float(_) => "a float",
        Cbor::Text(_) => "a text string",
        Cbor::Bool(_) => "a boolean",
        Cbor::Null => "null",
        Cbor::Tag(..) => "a tagged item",
        Cbor::Array(_) => "an array",
        Cbor::Map(_) => "a map",
        _ => "an unsupported item",
    };
    serialization_error(format!(
        "Found {found} where {} was expected",
        java_type(expected)
    ))
}

/// A CBOR item as a JSON document (documents are JSON's data model).
fn to_json(cbor: &Cbor, depth: usize) -> serde_json::Value {
    use base64::Engine;
    use serde_json::Value as Json;
    if depth > MAX_DEPTH {
        return Json::Null;
    }
    match cbor {
        Cbor::Integer(i) => {
            let i = i128::from(*i);
            i64::try_from(i).map_or_else(|_| Json::from(i as f64), Json::from)
        }
        Cbor::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Cbor::Text(s) => Json::String(s.clone()),
        Cbor::Bytes(b) => Json::String(base64::engine::general_purpose::STANDARD.encode(b)),
        Cbor::Bool(b) => Json::Bool(*b),
        Cbor::Tag(_, inner) => to_json(inner, depth + 1),
        Cbor::Array(items) => Json::Array(items.iter().map(|item| to_json(item, depth + 1)).collect()),
        Cbor::Map(entries) => Json::Object(
            entries
                .iter()
                .filter_map(|(k, v)| match k {
                    Cbor::Text(k) => Some((k.clone(), to_json(v, depth + 1))),
                    _ => None,
                })
                .collect(),
        ),
        _ => Json::Null,
    }
}

struct Encoder<'m> {
    model: &'m ServiceModel,
}

impl Encoder<'_> {
    fn shape(&self, shape_name: &str, value: &Value, depth: usize) -> Cbor {
        let Some(shape) = self.model.shapes.get(shape_name) else {
            return generic_cbor(value, depth);
        };
        if depth > MAX_DEPTH {
            return Cbor::Null;
        }
        match value {
            Value::Structure(members) if shape.kind == ShapeType::Structure => {
                // rpcv2Cbor keys members by their member names.
                Cbor::Map(
                    shape
                        .members
                        .iter()
                        .filter_map(|(name, member)| match members.get(name) {
                            None | Some(Value::Null) => None,
                            Some(value) => Some((
                                Cbor::Text(name.clone()),
                                self.shape(&member.shape, value, depth + 1),
                            )),
                        })
                        .collect(),
                )
            }
            Value::List(items) if shape.kind == ShapeType::List => match &shape.member {
                Some(item_ref) => Cbor::Array(
                    items
                        .iter()
                        .map(|item| self.shape(&item_ref.shape, item, depth + 1))
                        .collect(),
                ),
                None => generic_cbor(value, depth),
            },
            Value::Map(entries) if shape.kind == ShapeType::Map => match &shape.value {
                Some(value_ref) => Cbor::Map(
                    entries
                        .iter()
                        .filter(|(_, entry)| shape.sparse || !matches!(entry, Value::Null))
                        .map(|(key, entry)| {
                            (
                                Cbor::Text(key.clone()),
                                self.shape(&value_ref.shape, entry, depth + 1),
                            )
                        })
                        .collect(),
                ),
                None => generic_cbor(value, depth),
            },
            Value::Integer(i) if matches!(shape.kind, ShapeType::Float | ShapeType::Double) => {
                Cbor::Float(*i as f64)
            }
            _ => generic_cbor(value, depth),
        }
    }
}

fn encode_timestamp(t: Timestamp) -> Cbor {
    let seconds = if t.nanos / 1_000_000 == 0 {
        Cbor::Integer(Integer::from(t.seconds))
    } else {
        Cbor::Float(t.as_epoch_millis() as f64 / 1000.0)
    };
    Cbor::Tag(EPOCH_TAG, Box::new(seconds))
}

fn generic_cbor(value: &Value, depth: usize) -> Cbor {
    if depth > MAX_DEPTH {
        return Cbor::Null;
    }
    match value {
        Value::Null => Cbor::Null,
        Value::Boolean(b) => Cbor::Bool(*b),
        Value::Integer(i) => Cbor::Integer(Integer::from(*i)),
        Value::Float(f) => Cbor::Float(*f),
        Value::String(s) => Cbor::Text(s.clone()),
        Value::Blob(bytes) => Cbor::Bytes(bytes.to_vec()),
        Value::Timestamp(t) => encode_timestamp(*t),
        Value::List(items) => Cbor::Array(items.iter().map(|item| generic_cbor(item, depth + 1)).collect()),
        Value::Map(entries) | Value::Structure(entries) => Cbor::Map(
            entries
                .iter()
                .filter(|(_, entry)| !matches!(entry, Value::Null))
                .map(|(key, entry)| (Cbor::Text(key.clone()), generic_cbor(entry, depth + 1)))
                .collect(),
        ),
        Value::Document(json) => json_to_cbor(json, depth),
        // A streaming body is never part of a document.
        Value::Stream(_) => Cbor::Null,
    }
}

fn json_to_cbor(json: &serde_json::Value, depth: usize) -> Cbor {
    use serde_json::Value as Json;
    if depth > MAX_DEPTH {
        return Cbor::Null;
    }
    match json {
        Json::Null => Cbor::Null,
        Json::Bool(b) => Cbor::Bool(*b),
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Cbor::Integer(Integer::from(i)),
            (None, Some(u)) => Cbor::Integer(Integer::from(u)),
            _ => Cbor::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Cbor::Text(s.clone()),
        Json::Array(items) => Cbor::Array(items.iter().map(|item| json_to_cbor(item, depth + 1)).collect()),
        Json::Object(entries) => Cbor::Map(
            entries
                .iter()
                .map(|(k, v)| (Cbor::Text(k.clone()), json_to_cbor(v, depth + 1)))
                .collect(),
        ),
    }
}
