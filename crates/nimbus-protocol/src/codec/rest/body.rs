//! Body documents of the rest protocols: content types, the root element of
//! an XML document, the XML declaration.

use bytes::Bytes;

use super::RouteIndex;
use crate::model::{Member, Model, OperationRef, XmlNamespace};

pub const JSON_CONTENT_TYPE: &str = "application/json";
pub const XML_CONTENT_TYPE: &str = "application/xml";
const XML_DECLARATION: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Whether a body carries nothing (an empty or all-whitespace document).
pub fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// The root element of an XML document for one use of a shape: the
/// reference's `locationName`, else the shape's, else the shape's name; and
/// its namespace: the reference's, the shape's, else the service's.
pub struct XmlRoot<'m> {
    pub name: &'m str,
    pub namespace: Option<&'m XmlNamespace>,
}

impl<'m> XmlRoot<'m> {
    /// The root of an operation's output document.
    pub fn of_output(model: &'m Model, output: &'m OperationRef) -> XmlRoot<'m> {
        let shape = model.shape(output.shape);
        XmlRoot {
            name: output
                .location_name
                .as_deref()
                .or(shape.location_name.as_deref())
                .unwrap_or(&shape.name),
            namespace: output
                .xml_namespace
                .as_ref()
                .or(shape.xml_namespace.as_ref())
                .or(RouteIndex::of(model).service_namespace.as_ref()),
        }
    }

    /// The root of a payload member's document.
    pub fn of_member(model: &'m Model, member: &'m Member) -> XmlRoot<'m> {
        let shape = model.target(member);
        XmlRoot {
            name: member
                .location_name
                .as_deref()
                .or(shape.location_name.as_deref())
                .unwrap_or(&shape.name),
            namespace: member
                .xml_namespace
                .as_ref()
                .or(shape.xml_namespace.as_ref())
                .or(RouteIndex::of(model).service_namespace.as_ref()),
        }
    }
}

/// An XML document with the declaration AWS starts its documents with.
pub fn with_declaration(document: Vec<u8>) -> Bytes {
    if document.starts_with(b"<?xml") {
        Bytes::from(document)
    } else {
        let mut out = Vec::with_capacity(XML_DECLARATION.len() + document.len());
        out.extend_from_slice(XML_DECLARATION);
        out.extend_from_slice(&document);
        Bytes::from(out)
    }
}
