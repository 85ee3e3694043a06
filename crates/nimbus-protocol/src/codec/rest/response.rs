//! Encoding a rest response: status, request-id headers, header-bound
//! members, and the body (the payload member, or every unbound member).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http::HeaderMap;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use indexmap::IndexMap;
use nimbus_core::Value;

use super::bindings::{format_scalar, header_timestamp_format, join_header_list};
use super::{BodyFormat, body, is_s3};
use crate::codec::xml;
use crate::http_types::HttpResponse;
use crate::model::{Location, Operation, ServiceModel, Shape, ShapeRef, ShapeType};
use crate::timestamp::TimestampFormat;

/// The headers a response makes room for at first: the request ids, the
/// content type and a GetObject's object headers.
const RESPONSE_HEADERS: usize = 12;

pub fn encode(
    format: BodyFormat,
    model: &ServiceModel,
    operation: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    let mut response = HttpResponse {
        status: operation.http.response_code.unwrap_or(200),
        // Room for the usual headers up front: growing the map as they are
        // inserted costs more than the inserts.
        headers: HeaderMap::with_capacity(RESPONSE_HEADERS),
        ..HttpResponse::default()
    };
    write_request_id(model, &mut response, request_id);
    let Some(output_ref) = &operation.output else {
        return response;
    };
    let shape = model.shape(&output_ref.shape);
    let no_members = IndexMap::new();
    let members = match output {
        Value::Structure(members) => members,
        _ => &no_members,
    };

    let payload = shape
        .payload
        .as_ref()
        .and_then(|name| shape.members.get_key_value(name));
    let payload_value = payload.and_then(|(name, _)| members.get(name));
    let (body, content_type) = match (payload, payload_value) {
        // A streamed payload (an object's bytes read from disk) is passed on as it is.
        (Some(_), Some(Value::Stream(stream))) => {
            response.stream = Some(stream.clone());
            (Bytes::new(), Some("application/octet-stream"))
        }
        (Some((_, member)), value) => payload_body(format, model, member, value),
        (None, _) => members_body(format, model, output_ref, shape, members),
    };
    response.body = body;
    if let Some(content_type) = content_type {
        response
            .headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    // Last, so a modeled Content-Type (S3's GetObject) wins over the default.
    write_bound_members(model, shape, members, &mut response);
    response
}

/// The request id where the service's clients read it: `x-amzn-RequestId`,
/// or S3's `x-amz-request-id` with its `x-amz-id-2` host id.
pub fn write_request_id(model: &ServiceModel, response: &mut HttpResponse, request_id: &str) {
    // Names as constants: parsing them costs more than the rest of the
    // insert. (The wire writes names in lower case anyway.)
    const S3_REQUEST_ID: HeaderName = HeaderName::from_static("x-amz-request-id");
    const S3_HOST_ID: HeaderName = HeaderName::from_static("x-amz-id-2");
    const REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");
    let Ok(id) = HeaderValue::from_str(request_id) else {
        return;
    };
    if is_s3(model) {
        response.headers.insert(S3_REQUEST_ID, id);
        if let Some(host_id) = owned_header_value(host_id(request_id)) {
            response.headers.insert(S3_HOST_ID, host_id);
        }
    } else {
        response.headers.insert(REQUEST_ID, id);
    }
}

/// A header value that takes over `text`'s buffer instead of copying it.
fn owned_header_value(text: String) -> Option<HeaderValue> {
    HeaderValue::from_maybe_shared(Bytes::from(text)).ok()
}

/// S3's extended request id; derived from the request id so both name the
/// same request.
pub fn host_id(request_id: &str) -> String {
    BASE64.encode(request_id.as_bytes())
}

fn insert_header(response: &mut HttpResponse, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_bytes(value.as_bytes()),
    ) {
        response.headers.insert(name, value);
    }
}

/// The payload member as the whole body: blobs and strings raw, structures as
/// a document of their own shape. Absent means an empty body.
fn payload_body(
    format: BodyFormat,
    model: &ServiceModel,
    member: &ShapeRef,
    value: Option<&Value>,
) -> (Bytes, Option<&'static str>) {
    let target = model.shape(&member.shape);
    match (target.kind, value) {
        (_, None | Some(Value::Null)) => (Bytes::new(), None),
        (ShapeType::Blob, Some(Value::Blob(bytes))) => (bytes.clone(), Some("application/octet-stream")),
        (ShapeType::Blob, Some(Value::String(text))) => {
            (Bytes::from(text.clone()), Some("application/octet-stream"))
        }
        (ShapeType::String, Some(Value::String(text))) => (Bytes::from(text.clone()), Some("text/plain")),
        (ShapeType::Structure, Some(value)) => {
            let (bytes, content_type) = body::encode(format, model, member, value);
            (bytes, Some(content_type))
        }
        (_, Some(_)) => (Bytes::new(), None),
    }
}

/// The members a response carries in its body: all but those bound to
/// headers or the status code (a URI or query binding means nothing in a
/// response, so such members travel in the body, as botocore reads them).
fn in_response_body(member: &ShapeRef) -> bool {
    !matches!(
        member.location,
        Some(Location::Header | Location::Headers | Location::StatusCode)
    )
}

/// The body members as one document; no body at all when the shape has none.
fn members_body(
    format: BodyFormat,
    model: &ServiceModel,
    output_ref: &ShapeRef,
    shape: &Shape,
    members: &IndexMap<String, Value>,
) -> (Bytes, Option<&'static str>) {
    if !shape.members.values().any(in_response_body) {
        return (Bytes::new(), None);
    }
    let body_members: IndexMap<String, Value> = members
        .iter()
        .filter(|(name, value)| {
            !matches!(value, Value::Null) && shape.members.get(*name).is_some_and(in_response_body)
        })
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    if format == BodyFormat::Xml
        && let Some(document) = text_root_document(model, output_ref, shape, &body_members)
    {
        return (document, Some(body::XML_CONTENT_TYPE));
    }
    let (bytes, content_type) = body::encode(format, model, output_ref, &Value::Structure(body_members));
    (bytes, Some(content_type))
}

/// S3's `GetBucketLocation` answers `<LocationConstraint>eu-west-1</LocationConstraint>`:
/// the document's root *is* its one scalar member (botocore reads the root's
/// text). A model says so by naming the output's root after that member; such
/// an output is written as that one text element.
fn text_root_document(
    model: &ServiceModel,
    output_ref: &ShapeRef,
    shape: &Shape,
    members: &IndexMap<String, Value>,
) -> Option<Bytes> {
    let mut body_refs = shape
        .members
        .iter()
        .filter(|(_, member)| in_response_body(member));
    let (name, member) = body_refs.next()?;
    if body_refs.next().is_some() {
        return None;
    }
    let root = body::XmlRoot::of(model, output_ref);
    let element = member.location_name.as_deref().unwrap_or(name);
    let scalar = !matches!(
        model.shape(&member.shape).kind,
        ShapeType::Structure | ShapeType::List | ShapeType::Map
    );
    if element != root.name || !scalar {
        return None;
    }
    let text = members
        .get(name)
        .and_then(|value| format_scalar(value, TimestampFormat::Iso8601))
        .unwrap_or_default();
    let open = format!("{}{}", root.name, body::namespace_attribute(root.namespace));
    let document = if text.is_empty() {
        format!("<{open}/>")
    } else {
        format!("<{open}>{}</{}>", xml::escape_text(&text), root.name)
    };
    Some(body::with_declaration(&document))
}

/// Members bound to headers, prefix headers and the status code. Values that
/// cannot be a header (a list of structures) are left out.
pub fn write_bound_members(
    model: &ServiceModel,
    shape: &Shape,
    members: &IndexMap<String, Value>,
    response: &mut HttpResponse,
) {
    // The members the output holds (a handful), not every member the shape
    // declares (S3's GetObject has dozens). Outputs hold them in model order
    // (generated shapes serialize in field order), so each is found by
    // walking the declared members onward, comparing names, instead of
    // hashing it; one out of order is looked up and the walk starts over.
    let mut declared = shape.members.iter();
    for (name, value) in members {
        let member = match declared
            .by_ref()
            .find(|(declared_name, _)| *declared_name == name)
        {
            Some((_, member)) => member,
            None => {
                declared = shape.members.iter();
                let Some(member) = shape.members.get(name) else {
                    continue;
                };
                member
            }
        };
        match member.location {
            Some(Location::Header) => {
                if let Some(header_name) = member.header_name(name)
                    && let Some(header_value) = header_value(model, member, value)
                {
                    response.headers.insert(header_name.clone(), header_value);
                }
            }
            Some(Location::Headers) => {
                let wire_name = member.location_name.as_deref().unwrap_or(name);
                if let Value::Map(entries) | Value::Structure(entries) = value {
                    for (key, entry) in entries {
                        if let Some(text) = format_scalar(entry, TimestampFormat::Rfc822) {
                            insert_header(response, &format!("{wire_name}{key}"), &text);
                        }
                    }
                }
            }
            Some(Location::StatusCode) => {
                if let Some(status) = value.as_i64().and_then(|status| u16::try_from(status).ok())
                    && (100..=999).contains(&status)
                {
                    response.status = status;
                }
            }
            Some(Location::Uri | Location::Querystring) | None => {}
        }
    }
}

/// A member's header value: plain strings copied once, other values
/// formatted into a buffer the header then owns.
fn header_value(model: &ServiceModel, member: &ShapeRef, value: &Value) -> Option<HeaderValue> {
    match value {
        Value::String(text) if !member.jsonvalue => HeaderValue::from_str(text).ok(),
        _ => owned_header_value(header_text(model, member, value)?),
    }
}

/// A member's header text: lists comma-joined (an empty list is no header),
/// `jsonvalue` strings base64-encoded, timestamps as HTTP-dates unless the
/// model says otherwise.
fn header_text(model: &ServiceModel, member: &ShapeRef, value: &Value) -> Option<String> {
    let target = model.shape(&member.shape);
    match value {
        Value::List(items) => {
            let item_ref = target.member.as_ref()?;
            let item_shape = model.shape(&item_ref.shape);
            let format = header_timestamp_format(item_ref, item_shape);
            let texts: Vec<String> = items
                .iter()
                .filter_map(|item| format_scalar(item, format))
                .collect();
            if texts.is_empty() {
                return None;
            }
            Some(join_header_list(&texts, item_shape.kind == ShapeType::String))
        }
        Value::String(json) if member.jsonvalue => Some(BASE64.encode(json.as_bytes())),
        Value::Document(json) if member.jsonvalue => Some(BASE64.encode(json.to_string().as_bytes())),
        scalar => format_scalar(scalar, header_timestamp_format(member, target)),
    }
}
