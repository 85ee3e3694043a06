//! AWS service models in botocore's JSON form (`service-2.json`), as data:
//! the structs mirror botocore's keys one for one, so a vendored model (or a
//! golden test case's inline shapes) deserializes straight into them. Keys
//! nimbus does not use are ignored. [`super::compile`] turns a source model
//! into the indexed [`super::Model`] the codecs read.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde::Deserialize;

/// One service as botocore describes it.
#[derive(Debug, Deserialize)]
pub struct SourceModel {
    pub metadata: Metadata,
    #[serde(default)]
    pub operations: IndexMap<String, SourceOperation>,
    #[serde(default)]
    pub shapes: HashMap<String, SourceShape>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub endpoint_prefix: String,
    /// The protocol botocore uses by default (first of `protocols` when present).
    #[serde(default)]
    pub protocol: String,
    /// Every protocol the service speaks, in preference order.
    #[serde(default)]
    pub protocols: Vec<String>,
    /// The SigV4 signing name when it differs from `endpoint_prefix`.
    pub signing_name: Option<String>,
    /// The `X-Amz-Target` prefix for json (and cbor) protocols.
    pub target_prefix: Option<String>,
    /// `1.0` or `1.1` for json protocols.
    pub json_version: Option<String>,
    pub xml_namespace: Option<String>,
    #[serde(default)]
    pub service_id: String,
    /// Present on json services that keep the error codes of their old query protocol.
    pub aws_query_compatible: Option<serde_json::Value>,
    /// nimbus's own per-service wire facts (see [`super::Profile`]), added by
    /// `models/patches/<service>.json`; botocore has no such key.
    #[serde(default)]
    pub nimbus: serde_json::Value,
}

impl Metadata {
    /// The SigV4 signing name (`signingName`, else `endpointPrefix`).
    pub fn signing_name(&self) -> &str {
        self.signing_name.as_deref().unwrap_or(&self.endpoint_prefix)
    }

    pub fn is_query_compatible(&self) -> bool {
        self.aws_query_compatible.is_some()
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceOperation {
    pub name: String,
    #[serde(default)]
    pub http: Http,
    pub input: Option<SourceRef>,
    pub output: Option<SourceRef>,
    #[serde(default)]
    pub errors: Vec<SourceRef>,
    #[serde(default)]
    pub http_checksum_required: bool,
    /// Deprecated operations lose to their successors on shared routes
    /// (S3's `GetBucketLifecycle` vs `GetBucketLifecycleConfiguration`).
    #[serde(default)]
    pub deprecated: bool,
    /// `none`: the operation is called without a signature
    /// (AssumeRoleWithWebIdentity).
    #[serde(default)]
    pub authtype: Option<String>,
    /// `["smithy.api#noAuth"]` says the same in newer models.
    #[serde(default)]
    pub auth: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Http {
    #[serde(default = "default_method")]
    pub method: String,
    #[serde(default = "default_uri")]
    pub request_uri: String,
    /// The success status code (rest protocols), 200 when absent.
    pub response_code: Option<u16>,
}

impl Default for Http {
    fn default() -> Self {
        Http {
            method: default_method(),
            request_uri: default_uri(),
            response_code: None,
        }
    }
}

fn default_method() -> String {
    "POST".to_owned()
}

fn default_uri() -> String {
    "/".to_owned()
}

/// Where a member of an input/output structure travels on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Location {
    Uri,
    Querystring,
    Header,
    /// A map member spread over headers sharing a prefix (`x-amz-meta-`).
    Headers,
    StatusCode,
}

/// A reference to a shape from a member, list member, map key or map value,
/// carrying the serialization traits of that use.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceRef {
    pub shape: String,
    pub location: Option<Location>,
    pub location_name: Option<String>,
    /// ec2 protocol: the query key for this member when it differs.
    pub query_name: Option<String>,
    pub flattened: Option<bool>,
    #[serde(default)]
    pub xml_attribute: bool,
    pub xml_namespace: Option<XmlNamespace>,
    pub timestamp_format: Option<String>,
    /// A string header carrying base64-encoded JSON.
    #[serde(default)]
    pub jsonvalue: bool,
    #[serde(default)]
    pub idempotency_token: bool,
    #[serde(default)]
    pub host_label: bool,
    #[serde(default)]
    pub eventpayload: bool,
    #[serde(default)]
    pub streaming: bool,
    /// query protocol: the element wrapping an operation's output.
    pub result_wrapper: Option<String>,
}

/// `xmlNamespace` is either a bare URI or `{prefix, uri}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum XmlNamespace {
    Uri(String),
    Prefixed { prefix: Option<String>, uri: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ShapeType {
    Structure,
    List,
    Map,
    String,
    Integer,
    Long,
    Short,
    Byte,
    Float,
    Double,
    Boolean,
    Blob,
    Timestamp,
    BigInteger,
    BigDecimal,
}

impl ShapeType {
    /// Structures, lists and maps: the kinds that hold other values.
    pub fn is_container(self) -> bool {
        matches!(self, ShapeType::Structure | ShapeType::List | ShapeType::Map)
    }

    /// byte, short, integer and long.
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            ShapeType::Byte | ShapeType::Short | ShapeType::Integer | ShapeType::Long
        )
    }

    /// float and double.
    pub fn is_float(self) -> bool {
        matches!(self, ShapeType::Float | ShapeType::Double)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceShape {
    #[serde(rename = "type")]
    pub kind: ShapeType,
    // structure
    #[serde(default)]
    pub members: IndexMap<String, SourceRef>,
    #[serde(default)]
    pub required: Vec<String>,
    /// The member that is the whole HTTP body (rest protocols).
    pub payload: Option<String>,
    #[serde(default)]
    pub union: bool,
    #[serde(default)]
    pub document: bool,
    #[serde(default)]
    pub exception: bool,
    #[serde(default)]
    pub fault: bool,
    pub error: Option<ErrorTrait>,
    #[serde(default)]
    pub event: bool,
    #[serde(default)]
    pub eventstream: bool,
    // list and map
    pub member: Option<SourceRef>,
    pub key: Option<SourceRef>,
    pub value: Option<SourceRef>,
    #[serde(default)]
    pub flattened: bool,
    #[serde(default)]
    pub sparse: bool,
    pub location_name: Option<String>,
    // scalars
    #[serde(rename = "enum")]
    pub enum_values: Option<Vec<String>>,
    /// Minimum length (strings, blobs, lists, maps) or value (numbers).
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub pattern: Option<String>,
    pub timestamp_format: Option<String>,
    #[serde(default)]
    pub streaming: bool,
    #[serde(default)]
    pub requires_length: bool,
    #[serde(default)]
    pub sensitive: bool,
    pub xml_namespace: Option<XmlNamespace>,
}

/// The `error` trait of an exception shape.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorTrait {
    /// The wire error code when it differs from the shape name (query protocols).
    pub code: Option<String>,
    pub http_status_code: Option<u16>,
    #[serde(default)]
    pub sender_fault: bool,
}
