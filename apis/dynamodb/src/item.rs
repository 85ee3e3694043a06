//! Items in answers. An item is stored as DynamoDB JSON, which is the very
//! form a GetItem or Query answer carries it in: a whole stored item goes
//! into the answer as it is ([`AnswerItem::Stored`]), never decoded into
//! attribute values only to be encoded again. Items an operation built or
//! projected are [`AnswerItem::Attributes`].

use std::fmt;

use bytes::Bytes;
use nimbus_core::typed::RawJson;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::attribute::{Item, item_to_json};

/// An item in an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerItem {
    Attributes(Item),
    /// DynamoDB JSON as stored (see [`crate::attribute::item_to_json`]).
    Stored(RawJson),
}

impl AnswerItem {
    pub fn stored(json: impl Into<Bytes>) -> Self {
        AnswerItem::Stored(RawJson(json.into()))
    }

    /// The item's attributes, decoding a stored one.
    pub fn into_item(self) -> Result<Item, serde_json::Error> {
        match self {
            AnswerItem::Attributes(item) => Ok(item),
            AnswerItem::Stored(RawJson(json)) => crate::attribute::item_from_json(&json),
        }
    }

    /// The item as DynamoDB JSON.
    pub fn to_json(&self) -> Bytes {
        match self {
            AnswerItem::Attributes(item) => Bytes::from(item_to_json(item)),
            AnswerItem::Stored(RawJson(json)) => json.clone(),
        }
    }
}

impl From<Item> for AnswerItem {
    fn from(item: Item) -> Self {
        AnswerItem::Attributes(item)
    }
}

impl Serialize for AnswerItem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            AnswerItem::Attributes(item) => item.serialize(serializer),
            AnswerItem::Stored(json) => json.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for AnswerItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Item::deserialize(deserializer).map(AnswerItem::Attributes)
    }
}

/// Bytes a stored item counts toward sizes and read units (as
/// [`crate::attribute::item_size`] counts the decoded item), read off its
/// DynamoDB JSON without building it.
pub fn json_item_size(json: &[u8]) -> Result<usize, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let size = EntriesSize { per_entry: 0 }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(size)
}

/// The size of one `{"<type>": ...}` attribute value.
#[derive(Clone, Copy)]
struct ValueSize;

impl<'de> DeserializeSeed<'de> for ValueSize {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ValueSize {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an attribute value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
        let Some(kind) = map.next_key_seed(KindSeed)? else {
            return Err(de::Error::custom("an attribute value without a type"));
        };
        let size = match kind {
            Kind::S => map.next_value_seed(TextLen)?,
            Kind::N => map.next_value_seed(NumberSize)?,
            Kind::B => map.next_value_seed(BlobLen)?,
            Kind::Scalar => {
                map.next_value::<IgnoredAny>()?;
                1
            }
            Kind::L => 3 + map.next_value_seed(Sum(ValueSize, 1))?,
            Kind::M => 3 + map.next_value_seed(EntriesSize { per_entry: 1 })?,
            Kind::SS => map.next_value_seed(Sum(TextLen, 0))?,
            Kind::NS => map.next_value_seed(Sum(NumberSize, 0))?,
            Kind::BS => map.next_value_seed(Sum(BlobLen, 0))?,
        };
        Ok(size)
    }
}

/// A map's entries: name plus value, and `per_entry` bytes each (one in a
/// map value, none at an item's top level).
#[derive(Clone, Copy)]
struct EntriesSize {
    per_entry: usize,
}

impl<'de> DeserializeSeed<'de> for EntriesSize {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EntriesSize {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of attribute values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
        let mut size = 0;
        while let Some(name) = map.next_key_seed(TextLen)? {
            size += self.per_entry + name + map.next_value_seed(ValueSize)?;
        }
        Ok(size)
    }
}

/// The attribute types, as their sizes are counted.
enum Kind {
    S,
    N,
    B,
    /// BOOL and NULL: one byte.
    Scalar,
    L,
    M,
    SS,
    NS,
    BS,
}

struct KindSeed;

impl<'de> DeserializeSeed<'de> for KindSeed {
    type Value = Kind;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Kind, D::Error> {
        deserializer.deserialize_str(KindVisitor)
    }
}

struct KindVisitor;

impl Visitor<'_> for KindVisitor {
    type Value = Kind;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an attribute type")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Kind, E> {
        Ok(match v {
            "S" => Kind::S,
            "N" => Kind::N,
            "B" => Kind::B,
            "BOOL" | "NULL" => Kind::Scalar,
            "L" => Kind::L,
            "M" => Kind::M,
            "SS" => Kind::SS,
            "NS" => Kind::NS,
            "BS" => Kind::BS,
            other => return Err(E::custom(format!("unknown attribute type {other}"))),
        })
    }
}

/// The UTF-8 length of a string.
#[derive(Clone, Copy)]
struct TextLen;

impl<'de> DeserializeSeed<'de> for TextLen {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for TextLen {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        Ok(v.len())
    }
}

/// The size of a number, from its stored (canonical) text: one byte per two
/// significant digits, plus one.
#[derive(Clone, Copy)]
struct NumberSize;

impl<'de> DeserializeSeed<'de> for NumberSize {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for NumberSize {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        let digits: Vec<u8> = v.bytes().filter(u8::is_ascii_digit).collect();
        let first = digits.iter().position(|&d| d != b'0');
        let last = digits.iter().rposition(|&d| d != b'0');
        let significant = match (first, last) {
            (Some(first), Some(last)) => last - first + 1,
            _ => 0,
        };
        Ok(significant.div_ceil(2) + 1)
    }
}

/// The decoded length of a base64 blob.
#[derive(Clone, Copy)]
struct BlobLen;

impl<'de> DeserializeSeed<'de> for BlobLen {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for BlobLen {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("base64 text")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        let padding = v.bytes().rev().take_while(|&b| b == b'=').count();
        Ok(v.len() / 4 * 3 - padding.min(2))
    }
}

/// The sum of a list's element sizes, each plus `each`.
#[derive(Clone, Copy)]
struct Sum<S>(S, usize);

impl<'de, S: DeserializeSeed<'de, Value = usize> + Copy> DeserializeSeed<'de> for Sum<S> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, S: DeserializeSeed<'de, Value = usize> + Copy> Visitor<'de> for Sum<S> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut size = 0;
        while let Some(element) = seq.next_element_seed(self.0)? {
            size += self.1 + element;
        }
        Ok(size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{item_from_json, item_size};

    #[test]
    fn stored_sizes_are_the_items_sizes() {
        let json = serde_json::json!({
            "pk": {"S": "p\u{e9}\"\\"},
            "n": {"N": "-12.5"},
            "big": {"N": "1000"},
            "small": {"N": "0.0012"},
            "zero": {"N": "0"},
            "b": {"B": "AP8="},
            "b2": {"B": "AQID"},
            "t": {"BOOL": true},
            "z": {"NULL": true},
            "l": {"L": [{"N": "1"}, {"M": {"deep": {"SS": ["a", "bc"]}}}, {"L": []}]},
            "m": {"M": {}},
            "ns": {"NS": ["3", "100"]},
            "bs": {"BS": ["AQ==", "Ag=="]},
        })
        .to_string();
        let item = item_from_json(json.as_bytes()).expect("item");
        assert_eq!(json_item_size(json.as_bytes()).expect("size"), item_size(&item));
        assert!(json_item_size(b"{\"a\":{\"Q\":\"x\"}}").is_err());
        assert!(json_item_size(b"{} trailing").is_err());
    }

    #[test]
    fn items_round_trip_through_their_json() {
        let json = br#"{"k":{"S":"x"},"b":{"B":"AP8="},"n":{"NS":["1","2.5"]},"m":{"M":{"l":{"L":[{"NULL":true}]}}}}"#;
        let item = item_from_json(json).expect("item");
        assert_eq!(item_to_json(&item), json.to_vec());
    }
}
