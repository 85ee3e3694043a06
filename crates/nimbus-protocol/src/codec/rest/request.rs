//! Decoding a rest request: URI labels, query parameters, headers, prefix
//! headers and the body (the payload member, or every unbound member) into
//! one value of the operation's input shape.

use std::borrow::Cow;
use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http::HeaderName;
use indexmap::IndexMap;
use nimbus_core::{AwsError, Value};
use percent_encoding::percent_decode_str;

use super::bindings::{header_timestamp_format, parse_scalar, split_header_list};
use super::{BodyFormat, RouteIndex, body, errors};
use crate::http_types::HttpRequest;
use crate::model::{Location, Operation, ServiceModel, Shape, ShapeRef, ShapeType};
use crate::timestamp::TimestampFormat;
use crate::validate;

/// Everything of the request the member decoders read, parsed once.
struct Parts<'r> {
    request: &'r HttpRequest,
    /// URI label values (`(name, text)`), percent-decoded: borrowed from the
    /// model and the path unless decoding changed them.
    labels: Vec<(&'r str, Cow<'r, str>)>,
    params: Vec<(String, String)>,
    /// Query keys a querystring map must not take: those bound to other
    /// members and those the route template requires (`uploads`).
    claimed_keys: HashSet<String>,
    /// The lengths of the request's header names, as a set of bits (63 for
    /// any longer name): a header-bound member whose name has none of these
    /// lengths is absent without a scan, which is most of them.
    header_name_lengths: u64,
}

/// The bit of [`Parts::header_name_lengths`] for a name of `len` bytes.
fn length_bit(len: usize) -> u64 {
    1 << len.min(63)
}

pub fn decode(
    format: BodyFormat,
    model: &ServiceModel,
    operation: &Operation,
    request: &HttpRequest,
) -> Result<Value, AwsError> {
    let Some(input) = &operation.input else {
        return Ok(Value::empty());
    };
    let shape = model.shape(&input.shape);
    let parts = Parts::new(format, model, operation, shape, request)?;

    let mut decoded = IndexMap::new();
    for (name, member) in &shape.members {
        if let Some(value) = decode_bound_member(format, model, &parts, name, member)? {
            decoded.insert(name.clone(), value);
        }
    }
    let bound = decoded.len();
    decode_body(format, model, input, shape, &request.body, &mut decoded)?;

    // Model order, whatever order the locations were read in. The bound
    // members were read in model order: only body members need placing.
    if decoded.len() != bound {
        decoded = shape
            .members
            .keys()
            .filter_map(|name| decoded.swap_remove(name).map(|value| (name.clone(), value)))
            .collect();
    }
    let value = Value::Structure(decoded);
    validate::check(format.protocol(), model, &input.shape, &value)?;
    Ok(value)
}

impl<'r> Parts<'r> {
    fn new(
        format: BodyFormat,
        model: &'r ServiceModel,
        operation: &Operation,
        shape: &Shape,
        request: &'r HttpRequest,
    ) -> Result<Parts<'r>, AwsError> {
        let route = RouteIndex::of(model).route_of(model, operation);
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
        // Only a querystring map reads the claimed keys: most inputs have
        // none, and need not collect a dozen names per request.
        let query_bound = |member: &ShapeRef| member.location == Some(Location::Querystring);
        let has_query_map = !request.query.is_empty()
            && shape
                .members
                .values()
                .any(|member| query_bound(member) && model.shape(&member.shape).kind == ShapeType::Map);
        if has_query_map {
            if let Some(route) = route {
                claimed_keys.extend(route.query.iter().map(|(key, _)| key.clone()));
            }
            for (name, member) in &shape.members {
                if query_bound(member) && model.shape(&member.shape).kind != ShapeType::Map {
                    claimed_keys.insert(member.location_name.clone().unwrap_or_else(|| name.clone()));
                }
            }
        }
        let header_name_lengths = request
            .headers
            .keys()
            .fold(0, |lengths, name| lengths | length_bit(name.as_str().len()));
        Ok(Parts {
            request,
            labels,
            header_name_lengths,
            params: request.query_params(),
            claimed_keys,
        })
    }

    /// Every value of a header (repeated headers joined as one list), as text.
    fn header(&self, name: &HeaderName) -> Option<String> {
        // A scan of the request's dozen or so headers, comparing names
        // parsed once per model: cheaper than hashing the name for a map
        // lookup, for each of the dozens of header-bound members an input
        // has, most of them absent.
        if self.header_name_lengths & length_bit(name.as_str().len()) == 0 {
            return None;
        }
        let mut values = self.request.headers.iter().filter(|(key, _)| *key == name);
        let (_, first) = values.next()?;
        let mut text = String::from_utf8_lossy(first.as_bytes()).into_owned();
        for (_, value) in values {
            text.push_str(", ");
            text.push_str(&String::from_utf8_lossy(value.as_bytes()));
        }
        Some(text)
    }
}

fn decode_bound_member(
    format: BodyFormat,
    model: &ServiceModel,
    parts: &Parts<'_>,
    name: &str,
    member: &ShapeRef,
) -> Result<Option<Value>, AwsError> {
    // The member's shape is looked up only once it has a value: most members
    // of an input (dozens for S3's GetObject) are absent from a request.
    let wire_name = member.location_name.as_deref().unwrap_or(name);
    match member.location {
        Some(Location::Uri) => {
            let Some((_, text)) = parts.labels.iter().find(|(label, _)| *label == wire_name) else {
                return Ok(None);
            };
            scalar(format, model, model.shape(&member.shape), text, "URI", wire_name).map(Some)
        }
        Some(Location::Querystring) if parts.params.is_empty() => Ok(None),
        Some(Location::Querystring) => {
            decode_query_member(format, model, parts, wire_name, model.shape(&member.shape))
        }
        Some(Location::Header) => {
            let Some(text) = member.header_name(name).and_then(|name| parts.header(name)) else {
                return Ok(None);
            };
            let target = model.shape(&member.shape);
            decode_header(format, model, member, target, wire_name, text)
        }
        Some(Location::Headers) => Ok(decode_prefix_headers(parts, wire_name)),
        Some(Location::StatusCode) | None => Ok(None),
    }
}

/// A scalar from label, query or header text, or the protocol's error for text
/// that does not fit.
fn scalar(
    format: BodyFormat,
    model: &ServiceModel,
    shape: &Shape,
    text: &str,
    location: &str,
    wire_name: &str,
) -> Result<Value, AwsError> {
    parse_scalar(shape, text).ok_or_else(|| errors::malformed_value(format, model, location, wire_name, text))
}

fn decode_query_member(
    format: BodyFormat,
    model: &ServiceModel,
    parts: &Parts<'_>,
    wire_name: &str,
    target: &Shape,
) -> Result<Option<Value>, AwsError> {
    let values = || {
        parts
            .params
            .iter()
            .filter(move |(key, _)| key == wire_name)
            .map(|(_, value)| value.as_str())
    };
    match target.kind {
        ShapeType::List => {
            let Some(item_ref) = &target.member else {
                return Ok(None);
            };
            let item_shape = model.shape(&item_ref.shape);
            let items: Vec<&str> = values().collect();
            if items.is_empty() {
                return Ok(None);
            }
            let items = items
                .into_iter()
                .map(|text| scalar(format, model, item_shape, text, "query string", wire_name))
                .collect::<Result<_, _>>()?;
            Ok(Some(Value::List(items)))
        }
        ShapeType::Map => decode_query_map(format, model, parts, target),
        _ => match values().next() {
            None => Ok(None),
            Some("") if target.kind != ShapeType::String => Ok(None),
            Some(text) => scalar(format, model, target, text, "query string", wire_name).map(Some),
        },
    }
}

/// A querystring-bound map takes every parameter no other member claims;
/// list-valued maps collect repeated keys.
fn decode_query_map(
    format: BodyFormat,
    model: &ServiceModel,
    parts: &Parts<'_>,
    target: &Shape,
) -> Result<Option<Value>, AwsError> {
    let value_shape = target.value.as_ref().map(|value| model.shape(&value.shape));
    let list_item_shape = value_shape
        .filter(|shape| shape.kind == ShapeType::List)
        .and_then(|list| list.member.as_ref())
        .map(|item| model.shape(&item.shape));
    let mut entries: IndexMap<String, Value> = IndexMap::new();
    for (key, text) in parts
        .params
        .iter()
        .filter(|(key, _)| !parts.claimed_keys.contains(key))
    {
        match (list_item_shape, value_shape) {
            (Some(item_shape), _) => {
                let item = scalar(format, model, item_shape, text, "query string", key)?;
                if let Value::List(items) = entries
                    .entry(key.clone())
                    .or_insert_with(|| Value::List(Vec::new()))
                {
                    items.push(item);
                }
            }
            (None, Some(shape)) => {
                if !entries.contains_key(key) {
                    entries.insert(
                        key.clone(),
                        scalar(format, model, shape, text, "query string", key)?,
                    );
                }
            }
            (None, None) => {}
        }
    }
    Ok((!entries.is_empty()).then_some(Value::Map(entries)))
}

fn decode_header(
    format: BodyFormat,
    model: &ServiceModel,
    member: &ShapeRef,
    target: &Shape,
    wire_name: &str,
    text: String,
) -> Result<Option<Value>, AwsError> {
    match target.kind {
        ShapeType::List => {
            let Some(item_ref) = &target.member else {
                return Ok(None);
            };
            let item_shape = model.shape(&item_ref.shape);
            let http_dates = item_shape.kind == ShapeType::Timestamp
                && header_timestamp_format(item_ref, item_shape) == TimestampFormat::Rfc822;
            let items = split_header_list(&text, http_dates)
                .iter()
                .map(|item| scalar(format, model, item_shape, item, "header", wire_name))
                .collect::<Result<_, _>>()?;
            Ok(Some(Value::List(items)))
        }
        ShapeType::String if member.jsonvalue => {
            let json = BASE64
                .decode(text.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .filter(|json| serde_json::from_str::<serde_json::Value>(json).is_ok())
                .ok_or_else(|| errors::malformed_value(format, model, "header", wire_name, &text))?;
            Ok(Some(Value::String(json)))
        }
        ShapeType::String => Ok(Some(Value::String(text))),
        // An empty header carries no number, flag or date: treat it as absent.
        _ if text.trim().is_empty() => Ok(None),
        _ => scalar(format, model, target, &text, "header", wire_name).map(Some),
    }
}

/// `x-amz-meta-*` style members: every header starting with the prefix
/// (compared case-insensitively), keyed by the rest of its name.
fn decode_prefix_headers(parts: &Parts<'_>, prefix: &str) -> Option<Value> {
    // Header names are lower case; models write prefixes in lower case too,
    // so a copy is rarely needed.
    let prefix: Cow<'_, str> = if prefix.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(prefix.to_ascii_lowercase())
    } else {
        Cow::Borrowed(prefix)
    };
    let mut entries = IndexMap::new();
    for name in parts.request.headers.keys() {
        let Some(key) = name.as_str().strip_prefix(&*prefix) else {
            continue;
        };
        if key.is_empty() || entries.contains_key(key) {
            continue;
        }
        if let Some(text) = parts.header(name) {
            entries.insert(key.to_owned(), Value::String(text));
        }
    }
    (!entries.is_empty()).then_some(Value::Map(entries))
}

/// The body: the payload member when the shape names one, else the members
/// bound to no other location.
fn decode_body(
    format: BodyFormat,
    model: &ServiceModel,
    input: &ShapeRef,
    shape: &Shape,
    body: &Bytes,
    decoded: &mut IndexMap<String, Value>,
) -> Result<(), AwsError> {
    if let Some(payload_name) = &shape.payload {
        let Some(member) = shape.members.get(payload_name) else {
            return Ok(());
        };
        if let Some(value) = decode_payload(format, model, member, body)? {
            decoded.insert(payload_name.clone(), value);
        }
        return Ok(());
    }
    let has_body_members = shape.members.values().any(|member| member.location.is_none());
    if !has_body_members || body::is_blank(body) {
        return Ok(());
    }
    if let Value::Structure(members) = body::decode(format, model, &input.shape, body)? {
        for (name, value) in members {
            let unbound = shape
                .members
                .get(&name)
                .is_some_and(|member| member.location.is_none());
            if unbound {
                decoded.insert(name, value);
            }
        }
    }
    Ok(())
}

/// The payload member: blobs and strings are the raw body; structures,
/// unions and documents are a JSON or XML document of their own shape. An
/// empty body (or an empty document) leaves the member out.
fn decode_payload(
    format: BodyFormat,
    model: &ServiceModel,
    member: &ShapeRef,
    body: &Bytes,
) -> Result<Option<Value>, AwsError> {
    if body.is_empty() {
        return Ok(None);
    }
    let target = model.shape(&member.shape);
    match target.kind {
        ShapeType::Blob => Ok(Some(Value::Blob(body.clone()))),
        ShapeType::String => String::from_utf8(body.to_vec())
            .map(|text| Some(Value::String(text)))
            .map_err(|_| errors::malformed_value(format, model, "body", &member.shape, "(not UTF-8)")),
        _ if body::is_blank(body) => Ok(None),
        _ => {
            let value = body::decode(format, model, &member.shape, body)?;
            let is_empty_structure = matches!(&value, Value::Structure(members) if members.is_empty());
            Ok((!is_empty_structure).then_some(value))
        }
    }
}

/// The input member the model marks as a streaming blob payload (S3's
/// PutObject and UploadPart `Body`): its bytes may arrive as a stream
/// instead of a buffered body.
pub fn streaming_payload_member<'m>(model: &'m ServiceModel, operation: &Operation) -> Option<&'m str> {
    let input = operation.input.as_ref()?;
    let shape = model.shape(&input.shape);
    let (name, member) = shape
        .payload
        .as_ref()
        .and_then(|name| shape.members.get_key_value(name))?;
    let target = model.shape(&member.shape);
    let streaming = member.streaming || target.streaming;
    (streaming && target.kind == ShapeType::Blob).then_some(name.as_str())
}

/// Decodes a request whose streaming payload arrives as `stream` (the
/// request's own body is ignored): every other member as usual, the payload
/// member as a [`Value::Stream`].
pub fn decode_streaming(
    format: BodyFormat,
    model: &ServiceModel,
    operation: &Operation,
    request: &HttpRequest,
    stream: nimbus_core::ByteStream,
) -> Result<Value, AwsError> {
    let mut value = decode(format, model, operation, request)?;
    if let (Some(member), Value::Structure(members)) =
        (streaming_payload_member(model, operation), &mut value)
    {
        members.insert(member.to_owned(), Value::Stream(stream));
    }
    Ok(value)
}
