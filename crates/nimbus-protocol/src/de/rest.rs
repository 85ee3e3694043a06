//! The input of a rest request as one structure: members bound to URI
//! labels, the query string and headers first (read as text), then the
//! members of the body document, or the payload member.

use std::borrow::Cow;

use nimbus_core::AwsError;
use serde::de::value::CowStrDeserializer;
use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;

use super::document::{Doc, Format, MemberKey};
use super::text::{Complaint, TextDe, TextRules};
use super::xml::XmlDe;
use super::{Session, fail};
use crate::codec::xml::Element;
use crate::model::{Member, Shape, ShapeType};

/// A member's value found outside the body, or the body as a payload.
pub(crate) enum Bound<'r> {
    /// A scalar: a label, a query value, a header, or a text payload.
    Text(Cow<'r, str>),
    /// A list: repeated query values, or the items of a header list.
    Texts(Vec<Cow<'r, str>>),
    /// A querystring map: parameter name and its values, in order.
    QueryMap(Vec<(Cow<'r, str>, Vec<Cow<'r, str>>)>),
    /// Prefix headers (`x-amz-meta-*`): the rest of each name, and its value.
    PrefixHeaders(Vec<(String, String)>),
    /// A blob payload: the body's bytes.
    Bytes(&'r [u8]),
    /// A structure payload: a JSON document of its own shape.
    Json(&'r [u8]),
    /// A structure payload: the root element of an XML document.
    Xml(&'r Element),
}

/// Where a bound value came from, for the error of one that does not parse.
pub(crate) struct Origin<'m> {
    /// `URI`, `query string`, `header` or `body`.
    pub location: &'static str,
    pub wire_name: Cow<'m, str>,
}

/// A bound value of `shape`.
pub(crate) struct BoundDe<'s, 'm, 'r, 'c, E> {
    pub s: &'s Session<'m>,
    pub shape: &'m Shape,
    pub bound: Bound<'r>,
    pub complaint: Complaint<'c>,
    pub error: std::marker::PhantomData<E>,
}

impl<'s, 'm, 'r, 'c, E: Error> BoundDe<'s, 'm, 'r, 'c, E> {
    fn text<'t>(&self, shape: &'m Shape, text: Cow<'t, str>) -> TextDe<'s, 'm, 't, 'c, E> {
        TextDe::new(self.s, shape, text, TextRules::Binding, self.complaint)
    }

    fn part(&self, member: &Option<Box<Member>>) -> Result<&'m Shape, E> {
        match member {
            Some(member) => Ok(self.s.shape(member)),
            None => Err(fail(AwsError::internal(format!(
                "shape {} of the service model is incomplete",
                self.shape.name
            )))),
        }
    }
}

impl<'de, E: Error> Deserializer<'de> for BoundDe<'_, '_, 'de, '_, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.bound {
            Bound::Text(ref text) => {
                let text = text.clone();
                self.text(self.shape, text).deserialize_any(visitor)
            }
            Bound::Texts(ref items) => {
                let item = self.part(&self.shape.item)?;
                let items: Vec<_> = items.iter().map(|text| self.text(item, text.clone())).collect();
                visitor.visit_seq(Texts(items.into_iter()))
            }
            Bound::QueryMap(ref entries) => {
                let (key, value) = (self.part(&self.shape.key)?, self.part(&self.shape.value)?);
                visitor.visit_map(QueryEntries {
                    de: &self,
                    key,
                    value,
                    entries: entries.iter(),
                    pending: None,
                })
            }
            Bound::PrefixHeaders(ref headers) => {
                let value = self.part(&self.shape.value)?;
                visitor.visit_map(PrefixEntries {
                    de: &self,
                    value,
                    headers: headers.iter(),
                    pending: None,
                })
            }
            Bound::Bytes(bytes) => visitor.visit_bytes(bytes),
            Bound::Json(bytes) => {
                let mut json = serde_json::Deserializer::from_slice(bytes);
                let doc = Doc {
                    s: self.s,
                    format: Format::Json,
                    shape: self.shape,
                    required: false,
                    top: false,
                    null: None,
                    body_only: false,
                    depth: 1,
                    inner: &mut json,
                };
                let value = doc
                    .deserialize_any(visitor)
                    .and_then(|value| json.end().map(|()| value));
                value.map_err(|e| json_error(&e))
            }
            Bound::Xml(root) => XmlDe::root(self.s, self.shape, root)
                .deserialize_any(visitor)
                .map_err(|e| E::custom(e)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_some(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct Texts<I>(I);

impl<'de, D, I> SeqAccess<'de> for Texts<I>
where
    I: Iterator<Item = D>,
    D: Deserializer<'de>,
{
    type Error = D::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, D::Error> {
        self.0.next().map(|text| seed.deserialize(text)).transpose()
    }
}

struct QueryEntries<'d, 's, 'm, 'r, 'c, 'e, E> {
    de: &'d BoundDe<'s, 'm, 'r, 'c, E>,
    key: &'m Shape,
    value: &'m Shape,
    entries: std::slice::Iter<'e, (Cow<'r, str>, Vec<Cow<'r, str>>)>,
    pending: Option<&'e [Cow<'r, str>]>,
}

impl<'de, E: Error> MapAccess<'de> for QueryEntries<'_, '_, '_, '_, '_, '_, E> {
    type Error = E;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, E> {
        let Some((key, values)) = self.entries.next() else {
            return Ok(None);
        };
        self.pending = Some(values);
        seed.deserialize(self.de.text(self.key, key.clone())).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, E> {
        let values = self.pending.take().unwrap_or_default();
        if self.value.kind == ShapeType::List {
            let item = self.de.part(&self.value.item)?;
            let items: Vec<_> = values
                .iter()
                .map(|text| self.de.text(item, text.clone()))
                .collect();
            return seed.deserialize(TextList(items));
        }
        let first = values.first().cloned().unwrap_or_default();
        seed.deserialize(self.de.text(self.value, first))
    }
}

/// A list of texts as one value (a list-valued query map entry).
struct TextList<D>(Vec<D>);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for TextList<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        visitor.visit_seq(Texts(self.0.into_iter()))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        visitor.visit_some(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct PrefixEntries<'d, 's, 'm, 'r, 'c, 'e, E> {
    de: &'d BoundDe<'s, 'm, 'r, 'c, E>,
    value: &'m Shape,
    headers: std::slice::Iter<'e, (String, String)>,
    pending: Option<&'e str>,
}

impl<'de, E: Error> MapAccess<'de> for PrefixEntries<'_, '_, '_, '_, '_, '_, E> {
    type Error = E;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, E> {
        let Some((key, value)) = self.headers.next() else {
            return Ok(None);
        };
        self.pending = Some(value);
        seed.deserialize(CowStrDeserializer::<E>::new(Cow::Borrowed(key.as_str())))
            .map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, E> {
        let value = self.pending.take().unwrap_or_default();
        seed.deserialize(self.de.text(self.value, Cow::Borrowed(value)))
    }
}

/// The input structure: bound members, then the body's.
pub(crate) struct RestMembers<'s, 'm, 'r, 'c, B> {
    pub s: &'s Session<'m>,
    pub bound: std::vec::IntoIter<(&'m Member, Bound<'r>, Origin<'m>)>,
    pub current: Option<(&'m Member, Bound<'r>, Origin<'m>)>,
    /// The body's members, when the body is a document of them.
    pub body: Option<B>,
    pub complain: &'c dyn Fn(&Origin<'_>, &str) -> AwsError,
}

impl<'de, E, B> MapAccess<'de> for RestMembers<'_, '_, 'de, '_, B>
where
    E: Error,
    B: MapAccess<'de, Error = E>,
{
    type Error = E;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, E> {
        if let Some(next) = self.bound.next() {
            let member = next.0;
            self.current = Some(next);
            return seed.deserialize(MemberKey::<E>::new(member)).map(Some);
        }
        match &mut self.body {
            Some(body) => body.next_key_seed(seed),
            None => Ok(None),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, E> {
        if let Some((member, bound, origin)) = self.current.take() {
            let complain = self.complain;
            let complaint = move |text: &str, _: &str| complain(&origin, text);
            return seed.deserialize(BoundDe {
                s: self.s,
                shape: self.s.shape(member),
                bound,
                complaint: &complaint,
                error: std::marker::PhantomData,
            });
        }
        match &mut self.body {
            Some(body) => body.next_value_seed(seed),
            None => Err(E::custom("a value without its key")),
        }
    }
}

/// No body members: a map access that ends at once.
pub(crate) struct NoBody<E>(pub std::marker::PhantomData<E>);

impl<'de, E: Error> MapAccess<'de> for NoBody<E> {
    type Error = E;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, _: K) -> Result<Option<K::Value>, E> {
        Ok(None)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, _: S) -> Result<S::Value, E> {
        Err(E::custom("a value without its key"))
    }
}

/// A rest-json body that does not parse, or does not fit its shape.
pub(crate) fn json_error<E: Error>(error: &serde_json::Error) -> E {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof => fail(malformed_json(error)),
        _ => E::custom(error),
    }
}

/// The error of a rest-json body that is not JSON.
pub(crate) fn malformed_json(error: &serde_json::Error) -> AwsError {
    AwsError::new(
        "SerializationException",
        format!("The request body is not valid JSON: {error}"),
        400,
    )
}
