//! Reading values out of an element tree, driven by their shapes, with
//! botocore's naming rules. Recursion follows the tree, whose depth the
//! reader bounds, so hostile input cannot exhaust the stack.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use indexmap::IndexMap;
use nimbus_core::{AwsError, Value};

use super::dom::Element;
use super::{is_flattened, location_name, lookup_shape, malformed_xml};
use crate::model::{ServiceModel, Shape, ShapeRef, ShapeType};
use crate::timestamp;

/// The members of a structure shape from the children (and attributes) of `element`.
pub(super) fn decode_structure_element(
    model: &ServiceModel,
    shape: &Shape,
    element: &Element,
) -> Result<Value, AwsError> {
    let mut members = IndexMap::new();
    for (member_name, reference) in &shape.members {
        if reference.location.is_some() {
            continue;
        }
        let target = lookup_shape(model, &reference.shape)?;
        let value = if reference.xml_attribute {
            let name = location_name(reference, target).unwrap_or(member_name);
            element
                .attribute(name)
                .map(|text| scalar(target.kind, text))
                .transpose()?
        } else {
            member(model, member_name, reference, target, element)?
        };
        if let Some(value) = value {
            members.insert(member_name.clone(), value);
        }
    }
    Ok(Value::Structure(members))
}

/// One member of a structure from its parent element; `None` when absent.
fn member(
    model: &ServiceModel,
    member_name: &str,
    reference: &ShapeRef,
    target: &Shape,
    parent: &Element,
) -> Result<Option<Value>, AwsError> {
    let name = location_name(reference, target).unwrap_or(member_name);
    let flattened =
        matches!(target.kind, ShapeType::List | ShapeType::Map) && is_flattened(reference, target);
    if !flattened {
        return parent
            .child(super::local_part(name))
            .map(|element| decode_element(model, reference, element))
            .transpose();
    }
    if target.kind == ShapeType::Map {
        let entries: Vec<&Element> = parent.children_named(super::local_part(name)).collect();
        return if entries.is_empty() {
            Ok(None)
        } else {
            map_entries(model, target, entries).map(Some)
        };
    }
    // Clients serialize a flattened list under the member's own name
    // (botocore), while responses name the items after the list member; read
    // the first, fall back to the second.
    let item_ref = list_member(target)?;
    let item_shape = lookup_shape(model, &item_ref.shape)?;
    let mut items: Vec<&Element> = parent.children_named(super::local_part(name)).collect();
    if items.is_empty()
        && let Some(item_name) = location_name(item_ref, item_shape)
    {
        items = parent.children_named(super::local_part(item_name)).collect();
    }
    if items.is_empty() {
        return Ok(None);
    }
    items
        .into_iter()
        .map(|item| decode_element(model, item_ref, item))
        .collect::<Result<Vec<_>, _>>()
        .map(|items| Some(Value::List(items)))
}

/// The value of the shape `reference` points to, from its own element. For a
/// list or map this element is the wrapper holding the items or entries.
pub fn decode_element(
    model: &ServiceModel,
    reference: &ShapeRef,
    element: &Element,
) -> Result<Value, AwsError> {
    let shape = lookup_shape(model, &reference.shape)?;
    match shape.kind {
        ShapeType::Structure => decode_structure_element(model, shape, element),
        ShapeType::List => {
            let item_ref = list_member(shape)?;
            // Like botocore, every child counts as an item whatever its name.
            element
                .children
                .iter()
                .map(|item| decode_element(model, item_ref, item))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::List)
        }
        ShapeType::Map => map_entries(model, shape, element.children.iter().collect()),
        kind => scalar(kind, &element.text),
    }
}

fn list_member(shape: &Shape) -> Result<&ShapeRef, AwsError> {
    shape
        .member
        .as_ref()
        .ok_or_else(|| AwsError::internal("a list shape of the service model has no member"))
}

/// A map from its entry elements (each holding one key and one value element).
fn map_entries(model: &ServiceModel, shape: &Shape, entries: Vec<&Element>) -> Result<Value, AwsError> {
    let (Some(key_ref), Some(value_ref)) = (shape.key.as_ref(), shape.value.as_ref()) else {
        return Err(AwsError::internal(
            "a map shape of the service model has no key or value",
        ));
    };
    let key_name = location_name(key_ref, lookup_shape(model, &key_ref.shape)?).unwrap_or("key");
    let value_name = location_name(value_ref, lookup_shape(model, &value_ref.shape)?).unwrap_or("value");
    let mut map = IndexMap::new();
    for entry in entries {
        let key = entry
            .child(super::local_part(key_name))
            .ok_or_else(malformed_xml)?
            .text
            .clone();
        if let Some(value) = entry.child(super::local_part(value_name)) {
            map.insert(key, decode_element(model, value_ref, value)?);
        }
    }
    Ok(Value::Map(map))
}

/// A scalar from its text. Strings keep their whitespace; numbers, booleans
/// and timestamps tolerate surrounding whitespace, as XML readers do.
fn scalar(kind: ShapeType, text: &str) -> Result<Value, AwsError> {
    let trimmed = text.trim();
    let parsed = match kind {
        ShapeType::Boolean => match trimmed {
            "true" => Some(Value::Boolean(true)),
            "false" => Some(Value::Boolean(false)),
            _ => None,
        },
        ShapeType::Integer | ShapeType::Long | ShapeType::Short | ShapeType::Byte => {
            trimmed.parse().ok().map(Value::Integer)
        }
        ShapeType::Float | ShapeType::Double => parse_float(trimmed).map(Value::Float),
        ShapeType::Timestamp => timestamp::parse(trimmed).map(Value::Timestamp),
        ShapeType::Blob => decode_base64(text).map(|bytes| Value::Blob(bytes.into())),
        ShapeType::String
        | ShapeType::BigInteger
        | ShapeType::BigDecimal
        | ShapeType::Structure
        | ShapeType::List
        | ShapeType::Map => Some(Value::String(text.to_owned())),
    };
    parsed.ok_or_else(malformed_xml)
}

/// A float in AWS's spelling (`NaN`, `Infinity`, `-Infinity`) or decimal notation.
pub(crate) fn parse_float(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        // Rust also reads `inf` and `nan`; AWS does not write those.
        _ if text
            .bytes()
            .any(|b| b.is_ascii_alphabetic() && !matches!(b, b'e' | b'E')) =>
        {
            None
        }
        _ => text.parse().ok(),
    }
}

/// Standard base64, ignoring the line breaks some encoders insert.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    BASE64.decode(compact).ok()
}
