//! Encoding any serde value onto the wire, driven by the model: the typed
//! outputs services return, and [`Value`](nimbus_core::Value)s (error
//! fields, the protocol tests). Each format has a serde `Serializer` that
//! walks the value and its shape together and writes the wire form the
//! shape prescribes: JSON and CBOR documents ([`document`]), XML
//! ([`xml`]), and rest responses' headers and status ([`rest`]).
//!
//! Members arrive in model order from generated structs (their fields are
//! the shape's members in order), so each is found by position; a field
//! out of order or a map keyed by member names is looked up by name.

pub(crate) mod capture;
pub(crate) mod document;
pub(crate) mod rest;
pub(crate) mod sink;
pub(crate) mod text;
pub(crate) mod xml;

use std::fmt;

use crate::model::{Member, Shape};

/// An encoding that could not go on: a value whose `Serialize` refused
/// itself, or one that fits no wire form of its shape.
#[derive(Debug)]
pub struct SerError(pub String);

impl fmt::Display for SerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SerError {}

impl serde::ser::Error for SerError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        SerError(message.to_string())
    }
}

/// The member a structure field names: the one at `position` when its name
/// matches (fields come in model order), else the one of that name.
pub(crate) fn member_for<'m>(shape: &'m Shape, position: usize, name: &str) -> Option<(usize, &'m Member)> {
    match shape.members.get(position) {
        Some(member) if member.name == name => Some((position, member)),
        _ => {
            let position = shape.member_position(name)?;
            Some((position, &shape.members[position]))
        }
    }
}

/// Implements the `Serializer` methods a serializer does not take: each
/// refuses the value with an error naming what it got.
macro_rules! refuse {
    ($($method:ident)*) => {
        $( $crate::ser::refuse!(@one $method); )*
    };
    (@one bool) => { fn serialize_bool(self, _: bool) -> Result<Self::Ok, Self::Error> { Err($crate::ser::refused("a boolean")) } };
    (@one i8) => { fn serialize_i8(self, _: i8) -> Result<Self::Ok, Self::Error> { Err($crate::ser::refused("a number")) } };
    (@one i16) => { fn serialize_i16(self, _: i16) -> Result<Self::Ok, Self::Error> { Err($crate::ser::refused("a number")) } };
    (@one i32) => { fn serialize_i32(self, _: i32) -> Result<Self::Ok, Self::Error> { Err($crate::ser::refused("a number")) } };
    (@one i64) => { fn serialize_i64(self, _: i64) -> Result<Self::Ok, Self::Error> { Err($crate::ser::refused("a number")) } };
    (@one u8) => { fn serialize_u8(self, _: u8) -> Result<Self::Ok, Self::Error> { Err($crate::ser::refused("a number")) } };
    (@one u16) => { fn serialize_u16(self, _: u16) -> Result<Self::Ok, Self::Error> { Err($crate::ser::refused("a number")) } };
    (@one u32) => { fn serialize_u32(self, _: u32) -> Result<Self::Ok, Self::Error> { Err($crate::ser::refused("a number")) } };
    (@one u64) => { fn serialize_u64(self, _: u64) -> Result<Self::Ok, Self::Error> { Err($crate::ser::refused("a number")) } };
    (@one f32) => { fn serialize_f32(self, _: f32) -> Result<Self::Ok, Self::Error> { Err($crate::ser::refused("a number")) } };
    (@one f64) => { fn serialize_f64(self, _: f64) -> Result<Self::Ok, Self::Error> { Err($crate::ser::refused("a number")) } };
    (@one char) => { fn serialize_char(self, _: char) -> Result<Self::Ok, Self::Error> { Err($crate::ser::refused("a character")) } };
    (@one str) => { fn serialize_str(self, _: &str) -> Result<Self::Ok, Self::Error> { Err($crate::ser::refused("a text")) } };
    (@one bytes) => { fn serialize_bytes(self, _: &[u8]) -> Result<Self::Ok, Self::Error> { Err($crate::ser::refused("bytes")) } };
    (@one none) => { fn serialize_none(self) -> Result<Self::Ok, Self::Error> { Err($crate::ser::refused("nothing")) } };
    (@one some) => {
        fn serialize_some<T: serde::Serialize + ?Sized>(self, _: &T) -> Result<Self::Ok, Self::Error> {
            Err($crate::ser::refused("an optional value"))
        }
    };
    (@one unit) => { fn serialize_unit(self) -> Result<Self::Ok, Self::Error> { Err($crate::ser::refused("a unit")) } };
    (@one unit_struct) => {
        fn serialize_unit_struct(self, _: &'static str) -> Result<Self::Ok, Self::Error> { Err($crate::ser::refused("a unit")) }
    };
    (@one unit_variant) => {
        fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<Self::Ok, Self::Error> {
            Err($crate::ser::refused("an enum"))
        }
    };
    (@one newtype_struct) => {
        fn serialize_newtype_struct<T: serde::Serialize + ?Sized>(self, _: &'static str, _: &T) -> Result<Self::Ok, Self::Error> {
            Err($crate::ser::refused("a newtype"))
        }
    };
    (@one newtype_variant) => {
        fn serialize_newtype_variant<T: serde::Serialize + ?Sized>(
            self, _: &'static str, _: u32, _: &'static str, _: &T,
        ) -> Result<Self::Ok, Self::Error> {
            Err($crate::ser::refused("an enum"))
        }
    };
    (@one seq) => {
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Self::Error> { Err($crate::ser::refused("a list")) }
    };
    (@one tuple) => {
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Self::Error> { Err($crate::ser::refused("a tuple")) }
    };
    (@one tuple_struct) => {
        fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Self::Error> {
            Err($crate::ser::refused("a tuple"))
        }
    };
    (@one tuple_variant) => {
        fn serialize_tuple_variant(
            self, _: &'static str, _: u32, _: &'static str, _: usize,
        ) -> Result<Self::SerializeTupleVariant, Self::Error> {
            Err($crate::ser::refused("an enum"))
        }
    };
    (@one map) => {
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Self::Error> { Err($crate::ser::refused("a map")) }
    };
    (@one struct) => {
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Self::Error> {
            Err($crate::ser::refused("a structure"))
        }
    };
    (@one struct_variant) => {
        fn serialize_struct_variant(
            self, _: &'static str, _: u32, _: &'static str, _: usize,
        ) -> Result<Self::SerializeStructVariant, Self::Error> {
            Err($crate::ser::refused("an enum"))
        }
    };
}
pub(crate) use refuse;

/// The error of a value a serializer does not take.
pub(crate) fn refused(what: &str) -> SerError {
    SerError(format!("{what} where the shape does not take one"))
}
