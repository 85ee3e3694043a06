//! Structures, maps and lists as the walker reads them: members by wire
//! name, entries, items, and the keys they come under.

use super::*;

/// What a nested value needs of its parent.
#[derive(Clone, Copy)]
pub(super) struct Child<'s, 'm> {
    pub(super) s: &'s Session<'m>,
    pub(super) format: Format,
    pub(super) shape: &'m Shape,
    pub(super) required: bool,
    pub(super) depth: usize,
}

impl<'s, 'm> Child<'s, 'm> {
    pub(super) fn doc<D>(self, null: Option<&'s Cell<bool>>, inner: D) -> Doc<'s, 'm, D> {
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
pub(super) struct ChildSeed<'s, 'm, S> {
    pub(super) child: Child<'s, 'm>,
    pub(super) null: Option<&'s Cell<bool>>,
    pub(super) seed: S,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for ChildSeed<'_, '_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(self.child.doc(self.null, deserializer))
    }
}

/// The positions of the members a structure has set (non-null).
#[derive(Default)]
pub(super) struct Seen {
    pub(super) first: u128,
    pub(super) rest: Vec<usize>,
}

impl Seen {
    pub(super) fn insert(&mut self, position: usize) {
        if position < 128 {
            self.first |= 1 << position;
        } else {
            self.rest.push(position);
        }
    }

    pub(super) fn contains(&self, position: usize) -> bool {
        if position < 128 {
            self.first & (1 << position) != 0
        } else {
            self.rest.contains(&position)
        }
    }
}

/// A structure's members, keyed by their wire names in the document.
pub(super) struct Members<'s, 'm, A> {
    pub(super) s: &'s Session<'m>,
    pub(super) format: Format,
    pub(super) shape: &'m Shape,
    pub(super) depth: usize,
    pub(super) body_only: bool,
    pub(super) map: A,
    pub(super) current: usize,
    pub(super) seen: Seen,
    /// Members set to something other than null.
    pub(super) set: usize,
    pub(super) null: Cell<bool>,
    pub(super) check_required: bool,
}

impl<'de, A: MapAccess<'de>> Members<'_, '_, A> {
    /// The member a document key names, if it is one to read.
    pub(super) fn member_of(&self, key: &str) -> Option<usize> {
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

    pub(super) fn finish(&self) -> Result<(), A::Error> {
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
pub(super) struct Entries<'s, 'm, A> {
    pub(super) s: &'s Session<'m>,
    pub(super) format: Format,
    pub(super) key: &'m Shape,
    pub(super) value: Child<'s, 'm>,
    pub(super) map_shape: &'m Shape,
    pub(super) map: A,
    pub(super) count: usize,
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
pub(super) struct Items<'s, 'm, A> {
    pub(super) child: Child<'s, 'm>,
    pub(super) list: &'m Shape,
    pub(super) seq: A,
    pub(super) count: usize,
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
pub(super) struct KeyText {
    pub(super) format: Format,
    pub(super) structure: bool,
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
    pub(super) fn not_text<E: Error>(&self) -> E {
        let what = if self.structure { "Structure" } else { "Map" };
        let _ = self.format;
        fail(serialization_error(format!("{what} keys must be text strings")))
    }
}

/// A member's model name, as a key for the target: derived structs match
/// it against their fields' names, [`super::ValueSeed`] looks it up.
pub(crate) struct MemberKey<'m, E> {
    pub(super) name: &'m str,
    pub(super) error: std::marker::PhantomData<E>,
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
