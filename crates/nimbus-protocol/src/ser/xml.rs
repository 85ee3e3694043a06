//! A value of a shape as XML elements (rest-xml bodies, query and ec2
//! responses), with botocore's naming rules: a member's element is its
//! `locationName` or its member name; a flattened list repeats its item
//! element (named after the list member's `locationName`, else the list's);
//! maps use `entry`/`key`/`value` unless renamed; `xmlAttribute` members go
//! in the start tag; timestamps are ISO 8601 unless the model says
//! otherwise; blobs base64.

use std::borrow::Cow;

use nimbus_core::typed::{DOCUMENT_MARKER, RAW_JSON_MARKER, TIMESTAMP_MARKER};
use serde::Serialize;
use serde::ser::{
    Impossible, SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant, Serializer,
};

use super::text::{format_float, scalar_text};
use super::{SerError, capture, member_for, refuse, refused};
use crate::model::{Location, Member, Model, Shape, ShapeType, XmlNamespace};
use crate::timestamp::{self, TimestampFormat};
use crate::validate::MAX_DEPTH;

/// XML text, compact (rest-xml) or indented two spaces as AWS's query and
/// ec2 responses are.
#[derive(Debug, Default)]
pub struct XmlWriter {
    pub out: Vec<u8>,
    indent: bool,
    depth: usize,
    /// The next tag starts a new line (indented output only).
    line_break: bool,
    /// A start tag is open: its `>` (or `/>`) is not written yet.
    pending: bool,
}

impl XmlWriter {
    pub fn compact() -> Self {
        XmlWriter::default()
    }

    pub fn indented() -> Self {
        XmlWriter {
            indent: true,
            ..XmlWriter::default()
        }
    }

    fn new_line(&mut self) {
        if self.indent && self.line_break {
            self.out.push(b'\n');
            self.out.resize(self.out.len() + 2 * self.depth, b' ');
        }
    }

    fn close_pending(&mut self) {
        if std::mem::take(&mut self.pending) {
            self.out.push(b'>');
        }
    }

    pub fn declaration(&mut self) {
        self.new_line();
        self.out
            .extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        self.line_break = true;
    }

    /// Opens an element; it stays empty (`<name/>`) unless something is
    /// written before [`close`](Self::close).
    pub fn open(&mut self, name: &str, namespace: Option<&XmlNamespace>, attributes: &[(String, String)]) {
        self.close_pending();
        self.new_line();
        self.out.push(b'<');
        self.out.extend_from_slice(name.as_bytes());
        if let Some(namespace) = namespace {
            self.namespace(namespace);
        }
        for (key, value) in attributes {
            self.attribute(key, value);
        }
        self.pending = true;
        self.depth += 1;
        self.line_break = true;
    }

    pub fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        if std::mem::take(&mut self.pending) {
            self.out.extend_from_slice(b"/>");
        } else {
            self.new_line();
            self.out.extend_from_slice(b"</");
            self.out.extend_from_slice(name.as_bytes());
            self.out.push(b'>');
        }
        self.line_break = true;
    }

    /// `<name>text</name>`, or `<name/>` when the text is empty.
    pub fn text_element(&mut self, name: &str, namespace: Option<&XmlNamespace>, text: &str) {
        self.open(name, namespace, &[]);
        if text.is_empty() {
            self.close(name);
            return;
        }
        self.close_pending();
        self.out.extend_from_slice(escape_text(text).as_bytes());
        self.depth = self.depth.saturating_sub(1);
        self.out.extend_from_slice(b"</");
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(b'>');
        self.line_break = true;
    }

    fn attribute(&mut self, key: &str, value: &str) {
        self.out.push(b' ');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"=\"");
        self.out.extend_from_slice(escape_attribute(value).as_bytes());
        self.out.push(b'"');
    }

    fn namespace(&mut self, namespace: &XmlNamespace) {
        match namespace {
            XmlNamespace::Uri(uri) | XmlNamespace::Prefixed { prefix: None, uri } => {
                self.attribute("xmlns", uri)
            }
            XmlNamespace::Prefixed {
                prefix: Some(prefix),
                uri,
            } => self.attribute(&format!("xmlns:{prefix}"), uri),
        }
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }
}

/// Escapes element text as AWS does: `&`, `<`, `>` and `"` as entities, and
/// `\r`/`\n` as character references so they survive a parser's line-end
/// normalization. Other control characters become character references too.
pub fn escape_text(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// Escapes an attribute value (quoted with `"`); tabs are kept as references
/// too, since parsers turn raw ones into spaces.
pub fn escape_attribute(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, attribute: bool) -> Cow<'_, str> {
    let needs = |c: char| matches!(c, '&' | '<' | '>' | '"') || (c.is_control() && (attribute || c != '\t'));
    if !text.chars().any(needs) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            c if needs(c) => escaped.push_str(&format!("&#x{:X};", u32::from(c))),
            c => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

/// What a structure writes around its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wrap {
    /// Its own element (the usual case).
    Element,
    /// No element: the members go straight into the enclosing one (the
    /// members of an ec2 response).
    MembersOnly,
}

/// Writes one value of `shape` as the element `name`.
pub(crate) struct XmlSer<'a, 'm> {
    pub model: &'m Model,
    pub shape: Option<&'m Shape>,
    pub member: Option<&'m Member>,
    pub name: &'a str,
    /// The namespace this element declares.
    pub namespace: Option<&'a XmlNamespace>,
    pub attributes: Vec<(String, String)>,
    pub wrap: Wrap,
    /// Rest bodies: members bound to headers or the status code, and the
    /// payload, are written elsewhere.
    pub body_only: bool,
    pub depth: usize,
    pub w: &'a mut XmlWriter,
}

impl<'a, 'm> XmlSer<'a, 'm> {
    /// The element `name` for a value of `shape` (a document's root, a
    /// query result).
    pub fn element(model: &'m Model, shape: &'m Shape, name: &'a str, w: &'a mut XmlWriter) -> Self {
        XmlSer {
            model,
            shape: Some(shape),
            member: None,
            name,
            namespace: None,
            attributes: Vec::new(),
            wrap: Wrap::Element,
            body_only: false,
            depth: 0,
            w,
        }
    }

    /// The element `name` for plain data (an error field the model does
    /// not describe): scalars as text, lists as `member` elements, maps and
    /// structures as one element per key.
    pub fn untyped(model: &'m Model, name: &'a str, w: &'a mut XmlWriter) -> Self {
        XmlSer {
            model,
            shape: None,
            member: None,
            name,
            namespace: None,
            attributes: Vec::new(),
            wrap: Wrap::Element,
            body_only: false,
            depth: 0,
            w,
        }
    }

    fn kind(&self) -> Option<ShapeType> {
        self.shape.map(|shape| shape.kind)
    }

    fn text(self, text: &str) -> Result<(), SerError> {
        let namespace = self.namespace;
        self.w.text_element(self.name, namespace, text);
        Ok(())
    }

    fn timestamp_format(&self) -> TimestampFormat {
        self.member
            .and_then(|member| member.timestamp_format)
            .or(self.shape.and_then(|shape| shape.timestamp_format))
            .unwrap_or(TimestampFormat::Iso8601)
    }

    fn open(&mut self) {
        if self.wrap == Wrap::Element {
            let attributes = std::mem::take(&mut self.attributes);
            self.w.open(self.name, self.namespace, &attributes);
        }
    }

    fn close(&mut self) {
        if self.wrap == Wrap::Element {
            self.w.close(self.name);
        }
    }

    fn deeper(&self) -> Result<(), SerError> {
        if self.depth > MAX_DEPTH {
            Err(SerError("nesting too deep".into()))
        } else {
            Ok(())
        }
    }
}

/// Writes `value` of `shape` as the document element `name` declaring
/// `namespace`, its `xmlAttribute` members in the start tag.
pub(crate) fn write_root<T: Serialize + ?Sized>(
    model: &Model,
    shape: &Shape,
    name: &str,
    namespace: Option<&XmlNamespace>,
    w: &mut XmlWriter,
    value: &T,
) -> Result<(), SerError> {
    let attributes = if shape.members.iter().any(|m| m.xml_attribute) {
        value.serialize(Attributes { model, shape })?
    } else {
        Vec::new()
    };
    value.serialize(XmlSer {
        namespace,
        attributes,
        ..XmlSer::element(model, shape, name, w)
    })
}

/// Writes `value` of `member`'s shape as the element `name` under the
/// writer's current element; attributes collected first when the shape has
/// attribute members.
fn write_member<T: Serialize + ?Sized>(
    model: &Model,
    member: Option<&Member>,
    name: &str,
    w: &mut XmlWriter,
    depth: usize,
    value: &T,
) -> Result<(), SerError> {
    let shape = member.map(|member| model.target(member));
    let attributes = match shape {
        Some(shape)
            if shape.kind == ShapeType::Structure && shape.members.iter().any(|m| m.xml_attribute) =>
        {
            value.serialize(Attributes { model, shape })?
        }
        _ => Vec::new(),
    };
    value.serialize(XmlSer {
        model,
        shape,
        member,
        name,
        namespace: member.and_then(|member| member.xml_namespace.as_ref()),
        attributes,
        wrap: Wrap::Element,
        body_only: false,
        depth: depth + 1,
        w,
    })
}

/// A structure member, list item or map part being written.
pub(crate) struct XmlFields<'a, 'm> {
    ser: XmlSer<'a, 'm>,
    position: usize,
    /// Map entries: the key of the entry under way (its element is open).
    entry: Option<&'m Member>,
    /// A structure (or plain data) given as a map: the key of the member
    /// under way, written with its value.
    pending_key: Option<String>,
}

impl<'a, 'm> Serializer for XmlSer<'a, 'm> {
    type Ok = ();
    type Error = SerError;
    type SerializeSeq = XmlFields<'a, 'm>;
    type SerializeTuple = XmlFields<'a, 'm>;
    type SerializeTupleStruct = XmlFields<'a, 'm>;
    type SerializeTupleVariant = XmlFields<'a, 'm>;
    type SerializeMap = XmlFields<'a, 'm>;
    type SerializeStruct = XmlFields<'a, 'm>;
    type SerializeStructVariant = XmlFields<'a, 'm>;

    fn serialize_bool(self, v: bool) -> Result<(), SerError> {
        self.text(if v { "true" } else { "false" })
    }

    fn serialize_i8(self, v: i8) -> Result<(), SerError> {
        self.serialize_i64(v.into())
    }

    fn serialize_i16(self, v: i16) -> Result<(), SerError> {
        self.serialize_i64(v.into())
    }

    fn serialize_i32(self, v: i32) -> Result<(), SerError> {
        self.serialize_i64(v.into())
    }

    fn serialize_i64(self, v: i64) -> Result<(), SerError> {
        self.text(&v.to_string())
    }

    fn serialize_u8(self, v: u8) -> Result<(), SerError> {
        self.serialize_u64(v.into())
    }

    fn serialize_u16(self, v: u16) -> Result<(), SerError> {
        self.serialize_u64(v.into())
    }

    fn serialize_u32(self, v: u32) -> Result<(), SerError> {
        self.serialize_u64(v.into())
    }

    fn serialize_u64(self, v: u64) -> Result<(), SerError> {
        self.text(&v.to_string())
    }

    fn serialize_f32(self, v: f32) -> Result<(), SerError> {
        let text = format_float(self.kind(), f64::from(v), Some(v));
        self.text(&text)
    }

    fn serialize_f64(self, v: f64) -> Result<(), SerError> {
        let text = format_float(self.kind(), v, None);
        self.text(&text)
    }

    fn serialize_char(self, v: char) -> Result<(), SerError> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), SerError> {
        match self.kind() {
            Some(ShapeType::Blob) => {
                use base64::Engine;
                let text = base64::engine::general_purpose::STANDARD.encode(v.as_bytes());
                self.text(&text)
            }
            _ => self.text(v),
        }
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), SerError> {
        use base64::Engine;
        let text = base64::engine::general_purpose::STANDARD.encode(v);
        self.text(&text)
    }

    fn serialize_none(self) -> Result<(), SerError> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), SerError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), SerError> {
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), SerError> {
        Ok(())
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), SerError> {
        self.text(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        match name {
            TIMESTAMP_MARKER => {
                let t = capture::timestamp(value)?;
                let text = timestamp::format(t, self.timestamp_format());
                self.text(&text)
            }
            // No XML form: documents and raw JSON are json-protocol values.
            DOCUMENT_MARKER | RAW_JSON_MARKER => Ok(()),
            _ => value.serialize(self),
        }
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        let mut fields = self.serialize_map(Some(1))?;
        fields.serialize_entry(variant, value)?;
        SerializeMap::end(fields)
    }

    fn serialize_seq(mut self, _: Option<usize>) -> Result<XmlFields<'a, 'm>, SerError> {
        self.deeper()?;
        let flattened = self.member.is_some_and(|member| member.flattened);
        if !flattened {
            self.open();
        }
        Ok(XmlFields {
            ser: self,
            position: 0,
            entry: None,
            pending_key: None,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<XmlFields<'a, 'm>, SerError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<XmlFields<'a, 'm>, SerError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<XmlFields<'a, 'm>, SerError> {
        Err(refused("an enum"))
    }

    fn serialize_map(mut self, _: Option<usize>) -> Result<XmlFields<'a, 'm>, SerError> {
        self.deeper()?;
        let flattened_map =
            self.kind() == Some(ShapeType::Map) && self.member.is_some_and(|member| member.flattened);
        if !flattened_map {
            self.open();
        }
        Ok(XmlFields {
            ser: self,
            position: 0,
            entry: None,
            pending_key: None,
        })
    }

    fn serialize_struct(mut self, _: &'static str, _: usize) -> Result<XmlFields<'a, 'm>, SerError> {
        self.deeper()?;
        self.open();
        Ok(XmlFields {
            ser: self,
            position: 0,
            entry: None,
            pending_key: None,
        })
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        len: usize,
    ) -> Result<XmlFields<'a, 'm>, SerError> {
        self.serialize_struct("", len)
    }
}

impl<'m> XmlFields<'_, 'm> {
    /// The member a structure field (or a key naming one) writes, if it
    /// goes in this element.
    fn body_member(&self, shape: &'m Shape, position: usize, name: &str) -> Option<(usize, &'m Member)> {
        let (found, member) = member_for(shape, position, name)?;
        let outside = member.xml_attribute
            || matches!(
                member.location,
                Some(Location::Header | Location::Headers | Location::StatusCode)
            )
            || (self.ser.body_only && shape.payload == Some(found));
        (!outside).then_some((found, member))
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), SerError> {
        match self.ser.shape {
            Some(shape) if shape.kind == ShapeType::Structure => {
                let Some((found, member)) = self.body_member(shape, self.position, key) else {
                    self.position += 1;
                    return Ok(());
                };
                self.position = found + 1;
                let ser = &mut self.ser;
                write_member(ser.model, Some(member), &member.xml_name, ser.w, ser.depth, value)
            }
            // No shape: every key is an element (an error field the model
            // does not describe).
            _ => {
                let ser = &mut self.ser;
                write_member(ser.model, None, key, ser.w, ser.depth, value)
            }
        }
    }

    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let ser = &mut self.ser;
        let item = ser.shape.and_then(|shape| shape.item.as_deref());
        let flattened = ser.member.is_some_and(|member| member.flattened);
        let name = match item {
            Some(item) if flattened && !item.has_xml_name => ser.name,
            Some(item) => item.xml_name.as_str(),
            None => "member",
        };
        write_member(ser.model, item, name, ser.w, ser.depth, value)
    }
}

impl SerializeStruct for XmlFields<'_, '_> {
    type Ok = ();
    type Error = SerError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        self.field(key, value)
    }

    fn skip_field(&mut self, _: &'static str) -> Result<(), SerError> {
        self.position += 1;
        Ok(())
    }

    fn end(mut self) -> Result<(), SerError> {
        self.ser.close();
        Ok(())
    }
}

impl SerializeStructVariant for XmlFields<'_, '_> {
    type Ok = ();
    type Error = SerError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        self.field(key, value)
    }

    fn end(self) -> Result<(), SerError> {
        SerializeStruct::end(self)
    }
}

impl SerializeMap for XmlFields<'_, '_> {
    type Ok = ();
    type Error = SerError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        let shape = match self.ser.shape {
            Some(shape) if shape.kind == ShapeType::Map => shape,
            // A structure given as a map, or plain data: the key names the
            // element; written with the value.
            _ => {
                self.entry = None;
                self.pending_key = Some(capture::text(key)?);
                return Ok(());
            }
        };
        let (Some(key_member), Some(_)) = (shape.key.as_deref(), shape.value.as_deref()) else {
            return Err(refused("a map without key and value"));
        };
        let flattened = self.ser.member.is_some_and(|member| member.flattened);
        let entry_name = if flattened { self.ser.name } else { "entry" };
        let namespace = if flattened { self.ser.namespace } else { None };
        self.ser.w.open(entry_name, namespace, &[]);
        let text = scalar_text(key, Some(ShapeType::String), TimestampFormat::Iso8601)?.unwrap_or_default();
        self.ser.w.text_element(&key_member.xml_name, None, &text);
        self.entry = Some(key_member);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        if let Some(key) = self.pending_key.take() {
            return self.field(&key, value);
        }
        let shape = self.ser.shape.ok_or_else(|| refused("a map value"))?;
        let value_member = shape.value.as_deref();
        let name = value_member.map_or("value", |member| member.xml_name.as_str());
        write_member(
            self.ser.model,
            value_member,
            name,
            self.ser.w,
            self.ser.depth,
            value,
        )?;
        let flattened = self.ser.member.is_some_and(|member| member.flattened);
        self.ser.w.close(if flattened { self.ser.name } else { "entry" });
        Ok(())
    }

    fn end(mut self) -> Result<(), SerError> {
        let flattened_map =
            self.ser.kind() == Some(ShapeType::Map) && self.ser.member.is_some_and(|member| member.flattened);
        if !flattened_map {
            self.ser.close();
        }
        Ok(())
    }
}

impl SerializeSeq for XmlFields<'_, '_> {
    type Ok = ();
    type Error = SerError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.item(value)
    }

    fn end(mut self) -> Result<(), SerError> {
        if !self.ser.member.is_some_and(|member| member.flattened) {
            self.ser.close();
        }
        Ok(())
    }
}

impl SerializeTuple for XmlFields<'_, '_> {
    type Ok = ();
    type Error = SerError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.item(value)
    }

    fn end(self) -> Result<(), SerError> {
        SerializeSeq::end(self)
    }
}

impl SerializeTupleStruct for XmlFields<'_, '_> {
    type Ok = ();
    type Error = SerError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.item(value)
    }

    fn end(self) -> Result<(), SerError> {
        SerializeSeq::end(self)
    }
}

impl SerializeTupleVariant for XmlFields<'_, '_> {
    type Ok = ();
    type Error = SerError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.item(value)
    }

    fn end(self) -> Result<(), SerError> {
        SerializeSeq::end(self)
    }
}

/// Collects the `xmlAttribute` members of a structure value as
/// `(attribute name, text)`, for its start tag.
struct Attributes<'m> {
    model: &'m Model,
    shape: &'m Shape,
}

struct AttributeFields<'m> {
    of: Attributes<'m>,
    position: usize,
    found: Vec<(String, String)>,
    key: Option<String>,
}

impl AttributeFields<'_> {
    fn field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), SerError> {
        let Some((found, member)) = member_for(self.of.shape, self.position, name) else {
            self.position += 1;
            return Ok(());
        };
        self.position = found + 1;
        if !member.xml_attribute {
            return Ok(());
        }
        let target = self.of.model.target(member);
        let format = member.timestamp_format.unwrap_or(TimestampFormat::Iso8601);
        if let Some(text) = scalar_text(value, Some(target.kind), format)? {
            self.found.push((member.xml_name.clone(), text));
        }
        Ok(())
    }
}

impl<'m> Serializer for Attributes<'m> {
    type Ok = Vec<(String, String)>;
    type Error = SerError;
    type SerializeSeq = Impossible<Self::Ok, SerError>;
    type SerializeTuple = Impossible<Self::Ok, SerError>;
    type SerializeTupleStruct = Impossible<Self::Ok, SerError>;
    type SerializeTupleVariant = Impossible<Self::Ok, SerError>;
    type SerializeMap = AttributeFields<'m>;
    type SerializeStruct = AttributeFields<'m>;
    type SerializeStructVariant = Impossible<Self::Ok, SerError>;

    fn serialize_none(self) -> Result<Self::Ok, SerError> {
        Ok(Vec::new())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Self::Ok, SerError> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Self::Ok, SerError> {
        value.serialize(self)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<AttributeFields<'m>, SerError> {
        Ok(AttributeFields {
            of: self,
            position: usize::MAX,
            found: Vec::new(),
            key: None,
        })
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<AttributeFields<'m>, SerError> {
        Ok(AttributeFields {
            of: self,
            position: 0,
            found: Vec::new(),
            key: None,
        })
    }

    refuse! {
        bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 char str bytes unit unit_struct unit_variant
        newtype_variant seq tuple tuple_struct tuple_variant struct_variant
    }
}

impl SerializeStruct for AttributeFields<'_> {
    type Ok = Vec<(String, String)>;
    type Error = SerError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        self.field(key, value)
    }

    fn skip_field(&mut self, _: &'static str) -> Result<(), SerError> {
        self.position += 1;
        Ok(())
    }

    fn end(self) -> Result<Self::Ok, SerError> {
        Ok(self.found)
    }
}

impl SerializeMap for AttributeFields<'_> {
    type Ok = Vec<(String, String)>;
    type Error = SerError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        self.key = Some(capture::text(key)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let key = self.key.take().unwrap_or_default();
        self.position = usize::MAX;
        self.field(&key, value)
    }

    fn end(self) -> Result<Self::Ok, SerError> {
        Ok(self.found)
    }
}
