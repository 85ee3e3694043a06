//! The output of a rest operation onto an HTTP response: header-bound
//! members as headers, prefix-header maps as headers, a status-code member
//! as the status, the payload member as the whole body, and every other
//! member in the body document (JSON object, or XML root element).

use bytes::Bytes;
use http::HeaderValue;
use http::header::HeaderName;
use nimbus_core::typed::{DOCUMENT_MARKER, TIMESTAMP_MARKER};
use serde::Serialize;
use serde::ser::{Impossible, SerializeMap, SerializeSeq, SerializeStruct, Serializer};

use super::document::{DocSer, Keys};
use super::sink::{JsonSink, Sink};
use super::text::scalar_text;
use super::xml::{XmlSer, XmlWriter, write_root};
use super::{SerError, capture, member_for, refuse};
use crate::codec::rest::BodyFormat;
use crate::codec::rest::bindings::join_header_list;
use crate::codec::rest::body::{self, XmlRoot};
use crate::http_types::HttpResponse;
use crate::model::{Location, Member, Model, OperationRef, Shape, ShapeType};
use crate::timestamp::{self, TimestampFormat};

/// The body document under way.
enum Document {
    None,
    Json(JsonSink),
    Xml(XmlWriter),
}

/// Writes an output structure onto `response`.
pub(crate) struct RestOutput<'a, 'm> {
    pub model: &'m Model,
    pub output: &'m OperationRef,
    pub format: BodyFormat,
    pub response: &'a mut HttpResponse,
}

/// The members of the output under way.
pub(crate) struct RestFields<'a, 'm> {
    out: RestOutput<'a, 'm>,
    shape: &'m Shape,
    position: usize,
    document: Document,
    /// S3's `GetBucketLocation` answers `<LocationConstraint>eu-west-1</LocationConstraint>`:
    /// the document's root *is* its one scalar member. A model says so by
    /// naming the output's root after that member.
    text_root: Option<usize>,
    text_root_written: bool,
    key: Option<String>,
    content_type: Option<&'static str>,
}

impl<'a, 'm> RestOutput<'a, 'm> {
    fn fields(self) -> RestFields<'a, 'm> {
        let shape = self.model.shape(self.output.shape);
        let in_body = |member: &Member| !bound_outside_body(member);
        let has_body = shape.payload.is_none() && shape.members.iter().any(in_body);
        let mut text_root = None;
        let document = match (has_body, self.format) {
            (false, _) => Document::None,
            (true, BodyFormat::Json) => {
                let mut sink = JsonSink::with_capacity(256);
                sink.begin_map();
                Document::Json(sink)
            }
            (true, BodyFormat::Xml) => {
                let root = XmlRoot::of_output(self.model, self.output);
                text_root = text_root_member(self.model, shape, root.name);
                let mut writer = XmlWriter::compact();
                if text_root.is_none() {
                    writer.open(root.name, root.namespace, &[]);
                }
                Document::Xml(writer)
            }
        };
        // An event stream's body is framed events (see codec::eventstream).
        let event_stream = shape
            .payload
            .and_then(|position| shape.members.get(position))
            .is_some_and(|member| self.model.shape(member.target).event_stream);
        let content_type = match document {
            Document::None if event_stream => Some(crate::codec::eventstream::CONTENT_TYPE),
            Document::None => None,
            Document::Json(_) => Some(body::JSON_CONTENT_TYPE),
            Document::Xml(_) => Some(body::XML_CONTENT_TYPE),
        };
        RestFields {
            out: self,
            shape,
            position: 0,
            document,
            text_root,
            text_root_written: false,
            key: None,
            content_type,
        }
    }
}

/// Members a response carries outside its body. URI and query bindings
/// mean nothing in a response, so such members travel in the body, as
/// botocore reads them.
fn bound_outside_body(member: &Member) -> bool {
    matches!(
        member.location,
        Some(Location::Header | Location::Headers | Location::StatusCode)
    )
}

/// The one scalar body member whose element is the document's root.
fn text_root_member(model: &Model, shape: &Shape, root_name: &str) -> Option<usize> {
    let mut body = shape
        .members
        .iter()
        .enumerate()
        .filter(|(_, m)| !bound_outside_body(m));
    let (position, member) = body.next()?;
    if body.next().is_some() {
        return None;
    }
    let scalar = !model.target(member).kind.is_container();
    (member.xml_name == root_name && scalar).then_some(position)
}

impl<'m> RestFields<'_, 'm> {
    fn field<T: Serialize + ?Sized>(
        &mut self,
        member: &'m Member,
        position: usize,
        value: &T,
    ) -> Result<(), SerError> {
        let model = self.out.model;
        match member.location {
            Some(Location::Header) => {
                if let (Some(name), Some(text)) = (&member.header, header_text(model, member, value)?)
                    && let Ok(header) = HeaderValue::from_maybe_shared(Bytes::from(text))
                {
                    self.out.response.headers.insert(name.clone(), header);
                }
                Ok(())
            }
            Some(Location::Headers) => {
                for (key, text) in value.serialize(PrefixHeaders::default())? {
                    let name = format!("{}{key}", member.json_key);
                    if let (Ok(name), Ok(text)) = (
                        HeaderName::from_bytes(name.as_bytes()),
                        HeaderValue::from_bytes(text.as_bytes()),
                    ) {
                        self.out.response.headers.insert(name, text);
                    }
                }
                Ok(())
            }
            Some(Location::StatusCode) => {
                if let Some(Ok(status)) =
                    scalar_text(value, Some(ShapeType::Integer), TimestampFormat::Iso8601)?
                        .map(|text| text.parse::<u16>())
                    && (100..=999).contains(&status)
                {
                    self.out.response.status = status;
                }
                Ok(())
            }
            _ if self.shape.payload == Some(position) => self.payload(member, value),
            _ => self.body_member(member, position, value),
        }
    }

    fn body_member<T: Serialize + ?Sized>(
        &mut self,
        member: &'m Member,
        position: usize,
        value: &T,
    ) -> Result<(), SerError> {
        let model = self.out.model;
        match &mut self.document {
            Document::None => Ok(()),
            Document::Json(sink) => {
                sink.key(&member.json_key);
                value.serialize(DocSer {
                    member: Some(member),
                    ..DocSer::new(model, model.target(member), Keys::Json, sink)
                })
            }
            Document::Xml(writer) if self.text_root == Some(position) => {
                let root = XmlRoot::of_output(model, self.out.output);
                let text = scalar_text(value, Some(model.target(member).kind), TimestampFormat::Iso8601)?;
                if let Some(text) = text {
                    writer.text_element(root.name, root.namespace, &text);
                    self.text_root_written = true;
                }
                Ok(())
            }
            Document::Xml(writer) => value.serialize(XmlSer {
                member: Some(member),
                namespace: member.xml_namespace.as_ref(),
                ..XmlSer::element(model, model.target(member), &member.xml_name, writer)
            }),
        }
    }

    /// The payload member as the whole body: blobs and strings raw,
    /// structures as a document of their own shape. Absent means an empty
    /// body. A streamed payload was taken out before and is not written.
    fn payload<T: Serialize + ?Sized>(&mut self, member: &'m Member, value: &T) -> Result<(), SerError> {
        if self.out.response.stream.is_some() {
            self.content_type = Some("application/octet-stream");
            return Ok(());
        }
        let model = self.out.model;
        let target = model.target(member);
        match target.kind {
            ShapeType::Blob | ShapeType::String => {
                let Some(bytes) = value.serialize(RawBody)? else {
                    return Ok(());
                };
                self.out.response.body = bytes;
                self.content_type = Some(if target.kind == ShapeType::Blob {
                    "application/octet-stream"
                } else {
                    "text/plain"
                });
                Ok(())
            }
            ShapeType::Structure => {
                let (bytes, content_type) = match self.out.format {
                    BodyFormat::Json => {
                        let mut sink = JsonSink::with_capacity(256);
                        value.serialize(DocSer::new(model, target, Keys::Json, &mut sink))?;
                        (Bytes::from(sink.out), body::JSON_CONTENT_TYPE)
                    }
                    BodyFormat::Xml => {
                        let root = XmlRoot::of_member(model, member);
                        let mut writer = XmlWriter::compact();
                        write_root(model, target, root.name, root.namespace, &mut writer, value)?;
                        (
                            body::with_declaration(writer.into_bytes()),
                            body::XML_CONTENT_TYPE,
                        )
                    }
                };
                if !bytes.is_empty() {
                    self.out.response.body = bytes;
                    self.content_type = Some(content_type);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn named_field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), SerError> {
        let Some((found, member)) = member_for(self.shape, self.position, name) else {
            return Ok(());
        };
        self.position = found + 1;
        self.field(member, found, value)
    }

    fn finish(self) -> Result<(), SerError> {
        let RestFields {
            out,
            document,
            text_root,
            text_root_written,
            content_type,
            ..
        } = self;
        match document {
            Document::None => {}
            Document::Json(mut sink) => {
                sink.end_map();
                out.response.body = Bytes::from(sink.out);
            }
            Document::Xml(mut writer) => {
                let root = XmlRoot::of_output(out.model, out.output);
                if text_root.is_none() {
                    writer.close(root.name);
                } else if !text_root_written {
                    writer.open(root.name, root.namespace, &[]);
                    writer.close(root.name);
                }
                out.response.body = body::with_declaration(writer.into_bytes());
            }
        }
        // A modeled Content-Type (S3's GetObject) wins over the default.
        if let Some(content_type) = content_type
            && !out.response.headers.contains_key(http::header::CONTENT_TYPE)
        {
            out.response
                .headers
                .insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        Ok(())
    }
}

impl<'a, 'm> Serializer for RestOutput<'a, 'm> {
    type Ok = ();
    type Error = SerError;
    type SerializeSeq = Impossible<(), SerError>;
    type SerializeTuple = Impossible<(), SerError>;
    type SerializeTupleStruct = Impossible<(), SerError>;
    type SerializeTupleVariant = Impossible<(), SerError>;
    type SerializeMap = RestFields<'a, 'm>;
    type SerializeStruct = RestFields<'a, 'm>;
    type SerializeStructVariant = Impossible<(), SerError>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<RestFields<'a, 'm>, SerError> {
        Ok(self.fields())
    }

    fn serialize_map(self, _: Option<usize>) -> Result<RestFields<'a, 'm>, SerError> {
        let mut fields = self.fields();
        fields.position = usize::MAX;
        Ok(fields)
    }

    /// No output value at all (a null): only what the shape writes anyway.
    fn serialize_none(self) -> Result<(), SerError> {
        self.fields().finish()
    }

    fn serialize_unit(self) -> Result<(), SerError> {
        self.serialize_none()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), SerError> {
        value.serialize(self)
    }

    refuse! {
        bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 char str bytes unit_struct unit_variant
        newtype_struct newtype_variant seq tuple tuple_struct tuple_variant struct_variant
    }
}

impl SerializeStruct for RestFields<'_, '_> {
    type Ok = ();
    type Error = SerError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        self.named_field(key, value)
    }

    fn skip_field(&mut self, _: &'static str) -> Result<(), SerError> {
        self.position = self.position.saturating_add(1);
        Ok(())
    }

    fn end(self) -> Result<(), SerError> {
        self.finish()
    }
}

impl SerializeMap for RestFields<'_, '_> {
    type Ok = ();
    type Error = SerError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        self.key = Some(capture::text(key)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let key = self.key.take().unwrap_or_default();
        self.position = usize::MAX;
        self.named_field(&key, value)
    }

    fn end(self) -> Result<(), SerError> {
        self.finish()
    }
}

/// A header-bound member's text: lists comma-joined (an empty list is no
/// header), `jsonvalue` members base64-encoded JSON, timestamps HTTP-dates
/// unless the model says otherwise.
pub(crate) fn header_text<T: Serialize + ?Sized>(
    model: &Model,
    member: &Member,
    value: &T,
) -> Result<Option<String>, SerError> {
    let target = model.target(member);
    if target.kind == ShapeType::List {
        let Some(item) = target.item.as_deref() else {
            return Ok(None);
        };
        let item_shape = model.target(item);
        let format = item.timestamp_format.unwrap_or(TimestampFormat::Rfc822);
        let texts = value.serialize(ListText {
            kind: item_shape.kind,
            format,
            texts: Vec::new(),
        })?;
        return Ok(
            (!texts.is_empty()).then(|| join_header_list(&texts, item_shape.kind == ShapeType::String))
        );
    }
    if member.jsonvalue {
        use base64::Engine;
        let json = value.serialize(JsonValueText)?;
        return Ok(json.map(|json| base64::engine::general_purpose::STANDARD.encode(json.as_bytes())));
    }
    let format = member.timestamp_format.unwrap_or(TimestampFormat::Rfc822);
    match scalar_text(value, Some(target.kind), format) {
        Err(error) if error.is_no_text() => Ok(None),
        other => other,
    }
}

/// The texts of a list's items.
struct ListText {
    kind: ShapeType,
    format: TimestampFormat,
    texts: Vec<String>,
}

impl Serializer for ListText {
    type Ok = Vec<String>;
    type Error = SerError;
    type SerializeSeq = Self;
    type SerializeTuple = Impossible<Vec<String>, SerError>;
    type SerializeTupleStruct = Impossible<Vec<String>, SerError>;
    type SerializeTupleVariant = Impossible<Vec<String>, SerError>;
    type SerializeMap = Impossible<Vec<String>, SerError>;
    type SerializeStruct = Impossible<Vec<String>, SerError>;
    type SerializeStructVariant = Impossible<Vec<String>, SerError>;

    fn serialize_seq(self, _: Option<usize>) -> Result<Self, SerError> {
        Ok(self)
    }

    fn serialize_none(self) -> Result<Vec<String>, SerError> {
        Ok(Vec::new())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Vec<String>, SerError> {
        value.serialize(self)
    }

    refuse! {
        bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 char str bytes unit unit_struct unit_variant
        newtype_struct newtype_variant tuple tuple_struct tuple_variant map struct struct_variant
    }
}

impl SerializeSeq for ListText {
    type Ok = Vec<String>;
    type Error = SerError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        if let Some(text) = scalar_text(value, Some(self.kind), self.format)? {
            self.texts.push(text);
        }
        Ok(())
    }

    fn end(self) -> Result<Vec<String>, SerError> {
        Ok(self.texts)
    }
}

/// A `jsonvalue` member's JSON text: a string as it is, a document as JSON.
struct JsonValueText;

impl Serializer for JsonValueText {
    type Ok = Option<String>;
    type Error = SerError;
    type SerializeSeq = Impossible<Option<String>, SerError>;
    type SerializeTuple = Impossible<Option<String>, SerError>;
    type SerializeTupleStruct = Impossible<Option<String>, SerError>;
    type SerializeTupleVariant = Impossible<Option<String>, SerError>;
    type SerializeMap = Impossible<Option<String>, SerError>;
    type SerializeStruct = Impossible<Option<String>, SerError>;
    type SerializeStructVariant = Impossible<Option<String>, SerError>;

    fn serialize_str(self, v: &str) -> Result<Option<String>, SerError> {
        Ok(Some(v.to_owned()))
    }

    fn serialize_none(self) -> Result<Option<String>, SerError> {
        Ok(None)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Option<String>, SerError> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Option<String>, SerError> {
        match name {
            DOCUMENT_MARKER => serde_json::to_string(value)
                .map(Some)
                .map_err(|e| SerError(e.to_string())),
            TIMESTAMP_MARKER => Ok(Some(timestamp::format(
                capture::timestamp(value)?,
                TimestampFormat::Iso8601,
            ))),
            _ => value.serialize(self),
        }
    }

    refuse! {
        bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 char bytes unit unit_struct unit_variant
        newtype_variant seq tuple tuple_struct tuple_variant map struct struct_variant
    }
}

/// A prefix-header map's entries as (rest of the name, text).
#[derive(Default)]
struct PrefixHeaders {
    entries: Vec<(String, String)>,
    key: Option<String>,
}

impl Serializer for PrefixHeaders {
    type Ok = Vec<(String, String)>;
    type Error = SerError;
    type SerializeSeq = Impossible<Self::Ok, SerError>;
    type SerializeTuple = Impossible<Self::Ok, SerError>;
    type SerializeTupleStruct = Impossible<Self::Ok, SerError>;
    type SerializeTupleVariant = Impossible<Self::Ok, SerError>;
    type SerializeMap = Self;
    type SerializeStruct = Impossible<Self::Ok, SerError>;
    type SerializeStructVariant = Impossible<Self::Ok, SerError>;

    fn serialize_map(self, _: Option<usize>) -> Result<Self, SerError> {
        Ok(self)
    }

    fn serialize_none(self) -> Result<Self::Ok, SerError> {
        Ok(Vec::new())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Self::Ok, SerError> {
        value.serialize(self)
    }

    refuse! {
        bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 char str bytes unit unit_struct unit_variant
        newtype_struct newtype_variant seq tuple tuple_struct tuple_variant struct struct_variant
    }
}

impl SerializeMap for PrefixHeaders {
    type Ok = Vec<(String, String)>;
    type Error = SerError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        self.key = Some(capture::text(key)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let key = self.key.take().unwrap_or_default();
        if let Some(text) = scalar_text(value, None, TimestampFormat::Rfc822)? {
            self.entries.push((key, text));
        }
        Ok(())
    }

    fn end(self) -> Result<Self::Ok, SerError> {
        Ok(self.entries)
    }
}

/// A blob or text payload's bytes; `None` when absent.
struct RawBody;

impl Serializer for RawBody {
    type Ok = Option<Bytes>;
    type Error = SerError;
    type SerializeSeq = Impossible<Option<Bytes>, SerError>;
    type SerializeTuple = Impossible<Option<Bytes>, SerError>;
    type SerializeTupleStruct = Impossible<Option<Bytes>, SerError>;
    type SerializeTupleVariant = Impossible<Option<Bytes>, SerError>;
    type SerializeMap = Impossible<Option<Bytes>, SerError>;
    type SerializeStruct = Impossible<Option<Bytes>, SerError>;
    type SerializeStructVariant = Impossible<Option<Bytes>, SerError>;

    fn serialize_bytes(self, v: &[u8]) -> Result<Option<Bytes>, SerError> {
        Ok(Some(Bytes::copy_from_slice(v)))
    }

    fn serialize_str(self, v: &str) -> Result<Option<Bytes>, SerError> {
        Ok(Some(Bytes::copy_from_slice(v.as_bytes())))
    }

    fn serialize_none(self) -> Result<Option<Bytes>, SerError> {
        Ok(None)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Option<Bytes>, SerError> {
        value.serialize(self)
    }

    refuse! {
        bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 char unit unit_struct unit_variant
        newtype_struct newtype_variant seq tuple tuple_struct tuple_variant map struct struct_variant
    }
}
