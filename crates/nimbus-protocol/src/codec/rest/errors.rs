//! Error envelopes of the rest protocols, and the errors of requests that do
//! not fit the model (no route, a label or header that does not parse).
//!
//! - rest-json: `x-amzn-ErrorType: <Code>` and a JSON body of the error
//!   shape's members with its message (`{"Type":"User","Message":"..."}`).
//! - S3: `<Error><Code/><Message/>fields<RequestId/><HostId/></Error>`.
//! - other rest-xml services (Route 53): `<ErrorResponse><Error><Type/><Code/>
//!   <Message/>fields</Error><RequestId/></ErrorResponse>`.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use indexmap::IndexMap;
use nimbus_core::{AwsError, Value};

use super::body::{self, JSON_CONTENT_TYPE, XML_CONTENT_TYPE};
use super::response::{host_id, write_bound_members, write_request_id};
use super::{BodyFormat, RouteIndex, is_s3};
use crate::codec::json;
use crate::codec::xml::{self, XmlWriter};
use crate::http_types::{HttpRequest, HttpResponse};
use crate::model::{Operation, ServiceModel, Shape, ShapeType};

pub fn encode(
    format: BodyFormat,
    model: &ServiceModel,
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
        BodyFormat::Xml if is_s3(model) => (XML_CONTENT_TYPE, s3_body(model, shape, error, request_id)),
        BodyFormat::Xml => (
            XML_CONTENT_TYPE,
            error_response_body(model, shape, error, request_id),
        ),
    };
    response
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.body = body;
    if let Some((_, shape)) = shape {
        write_bound_members(model, shape, &error.fields, &mut response);
    }
    response
}

/// The exception shape of an error code: one the operation declares, else any
/// exception shape of that name.
fn error_shape<'m>(
    model: &'m ServiceModel,
    operation: Option<&Operation>,
    code: &str,
) -> Option<(&'m str, &'m Shape)> {
    let named = |name: &str, shape: &Shape| {
        name == code || shape.error.as_ref().and_then(|e| e.code.as_deref()) == Some(code)
    };
    let declared = operation
        .into_iter()
        .flat_map(|op| &op.errors)
        .find_map(|reference| {
            let (name, shape) = model.shapes.get_key_value(&reference.shape)?;
            named(name, shape).then_some((name.as_str(), shape))
        });
    declared.or_else(|| {
        model
            .shapes
            .get_key_value(code)
            .filter(|(_, shape)| shape.exception)
            .map(|(name, shape)| (name.as_str(), shape))
    })
}

/// The shape's member carrying the message (`Message` or `message`).
fn message_member(shape: &Shape) -> Option<&str> {
    shape
        .members
        .keys()
        .find(|name| name.eq_ignore_ascii_case("message"))
        .map(String::as_str)
}

/// The error's fields that are body members of its shape (message members
/// left out when `without_message`), and the fields the shape does not know.
fn split_fields(
    shape: Option<&Shape>,
    fields: &IndexMap<String, Value>,
    without_message: bool,
) -> (IndexMap<String, Value>, IndexMap<String, Value>) {
    let mut modeled = IndexMap::new();
    let mut unmodeled = IndexMap::new();
    for (name, value) in fields {
        match shape.and_then(|shape| shape.members.get(name)) {
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

fn json_body(model: &ServiceModel, shape: Option<(&str, &Shape)>, error: &AwsError) -> Bytes {
    let (mut modeled, unmodeled) = split_fields(shape.map(|(_, shape)| shape), &error.fields, false);
    let mut object = serde_json::Map::new();
    if let Some((shape_name, shape)) = shape {
        if let Some(name) = message_member(shape)
            && !error.message.is_empty()
            && !modeled.contains_key(name)
        {
            modeled.insert(name.to_owned(), Value::String(error.message.clone()));
        }
        // Lambda-style errors say whose fault it was.
        let has_type = shape.members.get("Type").is_some_and(|member| {
            model
                .shapes
                .get(&member.shape)
                .is_some_and(|target| target.kind == ShapeType::String)
        });
        if has_type && !modeled.contains_key("Type") {
            let fault = if error.sender_fault { "User" } else { "Service" };
            modeled.insert("Type".to_owned(), Value::String(fault.to_owned()));
        }
        if let serde_json::Value::Object(members) =
            json::value_to_json(model, shape_name, &Value::Structure(modeled))
        {
            object = members;
        }
    }
    for (name, value) in &unmodeled {
        object.entry(name.clone()).or_insert_with(|| untyped_json(value));
    }
    let has_message = object.keys().any(|key| key.eq_ignore_ascii_case("message"));
    if !has_message && !error.message.is_empty() {
        object.insert(
            "message".to_owned(),
            serde_json::Value::String(error.message.clone()),
        );
    }
    Bytes::from(serde_json::Value::Object(object).to_string())
}

/// A value with no shape to guide it, as JSON.
fn untyped_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as Json;
    match value {
        Value::Null => Json::Null,
        Value::Boolean(flag) => Json::Bool(*flag),
        Value::Integer(number) => Json::from(*number),
        Value::Float(number) => serde_json::Number::from_f64(*number)
            .map(Json::Number)
            .unwrap_or_else(|| Json::String(super::bindings::format_float(*number))),
        Value::String(text) => Json::String(text.clone()),
        Value::Blob(_) | Value::Timestamp(_) => {
            super::bindings::format_scalar(value, crate::timestamp::TimestampFormat::Iso8601)
                .map(Json::String)
                .unwrap_or(Json::Null)
        }
        Value::List(items) => Json::Array(items.iter().map(untyped_json).collect()),
        Value::Map(entries) | Value::Structure(entries) => Json::Object(
            entries
                .iter()
                .map(|(key, item)| (key.clone(), untyped_json(item)))
                .collect(),
        ),
        Value::Document(document) => document.clone(),
        Value::Stream(_) => Json::Null,
    }
}

/// The error's extra fields as XML elements: those of its shape through the
/// XML codec, the others as plain elements.
fn write_xml_fields(
    out: &mut XmlWriter,
    model: &ServiceModel,
    shape: Option<(&str, &Shape)>,
    error: &AwsError,
) {
    let (modeled, unmodeled) = split_fields(shape.map(|(_, shape)| shape), &error.fields, true);
    if let Some((shape_name, _)) = shape {
        xml::write_members(out, model, shape_name, &Value::Structure(modeled));
    }
    for (name, value) in &unmodeled {
        if !matches!(
            name.as_str(),
            "Code" | "Message" | "Type" | "RequestId" | "HostId"
        ) {
            xml::write_untyped(out, name, value);
        }
    }
}

/// `<Message>`, left out when there is none: botocore then reads an empty
/// message, where `<Message/>` would read as null.
fn write_message(out: &mut XmlWriter, message: &str) {
    if !message.is_empty() {
        xml::write_text_element(out, "Message", message);
    }
}

fn s3_body(model: &ServiceModel, shape: Option<(&str, &Shape)>, error: &AwsError, request_id: &str) -> Bytes {
    let mut out = XmlWriter::new(Vec::new());
    out.get_mut().extend_from_slice(b"<Error>");
    xml::write_text_element(&mut out, "Code", &error.code);
    write_message(&mut out, &error.message);
    write_xml_fields(&mut out, model, shape, error);
    xml::write_text_element(&mut out, "RequestId", request_id);
    xml::write_text_element(&mut out, "HostId", &host_id(request_id));
    out.get_mut().extend_from_slice(b"</Error>");
    body::with_declaration(&String::from_utf8_lossy(&out.into_inner()))
}

fn error_response_body(
    model: &ServiceModel,
    shape: Option<(&str, &Shape)>,
    error: &AwsError,
    request_id: &str,
) -> Bytes {
    let mut out = XmlWriter::new(Vec::new());
    let namespace = RouteIndex::of(model).service_namespace.as_ref();
    let open = format!("<ErrorResponse{}>", body::namespace_attribute(namespace));
    out.get_mut().extend_from_slice(open.as_bytes());
    out.get_mut().extend_from_slice(b"<Error>");
    let fault = if error.sender_fault { "Sender" } else { "Receiver" };
    xml::write_text_element(&mut out, "Type", fault);
    xml::write_text_element(&mut out, "Code", &error.code);
    write_message(&mut out, &error.message);
    write_xml_fields(&mut out, model, shape, error);
    out.get_mut().extend_from_slice(b"</Error>");
    xml::write_text_element(&mut out, "RequestId", request_id);
    out.get_mut().extend_from_slice(b"</ErrorResponse>");
    body::with_declaration(&String::from_utf8_lossy(&out.into_inner()))
}

/// No operation has this method and path. S3 has a resource at every path,
/// so there it is the method that is wrong.
pub fn no_route(model: &ServiceModel, request: &HttpRequest) -> AwsError {
    if is_s3(model) {
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
        return AwsError::new(
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            405,
        )
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
    model: &ServiceModel,
    location: &str,
    name: &str,
    text: &str,
) -> AwsError {
    let message = format!("Invalid value '{text}' for {location} parameter {name}");
    if is_s3(model) {
        return AwsError::new("InvalidArgument", message, 400)
            .with_field("ArgumentName", name)
            .with_field("ArgumentValue", text);
    }
    match format {
        BodyFormat::Json => AwsError::new("SerializationException", message, 400),
        BodyFormat::Xml => AwsError::new("InvalidInput", message, 400),
    }
}
