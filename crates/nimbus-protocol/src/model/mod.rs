//! A service model compiled for the codecs: shapes and operations in arrays
//! addressed by index ([`ShapeId`], [`OperationId`]), every member carrying
//! the wire names and traits each protocol reads, resolved once.
//!
//! A vendored model is compiled on its first request ([`crate::models`]);
//! nothing is looked up by name on a request's path except the operation a
//! request names and the members a document names.

mod compile;
mod profile;
pub mod source;

use std::sync::OnceLock;

use http::HeaderName;
use regex_lite::Regex;

pub use compile::{capitalize, lower_first};
pub use profile::{ErrorSpec, Profile, SignatureErrors, Signing};
pub use source::{ErrorTrait, Http, Location, Metadata, ShapeType, XmlNamespace};

use crate::codec::rest::RouteIndex;
use crate::protocol::Protocol;
use crate::timestamp::TimestampFormat;

/// A shape's place in [`Model::shapes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShapeId(pub(crate) u32);

/// An operation's place in its service's *current* model: the same number
/// whichever wire variant of the model (SQS's query-era one) read the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OperationId(pub u16);

/// One compiled service model.
#[derive(Debug)]
pub struct Model {
    /// The vendored name (`sqs`, `sqs-query`), or `inline` for a model built from text.
    pub name: String,
    pub metadata: Metadata,
    /// The protocol of `metadata.protocol`, if nimbus knows it.
    pub protocol: Option<Protocol>,
    pub shapes: Vec<Shape>,
    pub operations: Vec<Operation>,
    /// The service's wire differences, from `metadata.nimbus`.
    pub profile: Profile,
    /// Shape names, sorted, with their ids.
    shape_names: Vec<(Box<str>, ShapeId)>,
    /// Operation names, sorted, with their positions in `operations`.
    operation_names: Vec<(Box<str>, usize)>,
    /// Exception shapes by every code that names them (the shape name and
    /// its `error.code`), sorted; the first shape (by name) wins a shared code.
    error_codes: Vec<(Box<str>, ShapeId)>,
    /// The rest protocols' route table, built on first use.
    pub(crate) routes: OnceLock<RouteIndex>,
}

/// One operation.
#[derive(Debug)]
pub struct Operation {
    pub name: String,
    /// Its position in its own model's `operations`.
    pub position: usize,
    /// Its id in the service's current model (equal to `position` there).
    pub id: OperationId,
    pub http: Http,
    pub input: Option<OperationRef>,
    pub output: Option<OperationRef>,
    pub errors: Vec<ShapeId>,
    pub deprecated: bool,
    pub http_checksum_required: bool,
    /// Called without a signature (STS's web identity and SAML calls).
    pub unsigned: bool,
}

/// An operation's input or output: the shape and the traits of that use.
#[derive(Debug, Clone)]
pub struct OperationRef {
    pub shape: ShapeId,
    pub location_name: Option<String>,
    pub xml_namespace: Option<XmlNamespace>,
    /// query protocol: the element around the output (`<OpResult>`).
    pub result_wrapper: Option<String>,
}

/// One shape.
#[derive(Debug)]
pub struct Shape {
    pub id: ShapeId,
    pub name: String,
    pub kind: ShapeType,
    /// Structure members, in model order.
    pub members: Vec<Member>,
    /// Member positions by member name, sorted by name.
    members_by_name: Vec<(Box<str>, u16)>,
    /// Member positions by JSON key, when some member's key differs from its name.
    members_by_json_key: Option<Vec<(Box<str>, u16)>>,
    /// The list member, or the map key and value.
    pub item: Option<Box<Member>>,
    pub key: Option<Box<Member>>,
    pub value: Option<Box<Member>>,
    /// The member that is the whole HTTP body (rest protocols).
    pub payload: Option<usize>,
    /// Structure members that must be present, by position.
    pub required: Vec<usize>,
    pub union: bool,
    pub document: bool,
    pub exception: bool,
    pub error: Option<ErrorTrait>,
    pub event_stream: bool,
    pub streaming: bool,
    pub flattened: bool,
    pub sparse: bool,
    pub sensitive: bool,
    pub location_name: Option<String>,
    pub xml_namespace: Option<XmlNamespace>,
    pub timestamp_format: Option<TimestampFormat>,
    pub constraints: Constraints,
}

/// What model validation checks of a value of the shape.
#[derive(Debug, Default)]
pub struct Constraints {
    pub enum_values: Option<Vec<String>>,
    /// Minimum length (strings, blobs, lists, maps) or value (numbers).
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub pattern: Option<Pattern>,
}

impl Constraints {
    pub fn is_empty(&self) -> bool {
        self.enum_values.is_none() && self.min.is_none() && self.max.is_none() && self.pattern.is_none()
    }
}

/// A `pattern` constraint: Java regular expressions AWS matches against the
/// whole value. regex-lite understands most; one it cannot compile
/// (look-around, `\p{L}`) is left unchecked rather than risk refusing input
/// AWS accepts.
#[derive(Debug)]
pub struct Pattern {
    pub source: String,
    compiled: OnceLock<Option<Regex>>,
}

impl Pattern {
    fn new(source: String) -> Self {
        Pattern {
            source,
            compiled: OnceLock::new(),
        }
    }

    /// Whether `value` satisfies the pattern; `true` when it is one we skip.
    pub fn matches(&self, value: &str) -> bool {
        self.compiled
            .get_or_init(|| Regex::new(&format!("^(?:{})$", self.source)).ok())
            .as_ref()
            .is_none_or(|regex| regex.is_match(value))
    }
}

/// One use of a shape: a structure member, a list member, a map key or value.
/// The `*_name`/`*_key` fields are what each wire format calls it, resolved
/// from the reference's and the target's traits as botocore resolves them.
#[derive(Debug)]
pub struct Member {
    /// The member name (`member`, `key` or `value` for list and map parts).
    pub name: String,
    /// The name in validation messages: the member name, first letter lowered.
    pub path_name: String,
    pub target: ShapeId,
    pub required: bool,
    pub location: Option<Location>,
    /// The reference's own `locationName`.
    pub location_name: Option<String>,
    /// The key in JSON bodies: the reference's `locationName`, else the name.
    pub json_key: String,
    /// The element (or attribute) in XML: `locationName` of the reference,
    /// else of the target, else the name.
    pub xml_name: String,
    /// Whether the reference or its target gave `xml_name`.
    pub has_xml_name: bool,
    /// The parameter segment of the query protocol (`locationName`, else the name).
    pub query_key: String,
    /// The parameter segment of the ec2 protocol (`queryName`, else the
    /// capitalized `locationName`, else the name).
    pub ec2_key: String,
    /// Whether the ec2 key came from `queryName` or a `locationName`.
    pub ec2_key_named: bool,
    /// The header of a `header`-bound member, parsed.
    pub header: Option<HeaderName>,
    /// A list or map: flattened on the reference or on the target.
    pub flattened: bool,
    pub xml_attribute: bool,
    /// The namespace the member's element declares (the reference's, or a
    /// prefixed one of the target's).
    pub xml_namespace: Option<XmlNamespace>,
    /// The reference's `timestampFormat`, else the target's.
    pub timestamp_format: Option<TimestampFormat>,
    pub jsonvalue: bool,
    pub idempotency_token: bool,
    pub host_label: bool,
    pub streaming: bool,
    pub event_payload: bool,
}

impl Model {
    /// Compiles a model from botocore JSON.
    pub fn from_json(json: &str) -> Result<Model, String> {
        Self::from_json_named("inline", json, None)
    }

    /// Compiles a model from botocore JSON; `canonical` is the service's
    /// current model when this is a wire variant of it, whose operation ids
    /// it then shares.
    pub fn from_json_named(name: &str, json: &str, canonical: Option<&Model>) -> Result<Model, String> {
        let source: source::SourceModel = serde_json::from_str(json).map_err(|e| e.to_string())?;
        compile::compile(name, source, canonical)
    }

    pub fn shape(&self, id: ShapeId) -> &Shape {
        &self.shapes[id.0 as usize]
    }

    pub fn shape_named(&self, name: &str) -> Option<&Shape> {
        find_sorted(&self.shape_names, name).map(|id| self.shape(*id))
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        find_sorted(&self.operation_names, name).map(|position| &self.operations[*position])
    }

    /// The operation with this id (for a wire variant: the one whose name
    /// the current model gives that id).
    pub fn operation_by_id(&self, id: OperationId) -> Option<&Operation> {
        self.operations.iter().find(|operation| operation.id == id)
    }

    /// The exception shape an error code names: the shape of that name, else
    /// the one whose `error.code` (its query-protocol code) it is.
    pub fn error_shape(&self, code: &str) -> Option<&Shape> {
        find_sorted(&self.error_codes, code).map(|id| self.shape(*id))
    }

    /// The shape of an operation's input, if it has one.
    pub fn input_of(&self, operation: &Operation) -> Option<&Shape> {
        operation.input.as_ref().map(|input| self.shape(input.shape))
    }

    /// The shape of an operation's output, if it has one.
    pub fn output_of(&self, operation: &Operation) -> Option<&Shape> {
        operation.output.as_ref().map(|output| self.shape(output.shape))
    }

    /// The shape a member refers to.
    pub fn target(&self, member: &Member) -> &Shape {
        self.shape(member.target)
    }
}

impl Shape {
    /// The member named `name` (its model name).
    pub fn member(&self, name: &str) -> Option<&Member> {
        self.member_position(name).map(|position| &self.members[position])
    }

    pub fn member_position(&self, name: &str) -> Option<usize> {
        if self.members.len() <= LINEAR_LOOKUP {
            return self.members.iter().position(|member| member.name == name);
        }
        find_sorted(&self.members_by_name, name).map(|position| usize::from(*position))
    }

    /// The member a JSON body names `key`.
    pub fn member_by_json_key(&self, key: &str) -> Option<usize> {
        match &self.members_by_json_key {
            None => self.member_position(key),
            Some(_) if self.members.len() <= LINEAR_LOOKUP => {
                self.members.iter().position(|member| member.json_key == key)
            }
            Some(by_key) => find_sorted(by_key, key).map(|position| usize::from(*position)),
        }
    }

    /// The payload member, if the shape names one.
    pub fn payload_member(&self) -> Option<&Member> {
        self.payload.map(|position| &self.members[position])
    }

    pub fn is_exception(&self) -> bool {
        self.exception || self.error.is_some()
    }

    /// The member carrying an exception's message (`Message` or `message`).
    pub fn message_member(&self) -> Option<&Member> {
        self.members
            .iter()
            .find(|member| member.name.eq_ignore_ascii_case("message"))
    }
}

/// Structures with at most this many members are searched in order: for so
/// few, comparing names beats a binary search.
const LINEAR_LOOKUP: usize = 8;

fn find_sorted<'a, T>(sorted: &'a [(Box<str>, T)], name: &str) -> Option<&'a T> {
    sorted
        .binary_search_by(|(key, _)| (**key).cmp(name))
        .ok()
        .map(|index| &sorted[index].1)
}
