//! Query parameters to a value of the input shape, with the naming rules of
//! botocore's query and ec2 serializers (the requests real clients send).

use std::borrow::Cow;

use indexmap::IndexMap;
use nimbus_core::{AwsError, Value};

use super::Dialect;
use super::params::ParamTree;
use crate::codec::xml::{is_flattened, location_name, lookup_shape};
use crate::model::{ServiceModel, Shape, ShapeRef, ShapeType};
use crate::timestamp;

pub struct Decoder<'m> {
    pub model: &'m ServiceModel,
    pub dialect: Dialect,
}

impl<'m> Decoder<'m> {
    /// The members of a structure found under `node`; `path` is the wire name
    /// of `node` (empty at the top), for error messages.
    pub fn structure(&self, node: &ParamTree, shape: &Shape, path: &str) -> Result<Value, AwsError> {
        let mut members = IndexMap::new();
        for (member_name, reference) in &shape.members {
            let target = lookup_shape(self.model, &reference.shape)?;
            let key = self.serialized_name(reference, target, member_name);
            let found = node
                .child(&key)
                .map(|child| (child, key))
                .or_else(|| self.botocore_flattened_list(node, reference, target))
                .or_else(|| self.smithy_ec2_name(node, member_name, reference, target));
            let Some((child, key)) = found else {
                continue;
            };
            if let Some(value) = self.value(child, reference, target, &join(path, &key))? {
                members.insert(member_name.clone(), value);
            }
        }
        Ok(Value::Structure(members))
    }

    /// botocore's query serializer names a flattened list after its member's
    /// `locationName` when it has one, instead of after the structure member.
    fn botocore_flattened_list<'n>(
        &self,
        node: &'n ParamTree,
        reference: &ShapeRef,
        target: &'m Shape,
    ) -> Option<(&'n ParamTree, Cow<'m, str>)> {
        if self.dialect != Dialect::Query
            || target.kind != ShapeType::List
            || !is_flattened(reference, target)
        {
            return None;
        }
        let member = target.member.as_ref()?;
        let name = location_name(member, self.model.shapes.get(&member.shape)?)?;
        node.child(name).map(|child| (child, Cow::Borrowed(name)))
    }

    /// Smithy's ec2 protocol capitalizes plain member names too (`token` →
    /// `Token`); botocore sends them as they are. Both are accepted.
    fn smithy_ec2_name<'n>(
        &self,
        node: &'n ParamTree,
        member_name: &'m str,
        reference: &ShapeRef,
        target: &Shape,
    ) -> Option<(&'n ParamTree, Cow<'m, str>)> {
        if self.dialect != Dialect::Ec2
            || reference.query_name.is_some()
            || location_name(reference, target).is_some()
        {
            return None;
        }
        let name = capitalize(member_name);
        node.child(&name).map(|child| (child, name))
    }

    /// The value of the shape `reference` points to, held at `node`; `None`
    /// when nothing there describes one.
    fn value(
        &self,
        node: &ParamTree,
        reference: &ShapeRef,
        shape: &Shape,
        path: &str,
    ) -> Result<Option<Value>, AwsError> {
        match shape.kind {
            ShapeType::Structure => self.structure(node, shape, path).map(Some),
            ShapeType::List => self.list(node, reference, shape, path),
            ShapeType::Map => self.map(node, reference, shape, path),
            kind => node
                .value
                .as_deref()
                .map(|text| self.scalar(kind, text, path))
                .transpose(),
        }
    }

    fn list(
        &self,
        node: &ParamTree,
        reference: &ShapeRef,
        shape: &Shape,
        path: &str,
    ) -> Result<Option<Value>, AwsError> {
        let Some(member) = shape.member.as_ref() else {
            return Ok(None);
        };
        let member_shape = lookup_shape(self.model, &member.shape)?;
        // Ec2 flattens every list; query nests items under `member` (or the
        // member's locationName) unless the list is flattened.
        let (items_node, items_path) = if self.dialect == Dialect::Ec2 || is_flattened(reference, shape) {
            (Some(node), path.to_owned())
        } else {
            let name = self.serialized_name(member, member_shape, "member");
            (node.child(&name), join(path, &name))
        };
        let indexed = items_node.map(ParamTree::indexed).unwrap_or_default();
        if indexed.is_empty() {
            // `List=` is how the query protocol says "an empty list".
            return Ok(node.value.is_some().then(|| Value::List(Vec::new())));
        }
        let mut items = Vec::with_capacity(indexed.len());
        for (index, item) in indexed {
            let item_path = join(&items_path, &index.to_string());
            if let Some(value) = self.value(item, member, member_shape, &item_path)? {
                items.push(value);
            }
        }
        Ok(Some(Value::List(items)))
    }

    fn map(
        &self,
        node: &ParamTree,
        reference: &ShapeRef,
        shape: &Shape,
        path: &str,
    ) -> Result<Option<Value>, AwsError> {
        let (Some(key_ref), Some(value_ref)) = (shape.key.as_ref(), shape.value.as_ref()) else {
            return Ok(None);
        };
        let value_shape = lookup_shape(self.model, &value_ref.shape)?;
        let key_name = self.serialized_name(key_ref, lookup_shape(self.model, &key_ref.shape)?, "key");
        let value_name = self.serialized_name(value_ref, value_shape, "value");
        let (entries_node, entries_path) = if is_flattened(reference, shape) {
            (Some(node), path.to_owned())
        } else {
            (node.child("entry"), join(path, "entry"))
        };
        let indexed = entries_node.map(ParamTree::indexed).unwrap_or_default();
        if indexed.is_empty() {
            return Ok(node.value.is_some().then(|| Value::Map(IndexMap::new())));
        }
        let mut map = IndexMap::new();
        for (index, entry) in indexed {
            let Some(key) = entry.child(&key_name).and_then(|k| k.value.clone()) else {
                continue;
            };
            let Some(value_node) = entry.child(&value_name) else {
                continue;
            };
            let value_path = join(&join(&entries_path, &index.to_string()), &value_name);
            if let Some(value) = self.value(value_node, value_ref, value_shape, &value_path)? {
                map.insert(key, value);
            }
        }
        Ok(Some(Value::Map(map)))
    }

    /// The parameter segment of a structure member, list member or map
    /// key/value. Query: its `locationName`, else `default`. Ec2: its
    /// `queryName`, else its `locationName` with the first letter
    /// capitalized, else `default`.
    fn serialized_name<'a>(
        &self,
        reference: &'a ShapeRef,
        shape: &'a Shape,
        default: &'a str,
    ) -> Cow<'a, str> {
        let located = location_name(reference, shape);
        match self.dialect {
            Dialect::Query => Cow::Borrowed(located.unwrap_or(default)),
            Dialect::Ec2 => match (reference.query_name.as_deref(), located) {
                (Some(query_name), _) => Cow::Borrowed(query_name),
                (None, Some(name)) => capitalize(name),
                (None, None) => Cow::Borrowed(default),
            },
        }
    }

    fn scalar(&self, kind: ShapeType, text: &str, path: &str) -> Result<Value, AwsError> {
        let (parsed, expected) = match kind {
            ShapeType::Boolean => (parse_bool(text).map(Value::Boolean), "a boolean (true or false)"),
            ShapeType::Integer | ShapeType::Long | ShapeType::Short | ShapeType::Byte => {
                (text.trim().parse().ok().map(Value::Integer), "an integer")
            }
            ShapeType::Float | ShapeType::Double => (
                crate::codec::xml::parse_float(text.trim()).map(Value::Float),
                "a number",
            ),
            ShapeType::Timestamp => (
                timestamp::parse(text).map(Value::Timestamp),
                "an ISO 8601 timestamp",
            ),
            ShapeType::Blob => (
                crate::codec::xml::decode_base64(text).map(|bytes| Value::Blob(bytes.into())),
                "base64-encoded data",
            ),
            _ => (Some(Value::String(text.to_owned())), ""),
        };
        parsed.ok_or_else(|| self.invalid_value(text, path, expected))
    }

    /// The error AWS query services give a parameter of the wrong type.
    fn invalid_value(&self, text: &str, path: &str, expected: &str) -> AwsError {
        let message = match self.dialect {
            Dialect::Query => {
                format!("Value {text} for parameter {path} is invalid. Reason: expected {expected}.")
            }
            Dialect::Ec2 => format!("Value ({text}) for parameter {path} is invalid. Expected {expected}."),
        };
        AwsError::new("InvalidParameterValue", message, 400)
    }
}

/// Booleans as AWS's query front ends read them, case-insensitively.
fn parse_bool(text: &str) -> Option<bool> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn capitalize(name: &str) -> Cow<'_, str> {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) if first.is_lowercase() => Cow::Owned(first.to_uppercase().chain(chars).collect()),
        _ => Cow::Borrowed(name),
    }
}

fn join(path: &str, segment: &str) -> String {
    if path.is_empty() {
        segment.to_owned()
    } else {
        format!("{path}.{segment}")
    }
}
