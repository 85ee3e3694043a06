//! The shape-driven JSON encoder, writing bytes directly: the same output,
//! byte for byte, as serializing [`value_to_json`](super::value_to_json),
//! without building an intermediate `serde_json::Value` tree (one allocation
//! per node, then as many frees). Large responses (a DynamoDB Query page of
//! a hundred items) spend most of their encoding time in that tree.

use indexmap::IndexMap;
use nimbus_core::Value;
use serde::Serialize;

use super::body::{encode_timestamp, generic_json, timestamp_format, wire_name};
use crate::model::{ServiceModel, Shape, ShapeLookups, ShapeRef, ShapeType};
use crate::validate::MAX_DEPTH;

/// A value of the shape `shape_name`, as JSON bytes appended to `out`.
pub fn write_value(model: &ServiceModel, shape_name: &str, value: &Value, out: &mut Vec<u8>) {
    let mut writer = Writer {
        shapes: ShapeLookups::new(model),
        out,
    };
    writer.shape(shape_name, None, value, 0);
}

struct Writer<'m, 'o> {
    shapes: ShapeLookups<'m>,
    out: &'o mut Vec<u8>,
}

impl<'m> Writer<'m, '_> {
    fn lookup(&mut self, shape_name: &str) -> Option<&'m Shape> {
        self.shapes.get(shape_name)
    }

    fn shape(&mut self, shape_name: &str, member: Option<&ShapeRef>, value: &Value, depth: usize) {
        let Some(shape) = self.lookup(shape_name) else {
            return self.generic(value, depth);
        };
        if depth > MAX_DEPTH {
            return self.raw(b"null");
        }
        match value {
            Value::Structure(members) if shape.kind == ShapeType::Structure => {
                self.structure(shape, members, depth)
            }
            Value::List(items) if shape.kind == ShapeType::List => match &shape.member {
                Some(item_ref) => {
                    self.raw(b"[");
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            self.raw(b",");
                        }
                        self.shape(&item_ref.shape, Some(item_ref), item, depth + 1);
                    }
                    self.raw(b"]");
                }
                None => self.generic(value, depth),
            },
            Value::Map(entries) if shape.kind == ShapeType::Map => match &shape.value {
                Some(value_ref) => {
                    self.raw(b"{");
                    let mut first = true;
                    for (key, entry) in entries {
                        if !shape.sparse && matches!(entry, Value::Null) {
                            continue;
                        }
                        self.key(&mut first, key);
                        self.shape(&value_ref.shape, Some(value_ref), entry, depth + 1);
                    }
                    self.raw(b"}");
                }
                None => self.generic(value, depth),
            },
            Value::Timestamp(t) => self.serialize(&encode_timestamp(*t, timestamp_format(member, shape))),
            _ => self.generic(value, depth),
        }
    }

    /// Members in the shape's order, present ones only. A structure usually
    /// sets few of its members (an AttributeValue one of ten), so the members
    /// present are looked up in the shape rather than the other way round.
    fn structure<'v>(&mut self, shape: &'m Shape, members: &'v IndexMap<String, Value>, depth: usize) {
        let written = |(name, value): (&String, &'v Value)| {
            if matches!(value, Value::Null) {
                return None;
            }
            let (index, member_name, member) = shape.members.get_full(name.as_str())?;
            (depth > 0 || member.location.is_none()).then_some((index, member_name, member, value))
        };
        self.raw(b"{");
        let mut first = true;
        if members.len() == 1 {
            // One member (every AttributeValue): nothing to order.
            for (_, name, member, value) in members.iter().filter_map(written) {
                self.key(&mut first, wire_name(name, member));
                self.shape(&member.shape, Some(member), value, depth + 1);
            }
        } else {
            let mut present: Vec<_> = members.iter().filter_map(written).collect();
            present.sort_unstable_by_key(|(index, ..)| *index);
            for (_, name, member, value) in present {
                self.key(&mut first, wire_name(name, member));
                self.shape(&member.shape, Some(member), value, depth + 1);
            }
        }
        self.raw(b"}");
    }

    /// A value without (or not matching) its shape, as `generic_json` renders it.
    fn generic(&mut self, value: &Value, depth: usize) {
        if depth > MAX_DEPTH {
            return self.raw(b"null");
        }
        match value {
            Value::Null => self.raw(b"null"),
            Value::Boolean(b) => self.raw(if *b { b"true" } else { b"false" }),
            Value::Integer(i) => self.serialize(i),
            Value::String(s) => self.string(s),
            Value::List(items) => {
                self.raw(b"[");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.raw(b",");
                    }
                    self.generic(item, depth + 1);
                }
                self.raw(b"]");
            }
            Value::Map(entries) | Value::Structure(entries) => {
                self.raw(b"{");
                let mut first = true;
                for (key, entry) in entries {
                    if matches!(entry, Value::Null) {
                        continue;
                    }
                    self.key(&mut first, key);
                    self.generic(entry, depth + 1);
                }
                self.raw(b"}");
            }
            Value::Document(json) => self.serialize(json),
            // Floats, blobs, timestamps and anything else: rare here, and
            // their spelling stays in one place.
            other => self.serialize(&generic_json(other, depth)),
        }
    }

    /// `"key":`, preceded by a comma unless it is the object's first.
    fn key(&mut self, first: &mut bool, key: &str) {
        if !std::mem::take(first) {
            self.raw(b",");
        }
        self.string(key);
        self.raw(b":");
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// A JSON string. Most need no escape at all: those are copied as they
    /// are (the check runs over the whole string without branching, which
    /// compiles to wide compares); the rest get serde_json's escapes.
    fn string(&mut self, text: &str) {
        let needs_escape = text
            .bytes()
            .fold(false, |found, b| found | (b < 0x20) | (b == b'"') | (b == b'\\'));
        if needs_escape {
            self.serialize(text);
        } else {
            self.out.reserve(text.len() + 2);
            self.out.push(b'"');
            self.out.extend_from_slice(text.as_bytes());
            self.out.push(b'"');
        }
    }

    /// serde_json's own spelling (string escapes, integers, floats).
    fn serialize<T: Serialize + ?Sized>(&mut self, value: &T) {
        // Writing into a Vec cannot fail, and none of these types refuse to serialize.
        let _ = serde_json::to_writer(&mut *self.out, value);
    }
}
