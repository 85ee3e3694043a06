//! Error envelopes of the rest protocols, and the errors of requests that do
//! not fit the model (no route, a label or header that does not parse).
//!
//! - rest-json: `x-amzn-ErrorType: <Code>` and a JSON body of the error
//!   shape's members with its message (`{"Type":"User","Message":"..."}`).
//! - a bare `<Error><Code/><Message/>fields<RequestId/><HostId/></Error>`
//!   (services whose profile says `bareErrorElement`: S3).
//! - other rest-xml services (Route 53): `<ErrorResponse><Error><Type/><Code/>
//!   <Message/>fields</Error><RequestId/></ErrorResponse>`.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use indexmap::IndexMap;
use nimbus_core::{AwsError, Fields, Value};
use serde::Serialize;

use super::body::{self, JSON_CONTENT_TYPE, XML_CONTENT_TYPE};
use super::response::{host_id, write_request_id};
use super::{BodyFormat, RouteIndex};
use crate::codec::json::untyped;
use crate::codec::query::envelope_fields;
use crate::http_types::{HttpRequest, HttpResponse};
use crate::model::{Location, Model, Operation, Shape, ShapeType};
use crate::ser::document::{DocSer, Keys};
use crate::ser::rest::header_text;
use crate::ser::sink::{JsonSink, Sink};
use crate::ser::xml::XmlWriter;

pub fn encode(
    format: BodyFormat,
    model: &Model,
    operation: Option<&Operation>,
    error: &AwsError,
    request_id: &str,
) -> HttpResponse {
    let mut response = HttpResponse {
        status: error.status,
        ..HttpResponse::default()
    };
    write_request_id(model, &mut response, request_id);
    let shape = error_shape(model, operation, &error.code);
    let (content_type, body) = match format {
        BodyFormat::Json => {
            if let Ok(code) = HeaderValue::from_str(&error.code) {
                response.headers.insert("x-amzn-errortype", code);
            }
            (JSON_CONTENT_TYPE, json_body(model, shape, error))
        }
        BodyFormat::Xml if model.profile.bare_error_element => {
            (XML_CONTENT_TYPE, bare_error_body(model, shape, error, request_id))
        }
        BodyFormat::Xml => (
            XML_CONTENT_TYPE,
            error_response_body(model, shape, error, request_id),
        ),
    };
    response
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.body = body;
    if let Some(shape) = shape {
        write_bound_fields(model, shape, &error.fields, &mut response);
    }
    response
}

/// The exception shape of an error code: one the operation declares, else any
/// exception shape of that name or query code.
fn error_shape<'m>(model: &'m Model, operation: Option<&Operation>, code: &str) -> Option<&'m Shape> {
    let named = |shape: &Shape| {
        shape.name == code || shape.error.as_ref().and_then(|e| e.code.as_deref()) == Some(code)
    };
    let declared = operation
        .into_iter()
        .flat_map(|op| &op.errors)
        .map(|id| model.shape(*id))
        .find(|shape| named(shape));
    declared.or_else(|| model.error_shape(code))
}

/// Error fields bound to headers go in headers.
fn write_bound_fields(model: &Model, shape: &Shape, fields: &Fields, response: &mut HttpResponse) {
    for (name, value) in fields {
        let Some(member) = shape.member(name) else {
            continue;
        };
        if member.location == Some(Location::Header)
            && let (Some(header), Ok(Some(text))) = (&member.header, header_text(model, member, value))
            && let Ok(text) = HeaderValue::from_str(&text)
        {
            response.headers.insert(header.clone(), text);
        }
    }
}

/// The error's fields that are body members of its shape (message members
/// left out when `without_message`), and the fields the shape does not know.
fn split_fields(
    shape: Option<&Shape>,
    fields: &Fields,
    without_message: bool,
) -> (IndexMap<String, Value>, IndexMap<String, Value>) {
    let mut modeled = IndexMap::new();
    let mut unmodeled = IndexMap::new();
    for (name, value) in fields {
        match shape.and_then(|shape| shape.member(name)) {
            Some(member) if member.location.is_some() => {}
            Some(_) if without_message && name.eq_ignore_ascii_case("message") => {}
            Some(_) => {
                modeled.insert(name.clone(), value.clone());
            }
            None => {
                unmodeled.insert(name.clone(), value.clone());
            }
        }
    }
    (modeled, unmodeled)
}

fn json_body(model: &Model, shape: Option<&Shape>, error: &AwsError) -> Bytes {
    let (mut modeled, unmodeled) = split_fields(shape, &error.fields, false);
    let mut sink = JsonSink::with_capacity(128);
    sink.begin_map();
    let mut keys: Vec<String> = Vec::new();
    if let Some(shape) = shape {
        if let Some(member) = shape.message_member()
            && !error.message.is_empty()
            && !modeled.contains_key(&member.name)
        {
            modeled.insert(member.name.clone(), Value::String(error.message.clone()));
        }
        // Lambda-style errors say whose fault it was.
        let has_type = shape
            .member("Type")
            .is_some_and(|member| model.target(member).kind == ShapeType::String);
        if has_type && !modeled.contains_key("Type") {
            let fault = if error.sender_fault { "User" } else { "Service" };
            modeled.insert("Type".to_owned(), Value::String(fault.to_owned()));
        }
        for member in shape.members.iter().filter(|member| member.location.is_none()) {
            let Some(value) = modeled.get(&member.name) else {
                continue;
            };
            keys.push(member.json_key.clone());
            sink.key(&member.json_key);
            let written = value.serialize(DocSer {
                member: Some(member),
                ..DocSer::new(model, model.target(member), Keys::Json, &mut sink)
            });
            if written.is_err() {
                sink.null();
            }
        }
    }
    for (name, value) in &unmodeled {
        if keys.iter().any(|key| key == name) {
            continue;
        }
        keys.push(name.clone());
        sink.key(name);
        if value.serialize(untyped(model, &mut sink)).is_err() {
            sink.null();
        }
    }
    let has_message = keys.iter().any(|key| key.eq_ignore_ascii_case("message"));
    if !has_message && !error.message.is_empty() {
        sink.key("message");
        sink.string(&error.message);
    }
    sink.end_map();
    Bytes::from(sink.out)
}

/// `<Message>`, left out when there is none: botocore then reads an empty
/// message, where `<Message/>` would read as null.
fn write_message(out: &mut XmlWriter, message: &str) {
    if !message.is_empty() {
        out.text_element("Message", None, message);
    }
}

/// The error's extra fields as XML elements: those of its shape through the
/// shape, the others as plain elements.
fn write_xml_fields(out: &mut XmlWriter, model: &Model, shape: Option<&Shape>, error: &AwsError) {
    let (modeled, unmodeled) = split_fields(shape, &error.fields, true);
    let mut fields = modeled;
    fields.extend(unmodeled.into_iter().filter(|(name, _)| {
        !matches!(
            name.as_str(),
            "Code" | "Message" | "Type" | "RequestId" | "HostId"
        )
    }));
    envelope_fields(out, model, shape, &fields);
}

fn bare_error_body(model: &Model, shape: Option<&Shape>, error: &AwsError, request_id: &str) -> Bytes {
    let mut out = XmlWriter::compact();
    out.open("Error", None, &[]);
    out.text_element("Code", None, &error.code);
    write_message(&mut out, &error.message);
    write_xml_fields(&mut out, model, shape, error);
    out.text_element("RequestId", None, request_id);
    out.text_element("HostId", None, &host_id(request_id));
    out.close("Error");
    body::with_declaration(out.into_bytes())
}

fn error_response_body(model: &Model, shape: Option<&Shape>, error: &AwsError, request_id: &str) -> Bytes {
    let mut out = XmlWriter::compact();
    let namespace = RouteIndex::of(model).service_namespace.as_ref();
    out.open("ErrorResponse", namespace, &[]);
    out.open("Error", None, &[]);
    let fault = if error.sender_fault { "Sender" } else { "Receiver" };
    out.text_element("Type", None, fault);
    out.text_element("Code", None, &error.code);
    write_message(&mut out, &error.message);
    write_xml_fields(&mut out, model, shape, error);
    out.close("Error");
    out.text_element("RequestId", None, request_id);
    out.close("ErrorResponse");
    body::with_declaration(out.into_bytes())
}

/// No operation has this method and path: the service's own error when its
/// profile names one (S3 has a resource at every path, so there it is the
/// method that is wrong), else UnknownOperationException.
pub fn no_route(model: &Model, request: &HttpRequest) -> AwsError {
    if let Some(spec) = &model.profile.no_route {
        let segments = request
            .path
            .trim_matches('/')
            .splitn(2, '/')
            .filter(|s| !s.is_empty())
            .count();
        let resource_type = match segments {
            0 => "SERVICE",
            1 => "BUCKET",
            _ => "OBJECT",
        };
        return spec
            .error()
            .with_field("Method", request.method.as_str())
            .with_field("ResourceType", resource_type);
    }
    AwsError::new(
        "UnknownOperationException",
        format!("No operation matches {} {}", request.method, request.path),
        404,
    )
}

/// A label, query parameter, header or raw body that does not parse as its
/// member's type.
pub fn malformed_value(
    format: BodyFormat,
    model: &Model,
    location: &str,
    name: &str,
    text: &str,
) -> AwsError {
    let message = format!("Invalid value '{text}' for {location} parameter {name}");
    if let Some(code) = &model.profile.malformed_value_code {
        return AwsError::new(code.clone(), message, 400)
            .with_field("ArgumentName", name)
            .with_field("ArgumentValue", text);
    }
    match format {
        BodyFormat::Json => AwsError::new("SerializationException", message, 400),
        BodyFormat::Xml => AwsError::new("InvalidInput", message, 400),
    }
}
