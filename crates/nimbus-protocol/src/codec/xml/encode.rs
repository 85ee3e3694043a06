//! Writing values as XML elements, driven by their shapes.
//!
//! Encoding never fails: a value that does not fit its shape (a list where a
//! structure belongs, a null) is left out rather than rendered wrongly.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use nimbus_core::Value;
use quick_xml::Writer;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::QName;

use super::{is_flattened, location_name, timestamp_format};
use crate::model::{Location, ServiceModel, Shape, ShapeRef, ShapeType, XmlNamespace};
use crate::timestamp::{self, TimestampFormat};

/// The writer every XML encoder shares; `Writer::new_with_indent(Vec::new(), b' ', 2)`
/// gives AWS's indented look, `Writer::new(Vec::new())` compact output.
pub type XmlWriter = Writer<Vec<u8>>;

/// Writes one event. Writing into a `Vec` cannot fail, so the result carries nothing.
fn emit<'a>(out: &mut XmlWriter, event: impl Into<Event<'a>>) {
    let _ = out.write_event(event);
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

/// `<name>text</name>`, or `<name/>` when the text is empty.
pub fn write_text_element(out: &mut XmlWriter, name: &str, text: &str) {
    write_text(out, BytesStart::new(name), text);
}

fn write_text(out: &mut XmlWriter, start: BytesStart<'_>, text: &str) {
    if text.is_empty() {
        emit(out, Event::Empty(start));
        return;
    }
    let end = BytesEnd::new(String::from_utf8_lossy(start.name().as_ref()).into_owned());
    emit(out, Event::Start(start));
    emit(out, Event::Text(BytesText::from_escaped(escape_text(text))));
    emit(out, Event::End(end));
}

fn push_attribute(start: &mut BytesStart<'_>, key: &str, value: &str) {
    start.push_attribute(Attribute {
        key: QName(key.as_bytes()),
        value: Cow::Owned(escape_attribute(value).into_owned().into_bytes()),
    });
}

fn declare_namespace(start: &mut BytesStart<'_>, namespace: &XmlNamespace) {
    match namespace {
        XmlNamespace::Uri(uri) | XmlNamespace::Prefixed { prefix: None, uri } => {
            push_attribute(start, "xmlns", uri)
        }
        XmlNamespace::Prefixed {
            prefix: Some(prefix),
            uri,
        } => push_attribute(start, &format!("xmlns:{prefix}"), uri),
    }
}

/// The namespace an element declares: its reference's `xmlNamespace`; a
/// shape's own namespace only when it binds a prefix (S3's `Grantee` binds
/// `xsi` for its `xsi:type` attribute), since a bare shape-level namespace
/// applies only at the document root.
fn element_namespace<'a>(reference: &'a ShapeRef, shape: &'a Shape) -> Option<&'a XmlNamespace> {
    reference.xml_namespace.as_ref().or(match &shape.xml_namespace {
        Some(namespace @ XmlNamespace::Prefixed { prefix: Some(_), .. }) => Some(namespace),
        _ => None,
    })
}

/// Writes a structure of `shape_name` as the element `name`, declaring
/// exactly `namespace` on it; a value that is not a structure writes an
/// empty element.
pub fn write_structure(
    out: &mut XmlWriter,
    model: &ServiceModel,
    shape_name: &str,
    value: &Value,
    name: &str,
    namespace: Option<&XmlNamespace>,
) {
    let empty = Value::empty();
    let value = if matches!(value, Value::Structure(_)) {
        value
    } else {
        &empty
    };
    match model.shapes.get(shape_name) {
        Some(shape) => Encoder { model, out }.structure(name, namespace, shape, value),
        None => emit(out, Event::Empty(BytesStart::new(name))),
    }
}

/// Writes one member of a structure: its element is named by the member's
/// `locationName` (else `member_name`); a flattened list or map writes one
/// element per item or entry.
pub fn write_member(
    out: &mut XmlWriter,
    model: &ServiceModel,
    member_name: &str,
    reference: &ShapeRef,
    value: &Value,
) {
    if matches!(value, Value::Null) {
        return;
    }
    let name = model
        .shapes
        .get(&reference.shape)
        .and_then(|target| location_name(reference, target))
        .unwrap_or(member_name);
    Encoder { model, out }.value(name, reference, value);
}

/// Writes the body members of a structure of `shape_name` (no element of its
/// own around them): the ec2 response style.
pub fn write_members(out: &mut XmlWriter, model: &ServiceModel, shape_name: &str, value: &Value) {
    let (Some(shape), Value::Structure(members)) = (model.shapes.get(shape_name), value) else {
        return;
    };
    let mut encoder = Encoder { model, out };
    for (member_name, reference, member_value) in encoder.body_members(shape, members) {
        encoder.value(member_name, reference, member_value);
    }
}

/// Writes a value with no shape to guide it (an error field the model does not
/// describe): scalars as text, lists as `member` elements, maps and structures
/// as one element per key.
pub fn write_untyped(out: &mut XmlWriter, name: &str, value: &Value) {
    match value {
        Value::Null => {}
        Value::List(items) if items.is_empty() => emit(out, Event::Empty(BytesStart::new(name))),
        Value::List(items) => {
            emit(out, Event::Start(BytesStart::new(name)));
            for item in items {
                write_untyped(out, "member", item);
            }
            emit(out, Event::End(BytesEnd::new(name)));
        }
        Value::Map(entries) | Value::Structure(entries) if entries.is_empty() => {
            emit(out, Event::Empty(BytesStart::new(name)));
        }
        Value::Map(entries) | Value::Structure(entries) => {
            emit(out, Event::Start(BytesStart::new(name)));
            for (key, item) in entries {
                write_untyped(out, key, item);
            }
            emit(out, Event::End(BytesEnd::new(name)));
        }
        scalar => {
            if let Some(text) = scalar_text(ShapeType::String, TimestampFormat::Iso8601, scalar) {
                write_text_element(out, name, &text);
            }
        }
    }
}

struct Encoder<'m, 'w> {
    model: &'m ServiceModel,
    out: &'w mut XmlWriter,
}

impl<'m> Encoder<'m, '_> {
    /// The members that go in a structure's body, in model order, with their
    /// element names: present, not null, not attributes, not HTTP-bound.
    fn body_members<'v>(
        &self,
        shape: &'m Shape,
        members: &'v indexmap::IndexMap<String, Value>,
    ) -> Vec<(&'m str, &'m ShapeRef, &'v Value)> {
        shape
            .members
            .iter()
            .filter(|(_, reference)| !reference.xml_attribute && !is_bound_outside_body(reference))
            .filter_map(|(member_name, reference)| {
                let value = members.get(member_name).filter(|v| !matches!(v, Value::Null))?;
                let target = self.model.shapes.get(&reference.shape)?;
                let name = location_name(reference, target).unwrap_or(member_name);
                Some((name, reference, value))
            })
            .collect()
    }

    /// Writes `value` of the shape `reference` points to as the element `name`.
    fn value(&mut self, name: &str, reference: &ShapeRef, value: &Value) {
        let Some(shape) = self.model.shapes.get(&reference.shape) else {
            return;
        };
        let namespace = element_namespace(reference, shape);
        match shape.kind {
            ShapeType::Structure => self.structure(name, namespace, shape, value),
            ShapeType::List => self.list(name, namespace, reference, shape, value),
            ShapeType::Map => self.map(name, namespace, reference, shape, value),
            kind => {
                let format = timestamp_format(reference, shape, TimestampFormat::Iso8601);
                if let Some(text) = scalar_text(kind, format, value) {
                    let mut start = BytesStart::new(name);
                    if let Some(namespace) = namespace {
                        declare_namespace(&mut start, namespace);
                    }
                    write_text(self.out, start, &text);
                }
            }
        }
    }

    fn structure(&mut self, name: &str, namespace: Option<&XmlNamespace>, shape: &'m Shape, value: &Value) {
        let Value::Structure(members) = value else {
            return;
        };
        let mut start = BytesStart::new(name);
        if let Some(namespace) = namespace {
            declare_namespace(&mut start, namespace);
        }
        for (member_name, reference) in shape.members.iter().filter(|(_, r)| r.xml_attribute) {
            let (Some(member_value), Some(target)) =
                (members.get(member_name), self.model.shapes.get(&reference.shape))
            else {
                continue;
            };
            let format = timestamp_format(reference, target, TimestampFormat::Iso8601);
            if let Some(text) = scalar_text(target.kind, format, member_value) {
                push_attribute(
                    &mut start,
                    location_name(reference, target).unwrap_or(member_name),
                    &text,
                );
            }
        }
        let body = self.body_members(shape, members);
        if body.is_empty() {
            emit(self.out, Event::Empty(start));
            return;
        }
        emit(self.out, Event::Start(start));
        for (member_name, reference, member_value) in body {
            self.value(member_name, reference, member_value);
        }
        emit(self.out, Event::End(BytesEnd::new(name)));
    }

    fn list(
        &mut self,
        name: &str,
        namespace: Option<&XmlNamespace>,
        reference: &ShapeRef,
        shape: &'m Shape,
        value: &Value,
    ) {
        let (Value::List(items), Some(member)) = (value, shape.member.as_ref()) else {
            return;
        };
        let member_name = self
            .model
            .shapes
            .get(&member.shape)
            .and_then(|target| location_name(member, target));
        if is_flattened(reference, shape) {
            // Each item is an element of its own, named as botocore looks for it.
            let item_name = member_name.unwrap_or(name);
            for item in items {
                self.value(item_name, member, item);
            }
            return;
        }
        let mut start = BytesStart::new(name);
        if let Some(namespace) = namespace {
            declare_namespace(&mut start, namespace);
        }
        if items.is_empty() {
            emit(self.out, Event::Empty(start));
            return;
        }
        emit(self.out, Event::Start(start));
        for item in items {
            self.value(member_name.unwrap_or("member"), member, item);
        }
        emit(self.out, Event::End(BytesEnd::new(name)));
    }

    fn map(
        &mut self,
        name: &str,
        namespace: Option<&XmlNamespace>,
        reference: &ShapeRef,
        shape: &'m Shape,
        value: &Value,
    ) {
        let (Value::Map(entries), Some(key), Some(item)) = (value, shape.key.as_ref(), shape.value.as_ref())
        else {
            return;
        };
        let renamed = |r: &'m ShapeRef, default: &'static str| {
            self.model
                .shapes
                .get(&r.shape)
                .and_then(|target| location_name(r, target))
                .unwrap_or(default)
        };
        let (key_name, value_name) = (renamed(key, "key"), renamed(item, "value"));
        let flattened = is_flattened(reference, shape);
        let start = || {
            let mut start = BytesStart::new(name);
            if let Some(namespace) = namespace {
                declare_namespace(&mut start, namespace);
            }
            start
        };
        if !flattened {
            if entries.is_empty() {
                emit(self.out, Event::Empty(start()));
                return;
            }
            emit(self.out, Event::Start(start()));
        }
        for (entry_key, entry_value) in entries {
            // A flattened map repeats its own element for every entry.
            let (entry_start, entry_name) = if flattened {
                (start(), name)
            } else {
                (BytesStart::new("entry"), "entry")
            };
            emit(self.out, Event::Start(entry_start));
            self.value(key_name, key, &Value::String(entry_key.clone()));
            self.value(value_name, item, entry_value);
            emit(self.out, Event::End(BytesEnd::new(entry_name)));
        }
        if !flattened {
            emit(self.out, Event::End(BytesEnd::new(name)));
        }
    }
}

/// The text of a scalar value for a shape of `kind`; `None` for nulls and
/// values that are not scalars. Values of another kind than the shape are
/// rendered leniently (an integer given for a string shape prints as digits).
fn scalar_text(kind: ShapeType, format: TimestampFormat, value: &Value) -> Option<String> {
    Some(match value {
        Value::String(text) if kind == ShapeType::Blob => BASE64.encode(text.as_bytes()),
        Value::String(text) => text.clone(),
        Value::Boolean(flag) => flag.to_string(),
        Value::Integer(number) => number.to_string(),
        Value::Float(number) => format_float(kind, *number),
        Value::Blob(bytes) => BASE64.encode(bytes),
        Value::Timestamp(time) => timestamp::format(*time, format),
        Value::Null
        | Value::List(_)
        | Value::Map(_)
        | Value::Structure(_)
        | Value::Document(_)
        | Value::Stream(_) => {
            return None;
        }
    })
}

/// Floats as botocore reads them, with AWS's spellings of the special values;
/// an integral float given for an integer shape prints without a fraction.
pub(crate) fn format_float(kind: ShapeType, number: f64) -> String {
    let integer_kind = matches!(
        kind,
        ShapeType::Integer | ShapeType::Long | ShapeType::Short | ShapeType::Byte
    );
    if number.is_nan() {
        "NaN".to_owned()
    } else if number.is_infinite() {
        if number > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else if integer_kind && number.fract() == 0.0 && number.abs() < 9.0e15 {
        format!("{number:.0}")
    } else if kind == ShapeType::Float {
        // A `float` shape is 32 bits wide: print the shortest text that
        // reads back as the same f32 (`1.2`, not `1.2000000476837158`).
        (number as f32).to_string()
    } else {
        number.to_string()
    }
}

/// Members a response carries outside the XML body. URI and query-string
/// bindings mean nothing in a response, so such members go in the body, as
/// botocore's parser expects.
fn is_bound_outside_body(reference: &ShapeRef) -> bool {
    matches!(
        reference.location,
        Some(Location::Header | Location::Headers | Location::StatusCode)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_like_aws() {
        assert_eq!(escape_text("plain"), "plain");
        assert_eq!(
            escape_text("a&b <c> \"d\" 'e'\r\n\tf\u{1}"),
            "a&amp;b &lt;c&gt; &quot;d&quot; 'e'&#xD;&#xA;\tf&#x1;"
        );
        assert_eq!(escape_attribute("x\ty\"z"), "x&#x9;y&quot;z");
    }

    #[test]
    fn formats_special_floats() {
        assert_eq!(format_float(ShapeType::Double, f64::NAN), "NaN");
        assert_eq!(format_float(ShapeType::Float, f64::INFINITY), "Infinity");
        assert_eq!(format_float(ShapeType::Float, f64::NEG_INFINITY), "-Infinity");
        assert_eq!(format_float(ShapeType::Double, 6.5), "6.5");
        assert_eq!(format_float(ShapeType::Integer, 3.0), "3");
        assert_eq!(format_float(ShapeType::Float, f64::from(1.2f32)), "1.2");
    }

    #[test]
    fn untyped_values_nest_by_key() {
        let mut out = XmlWriter::new(Vec::new());
        let value = nimbus_core::structure! {"Foo" => "bar", "N" => 3i64};
        write_untyped(&mut out, "Nested", &value);
        write_untyped(&mut out, "L", &Value::List(vec!["a".into()]));
        assert_eq!(
            String::from_utf8(out.into_inner()).expect("utf-8"),
            "<Nested><Foo>bar</Foo><N>3</N></Nested><L><member>a</member></L>"
        );
    }
}
