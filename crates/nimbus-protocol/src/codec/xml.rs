//! XML documents: the element tree requests are read from, and the errors
//! and names every XML protocol shares. Reading ignores namespaces (elements
//! match on their local name), as botocore does.

mod dom;

use nimbus_core::AwsError;

pub use crate::ser::xml::{XmlWriter, escape_attribute, escape_text};
pub use dom::{Element, parse_document};

/// The deepest element nesting a document may have. Real AWS documents stay
/// far below it; deeper input is rejected instead of risking the stack.
pub const MAX_DEPTH: usize = 100;

/// The error for a body that is not the XML it should be.
pub fn malformed_xml() -> AwsError {
    AwsError::new(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
        400,
    )
}

/// The part of a possibly prefixed XML name after the colon (`xsi:type` → `type`).
pub(crate) fn local_part(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, local)| local)
}
