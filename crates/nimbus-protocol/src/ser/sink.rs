//! Where documents are written: JSON text or CBOR bytes. The document
//! walker ([`super::document`]) says what comes (a map, a key, a string);
//! each sink writes it in its format.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use nimbus_core::Timestamp;

use crate::timestamp::{self, TimestampFormat};

/// The writing side of a document format.
pub(crate) trait Sink {
    fn begin_map(&mut self);
    /// A key; written with the value that follows, or taken back with
    /// [`drop_key`](Sink::drop_key) when that value turns out to be absent.
    fn key(&mut self, key: &str);
    fn drop_key(&mut self);
    /// An absent value: takes back the key it would have had, or writes a
    /// null where it has none (a list item).
    fn drop_key_or_null(&mut self);
    fn end_map(&mut self);
    fn begin_list(&mut self);
    fn end_list(&mut self);
    fn null(&mut self);
    fn bool(&mut self, v: bool);
    fn int(&mut self, v: i64);
    fn float(&mut self, v: f64);
    fn float32(&mut self, v: f32);
    fn string(&mut self, v: &str);
    fn blob(&mut self, v: &[u8]);
    /// `format` is the member's or shape's `timestampFormat`.
    fn timestamp(&mut self, t: Timestamp, format: Option<TimestampFormat>);
    /// JSON text already encoded (a stored DynamoDB item).
    fn raw_json(&mut self, json: &[u8]);
}

/// JSON text.
#[derive(Default)]
pub(crate) struct JsonSink {
    pub out: Vec<u8>,
    /// Open containers: whether the next element is the first.
    first: Vec<bool>,
    /// Where the last key started, and the container's `first` before it.
    rollback: Option<(usize, bool)>,
}

impl JsonSink {
    pub fn with_capacity(capacity: usize) -> Self {
        JsonSink {
            out: Vec::with_capacity(capacity),
            ..JsonSink::default()
        }
    }

    /// Before a value: the comma of a list item (map items had theirs
    /// with the key); the key is now kept.
    fn value(&mut self) {
        if self.rollback.take().is_some() {
            return;
        }
        if let Some(first) = self.first.last_mut()
            && !std::mem::take(first)
        {
            self.out.push(b',');
        }
    }

    /// A JSON string. Most need no escape at all: those are copied as they
    /// are (the check runs over the whole string without branching); the
    /// rest get serde_json's escapes.
    fn text(&mut self, text: &str) {
        let needs_escape = text
            .bytes()
            .fold(false, |found, b| found | (b < 0x20) | (b == b'"') | (b == b'\\'));
        if needs_escape {
            let _ = serde_json::to_writer(&mut self.out, text);
        } else {
            self.out.reserve(text.len() + 2);
            self.out.push(b'"');
            self.out.extend_from_slice(text.as_bytes());
            self.out.push(b'"');
        }
    }

    fn number<T: serde::Serialize>(&mut self, v: T) {
        self.value();
        // Writing into a Vec cannot fail, and numbers always serialize.
        let _ = serde_json::to_writer(&mut self.out, &v);
    }

    fn special_float(&mut self, v: f64) -> bool {
        let name = if v.is_nan() {
            "NaN"
        } else if v == f64::INFINITY {
            "Infinity"
        } else if v == f64::NEG_INFINITY {
            "-Infinity"
        } else {
            return false;
        };
        self.value();
        self.text(name);
        true
    }
}

impl Sink for JsonSink {
    fn begin_map(&mut self) {
        self.value();
        self.out.push(b'{');
        self.first.push(true);
    }

    fn key(&mut self, key: &str) {
        let Some(first) = self.first.last_mut() else {
            return;
        };
        self.rollback = Some((self.out.len(), *first));
        if !std::mem::take(first) {
            self.out.push(b',');
        }
        self.text(key);
        self.out.push(b':');
    }

    fn drop_key(&mut self) {
        if let Some((len, first)) = self.rollback.take() {
            self.out.truncate(len);
            if let Some(current) = self.first.last_mut() {
                *current = first;
            }
        }
    }

    fn drop_key_or_null(&mut self) {
        if self.rollback.is_some() {
            self.drop_key();
        } else {
            self.null();
        }
    }

    fn end_map(&mut self) {
        self.first.pop();
        self.out.push(b'}');
    }

    fn begin_list(&mut self) {
        self.value();
        self.out.push(b'[');
        self.first.push(true);
    }

    fn end_list(&mut self) {
        self.first.pop();
        self.out.push(b']');
    }

    fn null(&mut self) {
        self.value();
        self.out.extend_from_slice(b"null");
    }

    fn bool(&mut self, v: bool) {
        self.value();
        self.out.extend_from_slice(if v { b"true" } else { b"false" });
    }

    fn int(&mut self, v: i64) {
        self.number(v);
    }

    fn float(&mut self, v: f64) {
        if !self.special_float(v) {
            self.number(v);
        }
    }

    fn float32(&mut self, v: f32) {
        if !self.special_float(f64::from(v)) {
            self.number(v);
        }
    }

    fn string(&mut self, v: &str) {
        self.value();
        self.text(v);
    }

    fn blob(&mut self, v: &[u8]) {
        self.value();
        self.text(&BASE64.encode(v));
    }

    fn timestamp(&mut self, t: Timestamp, format: Option<TimestampFormat>) {
        match format.unwrap_or(TimestampFormat::UnixTimestamp) {
            TimestampFormat::UnixTimestamp if t.nanos / 1_000_000 == 0 => self.int(t.seconds),
            // Whole milliseconds, so 946845296.123 prints as such.
            TimestampFormat::UnixTimestamp => self.number(t.as_epoch_millis() as f64 / 1000.0),
            other => self.string(&timestamp::format(t, other)),
        }
    }

    fn raw_json(&mut self, json: &[u8]) {
        self.value();
        self.out.extend_from_slice(json);
    }
}

/// CBOR bytes, definite lengths (counts are filled in as containers close).
#[derive(Default)]
pub(crate) struct CborSink {
    pub out: Vec<u8>,
    /// Open containers: where the header is, and the items so far.
    open: Vec<(usize, u64)>,
    /// Where the last key started.
    rollback: Option<usize>,
}

/// CBOR tag for epoch-based date/time (RFC 8949 §3.4.2).
const EPOCH_TAG: u64 = 1;

impl CborSink {
    fn head(&mut self, major: u8, value: u64) {
        let major = major << 5;
        match value {
            0..=23 => self.out.push(major | value as u8),
            24..=0xff => self.out.extend_from_slice(&[major | 24, value as u8]),
            0x100..=0xffff => {
                self.out.push(major | 25);
                self.out.extend_from_slice(&(value as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                self.out.push(major | 26);
                self.out.extend_from_slice(&(value as u32).to_be_bytes());
            }
            _ => {
                self.out.push(major | 27);
                self.out.extend_from_slice(&value.to_be_bytes());
            }
        }
    }

    /// Before a value: counted in a list (map items were counted with their key).
    fn item(&mut self) {
        if self.rollback.take().is_some() {
            return;
        }
        if let Some((_, count)) = self.open.last_mut() {
            *count += 1;
        }
    }

    fn begin(&mut self, major: u8) {
        self.item();
        self.open.push((self.out.len(), 0));
        self.out.push(major << 5);
    }

    /// Writes the real count into the container's header.
    fn end(&mut self, major: u8, items_per_entry: u64) {
        let Some((at, count)) = self.open.pop() else {
            return;
        };
        let count = count / items_per_entry;
        let mut header = CborSink::default();
        header.head(major, count);
        self.out.splice(at..=at, header.out);
    }

    fn text(&mut self, v: &str) {
        self.head(3, v.len() as u64);
        self.out.extend_from_slice(v.as_bytes());
    }

    fn json(&mut self, json: &serde_json::Value) {
        match json {
            serde_json::Value::Null => self.null(),
            serde_json::Value::Bool(b) => self.bool(*b),
            serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => self.int(i),
                (None, Some(f)) => self.float(f),
                _ => self.null(),
            },
            serde_json::Value::String(s) => self.string(s),
            serde_json::Value::Array(items) => {
                self.begin_list();
                items.iter().for_each(|item| self.json(item));
                self.end_list();
            }
            serde_json::Value::Object(entries) => {
                self.begin_map();
                for (key, value) in entries {
                    self.key(key);
                    self.json(value);
                }
                self.end_map();
            }
        }
    }
}

impl Sink for CborSink {
    fn begin_map(&mut self) {
        self.begin(5);
    }

    fn key(&mut self, key: &str) {
        self.rollback = Some(self.out.len());
        if let Some((_, count)) = self.open.last_mut() {
            *count += 2;
        }
        self.text(key);
    }

    fn drop_key(&mut self) {
        if let Some(len) = self.rollback.take() {
            self.out.truncate(len);
            if let Some((_, count)) = self.open.last_mut() {
                *count -= 2;
            }
        }
    }

    fn drop_key_or_null(&mut self) {
        if self.rollback.is_some() {
            self.drop_key();
        } else {
            self.null();
        }
    }

    fn end_map(&mut self) {
        self.end(5, 2);
    }

    fn begin_list(&mut self) {
        self.begin(4);
    }

    fn end_list(&mut self) {
        self.end(4, 1);
    }

    fn null(&mut self) {
        self.item();
        self.out.push(0xf6);
    }

    fn bool(&mut self, v: bool) {
        self.item();
        self.out.push(if v { 0xf5 } else { 0xf4 });
    }

    fn int(&mut self, v: i64) {
        self.item();
        if v >= 0 {
            self.head(0, v as u64);
        } else {
            self.head(1, (-1 - v) as u64);
        }
    }

    fn float(&mut self, v: f64) {
        self.item();
        self.out.push(0xfb);
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    fn float32(&mut self, v: f32) {
        self.item();
        self.out.push(0xfa);
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    fn string(&mut self, v: &str) {
        self.item();
        self.text(v);
    }

    fn blob(&mut self, v: &[u8]) {
        self.item();
        self.head(2, v.len() as u64);
        self.out.extend_from_slice(v);
    }

    fn timestamp(&mut self, t: Timestamp, _: Option<TimestampFormat>) {
        self.item();
        self.head(6, EPOCH_TAG);
        if t.nanos / 1_000_000 == 0 {
            if t.seconds >= 0 {
                self.head(0, t.seconds as u64);
            } else {
                self.head(1, (-1 - t.seconds) as u64);
            }
        } else {
            self.out.push(0xfb);
            self.out
                .extend_from_slice(&(t.as_epoch_millis() as f64 / 1000.0).to_be_bytes());
        }
    }

    fn raw_json(&mut self, json: &[u8]) {
        match serde_json::from_slice::<serde_json::Value>(json) {
            Ok(value) => self.json(&value),
            Err(_) => self.null(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys_of_absent_values_are_taken_back() {
        let mut sink = JsonSink::default();
        sink.begin_map();
        sink.key("a");
        sink.int(1);
        sink.key("gone");
        sink.drop_key();
        sink.key("b");
        sink.begin_list();
        sink.string("x");
        sink.float(f64::NAN);
        sink.end_list();
        sink.end_map();
        assert_eq!(
            String::from_utf8(sink.out).expect("utf-8"),
            r#"{"a":1,"b":["x","NaN"]}"#
        );
    }

    #[test]
    fn cbor_counts_are_filled_in() {
        let mut sink = CborSink::default();
        sink.begin_map();
        sink.key("a");
        sink.int(-2);
        sink.key("gone");
        sink.drop_key();
        sink.end_map();
        assert_eq!(sink.out, vec![0xa1, 0x61, b'a', 0x21]);
        let mut big = CborSink::default();
        big.begin_list();
        (0..30).for_each(|i| big.int(i));
        big.end_list();
        assert_eq!(&big.out[..2], &[0x98, 30]);
        assert_eq!(big.out.len(), 2 + 24 + 6 * 2);
    }
}
