//! Reading a value of a shape out of the parameters of a query or ec2
//! request, with the naming rules of botocore's serializers: `Tags.member.1.Key`
//! (query lists nest items under `member` or the member's `locationName`
//! unless flattened), `Tag.1.Key` (ec2 flattens every list and names members
//! by `queryName` or capitalized `locationName`), maps as `entry.N.key` and
//! `entry.N.value`.

use std::borrow::Cow;
use std::fmt;

use nimbus_core::AwsError;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;

use super::document::MemberKey;
use super::text::{TextDe, TextRules};
use super::{Session, WireError, fail, too_deep};
use crate::codec::query::ParamTree;
use crate::model::{Member, Shape, ShapeType};
use crate::protocol::Protocol;
use crate::validate::MAX_DEPTH;
use crate::validate::rules::length_ok;

/// A parameter path, built only when an error names it: each level points
/// at its parent.
#[derive(Clone, Copy)]
pub(crate) struct Path<'p> {
    parent: Option<&'p Path<'p>>,
    segment: &'p str,
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent
            && !parent.segment.is_empty()
        {
            write!(f, "{parent}.")?;
        }
        f.write_str(self.segment)
    }
}

impl Path<'static> {
    pub const ROOT: Path<'static> = Path {
        parent: None,
        segment: "",
    };
}

/// A value of `shape` held at `node` of the parameter tree.
pub(crate) struct ParamDe<'s, 'm, 'p> {
    pub s: &'s Session<'m>,
    pub shape: &'m Shape,
    /// The member (or list member, map value) whose value this is.
    pub member: Option<&'m Member>,
    pub node: &'p ParamTree,
    pub path: Path<'p>,
    pub depth: usize,
}

impl<'s, 'm, 'p> ParamDe<'s, 'm, 'p> {
    fn ec2(&self) -> bool {
        self.s.protocol == Protocol::Ec2
    }

    /// The parameter segment of a member, list member or map key/value.
    fn key<'a>(&self, member: &'a Member) -> &'a str {
        if self.ec2() {
            &member.ec2_key
        } else {
            &member.query_key
        }
    }

    fn flattened(&self) -> bool {
        self.member.is_some_and(|member| member.flattened)
    }

    /// The node and wire segment of a structure member, if the request has it.
    fn find_member(&self, member: &'m Member) -> Option<(&'p ParamTree, Cow<'m, str>)> {
        let key = self.key(member);
        if let Some(child) = self.node.child(key) {
            return Some((child, Cow::Borrowed(key)));
        }
        let target = self.s.shape(member);
        if !self.ec2() && target.kind == ShapeType::List && member.flattened {
            // botocore names a flattened list after its member's locationName.
            let item = target.item.as_deref().filter(|item| item.has_xml_name)?;
            return self
                .node
                .child(&item.xml_name)
                .map(|child| (child, Cow::Borrowed(item.xml_name.as_str())));
        }
        if self.ec2() && !member.ec2_key_named {
            // Smithy's ec2 protocol capitalizes plain member names too
            // (`token` → `Token`); botocore sends them as they are.
            let capitalized = crate::model::capitalize(&member.name);
            return self
                .node
                .child(&capitalized)
                .map(|child| (child, Cow::Owned(capitalized)));
        }
        None
    }

    /// The items of a list at this node, in index order.
    fn list_items(&self) -> Vec<(String, &'p ParamTree)> {
        let Some(item) = self.shape.item.as_deref() else {
            return Vec::new();
        };
        let items_node = if self.ec2() || self.flattened() {
            Some(self.node)
        } else {
            self.node.child(self.key(item))
        };
        items_node
            .map(ParamTree::indexed)
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, node)| self.holds_value(item, node))
            .map(|(index, node)| (self.items_segment(item, index), node))
            .collect()
    }

    /// The path segment of an item (`member.1`, or `1` when flattened).
    fn items_segment(&self, item: &Member, index: u32) -> String {
        if self.ec2() || self.flattened() {
            index.to_string()
        } else {
            format!("{}.{index}", self.key(item))
        }
    }

    /// The entries of a map at this node: key text, value node, path segment.
    fn map_entries(&self) -> Vec<(&'p str, &'p ParamTree, String)> {
        let (Some(key), Some(value)) = (self.shape.key.as_deref(), self.shape.value.as_deref()) else {
            return Vec::new();
        };
        let (entries_node, prefix) = if self.flattened() {
            (Some(self.node), String::new())
        } else {
            (self.node.child("entry"), "entry.".to_owned())
        };
        let (key_name, value_name) = (self.key(key), self.key(value));
        entries_node
            .map(ParamTree::indexed)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(index, entry)| {
                let key_text = entry.child(key_name)?.value.as_deref()?;
                let value_node = entry.child(value_name)?;
                self.holds_value(value, value_node)
                    .then(|| (key_text, value_node, format!("{prefix}{index}.{value_name}")))
            })
            .collect()
    }

    /// Whether `node` holds a value of `member`: a structure always does; a
    /// list or map when it has items or entries, or says `List=` (empty); a
    /// scalar when it has a value.
    fn holds_value(&self, member: &'m Member, node: &'p ParamTree) -> bool {
        let shape = self.s.shape(member);
        let nested = ParamDe {
            s: self.s,
            shape,
            member: Some(member),
            node,
            path: Path::ROOT,
            depth: self.depth + 1,
        };
        match shape.kind {
            ShapeType::Structure => true,
            ShapeType::List => node.value.is_some() || !nested.list_items().is_empty(),
            ShapeType::Map => node.value.is_some() || nested.has_entries(),
            _ => node.value.is_some(),
        }
    }

    /// Whether a map node has any indexed entry (usable or not).
    fn has_entries(&self) -> bool {
        let entries_node = if self.flattened() {
            Some(self.node)
        } else {
            self.node.child("entry")
        };
        entries_node.is_some_and(|node| !node.indexed().is_empty())
    }

    fn invalid(&self, text: &str, expected: &str) -> AwsError {
        invalid_value(self.s.protocol, text, &self.path.to_string(), expected)
    }
}

/// The error AWS query services give a parameter of the wrong type.
pub(crate) fn invalid_value(protocol: Protocol, text: &str, path: &str, expected: &str) -> AwsError {
    let message = match protocol {
        Protocol::Ec2 => format!("Value ({text}) for parameter {path} is invalid. Expected {expected}."),
        _ => format!("Value {text} for parameter {path} is invalid. Reason: expected {expected}."),
    };
    AwsError::new("InvalidParameterValue", message, 400)
}

impl<'de> Deserializer<'de> for ParamDe<'_, '_, '_> {
    type Error = WireError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, WireError> {
        if self.depth > MAX_DEPTH {
            return Err(fail(too_deep(self.s.protocol)));
        }
        match self.shape.kind {
            ShapeType::Structure => {
                let mut present = Vec::new();
                for member in &self.shape.members {
                    match self.find_member(member) {
                        Some((node, key)) if self.holds_value(member, node) => {
                            present.push((member, node, key));
                        }
                        _ => self.s.require(!member.required)?,
                    }
                }
                visitor.visit_map(ParamMembers {
                    de: &self,
                    members: present.into_iter(),
                    current: None,
                })
            }
            ShapeType::List => {
                let items = self.list_items();
                self.s.require(length_ok(self.shape, items.len()))?;
                visitor.visit_seq(ParamItems {
                    de: &self,
                    items: items.into_iter(),
                })
            }
            ShapeType::Map => {
                let entries = self.map_entries();
                self.s.require(length_ok(self.shape, entries.len()))?;
                visitor.visit_map(ParamEntries {
                    de: &self,
                    entries: entries.into_iter(),
                    value: None,
                })
            }
            _ => {
                let text = self.node.value.as_deref().unwrap_or_default();
                let complaint = |text: &str, expected: &str| self.invalid(text, expected);
                TextDe::new(
                    self.s,
                    self.shape,
                    Cow::Borrowed(text),
                    TextRules::Query,
                    &complaint,
                )
                .deserialize_any(visitor)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, WireError> {
        visitor.visit_some(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct ParamMembers<'d, 's, 'm, 'p, I> {
    de: &'d ParamDe<'s, 'm, 'p>,
    members: I,
    current: Option<(&'m Member, &'p ParamTree, Cow<'m, str>)>,
}

impl<'de, 'm, 'p, I> MapAccess<'de> for ParamMembers<'_, '_, 'm, 'p, I>
where
    I: Iterator<Item = (&'m Member, &'p ParamTree, Cow<'m, str>)>,
{
    type Error = WireError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, WireError> {
        let Some(next) = self.members.next() else {
            return Ok(None);
        };
        let member = next.0;
        self.current = Some(next);
        seed.deserialize(MemberKey::<WireError>::new(member)).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, WireError> {
        let Some((member, node, key)) = self.current.take() else {
            return Err(WireError::message("a value without its key"));
        };
        let de = self.de;
        seed.deserialize(ParamDe {
            s: de.s,
            shape: de.s.shape(member),
            member: Some(member),
            node,
            path: Path {
                parent: Some(&de.path),
                segment: &key,
            },
            depth: de.depth + 1,
        })
    }
}

struct ParamItems<'d, 's, 'm, 'p, I> {
    de: &'d ParamDe<'s, 'm, 'p>,
    items: I,
}

impl<'de, 'p, I: Iterator<Item = (String, &'p ParamTree)>> SeqAccess<'de> for ParamItems<'_, '_, '_, 'p, I> {
    type Error = WireError;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, WireError> {
        let Some((segment, node)) = self.items.next() else {
            return Ok(None);
        };
        let de = self.de;
        let Some(item) = de.shape.item.as_deref() else {
            return Ok(None);
        };
        seed.deserialize(ParamDe {
            s: de.s,
            shape: de.s.shape(item),
            member: Some(item),
            node,
            path: Path {
                parent: Some(&de.path),
                segment: &segment,
            },
            depth: de.depth + 1,
        })
        .map(Some)
    }
}

struct ParamEntries<'d, 's, 'm, 'p, I> {
    de: &'d ParamDe<'s, 'm, 'p>,
    entries: I,
    value: Option<(&'p ParamTree, String)>,
}

impl<'de, 'p, I> MapAccess<'de> for ParamEntries<'_, '_, '_, 'p, I>
where
    I: Iterator<Item = (&'p str, &'p ParamTree, String)>,
{
    type Error = WireError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, WireError> {
        let Some((key, node, segment)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some((node, segment));
        let de = self.de;
        let Some(key_member) = de.shape.key.as_deref() else {
            return Ok(None);
        };
        let complaint = |text: &str, expected: &str| de.invalid(text, expected);
        let text = TextDe::new(
            de.s,
            de.s.shape(key_member),
            Cow::Borrowed(key),
            TextRules::Query,
            &complaint,
        );
        seed.deserialize(text).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, WireError> {
        let (node, segment) = self
            .value
            .take()
            .ok_or_else(|| WireError::message("a value without its key"))?;
        let de = self.de;
        let Some(value) = de.shape.value.as_deref() else {
            return Err(WireError::message("a map without values"));
        };
        seed.deserialize(ParamDe {
            s: de.s,
            shape: de.s.shape(value),
            member: Some(value),
            node,
            path: Path {
                parent: Some(&de.path),
                segment: &segment,
            },
            depth: de.depth + 1,
        })
    }
}
