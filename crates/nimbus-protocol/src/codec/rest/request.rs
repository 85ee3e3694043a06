//! Reading a rest request: URI labels, query parameters, headers, prefix
//! headers and the body (the payload member, or every unbound member) as
//! one structure of the operation's input shape.

use std::borrow::Cow;
use std::collections::HashSet;

use http::HeaderName;
use nimbus_core::AwsError;
use percent_encoding::percent_decode_str;
use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, Visitor};
use serde::forward_to_deserialize_any;

use super::bindings::split_header_list;
use super::{BodyFormat, RouteIndex, body, errors};
use crate::de::document::{Doc, Format};
use crate::de::rest::{Bound, NoBody, Origin, RestMembers, json_error};
use crate::de::xml::XmlDe;
use crate::de::{Reader, Session, WireError, fail};
use crate::http_types::HttpRequest;
use crate::model::{Location, Member, Model, Operation, Shape, ShapeType};
use crate::timestamp::TimestampFormat;

/// One rest request, parsed as far as every reading needs it.
pub(crate) struct RestReader<'r, 'm> {
    format: BodyFormat,
    model: &'m Model,
    shape: &'m Shape,
    request: &'r HttpRequest,
    /// URI label values (`(name, text)`), percent-decoded: borrowed from the
    /// model and the path unless decoding changed them.
    labels: Vec<(&'m str, Cow<'r, str>)>,
    params: Vec<(String, String)>,
    /// Query keys a querystring map must not take: those bound to other
    /// members and those the route template requires (`uploads`).
    claimed_keys: HashSet<String>,
}

impl<'r, 'm> RestReader<'r, 'm> {
    pub fn new(
        format: BodyFormat,
        model: &'m Model,
        operation: &'m Operation,
        shape: &'m Shape,
        request: &'r HttpRequest,
    ) -> Result<Self, AwsError> {
        let route = RouteIndex::of(model).route_of(operation);
        let mut labels = Vec::new();
        let mut claimed_keys = HashSet::new();
        if let Some(route) = route {
            let raw = route
                .path
                .match_path(&request.path)
                .ok_or_else(|| errors::no_route(model, request))?;
            for (name, text) in raw {
                // Most labels have nothing to decode: they are text already.
                let escaped = text.bytes().any(|b| b == b'%');
                let changed = match escaped.then(|| percent_decode_str(&text).decode_utf8()) {
                    None | Some(Ok(Cow::Borrowed(_))) => None,
                    Some(Ok(Cow::Owned(decoded))) => Some(decoded),
                    Some(Err(_)) => return Err(errors::malformed_value(format, model, "URI", name, &text)),
                };
                labels.push((name, changed.map_or(text, Cow::Owned)));
            }
        }
        let is_query_map = |member: &Member| {
            member.location == Some(Location::Querystring) && model.target(member).kind == ShapeType::Map
        };
        // Only a querystring map reads the claimed keys: most inputs have
        // none, and need not collect a dozen names per request.
        if !request.query.is_empty() && shape.members.iter().any(is_query_map) {
            if let Some(route) = route {
                claimed_keys.extend(route.query.iter().map(|(key, _)| key.clone()));
            }
            for member in &shape.members {
                if member.location == Some(Location::Querystring) && !is_query_map(member) {
                    claimed_keys.insert(member.json_key.clone());
                }
            }
        }
        Ok(RestReader {
            format,
            model,
            shape,
            request,
            labels,
            params: request.query_params(),
            claimed_keys,
        })
    }

    /// Every value of a header (repeated headers joined as one list), as text.
    fn header(&self, name: &HeaderName) -> Option<String> {
        let mut values = self.request.headers.get_all(name).iter();
        let first = values.next()?;
        let mut text = String::from_utf8_lossy(first.as_bytes()).into_owned();
        for value in values {
            text.push_str(", ");
            text.push_str(&String::from_utf8_lossy(value.as_bytes()));
        }
        Some(text)
    }

    /// The members found outside the body, in model order. A required one
    /// that is absent breaks a constraint.
    fn bound<E: Error>(&self, s: &Session<'m>) -> Result<Vec<(&'m Member, Bound<'_>, Origin<'m>)>, E> {
        let mut bound = Vec::new();
        for member in &self.shape.members {
            let Some(location) = member.location else {
                continue;
            };
            let found = self.bound_member(member, location).map_err(fail)?;
            match found {
                Some((value, origin)) => bound.push((member, value, origin)),
                None => s.require(!member.required)?,
            }
        }
        Ok(bound)
    }

    fn bound_member(
        &self,
        member: &'m Member,
        location: Location,
    ) -> Result<Option<(Bound<'_>, Origin<'m>)>, AwsError> {
        let origin = |location: &'static str| Origin {
            location,
            wire_name: Cow::Borrowed(member.json_key.as_str()),
        };
        let target = self.model.target(member);
        Ok(match location {
            Location::Uri => self
                .labels
                .iter()
                .find(|(label, _)| *label == member.json_key)
                .map(|(_, text)| (Bound::Text(Cow::Borrowed(text.as_ref())), origin("URI"))),
            Location::Querystring if self.params.is_empty() => None,
            Location::Querystring => self
                .query_member(member, target)
                .map(|b| (b, origin("query string"))),
            Location::Header => {
                let text = member.header.as_ref().and_then(|name| self.header(name));
                match text {
                    None => None,
                    Some(text) => self
                        .header_member(member, target, text)?
                        .map(|b| (b, origin("header"))),
                }
            }
            Location::Headers => self
                .prefix_headers(&member.json_key)
                .map(|b| (b, origin("header"))),
            Location::StatusCode => None,
        })
    }

    fn query_member(&self, member: &Member, target: &Shape) -> Option<Bound<'_>> {
        let values = || {
            self.params
                .iter()
                .filter(|(key, _)| *key == member.json_key)
                .map(|(_, value)| Cow::Borrowed(value.as_str()))
        };
        match target.kind {
            ShapeType::List => {
                let items: Vec<_> = values().collect();
                (!items.is_empty()).then_some(Bound::Texts(items))
            }
            ShapeType::Map => self.query_map(),
            _ => match values().next() {
                None => None,
                Some(text) if text.is_empty() && target.kind != ShapeType::String => None,
                Some(text) => Some(Bound::Text(text)),
            },
        }
    }

    /// A querystring-bound map takes every parameter no other member claims;
    /// list-valued maps collect repeated keys.
    fn query_map(&self) -> Option<Bound<'_>> {
        let mut entries: Vec<(Cow<'_, str>, Vec<Cow<'_, str>>)> = Vec::new();
        for (key, text) in self
            .params
            .iter()
            .filter(|(key, _)| !self.claimed_keys.contains(key))
        {
            match entries.iter_mut().find(|(known, _)| known == key) {
                Some((_, values)) => values.push(Cow::Borrowed(text)),
                None => entries.push((Cow::Borrowed(key), vec![Cow::Borrowed(text)])),
            }
        }
        (!entries.is_empty()).then_some(Bound::QueryMap(entries))
    }

    fn header_member(
        &self,
        member: &Member,
        target: &Shape,
        text: String,
    ) -> Result<Option<Bound<'_>>, AwsError> {
        Ok(match target.kind {
            ShapeType::List => {
                let http_dates = target.item.as_deref().is_some_and(|item| {
                    self.model.target(item).kind == ShapeType::Timestamp
                        && item.timestamp_format.unwrap_or(TimestampFormat::Rfc822) == TimestampFormat::Rfc822
                });
                let items = split_header_list(&text, http_dates);
                Some(Bound::Texts(items.into_iter().map(Cow::Owned).collect()))
            }
            ShapeType::String if member.jsonvalue => {
                use base64::Engine;
                let json = base64::engine::general_purpose::STANDARD
                    .decode(text.trim())
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .filter(|json| serde_json::from_str::<serde_json::Value>(json).is_ok())
                    .ok_or_else(|| {
                        errors::malformed_value(self.format, self.model, "header", &member.json_key, &text)
                    })?;
                Some(Bound::Text(Cow::Owned(json)))
            }
            ShapeType::String => Some(Bound::Text(Cow::Owned(text))),
            // An empty header carries no number, flag or date: treat it as absent.
            _ if text.trim().is_empty() => None,
            _ => Some(Bound::Text(Cow::Owned(text))),
        })
    }

    /// `x-amz-meta-*` style members: every header starting with the prefix
    /// (compared case-insensitively), keyed by the rest of its name.
    fn prefix_headers(&self, prefix: &str) -> Option<Bound<'_>> {
        let prefix = prefix.to_ascii_lowercase();
        let mut entries: Vec<(String, String)> = Vec::new();
        for name in self.request.headers.keys() {
            let Some(key) = name.as_str().strip_prefix(prefix.as_str()) else {
                continue;
            };
            if key.is_empty() || entries.iter().any(|(known, _)| known == key) {
                continue;
            }
            if let Some(text) = self.header(name) {
                entries.push((key.to_owned(), text));
            }
        }
        (!entries.is_empty()).then_some(Bound::PrefixHeaders(entries))
    }

    /// The payload member's value: blobs and strings are the raw body;
    /// structures a document of their own shape. An empty body (or an
    /// empty document) leaves the member out.
    fn payload(
        &self,
        member: &Member,
        root: Option<&'r crate::codec::xml::Element>,
    ) -> Result<Option<Bound<'r>>, AwsError> {
        let body = &self.request.body;
        if body.is_empty() {
            return Ok(None);
        }
        let target = self.model.target(member);
        Ok(match target.kind {
            ShapeType::Blob => Some(Bound::Bytes(body)),
            ShapeType::String => match std::str::from_utf8(body) {
                Ok(text) => Some(Bound::Text(Cow::Borrowed(text))),
                Err(_) => {
                    return Err(errors::malformed_value(
                        self.format,
                        self.model,
                        "body",
                        &target.name,
                        "(not UTF-8)",
                    ));
                }
            },
            _ if body::is_blank(body) => None,
            _ => match (self.format, root) {
                (BodyFormat::Xml, Some(root)) => {
                    (!XmlDe::is_empty_structure(target, root)).then_some(Bound::Xml(root))
                }
                (BodyFormat::Xml, None) => None,
                (BodyFormat::Json, _) => (!is_empty_json_object(body)).then_some(Bound::Json(body)),
            },
        })
    }

    /// Whether the body holds members of the input (no payload member, some
    /// member bound nowhere, a non-blank body).
    fn has_body_members(&self) -> bool {
        self.shape.payload.is_none()
            && self.shape.members.iter().any(|member| member.location.is_none())
            && !body::is_blank(&self.request.body)
    }

    fn complain(&self, origin: &Origin<'_>, text: &str) -> AwsError {
        errors::malformed_value(self.format, self.model, origin.location, &origin.wire_name, text)
    }
}

/// `{}` with only whitespace around: a payload structure with no members.
fn is_empty_json_object(body: &[u8]) -> bool {
    let trimmed: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    trimmed == b"{}"
}

impl Reader for RestReader<'_, '_> {
    type Error = WireError;

    fn read<T, S>(&self, session: &Session<'_>, seed: S) -> Result<T, WireError>
    where
        S: for<'de> DeserializeSeed<'de, Value = T>,
    {
        let document_payload = self
            .shape
            .payload_member()
            .is_some_and(|member| self.model.target(member).kind.is_container());
        let root = match (self.format, document_payload || self.has_body_members()) {
            (BodyFormat::Xml, true) if !body::is_blank(&self.request.body) => {
                Some(crate::codec::xml::parse_document(&self.request.body).map_err(fail::<WireError>)?)
            }
            _ => None,
        };
        seed.deserialize(RestInput {
            reader: self,
            s: session,
            root: root.as_ref(),
        })
    }

    fn format_error(&self, error: WireError) -> AwsError {
        match self.format {
            BodyFormat::Json => AwsError::new("SerializationException", error.to_string(), 400),
            BodyFormat::Xml => crate::de::xml::malformed(self.model),
        }
    }
}

/// The input structure of one reading.
struct RestInput<'a, 'r, 'm, 's> {
    reader: &'a RestReader<'r, 'm>,
    s: &'s Session<'m>,
    root: Option<&'a crate::codec::xml::Element>,
}

impl<'de> Deserializer<'de> for RestInput<'de, '_, '_, '_> {
    type Error = WireError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, WireError> {
        let reader = self.reader;
        let mut bound = reader.bound::<WireError>(self.s)?;
        if let Some(member) = reader.shape.payload_member() {
            if let Some(value) = reader.payload(member, self.root).map_err(fail::<WireError>)? {
                let origin = Origin {
                    location: "body",
                    wire_name: Cow::Borrowed(member.name.as_str()),
                };
                bound.push((member, value, origin));
            } else {
                self.s.require(!member.required)?;
            }
        }
        let complain = |origin: &Origin<'_>, text: &str| reader.complain(origin, text);
        let body = BodyVisitor {
            visitor,
            s: self.s,
            bound,
            complain: &complain,
        };
        if !reader.has_body_members() {
            return body.without_body();
        }
        match (reader.format, self.root) {
            (BodyFormat::Json, _) => {
                let mut json = serde_json::Deserializer::from_slice(&reader.request.body);
                let doc = Doc {
                    s: self.s,
                    format: Format::Json,
                    shape: reader.shape,
                    required: false,
                    top: false,
                    null: None,
                    body_only: true,
                    depth: 0,
                    inner: &mut json,
                };
                let value = doc
                    .deserialize_any(body)
                    .and_then(|value| json.end().map(|()| value));
                value.map_err(|e| json_error::<WireError>(&e))
            }
            (BodyFormat::Xml, Some(root)) => XmlDe::root(self.s, reader.shape, root).deserialize_any(body),
            (BodyFormat::Xml, None) => body.without_body(),
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

/// Receives the body document's member access and hands the target the
/// bound members followed by those.
struct BodyVisitor<'s, 'm, 'r, 'c, V> {
    visitor: V,
    s: &'s Session<'m>,
    bound: Vec<(&'m Member, Bound<'r>, Origin<'m>)>,
    complain: &'c dyn Fn(&Origin<'_>, &str) -> AwsError,
}

impl<'de, 's, 'm, 'c, V: Visitor<'de>> BodyVisitor<'s, 'm, 'de, 'c, V> {
    fn members<B>(self, body: Option<B>) -> (V, RestMembers<'s, 'm, 'de, 'c, B>) {
        let members = RestMembers {
            s: self.s,
            bound: self.bound.into_iter(),
            current: None,
            body,
            complain: self.complain,
        };
        (self.visitor, members)
    }

    fn without_body(self) -> Result<V::Value, WireError> {
        let (visitor, members) = self.members(None::<NoBody<WireError>>);
        visitor.visit_map(members)
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for BodyVisitor<'_, '_, 'de, '_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let (visitor, members) = self.members(Some(map));
        visitor.visit_map(members)
    }

    /// A JSON `null` body: no members.
    fn visit_unit<E: Error>(self) -> Result<V::Value, E> {
        let (visitor, members) = self.members(None::<NoBody<E>>);
        visitor.visit_map(members)
    }
}
