//! The XML envelopes of query and ec2 responses and errors.

use bytes::Bytes;
use http::HeaderValue;
use http::header::CONTENT_TYPE;
use nimbus_core::{AwsError, Value};
use serde::Serialize;

use super::Dialect;
use crate::http_types::HttpResponse;
use crate::model::{Model, Operation, Shape, XmlNamespace};
use crate::ser::SerError;
use crate::ser::xml::{Wrap, XmlSer, XmlWriter, write_root};

/// `<OpResponse xmlns=..><OpResult>..</OpResult><ResponseMetadata>..` (query)
/// or `<OpResponse xmlns=..><requestId>..</requestId>..` (ec2).
pub fn success<T: Serialize + ?Sized>(
    dialect: Dialect,
    model: &Model,
    operation: &Operation,
    output: &T,
    request_id: &str,
) -> Result<HttpResponse, SerError> {
    let response_name = format!("{}Response", operation.name);
    let mut out = writer(dialect);
    let namespace = XmlNamespace::Uri(namespace(dialect, model));
    out.open(&response_name, Some(&namespace), &[]);
    match dialect {
        Dialect::Query => {
            if let Some(shape) = model.output_of(operation) {
                let result_name = format!("{}Result", operation.name);
                write_root(model, shape, &result_name, None, &mut out, output)?;
            }
            out.open("ResponseMetadata", None, &[]);
            out.text_element("RequestId", None, request_id);
            out.close("ResponseMetadata");
        }
        Dialect::Ec2 => {
            out.text_element("requestId", None, request_id);
            if let Some(shape) = model.output_of(operation) {
                output.serialize(XmlSer {
                    wrap: Wrap::MembersOnly,
                    ..XmlSer::element(model, shape, &response_name, &mut out)
                })?;
            }
        }
    }
    out.close(&response_name);
    Ok(response(dialect, 200, out, request_id))
}

/// `<ErrorResponse><Error><Type>..` (query) or `<Response><Errors><Error>..` (ec2).
pub fn error(dialect: Dialect, model: &Model, error: &AwsError, request_id: &str) -> HttpResponse {
    let mut out = writer(dialect);
    match dialect {
        Dialect::Query => {
            let namespace = XmlNamespace::Uri(namespace(dialect, model));
            out.open("ErrorResponse", Some(&namespace), &[]);
            error_element(&mut out, dialect, model, error);
            out.text_element("RequestId", None, request_id);
            out.close("ErrorResponse");
        }
        Dialect::Ec2 => {
            out.open("Response", None, &[]);
            out.open("Errors", None, &[]);
            error_element(&mut out, dialect, model, error);
            out.close("Errors");
            out.text_element("RequestID", None, request_id);
            out.close("Response");
        }
    }
    response(dialect, error.status, out, request_id)
}

/// `<Error>` with the code, the message and the error's extra members, named
/// as its exception shape names them when the model has one. The code is the
/// shape's query code (`error.code`) when it names a shape.
fn error_element(out: &mut XmlWriter, dialect: Dialect, model: &Model, error: &AwsError) {
    out.open("Error", None, &[]);
    if dialect == Dialect::Query {
        let fault = if error.sender_fault { "Sender" } else { "Receiver" };
        out.text_element("Type", None, fault);
    }
    let shape = model.error_shape(&error.code);
    out.text_element("Code", None, &wire_code(shape, &error.code));
    if !error.message.is_empty() {
        out.text_element("Message", None, &error.message);
    }
    let fields: indexmap::IndexMap<String, Value> = error
        .fields
        .iter()
        .filter(|(name, _)| {
            !["Type", "Code", "Message"]
                .iter()
                .any(|taken| name.eq_ignore_ascii_case(taken))
        })
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    write_fields(out, model, shape, &fields);
    out.close("Error");
}

/// The code clients see for an error: a modeled shape's `error.code` (the
/// query protocol's code), else the code as it is.
pub(crate) fn wire_code(shape: Option<&Shape>, code: &str) -> String {
    shape
        .and_then(|shape| shape.error.as_ref())
        .and_then(|error| error.code.clone())
        .unwrap_or_else(|| code.to_owned())
}

/// An error's extra fields as elements: members of its shape as the shape
/// says, others as plain elements.
pub(crate) fn write_fields(
    out: &mut XmlWriter,
    model: &Model,
    shape: Option<&Shape>,
    fields: &indexmap::IndexMap<String, Value>,
) {
    let (modeled, unmodeled): (Vec<_>, Vec<_>) = fields
        .iter()
        .partition(|(name, _)| shape.is_some_and(|shape| shape.member(name).is_some()));
    if let Some(shape) = shape {
        let modeled = Value::Structure(modeled.into_iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        let _ = modeled.serialize(XmlSer {
            wrap: Wrap::MembersOnly,
            ..XmlSer::element(model, shape, "Error", out)
        });
    }
    for (name, value) in unmodeled {
        let _ = value.serialize(XmlSer::untyped(model, name, out));
    }
}

/// The `xmlns` of the response root: query services use the model's
/// `xmlNamespace`; ec2 always the versioned EC2 namespace with its trailing slash.
fn namespace(dialect: Dialect, model: &Model) -> String {
    let metadata = &model.metadata;
    match dialect {
        Dialect::Ec2 => format!("http://ec2.amazonaws.com/doc/{}/", metadata.api_version),
        Dialect::Query => metadata.xml_namespace.clone().unwrap_or_else(|| {
            format!(
                "https://{}.amazonaws.com/doc/{}/",
                metadata.endpoint_prefix, metadata.api_version
            )
        }),
    }
}

/// Indented like AWS's own responses; ec2 ones start with an XML declaration.
fn writer(dialect: Dialect) -> XmlWriter {
    let mut out = XmlWriter::indented();
    if dialect == Dialect::Ec2 {
        out.declaration();
    }
    out
}

fn response(dialect: Dialect, status: u16, out: XmlWriter, request_id: &str) -> HttpResponse {
    let mut response = HttpResponse {
        status,
        body: Bytes::from(out.into_bytes()),
        ..HttpResponse::default()
    };
    let content_type = match dialect {
        Dialect::Query => "text/xml",
        Dialect::Ec2 => "text/xml;charset=UTF-8",
    };
    response
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        response.headers.insert("x-amzn-RequestId", id);
    }
    response
}
