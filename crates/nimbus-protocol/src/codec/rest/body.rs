//! Structured bodies: a JSON object or an XML document for one shape,
//! delegated to the JSON and XML codecs. This module only picks the document's
//! root name and namespace and words the errors of bodies that do not parse.

use bytes::Bytes;
use nimbus_core::{AwsError, Value};

use super::{BodyFormat, RouteIndex, is_s3};
use crate::codec::{json, xml};
use crate::model::{ServiceModel, ShapeRef, XmlNamespace};

pub const JSON_CONTENT_TYPE: &str = "application/json";
pub const XML_CONTENT_TYPE: &str = "application/xml";
const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Whether a body carries nothing (an empty or all-whitespace document).
pub fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// A structure of `shape_name` from a non-blank body.
pub fn decode(
    format: BodyFormat,
    model: &ServiceModel,
    shape_name: &str,
    body: &[u8],
) -> Result<Value, AwsError> {
    match format {
        BodyFormat::Json => {
            let document: serde_json::Value = serde_json::from_slice(body).map_err(|e| malformed_json(&e))?;
            json::value_from_json(model, shape_name, &document)
        }
        BodyFormat::Xml => xml::decode_structure(model, shape_name, body).map_err(|error| {
            // S3 answers every unreadable document with MalformedXML; other
            // rest-xml services keep the XML codec's own wording.
            if is_s3(model) && error.status == 400 {
                xml::malformed_xml()
            } else {
                error
            }
        }),
    }
}

fn malformed_json(error: &serde_json::Error) -> AwsError {
    AwsError::new(
        "SerializationException",
        format!("The request body is not valid JSON: {error}"),
        400,
    )
}

/// The root element of an XML document for one use of a shape: the
/// reference's `locationName`, else the shape's, else the shape's name; and
/// its namespace: the reference's, the shape's, else the service's.
pub struct XmlRoot<'m> {
    pub name: &'m str,
    pub namespace: Option<&'m XmlNamespace>,
}

impl<'m> XmlRoot<'m> {
    pub fn of(model: &'m ServiceModel, reference: &'m ShapeRef) -> XmlRoot<'m> {
        let shape = model.shape(&reference.shape);
        XmlRoot {
            name: reference
                .location_name
                .as_deref()
                .or(shape.location_name.as_deref())
                .unwrap_or(&reference.shape),
            namespace: reference
                .xml_namespace
                .as_ref()
                .or(shape.xml_namespace.as_ref())
                .or(RouteIndex::of(model).service_namespace.as_ref()),
        }
    }
}

/// A structure of `reference`'s shape as a body, with its content type.
/// Members bound to HTTP locations must already be left out of `value`.
pub fn encode(
    format: BodyFormat,
    model: &ServiceModel,
    reference: &ShapeRef,
    value: &Value,
) -> (Bytes, &'static str) {
    match format {
        BodyFormat::Json => {
            let document = json::value_to_json(model, &reference.shape, value);
            (Bytes::from(document.to_string()), JSON_CONTENT_TYPE)
        }
        BodyFormat::Xml => {
            let root = XmlRoot::of(model, reference);
            let document = xml::encode_structure(model, &reference.shape, value, root.name, root.namespace);
            (with_declaration(&document), XML_CONTENT_TYPE)
        }
    }
}

/// ` xmlns="uri"` (or ` xmlns:prefix="uri"`) for a root element, or nothing.
pub fn namespace_attribute(namespace: Option<&XmlNamespace>) -> String {
    match namespace {
        None => String::new(),
        Some(XmlNamespace::Uri(uri) | XmlNamespace::Prefixed { prefix: None, uri }) => {
            format!(" xmlns=\"{}\"", xml::escape_attribute(uri))
        }
        Some(XmlNamespace::Prefixed {
            prefix: Some(prefix),
            uri,
        }) => format!(" xmlns:{prefix}=\"{}\"", xml::escape_attribute(uri)),
    }
}

/// An XML document with the declaration AWS starts its documents with.
pub fn with_declaration(document: &str) -> Bytes {
    if document.starts_with("<?xml") {
        Bytes::from(document.to_owned())
    } else {
        Bytes::from(format!("{XML_DECLARATION}{document}"))
    }
}
