//! Decoding a request straight into any serde type, driven by the model.
//!
//! Each wire format has a serde `Deserializer` that walks the wire data and
//! the shape together: it reads the wire names, formats and encodings the
//! shape prescribes and hands the value to the target's visitor under its
//! model names. The target is a generated input struct (typed, one step
//! from the wire), or a [`Value`] built by [`ValueSeed`].
//!
//! Model constraints are checked as values pass. The first broken one stops
//! the decoding ([`Session::violation`]); the request is then read again into
//! a `Value` with constraints ignored, and [`crate::validate`] words every
//! violation as AWS does. Requests are nearly always valid, so the wording
//! costs nothing on their path.

pub(crate) mod cbor;
pub(crate) mod document;
pub(crate) mod query;
pub(crate) mod rest;
mod scalar;
pub(crate) mod text;
mod value;
pub(crate) mod xml;

use std::cell::Cell;

use nimbus_core::AwsError;
use serde::de::DeserializeSeed;

pub use value::ValueSeed;

use crate::model::{Member, Model, Shape};
use crate::protocol::Protocol;
use crate::validate::{self, MAX_DEPTH};

/// One decoding of one request: the model, and whether a constraint broke.
pub(crate) struct Session<'m> {
    pub model: &'m Model,
    pub protocol: Protocol,
    pub check_patterns: bool,
    /// The reporting pass: broken constraints do not stop the decoding.
    reporting: bool,
    /// A constraint broke (the decoding stopped there).
    invalid: Cell<bool>,
}

impl<'m> Session<'m> {
    pub fn new(model: &'m Model, protocol: Protocol) -> Self {
        Session {
            model,
            protocol,
            check_patterns: validate::checks_patterns(protocol),
            reporting: false,
            invalid: Cell::new(false),
        }
    }

    fn reporting(model: &'m Model, protocol: Protocol) -> Self {
        Session {
            reporting: true,
            ..Session::new(model, protocol)
        }
    }

    /// A value broke a model constraint: stops the decoding, unless this is
    /// the reporting pass, which reads on.
    pub fn violation<E: serde::de::Error>(&self) -> Result<(), E> {
        if self.reporting {
            Ok(())
        } else {
            self.invalid.set(true);
            Err(E::custom("a value breaks a model constraint"))
        }
    }

    /// `Ok` when `ok`, else a [`violation`](Self::violation).
    pub fn require<E: serde::de::Error>(&self, ok: bool) -> Result<(), E> {
        if ok { Ok(()) } else { self.violation() }
    }

    pub fn shape(&self, member: &Member) -> &'m Shape {
        self.model.shape(member.target)
    }
}

/// Fails with `error` from inside a deserializer.
pub(crate) fn fail<E: serde::de::Error>(error: AwsError) -> E {
    error.raise()
}

/// The error of input nested deeper than [`MAX_DEPTH`].
pub(crate) fn too_deep(protocol: Protocol) -> AwsError {
    let message = format!("Request nesting exceeds the supported depth of {MAX_DEPTH} levels");
    match protocol {
        Protocol::RestXml => crate::codec::xml::malformed_xml(),
        Protocol::Query | Protocol::Ec2 => AwsError::new("InvalidParameterValue", message, 400),
        _ => AwsError::new("SerializationException", message, 400),
    }
}

/// How a decoding ended, before the error is worded for the protocol.
pub(crate) enum Failure<E> {
    /// A decoder or a custom `Deserialize` impl raised this error.
    Raised(AwsError),
    /// A model constraint broke: the request must be read again to word it.
    Invalid,
    /// The wire format's own error (malformed JSON), or a target type's
    /// refusal (an integer too large for its field).
    Format(E),
}

/// Runs one decoding and sorts out how it failed.
pub(crate) fn run<T, E>(
    session: &Session<'_>,
    decode: impl FnOnce() -> Result<T, E>,
) -> Result<T, Failure<E>> {
    let _ = AwsError::take_raised();
    match decode() {
        Ok(value) => Ok(value),
        Err(error) => Err(match AwsError::take_raised() {
            Some(raised) => Failure::Raised(raised),
            None if session.invalid.get() => Failure::Invalid,
            None => Failure::Format(error),
        }),
    }
}

/// One request of one protocol, ready to feed any seed: the same reading
/// serves the target and, for a request that breaks a constraint, the
/// reporting pass.
pub(crate) trait Reader {
    /// The wire format's own error.
    type Error;

    /// Feeds the request to `seed`.
    fn read<T, S>(&self, session: &Session<'_>, seed: S) -> Result<T, Self::Error>
    where
        S: for<'de> DeserializeSeed<'de, Value = T>;

    /// Words the wire format's own error (malformed JSON, a value its field
    /// cannot hold) as the protocol's error.
    fn format_error(&self, error: Self::Error) -> AwsError;
}

/// Decodes one request into `seed`'s value: the input of `shape`.
pub(crate) fn decode<R, T, S>(
    reader: &R,
    model: &Model,
    protocol: Protocol,
    shape: &Shape,
    seed: S,
) -> Result<T, AwsError>
where
    R: Reader,
    S: for<'de> DeserializeSeed<'de, Value = T>,
{
    let session = Session::new(model, protocol);
    match run(&session, || reader.read(&session, seed)) {
        Ok(value) => Ok(value),
        Err(Failure::Format(error)) => Err(reader.format_error(error)),
        // A target's own rule (DynamoDB's attribute values) speaks after the
        // model's: a request that also breaks a constraint is told that.
        Err(Failure::Raised(error)) => Err(report(reader, model, protocol, shape).unwrap_or(error)),
        Err(Failure::Invalid) => Err(report(reader, model, protocol, shape).unwrap_or_else(|| {
            // The decoders and the walker disagree: a defect, worded as a
            // validation error all the same.
            AwsError::new(
                "ValidationException",
                "The request breaks a constraint of the service model",
                400,
            )
        })),
    }
}

/// Reads a request again, into a [`Value`], and words every constraint it
/// breaks; `None` when it breaks none.
fn report<R: Reader>(reader: &R, model: &Model, protocol: Protocol, shape: &Shape) -> Option<AwsError> {
    let session = Session::reporting(model, protocol);
    match run(&session, || reader.read(&session, ValueSeed::new(model, shape))) {
        Ok(value) => {
            let violations = validate::validate(model, protocol, shape, &value);
            (!violations.is_empty()).then(|| validate::validation_error(protocol, model, &violations))
        }
        Err(Failure::Raised(error)) => Some(error),
        Err(Failure::Format(error)) => Some(reader.format_error(error)),
        Err(Failure::Invalid) => Some(AwsError::internal("the reporting pass stopped at a constraint")),
    }
}

/// The error of the deserializers that read no wire format of their own
/// (XML trees, query parameters, text): a message; the AWS error a decoder
/// means travels beside it ([`AwsError::raise`]).
#[derive(Debug)]
pub struct WireError {
    message: String,
}

impl WireError {
    pub fn message(text: &str) -> Self {
        WireError {
            message: text.to_owned(),
        }
    }
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for WireError {}

impl serde::de::Error for WireError {
    fn custom<T: std::fmt::Display>(message: T) -> Self {
        WireError::message(&message.to_string())
    }
}
