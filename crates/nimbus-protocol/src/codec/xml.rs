//! Shape-driven XML bodies, shared by the query, ec2 and rest-xml protocols:
//! `locationName`, `flattened`, `xmlAttribute`, `xmlNamespace`, map entries,
//! timestamps (ISO 8601 unless `timestampFormat` says otherwise), base64 blobs.
//!
//! Names follow botocore, the client nimbus must satisfy: a member's element
//! is its `locationName` (on the reference, else on the shape) or its member
//! name; a flattened list repeats its *member's* `locationName` when it has one;
//! maps use `entry`/`key`/`value` unless renamed. Reading ignores namespaces
//! (elements match on their local name), as botocore does.

// AwsError is the error every codec returns; its size is nimbus-core's call.
#![allow(clippy::result_large_err)]

mod decode;
mod dom;
mod encode;

use nimbus_core::{AwsError, Value};

use crate::model::{ServiceModel, Shape, ShapeRef, XmlNamespace};
use crate::timestamp::TimestampFormat;

pub use decode::decode_element;
pub(crate) use decode::{decode_base64, parse_float};
pub use dom::{Element, parse_document};
pub use encode::{
    XmlWriter, escape_attribute, escape_text, write_member, write_members, write_structure,
    write_text_element, write_untyped,
};

/// The deepest element nesting a document may have. Real AWS documents stay
/// far below it; deeper input is rejected instead of risking the stack.
pub const MAX_DEPTH: usize = 100;

/// `<root_name xmlns=...>members of value</root_name>` for a structure of `shape_name`.
///
/// `namespace` overrides the shape's own `xmlNamespace` on the root element.
/// Members with an HTTP `location` (headers, URI, status) are left out: they
/// are not part of the body. No XML declaration is written.
pub fn encode_structure(
    model: &ServiceModel,
    shape_name: &str,
    value: &Value,
    root_name: &str,
    namespace: Option<&XmlNamespace>,
) -> String {
    let mut writer = XmlWriter::new(Vec::new());
    let own_namespace = model
        .shapes
        .get(shape_name)
        .and_then(|shape| shape.xml_namespace.as_ref());
    write_structure(
        &mut writer,
        model,
        shape_name,
        value,
        root_name,
        namespace.or(own_namespace),
    );
    String::from_utf8(writer.into_inner()).unwrap_or_default()
}

/// The structure of `shape_name` from an XML document whose root element holds its members.
///
/// The root element's own name is not checked. Members with an HTTP
/// `location` are skipped. An empty, malformed or too deeply nested document,
/// or a value that does not fit its shape, is [`malformed_xml`].
pub fn decode_structure(model: &ServiceModel, shape_name: &str, xml: &[u8]) -> Result<Value, AwsError> {
    let root = parse_document(xml)?;
    let shape = lookup_shape(model, shape_name)?;
    decode::decode_structure_element(model, shape, &root)
}

/// S3's error for a body that is not the XML it should be; the rest-xml codec
/// may reword it for services that say it differently.
pub fn malformed_xml() -> AwsError {
    AwsError::new(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
        400,
    )
}

/// A shape by name, as an error instead of a panic when a model is not closed.
pub(crate) fn lookup_shape<'m>(model: &'m ServiceModel, name: &str) -> Result<&'m Shape, AwsError> {
    model
        .shapes
        .get(name)
        .ok_or_else(|| AwsError::internal(format!("shape {name} is missing from the service model")))
}

/// The `locationName` of one use of a shape: the reference's, else the shape's
/// own (botocore merges a reference's traits over its target's the same way).
pub(crate) fn location_name<'a>(reference: &'a ShapeRef, shape: &'a Shape) -> Option<&'a str> {
    reference
        .location_name
        .as_deref()
        .or(shape.location_name.as_deref())
}

/// Whether a list or map is flattened, on the reference or on the shape.
pub(crate) fn is_flattened(reference: &ShapeRef, shape: &Shape) -> bool {
    reference.flattened.unwrap_or(shape.flattened)
}

/// The timestamp format of one use of a timestamp shape; `default` when the model names none.
pub(crate) fn timestamp_format(
    reference: &ShapeRef,
    shape: &Shape,
    default: TimestampFormat,
) -> TimestampFormat {
    TimestampFormat::from_model(
        reference
            .timestamp_format
            .as_deref()
            .or(shape.timestamp_format.as_deref()),
    )
    .unwrap_or(default)
}

/// The part of a possibly prefixed XML name after the colon (`xsi:type` → `type`).
pub(crate) fn local_part(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, local)| local)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_core::Timestamp;

    fn model() -> ServiceModel {
        ServiceModel::from_json(
            r#"{
            "metadata": {"protocol": "rest-xml", "apiVersion": "2020-01-01"},
            "shapes": {
                "Doc": {"type": "structure", "xmlNamespace": "https://example.com/doc", "members": {
                    "Name": {"shape": "String", "locationName": "name"},
                    "Kind": {"shape": "String", "xmlAttribute": true, "locationName": "xsi:type"},
                    "Header": {"shape": "String", "location": "header", "locationName": "x-amz-h"},
                    "Items": {"shape": "Strings"},
                    "Renamed": {"shape": "ItemList"},
                    "Flat": {"shape": "Strings", "flattened": true},
                    "FlatNamed": {"shape": "ItemList", "flattened": true},
                    "Tags": {"shape": "TagMap"},
                    "FlatTags": {"shape": "TagMap", "flattened": true, "locationName": "Tag"},
                    "Attrs": {"shape": "NamedMap"},
                    "Child": {"shape": "Doc"},
                    "Ns": {"shape": "String", "xmlNamespace": {"prefix": "p", "uri": "urn:p"}},
                    "Grantee": {"shape": "Grantee"},
                    "When": {"shape": "Time"},
                    "WhenEpoch": {"shape": "Time", "timestampFormat": "unixTimestamp"},
                    "WhenHttp": {"shape": "HttpTime"},
                    "Data": {"shape": "Blob"},
                    "On": {"shape": "Boolean"},
                    "Count": {"shape": "Integer"},
                    "Ratio": {"shape": "Double"}
                }},
                "Grantee": {"type": "structure", "xmlNamespace": {"prefix": "xsi", "uri": "http://www.w3.org/2001/XMLSchema-instance"}, "members": {
                    "Type": {"shape": "String", "xmlAttribute": true, "locationName": "xsi:type"},
                    "ID": {"shape": "String"}
                }},
                "Strings": {"type": "list", "member": {"shape": "String"}},
                "ItemList": {"type": "list", "member": {"shape": "String", "locationName": "item"}},
                "TagMap": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "String"}},
                "NamedMap": {"type": "map", "key": {"shape": "String", "locationName": "Name"}, "value": {"shape": "String", "locationName": "Value"}},
                "String": {"type": "string"},
                "Time": {"type": "timestamp"},
                "HttpTime": {"type": "timestamp", "timestampFormat": "rfc822"},
                "Blob": {"type": "blob"},
                "Boolean": {"type": "boolean"},
                "Integer": {"type": "integer"},
                "Double": {"type": "double"}
            }}"#,
        )
        .expect("test model")
    }

    fn map(pairs: &[(&str, &str)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
                .collect(),
        )
    }

    fn strings(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::from(*s)).collect())
    }

    fn full_value() -> Value {
        let time = Timestamp {
            seconds: 1_398_796_238,
            nanos: 0,
        };
        nimbus_core::structure! {
            "Name" => "a <b> & \"c\"\r\n  spaced  ",
            "Kind" => "Outer",
            "Items" => strings(&["x", "y"]),
            "Renamed" => strings(&["r"]),
            "Flat" => strings(&["f1", "f2"]),
            "FlatNamed" => strings(&["n1"]),
            "Tags" => map(&[("k", "v")]),
            "FlatTags" => map(&[("a", "1"), ("b", "2")]),
            "Attrs" => map(&[("n", "v")]),
            "Child" => nimbus_core::structure! {"Name" => "inner"},
            "Ns" => "namespaced",
            "Grantee" => nimbus_core::structure! {"Type" => "CanonicalUser", "ID" => "abc"},
            "When" => time,
            "WhenEpoch" => time,
            "WhenHttp" => time,
            "Data" => Value::Blob(bytes::Bytes::from_static(b"value")),
            "On" => true,
            "Count" => 3i64,
            "Ratio" => Value::Float(f64::NEG_INFINITY),
        }
    }

    #[test]
    fn encodes_by_the_shape() {
        let xml = encode_structure(&model(), "Doc", &full_value(), "Doc", None);
        let expected = concat!(
            r#"<Doc xmlns="https://example.com/doc" xsi:type="Outer">"#,
            "<name>a &lt;b&gt; &amp; &quot;c&quot;&#xD;&#xA;  spaced  </name>",
            "<Items><member>x</member><member>y</member></Items>",
            "<Renamed><item>r</item></Renamed>",
            "<Flat>f1</Flat><Flat>f2</Flat>",
            "<item>n1</item>",
            "<Tags><entry><key>k</key><value>v</value></entry></Tags>",
            "<Tag><key>a</key><value>1</value></Tag><Tag><key>b</key><value>2</value></Tag>",
            "<Attrs><entry><Name>n</Name><Value>v</Value></entry></Attrs>",
            "<Child><name>inner</name></Child>",
            r#"<Ns xmlns:p="urn:p">namespaced</Ns>"#,
            r#"<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>abc</ID></Grantee>"#,
            "<When>2014-04-29T18:30:38Z</When>",
            "<WhenEpoch>1398796238</WhenEpoch>",
            "<WhenHttp>Tue, 29 Apr 2014 18:30:38 GMT</WhenHttp>",
            "<Data>dmFsdWU=</Data>",
            "<On>true</On><Count>3</Count><Ratio>-Infinity</Ratio>",
            "</Doc>"
        );
        assert_eq!(xml, expected);
    }

    #[test]
    fn decoding_what_was_encoded_gives_the_value_back() {
        let model = model();
        let value = full_value();
        let xml = encode_structure(&model, "Doc", &value, "Doc", None);
        let decoded = decode_structure(&model, "Doc", xml.as_bytes()).expect("decodes");
        assert_eq!(decoded, value);
    }

    #[test]
    fn leaves_out_http_bound_members_and_nulls() {
        let value = nimbus_core::structure! {"Header" => "h", "Name" => Value::Null};
        assert_eq!(
            encode_structure(
                &model(),
                "Doc",
                &value,
                "Root",
                Some(&XmlNamespace::Uri("urn:x".into()))
            ),
            r#"<Root xmlns="urn:x"/>"#
        );
    }

    #[test]
    fn empty_elements_decode_to_empty_values() {
        let decoded = decode_structure(
            &model(),
            "Doc",
            b"<Doc><name/><Items/><Tags></Tags><Data></Data><Child/></Doc>",
        )
        .expect("decodes");
        let expected = nimbus_core::structure! {
            "Name" => "",
            "Items" => Value::List(Vec::new()),
            "Tags" => Value::Map(indexmap::IndexMap::new()),
            "Child" => Value::empty(),
            "Data" => Value::Blob(bytes::Bytes::new()),
        };
        assert_eq!(decoded, expected);
    }

    #[test]
    fn reads_prefixed_elements_special_floats_and_padded_numbers() {
        let decoded = decode_structure(
            &model(),
            "Doc",
            br#"<d:Doc xmlns:d="urn:d"><d:Count> 7 </d:Count><Ratio>NaN</Ratio><On>false</On></d:Doc>"#,
        )
        .expect("decodes");
        assert_eq!(decoded.get("Count"), Some(&Value::Integer(7)));
        assert!(matches!(decoded.get("Ratio"), Some(Value::Float(f)) if f.is_nan()));
        assert_eq!(decoded.get("On"), Some(&Value::Boolean(false)));
    }

    #[test]
    fn values_that_do_not_fit_their_shape_are_malformed_xml() {
        let model = model();
        for body in [
            &b"<Doc><Count>seven</Count></Doc>"[..],
            b"<Doc><On>yes</On></Doc>",
            b"<Doc><Ratio>inf</Ratio></Doc>",
            b"<Doc><When>yesterday</When></Doc>",
            b"<Doc><Data>not base64!</Data></Doc>",
            b"<Doc><Tags><entry><value>v</value></entry></Tags></Doc>",
            b"not xml",
        ] {
            let err = decode_structure(&model, "Doc", body).expect_err("malformed");
            assert_eq!((err.code.as_ref(), err.status), ("MalformedXML", 400));
        }
    }

    #[test]
    fn deep_recursive_documents_are_rejected_not_overflowed() {
        let depth = 50_000;
        let body = format!(
            "<Doc>{}{}</Doc>",
            "<Child>".repeat(depth),
            "</Child>".repeat(depth)
        );
        assert!(decode_structure(&model(), "Doc", body.as_bytes()).is_err());
    }
}
