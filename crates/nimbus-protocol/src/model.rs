//! AWS service models in botocore's JSON form (`service-2.json`), as data.
//!
//! The structs mirror botocore's keys one for one, so a vendored model (or a
//! golden test case's inline shapes) deserializes straight into them. Keys we
//! do not use are ignored.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use indexmap::IndexMap;
use serde::Deserialize;

/// The hasher of the model's shape and member maps, looked up dozens of
/// times per request. Their keys are the model's own names, fixed when it is
/// loaded and never inserted from requests, so SipHash's defence against
/// chosen keys buys nothing here; a multiply-rotate hash (rustc's FxHash
/// scheme) costs a fraction of it.
pub type NameHash = BuildHasherDefault<NameHasher>;

/// See [`NameHash`].
#[derive(Debug, Default, Clone, Copy)]
pub struct NameHasher(u64);

impl NameHasher {
    const SEED: u64 = 0xf135_7aea_2e62_a9c5;

    fn add(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(Self::SEED).rotate_left(26);
    }
}

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// One service: its metadata, operations and shapes.
#[derive(Debug, Deserialize)]
pub struct ServiceModel {
    pub metadata: Metadata,
    #[serde(default)]
    pub operations: IndexMap<String, Operation>,
    #[serde(default)]
    pub shapes: HashMap<String, Shape, NameHash>,
    /// The rest protocols' route table, built on first use and kept with the
    /// model so it lives exactly as long as the model does.
    #[serde(skip)]
    pub(crate) rest_routes: std::sync::OnceLock<crate::codec::rest::RouteIndex>,
}

#[derive(Debug, Default, Deserialize)]
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
pub struct Operation {
    pub name: String,
    pub http: Http,
    pub input: Option<ShapeRef>,
    pub output: Option<ShapeRef>,
    #[serde(default)]
    pub errors: Vec<ShapeRef>,
    /// `{"hostPrefix": "..."}` for operations with a host label prefix.
    pub endpoint: Option<serde_json::Value>,
    #[serde(default)]
    pub http_checksum_required: bool,
    pub http_checksum: Option<serde_json::Value>,
    pub request_compression: Option<serde_json::Value>,
    /// Deprecated operations lose to their successors on shared routes
    /// (S3's `GetBucketLifecycle` vs `GetBucketLifecycleConfiguration`).
    #[serde(default)]
    pub deprecated: bool,
    /// Where this operation is in its model's `operations`, found on first
    /// use (the rest route table is indexed by it).
    #[serde(skip)]
    position: std::sync::OnceLock<Option<usize>>,
}

impl Operation {
    /// This operation's index in `model.operations` (`model` being the
    /// model it belongs to).
    pub fn position_in(&self, model: &ServiceModel) -> Option<usize> {
        *self
            .position
            .get_or_init(|| model.operations.get_index_of(&self.name))
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Http {
    #[serde(default = "default_method")]
    pub method: String,
    #[serde(default = "default_uri")]
    pub request_uri: String,
    /// The success status code (rest protocols), 200 when absent.
    pub response_code: Option<u16>,
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
pub struct ShapeRef {
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
    /// The header this member is bound to, parsed on first use: a response
    /// writes it and a request reads it on every call.
    #[serde(skip)]
    header_name: std::sync::OnceLock<Option<http::HeaderName>>,
}

impl ShapeRef {
    /// The header name of a `header`-bound member (`locationName`, else
    /// `member_name`, the name this reference has in its structure); `None`
    /// when it is not a valid header name.
    pub fn header_name(&self, member_name: &str) -> Option<&http::HeaderName> {
        self.header_name
            .get_or_init(|| {
                let wire_name = self.location_name.as_deref().unwrap_or(member_name);
                http::HeaderName::from_bytes(wire_name.as_bytes()).ok()
            })
            .as_ref()
    }
}

/// `xmlNamespace` is either a bare URI or `{prefix, uri}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum XmlNamespace {
    Uri(String),
    Prefixed { prefix: Option<String>, uri: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
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

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shape {
    #[serde(rename = "type")]
    pub kind: ShapeType,
    // structure
    #[serde(default)]
    pub members: IndexMap<String, ShapeRef, NameHash>,
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
    #[serde(default)]
    pub wrapper: bool,
    // list and map
    pub member: Option<ShapeRef>,
    pub key: Option<ShapeRef>,
    pub value: Option<ShapeRef>,
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

impl ServiceModel {
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The shape a reference points to. Models are closed, so a dangling
    /// reference is a defect in the vendored model, caught by the model tests.
    pub fn shape(&self, name: &str) -> &Shape {
        self.shapes
            .get(name)
            .unwrap_or_else(|| panic!("shape {name} is not in the model"))
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }
}

/// Shapes looked up while one message is decoded, encoded or validated,
/// remembered by the address of their name: a message names few shapes many
/// times (every attribute value of every item), and comparing addresses is
/// cheaper than hashing names. Every name comes from the model or the
/// caller and outlives the memo.
pub struct ShapeLookups<'m> {
    model: &'m ServiceModel,
    seen: RefCell<Vec<(*const u8, usize, Option<&'m Shape>)>>,
}

impl<'m> ShapeLookups<'m> {
    pub fn new(model: &'m ServiceModel) -> Self {
        ShapeLookups {
            model,
            seen: RefCell::default(),
        }
    }

    /// The shape named `shape_name`, if the model has it.
    pub fn get(&self, shape_name: &str) -> Option<&'m Shape> {
        let key = (shape_name.as_ptr(), shape_name.len());
        let mut seen = self.seen.borrow_mut();
        if let Some((_, _, shape)) = seen.iter().find(|(ptr, len, _)| (*ptr, *len) == key) {
            return *shape;
        }
        let shape = self.model.shapes.get(shape_name);
        seen.push((key.0, key.1, shape));
        shape
    }
}
