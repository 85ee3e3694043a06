//! AWS-shaped errors. The protocol layer renders them in each protocol's own
//! envelope; services and codecs only say *what* went wrong.

use std::borrow::Cow;
use std::fmt;

use indexmap::IndexMap;

use crate::Value;

/// An error as AWS reports it: a code, a message, an HTTP status, and any
/// extra members of the error structure (S3's `Key`, DynamoDB's `Item`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct AwsError {
    /// The error code clients match on, e.g. `NoSuchBucket`, `ValidationError`.
    pub code: Cow<'static, str>,
    pub message: String,
    /// HTTP status code of the response.
    pub status: u16,
    /// `Sender` (client fault) or `Receiver` (server fault), for query protocols.
    pub sender_fault: bool,
    /// Extra members rendered beside code and message, keyed by model member name.
    pub fields: Fields,
}

/// The extra members of an error, which most errors have none of: kept
/// behind one pointer, so an `AwsError` (every handler's `Err`) stays small.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields(Option<Box<IndexMap<String, Value>>>);

impl Fields {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.as_ref()?.get(name)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn insert(&mut self, name: String, value: Value) {
        self.0.get_or_insert_with(Box::default).insert(name, value);
    }

    pub fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|fields| fields.is_empty())
    }

    pub fn iter(&self) -> indexmap::map::Iter<'_, String, Value> {
        static NONE: std::sync::OnceLock<IndexMap<String, Value>> = std::sync::OnceLock::new();
        match &self.0 {
            Some(fields) => fields.iter(),
            None => NONE.get_or_init(IndexMap::new).iter(),
        }
    }
}

impl From<IndexMap<String, Value>> for Fields {
    fn from(fields: IndexMap<String, Value>) -> Self {
        Fields((!fields.is_empty()).then(|| Box::new(fields)))
    }
}

impl<'a> IntoIterator for &'a Fields {
    type Item = (&'a String, &'a Value);
    type IntoIter = indexmap::map::Iter<'a, String, Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl std::ops::Index<&str> for Fields {
    type Output = Value;

    fn index(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.get(name).unwrap_or(&NULL)
    }
}

impl AwsError {
    pub fn new(code: impl Into<Cow<'static, str>>, message: impl Into<String>, status: u16) -> Self {
        AwsError {
            code: code.into(),
            message: message.into(),
            status,
            sender_fault: status < 500,
            fields: Fields::default(),
        }
    }

    /// Adds an extra member to the error body.
    pub fn with_field(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.fields.insert(name.into(), value.into());
        self
    }

    /// An operation of a known service that nimbus does not implement (yet).
    pub fn not_implemented(service: &str, operation: &str) -> Self {
        AwsError::new(
            "NotImplemented",
            format!("The operation {operation} of service {service} is not implemented by nimbus yet"),
            501,
        )
    }

    /// A failure inside nimbus, never the client's fault.
    pub fn internal(message: impl Into<String>) -> Self {
        AwsError::new("InternalError", message, 500)
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for AwsError {}

thread_local! {
    /// The error a decoder raised through serde (see [`AwsError::raise`]).
    static RAISED: std::cell::RefCell<Option<AwsError>> = const { std::cell::RefCell::new(None) };
}

impl AwsError {
    /// Fails a serde deserialization with this error: serde's error types
    /// carry only text, so the error waits beside them (per thread: decoding
    /// never awaits) until the decoder that started the deserialization
    /// takes it with [`AwsError::take_raised`]. A custom `Deserialize` impl
    /// (DynamoDB's attribute values) raises its service's errors this way.
    pub fn raise<E: serde::de::Error>(self) -> E {
        let text = self.to_string();
        RAISED.with(|raised| *raised.borrow_mut() = Some(self));
        E::custom(text)
    }

    /// The error last raised on this thread, if any; taking it clears it.
    pub fn take_raised() -> Option<AwsError> {
        RAISED.with(|raised| raised.borrow_mut().take())
    }
}
