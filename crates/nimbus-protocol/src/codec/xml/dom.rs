//! A small element tree read with quick-xml. Shape-driven decoding needs to
//! look at siblings (flattened lists and maps are spread among them), so the
//! document is read whole first; its depth is bounded by [`super::MAX_DEPTH`].

use nimbus_core::AwsError;
use quick_xml::Reader;
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesRef, BytesStart, Event};

use super::{MAX_DEPTH, malformed_xml};

/// One element: its local name (namespace prefix dropped), attributes, child
/// elements and the text directly inside it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Element {
    pub name: String,
    /// Attributes by their full name as written (`xsi:type`), values unescaped.
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// Text and CDATA directly inside this element, unescaped, whitespace kept
    /// (line ends normalized to `\n` as every XML parser does).
    pub text: String,
}

impl Element {
    /// Child elements with this local name, in document order.
    pub fn children_named<'a, 'n>(
        &'a self,
        name: &'n str,
    ) -> impl Iterator<Item = &'a Element> + use<'a, 'n> {
        self.children.iter().filter(move |child| child.name == name)
    }

    /// The first child element with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    /// The value of an attribute named exactly `name`, or else one whose local
    /// name matches (a client may bind `xsi` to another prefix). Namespace
    /// declarations never match.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        let exact = self.attributes.iter().find(|(key, _)| key == name);
        let local = super::local_part(name);
        exact
            .or_else(|| {
                self.attributes
                    .iter()
                    .find(|(key, _)| !key.starts_with("xmlns") && super::local_part(key) == local)
            })
            .map(|(_, value)| value.as_str())
    }
}

/// Reads a whole document into its root element. Anything that is not one
/// well-formed element (empty input, unclosed or mismatched tags, unknown
/// entities, text or a second element beside the root, nesting deeper than
/// [`MAX_DEPTH`]) is `MalformedXML`.
pub fn parse_document(xml: &[u8]) -> Result<Element, AwsError> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(false);
    // Open elements, innermost last.
    let mut open: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader.read_event().map_err(|_| malformed_xml())?;
        match event {
            Event::Start(start) => {
                if open.len() >= MAX_DEPTH {
                    return Err(malformed_xml());
                }
                open.push(element(&start)?);
            }
            Event::Empty(start) => close(element(&start)?, &mut open, &mut root)?,
            Event::End(_) => {
                let finished = open.pop().ok_or_else(malformed_xml)?;
                close(finished, &mut open, &mut root)?;
            }
            Event::Text(text) => {
                let text = text.xml10_content().map_err(|_| malformed_xml())?;
                push_text(&text, &mut open)?;
            }
            Event::CData(data) => {
                let data = data.decode().map_err(|_| malformed_xml())?;
                push_text(&data, &mut open)?;
            }
            Event::GeneralRef(reference) => push_text(&resolve(&reference)?, &mut open)?,
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if !open.is_empty() {
        return Err(malformed_xml());
    }
    root.ok_or_else(malformed_xml)
}

fn element(start: &BytesStart<'_>) -> Result<Element, AwsError> {
    let name = std::str::from_utf8(start.local_name().as_ref())
        .map_err(|_| malformed_xml())?
        .to_owned();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|_| malformed_xml())?;
        let key = std::str::from_utf8(attribute.key.as_ref())
            .map_err(|_| malformed_xml())?
            .to_owned();
        let value = attribute
            .unescape_value_with(resolve_xml_entity)
            .map_err(|_| malformed_xml())?
            .into_owned();
        attributes.push((key, value));
    }
    Ok(Element {
        name,
        attributes,
        ..Element::default()
    })
}

/// Attaches a finished element to its parent, or makes it the root.
fn close(finished: Element, open: &mut [Element], root: &mut Option<Element>) -> Result<(), AwsError> {
    match open.last_mut() {
        Some(parent) => parent.children.push(finished),
        None if root.is_none() => *root = Some(finished),
        None => return Err(malformed_xml()),
    }
    Ok(())
}

/// Text belongs to the innermost open element; outside the root only
/// whitespace may appear.
fn push_text(text: &str, open: &mut [Element]) -> Result<(), AwsError> {
    match open.last_mut() {
        Some(current) => current.text.push_str(text),
        None if text.trim().is_empty() => {}
        None => return Err(malformed_xml()),
    }
    Ok(())
}

/// `&#10;`, `&#xD;` and the five predefined entities; anything else is an error.
fn resolve(reference: &BytesRef<'_>) -> Result<String, AwsError> {
    if reference.is_char_ref() {
        return match reference.resolve_char_ref() {
            Ok(Some(ch)) => Ok(ch.to_string()),
            _ => Err(malformed_xml()),
        };
    }
    let name = reference.decode().map_err(|_| malformed_xml())?;
    resolve_xml_entity(&name)
        .map(str::to_owned)
        .ok_or_else(malformed_xml)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_attributes_and_unescaped_text() {
        let root = parse_document(
            br#"<?xml version="1.0"?>
<a:Root xmlns:a="urn:x" xmlns:xsi="urn:i" xsi:type="Canonical"><Name>x &amp; y&#xD;&#10;<![CDATA[<raw>]]></Name><Empty/></a:Root>"#,
        )
        .expect("parses");
        assert_eq!(root.name, "Root");
        assert_eq!(root.attribute("xsi:type"), Some("Canonical"));
        assert_eq!(root.attribute("other:type"), Some("Canonical"));
        assert_eq!(
            root.child("Name").map(|e| e.text.as_str()),
            Some("x & y\r\n<raw>")
        );
        assert_eq!(root.child("Empty").map(|e| e.text.as_str()), Some(""));
    }

    #[test]
    fn accepts_a_byte_order_mark_and_rejects_custom_entities() {
        let root = parse_document("\u{FEFF}<?xml version=\"1.0\"?><a>x</a>".as_bytes()).expect("parses");
        assert_eq!(root.text, "x");
        let billion_laughs = br#"<!DOCTYPE a [<!ENTITY lol "lol">]><a>&lol;</a>"#;
        assert!(parse_document(billion_laughs).is_err());
    }

    #[test]
    fn keeps_whitespace_in_text() {
        let root = parse_document(b"<a>  two  spaces\t</a>").expect("parses");
        assert_eq!(root.text, "  two  spaces\t");
    }

    #[test]
    fn rejects_what_is_not_one_well_formed_element() {
        for bad in [
            &b""[..],
            b"   ",
            b"<a>",
            b"<a></b>",
            b"<a/><b/>",
            b"text<a/>",
            b"<a>&unknown;</a>",
            b"</a>",
        ] {
            assert!(parse_document(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn rejects_deep_nesting_without_recursing() {
        let deep = "<a>".repeat(100_000);
        let err = parse_document(deep.as_bytes()).expect_err("too deep");
        assert_eq!(err.code, "MalformedXML");
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(parse_document(ok.as_bytes()).is_ok());
    }
}
