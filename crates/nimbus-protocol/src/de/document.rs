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

/// The shape rules for one scalar value, free of the target's type.
struct Rules<'s, 'm> {
    s: &'s Session<'m>,
    format: Format,
    shape: &'m Shape,
    top: bool,
}

impl Rules<'_, '_> {
    fn kind(&self) -> ShapeType {
        self.shape.kind
    }

    fn mismatch<E: Error>(&self, token: Token) -> E {
        fail(mismatch_error(self.format, self.top, token, self.shape.kind))
    }

    /// A whole number, as the shape takes it.
    fn number<'t, E: Error>(&self, number: i128) -> Result<Scalar<'t>, E> {
        match self.kind() {
            kind if kind.is_integer() => {
                let value = integer_in_range(kind, number).map_err(fail)?;
                self.s.require(number_ok(self.shape, value as f64))?;
                Ok(Scalar::Integer(value))
            }
            kind if kind.is_float() => {
                self.s.require(number_ok(self.shape, number as f64))?;
                Ok(Scalar::Float(number as f64))
            }
            ShapeType::BigInteger | ShapeType::BigDecimal => Ok(Scalar::Digits(number.to_string())),
            ShapeType::Timestamp => {
                let seconds =
                    i64::try_from(number).map_err(|_| fail(serialization_error("Timestamp out of range")))?;
                Ok(Scalar::Timestamp(Timestamp { seconds, nanos: 0 }))
            }
            _ => Err(self.mismatch(Token::Integer)),
        }
    }

    /// A number with a fraction (or written as one), as the shape takes it.
    fn float<'t, E: Error>(&self, v: f64) -> Result<Scalar<'t>, E> {
        match self.kind() {
            kind if kind.is_integer() => {
                // 5.0 is an integer; 5.5 is not.
                if v.fract() == 0.0 && v.abs() < 1e20 {
                    self.number(v as i128)
                } else {
                    Err(fail(serialization_error(format!(
                        "{} can not be converted to {}",
                        float_text(self.format, v),
                        java_type(kind)
                    ))))
                }
            }
            kind if kind.is_float() => {
                self.s.require(number_ok(self.shape, v))?;
                Ok(Scalar::Float(v))
            }
            ShapeType::BigInteger | ShapeType::BigDecimal => Ok(Scalar::Digits(float_text(self.format, v))),
            ShapeType::Timestamp if v.is_finite() => {
                Ok(Scalar::Timestamp(Timestamp::from_epoch_seconds_f64(v)))
            }
            ShapeType::Timestamp => Err(fail(serialization_error(match self.format {
                Format::Json => format!("Invalid timestamp: {}", float_text(self.format, v)),
                Format::Cbor => "A timestamp must be a number of epoch seconds".to_owned(),
            }))),
            _ => Err(self.mismatch(Token::Float)),
        }
    }

    /// A text token, as the shape takes it.
    fn text<'t, E: Error>(&self, text: Cow<'t, str>) -> Result<Scalar<'t>, E> {
        match self.kind() {
            ShapeType::String | ShapeType::BigInteger | ShapeType::BigDecimal => {
                self.s
                    .require(string_ok(self.shape, &text, self.s.check_patterns))?;
                Ok(Scalar::Text(text))
            }
            kind if kind.is_float() => match special_float(&text) {
                Some(f) => Ok(Scalar::Float(f)),
                None => Err(self.mismatch(Token::Text)),
            },
            ShapeType::Blob if self.format == Format::Json => {
                let bytes = BASE64_LENIENT.decode(text.as_bytes()).map_err(|_| {
                    fail(serialization_error(format!(
                        "'{text}' is not valid base64 encoded data"
                    )))
                })?;
                self.s.require(length_ok(self.shape, bytes.len()))?;
                Ok(Scalar::Bytes(bytes))
            }
            // Every timestamp format is accepted whatever the shape says:
            // clients are not always strict about which one they send.
            ShapeType::Timestamp => match timestamp::parse(&text) {
                Some(t) => Ok(Scalar::Timestamp(t)),
                None => Err(fail(serialization_error(match self.format {
                    Format::Json => format!(
                        "Invalid timestamp: {}",
                        serde_json::to_string(&text).unwrap_or_default()
                    ),
                    Format::Cbor => "A timestamp must be a number of epoch seconds".to_owned(),
                }))),
            },
            _ => Err(self.mismatch(Token::Text)),
        }
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

/// What a nested value needs of its parent.
#[derive(Clone, Copy)]
struct Child<'s, 'm> {
    s: &'s Session<'m>,
    format: Format,
    shape: &'m Shape,
    required: bool,
    depth: usize,
}

impl<'s, 'm> Child<'s, 'm> {
    fn doc<D>(self, null: Option<&'s Cell<bool>>, inner: D) -> Doc<'s, 'm, D> {
        Doc {
            s: self.s,
            format: self.format,
            shape: self.shape,
            required: self.required,
            top: false,
            null,
            body_only: false,
            depth: self.depth,
            inner,
        }
    }
}

/// A nested value for the target's seed.
struct ChildSeed<'s, 'm, S> {
    child: Child<'s, 'm>,
    null: Option<&'s Cell<bool>>,
    seed: S,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for ChildSeed<'_, '_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(self.child.doc(self.null, deserializer))
    }
}

/// The positions of the members a structure has set (non-null).
#[derive(Default)]
struct Seen {
    first: u128,
    rest: Vec<usize>,
}

impl Seen {
    fn insert(&mut self, position: usize) {
        if position < 128 {
            self.first |= 1 << position;
        } else {
            self.rest.push(position);
        }
    }

    fn contains(&self, position: usize) -> bool {
        if position < 128 {
            self.first & (1 << position) != 0
        } else {
            self.rest.contains(&position)
        }
    }
}

/// A structure's members, keyed by their wire names in the document.
struct Members<'s, 'm, A> {
    s: &'s Session<'m>,
    format: Format,
    shape: &'m Shape,
    depth: usize,
    body_only: bool,
    map: A,
    current: usize,
    seen: Seen,
    /// Members set to something other than null.
    set: usize,
    null: Cell<bool>,
    check_required: bool,
}

impl<'de, A: MapAccess<'de>> Members<'_, '_, A> {
    /// The member a document key names, if it is one to read.
    fn member_of(&self, key: &str) -> Option<usize> {
        let position = match self.format {
            Format::Json => self.shape.member_by_json_key(key),
            // Member names are the wire names; clients that apply a
            // locationName are understood as well.
            Format::Cbor => self
                .shape
                .member_position(key)
                .or_else(|| self.shape.member_by_json_key(key)),
        }?;
        let bound_elsewhere = self.body_only && self.shape.members[position].location.is_some();
        (!bound_elsewhere).then_some(position)
    }

    fn finish(&self) -> Result<(), A::Error> {
        if self.shape.union && self.set > 1 {
            return Err(fail(serialization_error(format!(
                "A union must have exactly one member set, found {}",
                self.set
            ))));
        }
        if self.check_required {
            let missing = self.shape.required.iter().any(|&position| {
                let bound_elsewhere = self.body_only && self.shape.members[position].location.is_some();
                !(self.seen.contains(position) || bound_elsewhere)
            });
            self.s.require(!missing)?;
        }
        Ok(())
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Members<'_, '_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        loop {
            let Some(key) = self.map.next_key_seed(KeyText {
                format: self.format,
                structure: true,
            })?
            else {
                self.finish()?;
                return Ok(None);
            };
            match self.member_of(&key) {
                Some(position) => {
                    self.current = position;
                    return seed
                        .deserialize(MemberKey::<A::Error>::new(&self.shape.members[position]))
                        .map(Some);
                }
                // Unknown members are ignored, as AWS does.
                None => {
                    self.map.next_value::<IgnoredAny>()?;
                }
            }
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let member = &self.shape.members[self.current];
        let child = Child {
            s: self.s,
            format: self.format,
            shape: self.s.shape(member),
            required: member.required,
            depth: self.depth + 1,
        };
        self.null.set(false);
        let null = &self.null;
        let value = self.map.next_value_seed(ChildSeed {
            child,
            null: Some(null),
            seed,
        });
        let value = value?;
        if !self.null.get() {
            self.seen.insert(self.current);
            self.set += 1;
        }
        Ok(value)
    }
}

/// A map's entries; keys checked against the key shape.
struct Entries<'s, 'm, A> {
    s: &'s Session<'m>,
    format: Format,
    key: &'m Shape,
    value: Child<'s, 'm>,
    map_shape: &'m Shape,
    map: A,
    count: usize,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Entries<'_, '_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        let Some(key) = self.map.next_key_seed(KeyText {
            format: self.format,
            structure: false,
        })?
        else {
            self.s.require(length_ok(self.map_shape, self.count))?;
            return Ok(None);
        };
        self.count += 1;
        self.s.require(string_ok(self.key, &key, self.s.check_patterns))?;
        seed.deserialize(CowStrDeserializer::<A::Error>::new(key))
            .map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.map.next_value_seed(ChildSeed {
            child: self.value,
            null: None,
            seed,
        })
    }
}

/// A list's items.
struct Items<'s, 'm, A> {
    child: Child<'s, 'm>,
    list: &'m Shape,
    seq: A,
    count: usize,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Items<'_, '_, A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, A::Error> {
        let item = self.seq.next_element_seed(ChildSeed {
            child: self.child,
            null: None,
            seed,
        })?;
        match item {
            Some(item) => {
                self.count += 1;
                Ok(Some(item))
            }
            None => {
                self.child.s.require(length_ok(self.list, self.count))?;
                Ok(None)
            }
        }
    }
}

/// A key of the document: text, borrowed where the format allows.
struct KeyText {
    format: Format,
    structure: bool,
}

impl<'de> DeserializeSeed<'de> for KeyText {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Cow<'de, str>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyText {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a text key")
    }

    fn visit_borrowed_str<E: Error>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: Error>(self, v: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }

    fn visit_u64<E: Error>(self, _: u64) -> Result<Cow<'de, str>, E> {
        Err(self.not_text())
    }

    fn visit_i64<E: Error>(self, _: i64) -> Result<Cow<'de, str>, E> {
        Err(self.not_text())
    }

    fn visit_bytes<E: Error>(self, _: &[u8]) -> Result<Cow<'de, str>, E> {
        Err(self.not_text())
    }
}

impl KeyText {
    fn not_text<E: Error>(&self) -> E {
        let what = if self.structure { "Structure" } else { "Map" };
        let _ = self.format;
        fail(serialization_error(format!("{what} keys must be text strings")))
    }
}

/// A member's model name, as a key for the target: derived structs match
/// it against their fields' names, [`super::ValueSeed`] looks it up.
pub(crate) struct MemberKey<'m, E> {
    name: &'m str,
    error: std::marker::PhantomData<E>,
}

impl<'m, E> MemberKey<'m, E> {
    pub fn new(member: &'m Member) -> Self {
        MemberKey {
            name: &member.name,
            error: std::marker::PhantomData,
        }
    }
}

impl<'de, E: Error> Deserializer<'de> for MemberKey<'_, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_str(self.name)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// A model defect the codec cannot read around (a list without a member).
fn model_defect(shape: &Shape) -> AwsError {
    AwsError::internal(format!("shape {} of the service model is incomplete", shape.name))
}

/// Checks an integer against the range of its shape type (byte, short, ...).
pub(crate) fn integer_in_range(kind: ShapeType, value: i128) -> Result<i64, AwsError> {
    let (min, max) = match kind {
        ShapeType::Byte => (i128::from(i8::MIN), i128::from(i8::MAX)),
        ShapeType::Short => (i128::from(i16::MIN), i128::from(i16::MAX)),
        ShapeType::Integer => (i128::from(i32::MIN), i128::from(i32::MAX)),
        _ => (i128::from(i64::MIN), i128::from(i64::MAX)),
    };
    if (min..=max).contains(&value) {
        Ok(i64::try_from(value).unwrap_or_default())
    } else {
        Err(serialization_error(format!(
            "Value {value} is out of range for {}",
            java_type(kind)
        )))
    }
}

/// The Java type AWS's messages name for a shape type.
pub(crate) fn java_type(kind: ShapeType) -> &'static str {
    match kind {
        ShapeType::Structure => "a Structure",
        ShapeType::List => "a List",
        ShapeType::Map => "a Map",
        ShapeType::String => "a String",
        ShapeType::Integer => "an Integer",
        ShapeType::Long => "a Long",
        ShapeType::Short => "a Short",
        ShapeType::Byte => "a Byte",
        ShapeType::Float => "a Float",
        ShapeType::Double => "a Double",
        ShapeType::Boolean => "a Boolean",
        ShapeType::Blob => "a ByteBuffer",
        ShapeType::Timestamp => "a Date",
        ShapeType::BigInteger => "a BigInteger",
        ShapeType::BigDecimal => "a BigDecimal",
    }
}

/// The special float spellings of the JSON protocols.
pub(crate) fn special_float(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// A float as the format writes it (JSON: serde_json's shortest form).
fn float_text(format: Format, v: f64) -> String {
    match format {
        Format::Json => serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string()),
        Format::Cbor => v.to_string(),
    }
}

/// A token where the shape wants something else, as AWS words it.
fn mismatch_error(format: Format, top: bool, token: Token, expected: ShapeType) -> AwsError {
    if top {
        return serialization_error(match format {
            Format::Json => "The request body must be a JSON object",
            Format::Cbor => "The request body must be a CBOR map",
        });
    }
    let message = match format {
        Format::Json => match token {
            Token::Object => "Start of structure or map found where not expected.".to_owned(),
            Token::Array => "Start of list found where not expected".to_owned(),
            Token::Text | Token::Bytes => {
                format!("STRING_VALUE can not be converted to {}", java_type(expected))
            }
            Token::Integer | Token::Float => {
                format!("NUMBER_VALUE can not be converted to {}", java_type(expected))
            }
            Token::Bool(true) => format!("TRUE_VALUE can not be converted to {}", java_type(expected)),
            Token::Bool(false) => format!("FALSE_VALUE can not be converted to {}", java_type(expected)),
            Token::Null => format!("null can not be converted to {}", java_type(expected)),
        },
        Format::Cbor => {
            let found = match token {
                Token::Integer => "an integer",
                Token::Bytes => "a byte string",
                Token::Float => "a float",
                Token::Text => "a text string",
                Token::Bool(_) => "a boolean",
                Token::Null => "null",
                Token::Array => "an array",
                Token::Object => "a map",
            };
            format!("Found {found} where {} was expected", java_type(expected))
        }
    };
    serialization_error(message)
}
