//! The document walker, writing side: a value of a shape as a JSON or CBOR
//! document. Members are keyed by their JSON key (JSON) or member name
//! (CBOR); absent members and nulls outside sparse collections are left
//! out; blobs, timestamps and floats take the format's form.

use nimbus_core::typed::{DOCUMENT_MARKER, RAW_JSON_MARKER, TIMESTAMP_MARKER};
use serde::Serialize;
use serde::ser::{
    SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant, Serializer,
};

use super::sink::Sink;
use super::{SerError, capture, member_for, refused};
use crate::model::{Member, Model, Shape, ShapeType};
use crate::validate::MAX_DEPTH;

/// How structure members are keyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keys {
    /// By JSON key (`locationName`, else the name): JSON bodies.
    Json,
    /// By member name: CBOR bodies.
    Name,
}

/// Writes one value of `shape` (or, without a shape, as plain data: a
/// document member, an error field the model does not describe).
pub(crate) struct DocSer<'a, 'm, S> {
    pub model: &'m Model,
    pub shape: Option<&'m Shape>,
    /// The use of the shape (its timestamp format), when it is a member's.
    pub member: Option<&'m Member>,
    pub keys: Keys,
    /// Rest bodies: members bound to headers or the status code, and the
    /// payload, are written elsewhere.
    pub body_only: bool,
    /// The value is an entry of a sparse map: a null is written, not left out.
    pub sparse: bool,
    pub depth: usize,
    pub sink: &'a mut S,
}

impl<'a, 'm, S: Sink> DocSer<'a, 'm, S> {
    pub fn new(model: &'m Model, shape: &'m Shape, keys: Keys, sink: &'a mut S) -> Self {
        DocSer {
            model,
            shape: Some(shape),
            member: None,
            keys,
            body_only: false,
            sparse: false,
            depth: 0,
            sink,
        }
    }

    fn kind(&self) -> Option<ShapeType> {
        self.shape.map(|shape| shape.kind)
    }

    /// A nested value: of `member`'s shape, or plain data.
    fn child<'b>(&'b mut self, member: Option<&'m Member>) -> DocSer<'b, 'm, S> {
        DocSer {
            model: self.model,
            shape: member.map(|member| self.model.target(member)),
            member,
            keys: self.keys,
            body_only: false,
            sparse: false,
            depth: self.depth + 1,
            sink: self.sink,
        }
    }

    fn integer(self, v: i64) -> Result<(), SerError> {
        match self.kind() {
            Some(kind) if kind.is_float() => self.sink.float(v as f64),
            _ => self.sink.int(v),
        }
        Ok(())
    }
}

/// A structure under way: the next field's expected position.
pub(crate) struct Fields<'a, 'm, S> {
    ser: DocSer<'a, 'm, S>,
    position: usize,
}

/// A map (or a structure given as a map keyed by member names) under way.
pub(crate) struct Entries<'a, 'm, S> {
    ser: DocSer<'a, 'm, S>,
    /// The member (structure) or value shape (map) of the entry under way;
    /// `Skip` when the entry is not written.
    next: Next<'m>,
    /// The map is sparse: null values are written.
    sparse: bool,
}

enum Next<'m> {
    /// Write the value with this member's shape (or as plain data).
    Value(Option<&'m Member>),
    /// The key named no member to write: drop the value.
    Skip,
}

/// A list under way.
pub(crate) struct Items<'a, 'm, S> {
    ser: DocSer<'a, 'm, S>,
}

impl<'a, 'm, S: Sink> Serializer for DocSer<'a, 'm, S> {
    type Ok = ();
    type Error = SerError;
    type SerializeSeq = Items<'a, 'm, S>;
    type SerializeTuple = Items<'a, 'm, S>;
    type SerializeTupleStruct = Items<'a, 'm, S>;
    type SerializeTupleVariant = Items<'a, 'm, S>;
    type SerializeMap = Entries<'a, 'm, S>;
    type SerializeStruct = Fields<'a, 'm, S>;
    type SerializeStructVariant = Fields<'a, 'm, S>;

    fn serialize_bool(self, v: bool) -> Result<(), SerError> {
        self.sink.bool(v);
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), SerError> {
        self.integer(v.into())
    }

    fn serialize_i16(self, v: i16) -> Result<(), SerError> {
        self.integer(v.into())
    }

    fn serialize_i32(self, v: i32) -> Result<(), SerError> {
        self.integer(v.into())
    }

    fn serialize_i64(self, v: i64) -> Result<(), SerError> {
        self.integer(v)
    }

    fn serialize_u8(self, v: u8) -> Result<(), SerError> {
        self.integer(v.into())
    }

    fn serialize_u16(self, v: u16) -> Result<(), SerError> {
        self.integer(v.into())
    }

    fn serialize_u32(self, v: u32) -> Result<(), SerError> {
        self.integer(v.into())
    }

    fn serialize_u64(self, v: u64) -> Result<(), SerError> {
        match i64::try_from(v) {
            Ok(v) => self.integer(v),
            Err(_) => {
                self.sink.float(v as f64);
                Ok(())
            }
        }
    }

    fn serialize_f32(self, v: f32) -> Result<(), SerError> {
        self.sink.float32(v);
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<(), SerError> {
        self.sink.float(v);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), SerError> {
        self.sink.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), SerError> {
        match self.kind() {
            // A text where the shape holds bytes: its UTF-8.
            Some(ShapeType::Blob) => self.sink.blob(v.as_bytes()),
            _ => self.sink.string(v),
        }
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), SerError> {
        self.sink.blob(v);
        Ok(())
    }

    fn serialize_none(self) -> Result<(), SerError> {
        if self.sparse {
            self.sink.null();
        } else {
            self.sink.drop_key_or_null();
        }
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), SerError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), SerError> {
        self.serialize_none()
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), SerError> {
        self.serialize_none()
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), SerError> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        match name {
            TIMESTAMP_MARKER => {
                let t = capture::timestamp(value)?;
                let format = self
                    .member
                    .and_then(|member| member.timestamp_format)
                    .or(self.shape.and_then(|shape| shape.timestamp_format));
                self.sink.timestamp(t, format);
                Ok(())
            }
            DOCUMENT_MARKER => value.serialize(DocSer { shape: None, ..self }),
            RAW_JSON_MARKER => capture::raw_json(value, self.sink),
            _ => value.serialize(self),
        }
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        // A union written as an enum: one member, named by the variant.
        self.sink.begin_map();
        let mut entries = Entries {
            ser: self,
            next: Next::Skip,
            sparse: false,
        };
        entries.serialize_entry(variant, value)?;
        SerializeMap::end(entries)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Items<'a, 'm, S>, SerError> {
        if self.depth > MAX_DEPTH {
            return Err(SerError("nesting too deep".into()));
        }
        self.sink.begin_list();
        Ok(Items { ser: self })
    }

    fn serialize_tuple(self, len: usize) -> Result<Items<'a, 'm, S>, SerError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Items<'a, 'm, S>, SerError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Items<'a, 'm, S>, SerError> {
        Err(refused("an enum"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Entries<'a, 'm, S>, SerError> {
        if self.depth > MAX_DEPTH {
            return Err(SerError("nesting too deep".into()));
        }
        self.sink.begin_map();
        Ok(Entries {
            ser: self,
            next: Next::Skip,
            sparse: false,
        })
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Fields<'a, 'm, S>, SerError> {
        if self.depth > MAX_DEPTH {
            return Err(SerError("nesting too deep".into()));
        }
        self.sink.begin_map();
        Ok(Fields {
            ser: self,
            position: 0,
        })
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        len: usize,
    ) -> Result<Fields<'a, 'm, S>, SerError> {
        self.serialize_struct("", len)
    }
}

impl<'m, S: Sink> DocSer<'_, 'm, S> {
    /// The member a structure key names, and whether to write it here.
    fn structure_member(&self, shape: &'m Shape, position: usize, name: &str) -> Option<(usize, &'m Member)> {
        let (found, member) = member_for(shape, position, name)?;
        let elsewhere = self.body_only && (member.location.is_some() || shape.payload == Some(found));
        (!elsewhere).then_some((found, member))
    }

    fn wire_key<'k>(&self, member: &'k Member) -> &'k str {
        match self.keys {
            Keys::Json => &member.json_key,
            Keys::Name => &member.name,
        }
    }
}

impl<S: Sink> SerializeStruct for Fields<'_, '_, S> {
    type Ok = ();
    type Error = SerError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        let position = self.position;
        self.position += 1;
        let Some(shape) = self.ser.shape else {
            self.ser.sink.key(key);
            return value.serialize(self.ser.child(None));
        };
        let Some((found, member)) = self.ser.structure_member(shape, position, key) else {
            return Ok(());
        };
        self.position = found + 1;
        let wire_key = self.ser.wire_key(member);
        self.ser.sink.key(wire_key);
        value.serialize(self.ser.child(Some(member)))
    }

    fn skip_field(&mut self, _: &'static str) -> Result<(), SerError> {
        self.position += 1;
        Ok(())
    }

    fn end(self) -> Result<(), SerError> {
        self.ser.sink.end_map();
        Ok(())
    }
}

impl<S: Sink> SerializeStructVariant for Fields<'_, '_, S> {
    type Ok = ();
    type Error = SerError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        SerializeStruct::serialize_field(self, key, value)
    }

    fn end(self) -> Result<(), SerError> {
        SerializeStruct::end(self)
    }
}

impl<S: Sink> SerializeMap for Entries<'_, '_, S> {
    type Ok = ();
    type Error = SerError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        let key = capture::text(key)?;
        self.next = match self.ser.shape {
            None => {
                self.ser.sink.key(&key);
                Next::Value(None)
            }
            Some(shape) if shape.kind == ShapeType::Structure => {
                match self.ser.structure_member(shape, usize::MAX, &key) {
                    Some((_, member)) => {
                        let wire_key = self.ser.wire_key(member);
                        self.ser.sink.key(wire_key);
                        Next::Value(Some(member))
                    }
                    None => Next::Skip,
                }
            }
            Some(shape) => {
                self.ser.sink.key(&key);
                self.sparse = shape.sparse;
                Next::Value(shape.value.as_deref())
            }
        };
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        match std::mem::replace(&mut self.next, Next::Skip) {
            Next::Value(member) => {
                let sparse = self.sparse;
                value.serialize(DocSer {
                    sparse,
                    ..self.ser.child(member)
                })
            }
            Next::Skip => Ok(()),
        }
    }

    fn end(self) -> Result<(), SerError> {
        self.ser.sink.end_map();
        Ok(())
    }
}

impl<S: Sink> SerializeSeq for Items<'_, '_, S> {
    type Ok = ();
    type Error = SerError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let item = self.ser.shape.and_then(|shape| shape.item.as_deref());
        value.serialize(self.ser.child(item))
    }

    fn end(self) -> Result<(), SerError> {
        self.ser.sink.end_list();
        Ok(())
    }
}

impl<S: Sink> SerializeTuple for Items<'_, '_, S> {
    type Ok = ();
    type Error = SerError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), SerError> {
        SerializeSeq::end(self)
    }
}

impl<S: Sink> SerializeTupleStruct for Items<'_, '_, S> {
    type Ok = ();
    type Error = SerError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), SerError> {
        SerializeSeq::end(self)
    }
}

impl<S: Sink> SerializeTupleVariant for Items<'_, '_, S> {
    type Ok = ();
    type Error = SerError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), SerError> {
        SerializeSeq::end(self)
    }
}
