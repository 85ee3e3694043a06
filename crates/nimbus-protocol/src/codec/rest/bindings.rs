//! Values bound to text outside the body: URI labels, query-string values and
//! headers. Scalars only, plus header lists (`a, "b,c", d`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use nimbus_core::Value;

use crate::model::{Shape, ShapeRef, ShapeType};
use crate::timestamp::{self, TimestampFormat};

/// The timestamp format of a header: the reference's `timestampFormat`, the
/// shape's, else HTTP-date. (Labels and query values need none: timestamps
/// are read in any format and only headers are written.)
pub fn header_timestamp_format(reference: &ShapeRef, shape: &Shape) -> TimestampFormat {
    TimestampFormat::from_model(reference.timestamp_format.as_deref())
        .or_else(|| TimestampFormat::from_model(shape.timestamp_format.as_deref()))
        .unwrap_or(TimestampFormat::Rfc822)
}

/// A scalar of `shape` from its text; `None` when the text does not fit
/// (`abc` for an integer). Timestamps are read in any of the three formats.
pub fn parse_scalar(shape: &Shape, text: &str) -> Option<Value> {
    Some(match shape.kind {
        ShapeType::String | ShapeType::BigInteger | ShapeType::BigDecimal => Value::String(text.to_owned()),
        ShapeType::Integer | ShapeType::Long | ShapeType::Short | ShapeType::Byte => {
            Value::Integer(text.trim().parse().ok()?)
        }
        ShapeType::Float | ShapeType::Double => Value::Float(parse_float(text.trim())?),
        ShapeType::Boolean => match text.trim() {
            t if t.eq_ignore_ascii_case("true") => Value::Boolean(true),
            t if t.eq_ignore_ascii_case("false") => Value::Boolean(false),
            _ => return None,
        },
        ShapeType::Timestamp => Value::Timestamp(timestamp::parse(text)?),
        ShapeType::Blob => Value::Blob(BASE64.decode(text.trim()).ok()?.into()),
        ShapeType::Structure | ShapeType::List | ShapeType::Map => return None,
    })
}

fn parse_float(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => text.parse().ok().filter(|f: &f64| f.is_finite()),
    }
}

/// The text of a scalar value; `None` for values that have no text form
/// (lists, structures, nulls).
pub fn format_scalar(value: &Value, format: TimestampFormat) -> Option<String> {
    Some(match value {
        Value::String(text) => text.clone(),
        Value::Integer(number) => number.to_string(),
        Value::Float(number) => format_float(*number),
        Value::Boolean(flag) => flag.to_string(),
        Value::Timestamp(t) => timestamp::format(*t, format),
        Value::Blob(bytes) => BASE64.encode(bytes),
        Value::Document(document) => document.to_string(),
        Value::Null | Value::List(_) | Value::Map(_) | Value::Structure(_) | Value::Stream(_) => {
            return None;
        }
    })
}

pub fn format_float(number: f64) -> String {
    if number.is_nan() {
        "NaN".to_owned()
    } else if number == f64::INFINITY {
        "Infinity".to_owned()
    } else if number == f64::NEG_INFINITY {
        "-Infinity".to_owned()
    } else {
        number.to_string()
    }
}

/// Splits a list header into its items: comma-separated, items trimmed,
/// double-quoted items may hold commas and `\"`. HTTP-dates hold a comma of
/// their own (`Mon, 16 Dec 2019 ...`), so they are split every second comma.
pub fn split_header_list(text: &str, http_dates: bool) -> Vec<String> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    if http_dates {
        let pieces: Vec<&str> = text.split(',').collect();
        return pieces
            .chunks(2)
            .map(|pair| pair.join(",").trim().to_owned())
            .collect();
    }
    let mut items = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut item = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => item.extend(chars.next()),
                    '"' => break,
                    c => item.push(c),
                }
            }
            // Anything between the closing quote and the next comma is dropped.
            while chars.next_if(|&c| c != ',').is_some() {}
        } else {
            while let Some(c) = chars.next_if(|&c| c != ',') {
                item.push(c);
            }
            item.truncate(item.trim_end().len());
        }
        items.push(item);
        if chars.next().is_none() {
            return items;
        }
    }
}

/// Joins list items into one header value, quoting strings that hold a comma
/// or a double quote.
pub fn join_header_list(items: &[String], quote_strings: bool) -> String {
    items
        .iter()
        .map(|item| {
            if quote_strings && (item.contains(',') || item.contains('"')) {
                format!("\"{}\"", item.replace('\\', "\\\\").replace('"', "\\\""))
            } else {
                item.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(kind: &str) -> Shape {
        serde_json::from_value(serde_json::json!({ "type": kind })).expect("shape")
    }

    #[test]
    fn parses_scalars_by_type() {
        assert_eq!(parse_scalar(&shape("integer"), "123"), Some(Value::Integer(123)));
        assert_eq!(parse_scalar(&shape("integer"), "12x"), None);
        assert_eq!(
            parse_scalar(&shape("boolean"), "false"),
            Some(Value::Boolean(false))
        );
        assert_eq!(parse_scalar(&shape("boolean"), "yes"), None);
        assert_eq!(parse_scalar(&shape("double"), "1.5"), Some(Value::Float(1.5)));
        assert!(matches!(parse_scalar(&shape("float"), "NaN"), Some(Value::Float(f)) if f.is_nan()));
        assert_eq!(
            parse_scalar(&shape("float"), "-Infinity"),
            Some(Value::Float(f64::NEG_INFINITY))
        );
        assert_eq!(parse_scalar(&shape("float"), "inf"), None);
        assert_eq!(
            parse_scalar(&shape("timestamp"), "Mon, 16 Dec 2019 23:48:18 GMT"),
            parse_scalar(&shape("timestamp"), "2019-12-16T23:48:18Z")
        );
        assert_eq!(
            parse_scalar(&shape("blob"), "dmFsdWU="),
            Some(Value::Blob("value".into()))
        );
    }

    #[test]
    fn splits_quoted_header_lists() {
        assert_eq!(split_header_list("a, b,c", false), vec!["a", "b", "c"]);
        assert_eq!(
            split_header_list(r#""b,c", "\"def\"", a"#, false),
            vec!["b,c", "\"def\"", "a"]
        );
        assert_eq!(split_header_list("", false), Vec::<String>::new());
        assert_eq!(
            split_header_list(
                "Mon, 16 Dec 2019 23:48:18 GMT, Tue, 17 Dec 2019 23:48:18 GMT",
                true
            ),
            vec!["Mon, 16 Dec 2019 23:48:18 GMT", "Tue, 17 Dec 2019 23:48:18 GMT"]
        );
    }

    #[test]
    fn joins_header_lists_with_quoting() {
        let items = vec!["b,c".to_owned(), "\"def\"".to_owned(), "a".to_owned()];
        assert_eq!(join_header_list(&items, true), r#""b,c", "\"def\"", a"#);
        assert_eq!(split_header_list(&join_header_list(&items, true), false), items);
    }
}
