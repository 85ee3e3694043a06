//! Parameters as botocore's test cases (and the oracle) write them, turned
//! into the [`Value`] a decoder must produce, guided by the shape.
//!
//! The JSON conventions: timestamps are epoch seconds (a number, possibly
//! fractional) or a date string; blobs are text (its UTF-8 bytes) or
//! `{"$base64": "..."}` for arbitrary bytes; floats may be `"NaN"`,
//! `"Infinity"` or `"-Infinity"`; `null` members are absent; `null` items of
//! lists and maps are kept (sparse collections); a `jsonvalue` member may be
//! any JSON (it becomes its text).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use indexmap::IndexMap;
use nimbus_core::Timestamp;
use nimbus_protocol::Value;
use nimbus_protocol::model::{Member, Model, Shape, ShapeType};
use nimbus_protocol::timestamp;
use serde_json::Value as Json;

/// The value of shape `shape_name` that `json` describes.
pub fn to_value(model: &Model, shape_name: &str, json: &Json) -> Result<Value, String> {
    convert(model, shape(model, shape_name)?, json, shape_name)
}

/// A model shape, or an error naming the dangling reference.
pub fn shape<'m>(model: &'m Model, name: &str) -> Result<&'m Shape, String> {
    model
        .shape_named(name)
        .ok_or_else(|| format!("shape {name} is not in the model"))
}

fn convert(model: &Model, shape: &Shape, json: &Json, path: &str) -> Result<Value, String> {
    let shape_name = &shape.name;
    let mismatch = || format!("{path}: {json} is not a {:?}", shape.kind);
    if shape.document {
        return Ok(Value::Document(json.clone()));
    }
    Ok(match shape.kind {
        ShapeType::Structure => {
            let object = json.as_object().ok_or_else(mismatch)?;
            let mut members = IndexMap::new();
            for (name, item) in object {
                if item.is_null() {
                    continue;
                }
                let member = shape
                    .member(name)
                    .ok_or_else(|| format!("{path}: {shape_name} has no member {name}"))?;
                let value = if member.jsonvalue && !item.is_string() {
                    // A `jsonvalue` header: botocore takes any JSON, the decoder gives its text.
                    Value::String(item.to_string())
                } else {
                    convert(model, model.target(member), item, &format!("{path}.{name}"))?
                };
                members.insert(name.clone(), value);
            }
            Value::Structure(members)
        }
        ShapeType::List => {
            let items = json.as_array().ok_or_else(mismatch)?;
            let member = element(shape.item.as_deref(), path, "member")?;
            let values = items
                .iter()
                .enumerate()
                .map(|(i, item)| nullable(model, model.target(member), item, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?;
            Value::List(values)
        }
        ShapeType::Map => {
            let object = json.as_object().ok_or_else(mismatch)?;
            let value_ref = element(shape.value.as_deref(), path, "value")?;
            let mut entries = IndexMap::new();
            for (key, item) in object {
                entries.insert(
                    key.clone(),
                    nullable(model, model.target(value_ref), item, &format!("{path}.{key}"))?,
                );
            }
            Value::Map(entries)
        }
        ShapeType::String | ShapeType::BigInteger | ShapeType::BigDecimal => match json {
            Json::String(text) => Value::String(text.clone()),
            Json::Number(number) => Value::String(number.to_string()),
            _ => return Err(mismatch()),
        },
        ShapeType::Integer | ShapeType::Long | ShapeType::Short | ShapeType::Byte => {
            let integer = json
                .as_i64()
                .or_else(|| json.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .ok_or_else(mismatch)?;
            Value::Integer(integer)
        }
        ShapeType::Float | ShapeType::Double => Value::Float(float(json).ok_or_else(mismatch)?),
        ShapeType::Boolean => Value::Boolean(json.as_bool().ok_or_else(mismatch)?),
        ShapeType::Blob => Value::Blob(blob(json).ok_or_else(mismatch)?.into()),
        ShapeType::Timestamp => Value::Timestamp(timestamp_of(json).ok_or_else(mismatch)?),
    })
}

fn nullable(model: &Model, shape: &Shape, json: &Json, path: &str) -> Result<Value, String> {
    if json.is_null() {
        Ok(Value::Null)
    } else {
        convert(model, shape, json, path)
    }
}

fn element<'s>(reference: Option<&'s Member>, path: &str, what: &str) -> Result<&'s Member, String> {
    reference.ok_or_else(|| format!("{path}: collection shape without a {what}"))
}

fn float(json: &Json) -> Option<f64> {
    match json {
        Json::Number(number) => number.as_f64(),
        Json::String(text) => match text.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

fn blob(json: &Json) -> Option<Vec<u8>> {
    match json {
        Json::String(text) => Some(text.as_bytes().to_vec()),
        Json::Object(object) => BASE64.decode(object.get("$base64")?.as_str()?).ok(),
        _ => None,
    }
}

fn timestamp_of(json: &Json) -> Option<Timestamp> {
    match json {
        Json::Number(number) => Some(Timestamp::from_epoch_seconds_f64(number.as_f64()?)),
        Json::String(text) => timestamp::parse(text),
        _ => None,
    }
}
