//! The document walker: a value of a shape read from a self-describing
//! format, JSON (awsJson and rest-json bodies) or CBOR (rpcv2Cbor bodies).
//! It wraps the format's own streaming deserializer, takes whatever token
//! comes next and answers the target with what the shape makes of it:
//! members under their model names, blobs decoded from base64 (JSON) or
//! taken as bytes (CBOR), timestamps from epoch numbers or any text format,
//! the special floats from their names; anything else is the protocol's
//! serialization error in AWS's words.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use nimbus_core::{AwsError, Timestamp};
use serde::de::value::CowStrDeserializer;
use serde::de::{
    DeserializeSeed, Deserializer, EnumAccess, Error, IgnoredAny, MapAccess, SeqAccess, VariantAccess,
    Visitor,
};
use serde::{Deserialize, forward_to_deserialize_any};

use super::scalar::{Scalar, never_text, text_as_it_came};
use super::{Session, fail, too_deep};
use crate::model::{Member, Shape, ShapeType};
use crate::timestamp;
use crate::validate::MAX_DEPTH;
use crate::validate::rules::{length_ok, number_ok, string_ok};

mod containers;
mod rules;

pub(crate) use containers::MemberKey;
use containers::*;
use rules::*;

/// Accepts base64 with or without padding: clients differ.
const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Which format the document is in: they differ in blobs, timestamps and
/// the wording of a value that does not fit its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Cbor,
}

/// The error AWS json services give for a body that does not fit its shape.
pub(crate) fn serialization_error(message: impl Into<String>) -> AwsError {
    AwsError::new("SerializationException", message, 400)
}

/// A value of `shape` in a document, read through `inner`.
pub(crate) struct Doc<'s, 'm, D> {
    pub s: &'s Session<'m>,
    pub format: Format,
    pub shape: &'m Shape,
    /// The value is a required member's: a null breaks a constraint.
    pub required: bool,
    /// The top of the document, which must be an object (map).
    pub top: bool,
    /// Where the walker says the value was null (an absent member).
    pub null: Option<&'s Cell<bool>>,
    /// Rest protocols: members bound to headers, labels or the query string
    /// are not read from the body.
    pub body_only: bool,
    pub depth: usize,
    pub inner: D,
}

impl<'s, 'm, D> Doc<'s, 'm, D> {
    /// The top of a document holding a structure of `shape`.
    pub fn top(s: &'s Session<'m>, format: Format, shape: &'m Shape, body_only: bool, inner: D) -> Self {
        Doc {
            s,
            format,
            shape,
            required: false,
            top: true,
            null: None,
            body_only,
            depth: 0,
            inner,
        }
    }

    fn expect<V>(self, visitor: V) -> (Expect<'s, 'm, V>, D) {
        let expect = Expect {
            s: self.s,
            format: self.format,
            shape: self.shape,
            required: self.required,
            top: self.top,
            null: self.null,
            body_only: self.body_only,
            depth: self.depth,
            visitor,
        };
        (expect, self.inner)
    }
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Doc<'_, '_, D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        if self.depth > MAX_DEPTH {
            return Err(fail(too_deep(self.s.protocol)));
        }
        if self.shape.document {
            let json = serde_json::Value::deserialize(self.inner)?;
            return visitor
                .visit_newtype_struct(json)
                .map_err(|e| D::Error::custom(e.to_string()));
        }
        let (expect, inner) = self.expect(visitor);
        inner.deserialize_any(expect)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let (expect, inner) = self.expect(visitor);
        inner.deserialize_option(OptionExpect(expect))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_ignored_any(visitor)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier
    }
}

/// What the walker expects of the next token; answers `visitor` with it.
pub(crate) struct Expect<'s, 'm, V> {
    s: &'s Session<'m>,
    format: Format,
    shape: &'m Shape,
    required: bool,
    top: bool,
    null: Option<&'s Cell<bool>>,
    body_only: bool,
    depth: usize,
    visitor: V,
}

/// A token of the document, to word a mismatch.
#[derive(Clone, Copy)]
enum Token {
    Object,
    Array,
    Text,
    Integer,
    Float,
    Bool(bool),
    Null,
    Bytes,
}

impl<'s, 'm, V> Expect<'s, 'm, V> {
    fn kind(&self) -> ShapeType {
        self.shape.kind
    }

    /// The error of a token where the shape wants something else, in AWS's wording.
    fn mismatch<E: Error>(&self, token: Token) -> E {
        fail(mismatch_error(self.format, self.top, token, self.shape.kind))
    }

    fn child(&self, shape: &'m Shape, required: bool) -> Child<'s, 'm> {
        Child {
            s: self.s,
            format: self.format,
            shape,
            required,
            depth: self.depth + 1,
        }
    }

    fn null_seen(&self) {
        if let Some(null) = self.null {
            null.set(true);
        }
    }

    /// A whole number, as the shape takes it.
    fn number<'de, E: Error>(self, number: i128) -> Result<V::Value, E>
    where
        V: Visitor<'de>,
    {
        let scalar = self.rules().number(number)?;
        scalar.hand(self.visitor, never_text)
    }

    /// What the shape rules say of a value, apart from the target: one
    /// copy of them, not one per target type.
    fn rules(&self) -> Rules<'s, 'm> {
        Rules {
            s: self.s,
            format: self.format,
            shape: self.shape,
            top: self.top,
        }
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Expect<'_, '_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a value of {}", self.shape.name)
    }

    fn visit_bool<E: Error>(self, v: bool) -> Result<V::Value, E> {
        match self.kind() {
            ShapeType::Boolean => self.visitor.visit_bool(v),
            _ => Err(self.mismatch(Token::Bool(v))),
        }
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<V::Value, E> {
        self.number(i128::from(v))
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<V::Value, E> {
        self.number(i128::from(v))
    }

    fn visit_i128<E: Error>(self, v: i128) -> Result<V::Value, E> {
        self.number(v)
    }

    fn visit_u128<E: Error>(self, v: u128) -> Result<V::Value, E> {
        self.number(i128::try_from(v).unwrap_or(i128::MAX))
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<V::Value, E> {
        let scalar = self.rules().float(v)?;
        scalar.hand(self.visitor, never_text)
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<V::Value, E> {
        self.text(Cow::Borrowed(v), text_as_it_came)
    }

    fn visit_borrowed_str<E: Error>(self, v: &'de str) -> Result<V::Value, E> {
        let borrowed: Cow<'_, str> = Cow::Borrowed(v);
        self.text(borrowed, |visitor, text| match text {
            Cow::Borrowed(_) => visitor.visit_borrowed_str(v),
            Cow::Owned(text) => visitor.visit_string(text),
        })
    }

    fn visit_string<E: Error>(self, v: String) -> Result<V::Value, E> {
        self.text(Cow::Owned(v), |visitor, text| {
            visitor.visit_string(text.into_owned())
        })
    }

    fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<V::Value, E> {
        match self.kind() {
            ShapeType::Blob => {
                self.s.require(length_ok(self.shape, v.len()))?;
                self.visitor.visit_bytes(v)
            }
            _ => Err(self.mismatch(Token::Bytes)),
        }
    }

    fn visit_byte_buf<E: Error>(self, v: Vec<u8>) -> Result<V::Value, E> {
        match self.kind() {
            ShapeType::Blob => {
                self.s.require(length_ok(self.shape, v.len()))?;
                self.visitor.visit_byte_buf(v)
            }
            _ => Err(self.mismatch(Token::Bytes)),
        }
    }

    fn visit_unit<E: Error>(self) -> Result<V::Value, E> {
        self.null_seen();
        if self.required {
            self.s.violation()?;
        }
        if self.top {
            return Err(self.mismatch(Token::Null));
        }
        self.visitor.visit_unit()
    }

    fn visit_none<E: Error>(self) -> Result<V::Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        if self.kind() != ShapeType::List || self.top {
            return Err(self.mismatch(Token::Array));
        }
        let item = self
            .shape
            .item
            .as_deref()
            .ok_or_else(|| fail(model_defect(self.shape)))?;
        let items = Items {
            child: self.child(self.s.shape(item), false),
            list: self.shape,
            seq,
            count: 0,
        };
        self.visitor.visit_seq(items)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        match self.kind() {
            ShapeType::Structure => {
                let members = Members {
                    s: self.s,
                    format: self.format,
                    shape: self.shape,
                    depth: self.depth,
                    body_only: self.body_only,
                    map,
                    current: 0,
                    seen: Seen::default(),
                    set: 0,
                    null: Cell::new(false),
                    check_required: true,
                };
                self.visitor.visit_map(members)
            }
            ShapeType::Map if !self.top => {
                let (key, value) = match (&self.shape.key, &self.shape.value) {
                    (Some(key), Some(value)) => (self.s.shape(key), self.s.shape(value)),
                    _ => return Err(fail(model_defect(self.shape))),
                };
                let entries = Entries {
                    s: self.s,
                    format: self.format,
                    key,
                    value: self.child(value, false),
                    map_shape: self.shape,
                    map,
                    count: 0,
                };
                self.visitor.visit_map(entries)
            }
            _ => Err(self.mismatch(Token::Object)),
        }
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        // CBOR tags (epoch time is tag 1): the tagged item, read by the shape.
        let (_tag, variant): (IgnoredAny, _) = data.variant()?;
        variant.newtype_variant_seed(self)
    }
}

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for Expect<'_, '_, V> {
    type Value = V::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'s, 'm, V> Expect<'s, 'm, V> {
    /// A text token, as the shape takes it; `forward` hands text on to the
    /// target in the form it came (borrowed or owned).
    fn text<'de, 't, E: Error>(
        self,
        text: Cow<'t, str>,
        forward: impl FnOnce(V, Cow<'t, str>) -> Result<V::Value, E>,
    ) -> Result<V::Value, E>
    where
        V: Visitor<'de>,
    {
        self.rules().text(text)?.hand(self.visitor, forward)
    }
}

/// `deserialize_option`: a null is absent; anything else is the value.
struct OptionExpect<'s, 'm, V>(Expect<'s, 'm, V>);

impl<'de, V: Visitor<'de>> Visitor<'de> for OptionExpect<'_, '_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    fn visit_none<E: Error>(self) -> Result<V::Value, E> {
        self.0.null_seen();
        self.0.visitor.visit_none()
    }

    fn visit_unit<E: Error>(self) -> Result<V::Value, E> {
        self.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        let expect = self.0;
        let doc = Doc {
            s: expect.s,
            format: expect.format,
            shape: expect.shape,
            required: expect.required,
            top: expect.top,
            null: expect.null,
            body_only: expect.body_only,
            depth: expect.depth,
            inner: deserializer,
        };
        expect.visitor.visit_some(doc)
    }
}
