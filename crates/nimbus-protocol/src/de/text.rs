//! Scalars carried as text: URI labels, query-string values and headers of
//! the rest protocols, XML element text, and query-protocol parameters. The
//! shape says how to read the text; each source words a text that does not
//! fit in its own way.

use std::borrow::Cow;
use std::marker::PhantomData;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use nimbus_core::AwsError;
use serde::de::{Deserializer, Error, Visitor};
use serde::forward_to_deserialize_any;

use super::scalar::{Scalar, text_as_it_came};
use super::{Session, fail};
use crate::model::{Shape, ShapeType};
use crate::timestamp;
use crate::validate::rules::{length_ok, number_ok, string_ok};

/// The reading rules of one source of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextRules {
    /// Labels, query strings and headers: booleans in any case, strict base64.
    Binding,
    /// XML element text: booleans exactly `true`/`false`.
    Xml,
    /// Query-protocol parameters.
    Query,
}

/// Words a text that does not fit its shape; gets the text and what was
/// expected of it (`an integer`).
pub(crate) type Complaint<'c> = &'c dyn Fn(&str, &str) -> AwsError;

/// A scalar of `shape` from `text`.
pub(crate) struct TextDe<'s, 'm, 't, 'c, E> {
    pub s: &'s Session<'m>,
    pub shape: &'m Shape,
    pub text: Cow<'t, str>,
    pub rules: TextRules,
    pub complaint: Complaint<'c>,
    pub error: PhantomData<E>,
}

impl<'s, 'm, 't, 'c, E> TextDe<'s, 'm, 't, 'c, E> {
    pub fn new(
        s: &'s Session<'m>,
        shape: &'m Shape,
        text: Cow<'t, str>,
        rules: TextRules,
        complaint: Complaint<'c>,
    ) -> Self {
        TextDe {
            s,
            shape,
            text,
            rules,
            complaint,
            error: PhantomData,
        }
    }
}

impl<E: Error> TextDe<'_, '_, '_, '_, E> {
    fn complain(&self, expected: &str) -> E {
        fail((self.complaint)(&self.text, expected))
    }

    /// The text without surrounding whitespace, for everything but strings
    /// (XML keeps the text of a blob whole: line breaks are skipped).
    fn trimmed(&self) -> &str {
        self.text.trim()
    }
}

impl<'t, E: Error> TextDe<'_, '_, 't, '_, E> {
    /// The text read as its shape says, apart from the target type.
    fn scalar(self) -> Result<Scalar<'t>, E> {
        let shape = self.shape;
        let scalar = match shape.kind {
            ShapeType::String | ShapeType::BigInteger | ShapeType::BigDecimal => {
                self.s
                    .require(string_ok(shape, &self.text, self.s.check_patterns))?;
                Scalar::Text(self.text)
            }
            kind if kind.is_integer() => {
                let number: i64 = self.trimmed().parse().map_err(|_| self.complain("an integer"))?;
                self.s.require(number_ok(shape, number as f64))?;
                Scalar::Integer(number)
            }
            kind if kind.is_float() => {
                let number = match self.rules {
                    TextRules::Binding => parse_binding_float(self.trimmed()),
                    TextRules::Xml | TextRules::Query => parse_float(self.trimmed()),
                }
                .ok_or_else(|| self.complain("a number"))?;
                self.s.require(number_ok(shape, number))?;
                Scalar::Float(number)
            }
            ShapeType::Boolean => {
                let text = self.trimmed();
                let flag = match self.rules {
                    TextRules::Xml => match text {
                        "true" => Some(true),
                        "false" => Some(false),
                        _ => None,
                    },
                    TextRules::Binding | TextRules::Query => parse_bool(text),
                };
                Scalar::Bool(flag.ok_or_else(|| self.complain("a boolean (true or false)"))?)
            }
            ShapeType::Timestamp => {
                let text = match self.rules {
                    TextRules::Xml => self.trimmed(),
                    TextRules::Binding | TextRules::Query => &self.text,
                };
                Scalar::Timestamp(
                    timestamp::parse(text).ok_or_else(|| self.complain("an ISO 8601 timestamp"))?,
                )
            }
            ShapeType::Blob => {
                let bytes = match self.rules {
                    TextRules::Binding => BASE64.decode(self.trimmed()).ok(),
                    TextRules::Xml | TextRules::Query => decode_base64(&self.text),
                }
                .ok_or_else(|| self.complain("base64-encoded data"))?;
                self.s.require(length_ok(shape, bytes.len()))?;
                Scalar::Bytes(bytes)
            }
            _ => return Err(self.complain("a value")),
        };
        Ok(scalar)
    }
}

impl<'de, E: Error> Deserializer<'de> for TextDe<'_, '_, '_, '_, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        self.scalar()?.hand(visitor, text_as_it_came)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_some(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// Booleans as AWS's front ends read them, case-insensitively.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A float of a label, query value or header: the special names, or a
/// finite decimal.
fn parse_binding_float(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => text.parse().ok().filter(|f: &f64| f.is_finite()),
    }
}

/// A float in AWS's spelling (`NaN`, `Infinity`, `-Infinity`) or decimal notation.
pub(crate) fn parse_float(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        // Rust also reads `inf` and `nan`; AWS does not write those.
        _ if text
            .bytes()
            .any(|b| b.is_ascii_alphabetic() && !matches!(b, b'e' | b'E')) =>
        {
            None
        }
        _ => text.parse().ok(),
    }
}

/// Standard base64, ignoring the line breaks some encoders insert.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    if !text.bytes().any(|b| b.is_ascii_whitespace()) {
        return BASE64.decode(text).ok();
    }
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    BASE64.decode(compact).ok()
}
