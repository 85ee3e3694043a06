//! Reading a value of a shape out of an XML element tree (rest-xml bodies),
//! with botocore's naming rules: a member's element is its `locationName`
//! (of the reference, else of the target) or its member name; a flattened
//! list or map spreads its items or entries among its siblings; maps use
//! `entry`/`key`/`value` unless renamed. Elements match on their local name.

use std::borrow::Cow;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;

use super::document::MemberKey;
use super::text::{TextDe, TextRules};
use super::{Session, WireError, fail, too_deep};
use crate::codec::xml::{Element, local_part};
use crate::model::{Member, Shape, ShapeType};
use crate::validate::MAX_DEPTH;
use crate::validate::rules::length_ok;

/// Where the value of one shape is in the tree.
#[derive(Clone)]
enum Source<'x> {
    /// The value's own element: a structure's members are its children (and
    /// attributes), a list's or map's items its children, a scalar its text.
    Element(&'x Element),
    /// A flattened list's items, or a flattened map's entries.
    Siblings(Vec<&'x Element>),
    /// An attribute's text.
    Attribute(&'x str),
}

/// A value of `shape` in an XML tree.
pub(crate) struct XmlDe<'s, 'm, 'x> {
    s: &'s Session<'m>,
    shape: &'m Shape,
    source: Source<'x>,
    depth: usize,
}

impl<'s, 'm, 'x> XmlDe<'s, 'm, 'x> {
    /// The structure of `shape` held by the document's root element.
    pub fn root(s: &'s Session<'m>, shape: &'m Shape, root: &'x Element) -> Self {
        XmlDe {
            s,
            shape,
            source: Source::Element(root),
            depth: 0,
        }
    }

    /// Whether a structure held by `element` would have any member: an
    /// empty payload document (`<Tagging/>`) stands for an absent member.
    pub fn is_empty_structure(shape: &Shape, element: &Element) -> bool {
        element.children.is_empty()
            && !shape
                .members
                .iter()
                .any(|member| member.xml_attribute && element.attribute(&member.xml_name).is_some())
    }

    fn complain(&self) -> WireError {
        fail(malformed(self.s.model))
    }
}

/// The error of a document that does not fit its shape: the service's own
/// (S3 says MalformedXML for every unreadable body), else MalformedXML.
pub(crate) fn malformed(model: &crate::model::Model) -> nimbus_core::AwsError {
    match &model.profile.malformed_body {
        Some(spec) => spec.error(),
        None => crate::codec::xml::malformed_xml(),
    }
}

impl<'de> Deserializer<'de> for XmlDe<'_, '_, '_> {
    type Error = WireError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, WireError> {
        if self.depth > MAX_DEPTH {
            return Err(fail(too_deep(self.s.protocol)));
        }
        match (self.shape.kind, &self.source) {
            (ShapeType::Structure, Source::Element(element)) if !self.shape.document => {
                let members = present_members(self.s, self.shape, element)?;
                visitor.visit_map(XmlMembers {
                    de: &self,
                    members: members.into_iter(),
                    current: None,
                })
            }
            (ShapeType::List, source) => {
                let item = self.shape.item.as_deref().ok_or_else(|| self.complain())?;
                let items: Vec<&Element> = match source {
                    // Like botocore, every child counts as an item whatever its name.
                    Source::Element(element) => element.children.iter().collect(),
                    Source::Siblings(items) => items.clone(),
                    Source::Attribute(_) => return Err(self.complain()),
                };
                self.s.require(length_ok(self.shape, items.len()))?;
                visitor.visit_seq(XmlItems {
                    de: &self,
                    item,
                    items: items.into_iter(),
                })
            }
            (ShapeType::Map, source) => {
                let entries: Vec<&Element> = match source {
                    Source::Element(element) => element.children.iter().collect(),
                    Source::Siblings(entries) => entries.clone(),
                    Source::Attribute(_) => return Err(self.complain()),
                };
                let entries = map_entries(&self, entries)?;
                self.s.require(length_ok(self.shape, entries.len()))?;
                visitor.visit_map(XmlEntries {
                    de: &self,
                    entries: entries.into_iter(),
                    value: None,
                })
            }
            (_, Source::Element(element)) => self.text(Cow::Borrowed(&element.text), visitor),
            (_, Source::Attribute(text)) => self.text(Cow::Borrowed(text), visitor),
            (_, Source::Siblings(_)) => Err(self.complain()),
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

impl<'m> XmlDe<'_, 'm, '_> {
    fn text<'de, V: Visitor<'de>>(&self, text: Cow<'_, str>, visitor: V) -> Result<V::Value, WireError> {
        let complaint = |_: &str, _: &str| malformed(self.s.model);
        TextDe::new(self.s, self.shape, text, TextRules::Xml, &complaint).deserialize_any(visitor)
    }

    fn child<'x>(&self, shape: &'m Shape, source: Source<'x>) -> XmlDe<'_, 'm, 'x> {
        XmlDe {
            s: self.s,
            shape,
            source,
            depth: self.depth + 1,
        }
    }
}

/// The members of a structure present under `element`, in model order.
/// Members bound to HTTP locations are not part of a body.
fn present_members<'m, 'x>(
    s: &Session<'m>,
    shape: &'m Shape,
    element: &'x Element,
) -> Result<Vec<(&'m Member, Source<'x>)>, WireError> {
    let mut present = Vec::new();
    for member in &shape.members {
        if member.location.is_some() {
            continue;
        }
        let source = if member.xml_attribute {
            element.attribute(&member.xml_name).map(Source::Attribute)
        } else {
            member_source(s, member, element)
        };
        match source {
            Some(source) => present.push((member, source)),
            None => s.require(!member.required)?,
        }
    }
    Ok(present)
}

/// Where a member's value is among the children of its structure's element.
fn member_source<'x>(s: &Session<'_>, member: &Member, parent: &'x Element) -> Option<Source<'x>> {
    let target = s.shape(member);
    let name = local_part(&member.xml_name);
    let flattened = matches!(target.kind, ShapeType::List | ShapeType::Map) && member.flattened;
    if !flattened {
        return parent.child(name).map(Source::Element);
    }
    let mut siblings: Vec<&Element> = parent.children_named(name).collect();
    // Clients serialize a flattened list under the member's own name
    // (botocore), while responses name the items after the list member.
    if siblings.is_empty()
        && target.kind == ShapeType::List
        && let Some(item) = target.item.as_deref().filter(|item| item.has_xml_name)
    {
        siblings = parent.children_named(local_part(&item.xml_name)).collect();
    }
    (!siblings.is_empty()).then_some(Source::Siblings(siblings))
}

/// A map's entries as (key text, value element), from entry elements that
/// each hold one key and one value element; entries without a value are
/// left out, a missing key is malformed.
fn map_entries<'x>(
    de: &XmlDe<'_, '_, 'x>,
    entries: Vec<&'x Element>,
) -> Result<Vec<(&'x str, &'x Element)>, WireError> {
    let (Some(key), Some(value)) = (&de.shape.key, &de.shape.value) else {
        return Err(de.complain());
    };
    let key_name = local_part(&key.xml_name);
    let value_name = local_part(&value.xml_name);
    let mut read = Vec::with_capacity(entries.len());
    for entry in entries {
        let key = entry.child(key_name).ok_or_else(|| de.complain())?;
        if let Some(value) = entry.child(value_name) {
            read.push((key.text.as_str(), value));
        }
    }
    Ok(read)
}

struct XmlMembers<'d, 's, 'm, 'x, I> {
    de: &'d XmlDe<'s, 'm, 'x>,
    members: I,
    current: Option<(&'m Member, Source<'x>)>,
}

impl<'de, 'm, 'x, I> MapAccess<'de> for XmlMembers<'_, '_, 'm, 'x, I>
where
    I: Iterator<Item = (&'m Member, Source<'x>)>,
{
    type Error = WireError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, WireError> {
        let Some((member, source)) = self.members.next() else {
            return Ok(None);
        };
        self.current = Some((member, source));
        seed.deserialize(MemberKey::<WireError>::new(member)).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, WireError> {
        let (member, source) = self.current.take().ok_or_else(|| self.de.complain())?;
        seed.deserialize(self.de.child(self.de.s.shape(member), source))
    }
}

struct XmlItems<'d, 's, 'm, 'x, I> {
    de: &'d XmlDe<'s, 'm, 'x>,
    item: &'m Member,
    items: I,
}

impl<'de, 'x, I: Iterator<Item = &'x Element>> SeqAccess<'de> for XmlItems<'_, '_, '_, 'x, I> {
    type Error = WireError;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, WireError> {
        let Some(element) = self.items.next() else {
            return Ok(None);
        };
        let shape = self.de.s.shape(self.item);
        seed.deserialize(self.de.child(shape, Source::Element(element)))
            .map(Some)
    }
}

struct XmlEntries<'d, 's, 'm, 'x, I> {
    de: &'d XmlDe<'s, 'm, 'x>,
    entries: I,
    value: Option<&'x Element>,
}

impl<'de, 'x, I: Iterator<Item = (&'x str, &'x Element)>> MapAccess<'de> for XmlEntries<'_, '_, '_, 'x, I> {
    type Error = WireError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, WireError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        let key_shape = self.de.shape.key.as_deref().map(|key| self.de.s.shape(key));
        match key_shape {
            Some(shape) => seed
                .deserialize(self.de.child(shape, Source::Attribute(key)))
                .map(Some),
            None => Err(self.de.complain()),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, WireError> {
        let value = self.value.take().ok_or_else(|| self.de.complain())?;
        let shape = self.de.shape.value.as_deref().map(|value| self.de.s.shape(value));
        match shape {
            Some(shape) => seed.deserialize(self.de.child(shape, Source::Element(value))),
            None => Err(self.de.complain()),
        }
    }
}
