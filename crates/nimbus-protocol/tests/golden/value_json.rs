//! [`Value`]s shown to people (short one-line forms for diffs) and to the
//! Python side of the harness (JSON, in the same conventions as
//! [`super::params`] reads, so a value can travel both ways).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use nimbus_core::Timestamp;
use nimbus_protocol::Value;
use nimbus_protocol::timestamp::{self, TimestampFormat};
use serde_json::{Value as Json, json};

/// JSON for a value: blobs as `{"$base64": ..}`, timestamps as
/// `{"$timestamp": "<ISO 8601>"}` (nanoseconds shown when not whole
/// milliseconds), non-finite floats as `"NaN"`/`"Infinity"`/`"-Infinity"`.
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::Integer(i) => json!(i),
        Value::Float(f) => float_json(*f),
        Value::String(s) => Json::String(s.clone()),
        Value::Blob(bytes) => json!({"$base64": BASE64.encode(bytes)}),
        Value::Timestamp(t) => json!({"$timestamp": iso(*t)}),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) | Value::Structure(entries) => Json::Object(
            entries
                .iter()
                .map(|(key, item)| (key.clone(), to_json(item)))
                .collect(),
        ),
        Value::Document(document) => document.clone(),
        Value::Stream(stream) => json!({"$stream": stream.len()}),
    }
}

fn float_json(f: f64) -> Json {
    if f.is_nan() {
        json!("NaN")
    } else if f.is_infinite() {
        json!(if f > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        json!(f)
    }
}

fn iso(t: Timestamp) -> String {
    if t.nanos.is_multiple_of(1_000_000) {
        timestamp::format(t, TimestampFormat::Iso8601)
    } else {
        let whole = timestamp::format(Timestamp { nanos: 0, ..t }, TimestampFormat::Iso8601);
        format!("{}.{:09}Z", whole.trim_end_matches('Z'), t.nanos)
    }
}

/// A one-line rendering that keeps the variant visible (`map{..}`,
/// `blob"..."`, `ts(..)`, `1.5f`), cut to a readable length.
pub fn brief(value: &Value) -> String {
    const LIMIT: usize = 200;
    let mut text = String::new();
    render(value, &mut text);
    if text.chars().count() > LIMIT {
        text = text.chars().take(LIMIT).collect::<String>() + "…";
    }
    text
}

fn render(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Boolean(b) => out.push_str(&b.to_string()),
        Value::Integer(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&format!("{f:?}f")),
        Value::String(s) => out.push_str(&format!("{s:?}")),
        Value::Blob(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => out.push_str(&format!("blob{text:?}")),
            Err(_) => out.push_str(&format!("blob(base64 {})", BASE64.encode(bytes))),
        },
        Value::Timestamp(t) => out.push_str(&format!("ts({})", iso(*t))),
        Value::Stream(stream) => out.push_str(&format!("stream({:?})", stream.len())),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(item, out);
            }
            out.push(']');
        }
        Value::Map(entries) | Value::Structure(entries) => {
            if matches!(value, Value::Map(_)) {
                out.push_str("map");
            }
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push_str(": ");
                render(item, out);
            }
            out.push('}');
        }
        Value::Document(document) => out.push_str(&format!("doc({document})")),
    }
}
