//! Shape-driven XML bodies, shared by the query, ec2 and rest-xml protocols:
//! `locationName`, `flattened`, `xmlAttribute`, `xmlNamespace`, map entries,
//! timestamps (ISO 8601 unless `timestampFormat` says otherwise), base64 blobs.

use nimbus_core::{AwsError, Value};

use crate::model::{ServiceModel, XmlNamespace};

/// `<root_name xmlns=...>members of value</root_name>` for a structure of `shape_name`.
pub fn encode_structure(
    model: &ServiceModel,
    shape_name: &str,
    value: &Value,
    root_name: &str,
    namespace: Option<&XmlNamespace>,
) -> String {
    let _ = (model, shape_name, value, namespace);
    format!("<{root_name}/>")
}

/// The structure of `shape_name` from an XML document whose root element holds its members.
pub fn decode_structure(model: &ServiceModel, shape_name: &str, xml: &[u8]) -> Result<Value, AwsError> {
    let _ = (model, shape_name, xml);
    Err(AwsError::not_implemented("xml codec", "decode_structure"))
}
