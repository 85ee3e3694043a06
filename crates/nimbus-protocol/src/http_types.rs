//! The HTTP request and response as the codecs see them, independent of the
//! server library: buffered, except for streaming object bodies (see
//! [`HttpResponse::stream`]).

use bytes::Bytes;
use http::{HeaderMap, Method};
use nimbus_core::ByteStream;

/// A request as it arrived (body already de-chunked and gunzipped by the gateway).
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: Method,
    /// The raw, still percent-encoded path, e.g. `/my-bucket/a%20key`.
    pub path: String,
    /// The raw query string without the `?`, still percent-encoded.
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl HttpRequest {
    /// A header as text, if present and valid UTF-8. `name` is best a
    /// [`http::HeaderName`] (constants from [`http::header`]): a `&str` is
    /// parsed into one first.
    pub fn header(&self, name: impl http::header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(header_text)
    }

    /// The decoded query parameters, in order (`a=1&b` gives `("b", "")`).
    pub fn query_params(&self) -> Vec<(String, String)> {
        crate::codec::form::parse(self.query.as_bytes())
    }
}

/// A header value as text: what `HeaderValue::to_str` gives, checked a word
/// at a time instead of byte by byte (signatures and dates are read on every
/// request). A `HeaderValue` never holds control characters or DEL, so its
/// visible-ASCII check is an ASCII check.
pub fn header_text(value: &http::HeaderValue) -> Option<&str> {
    let bytes = value.as_bytes();
    if bytes.is_ascii() {
        std::str::from_utf8(bytes).ok()
    } else {
        None
    }
}

/// A response ready to be written to the wire.
#[derive(Debug, Clone, Default)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// A streaming body (S3 GetObject); when set, it is the body and `body`
    /// is empty.
    pub stream: Option<ByteStream>,
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::header_text;

    #[test]
    fn header_text_agrees_with_to_str() {
        let mut values: Vec<HeaderValue> = [
            "",
            "plain",
            "tab\there",
            "  spaced  ",
            "~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}",
        ]
        .into_iter()
        .map(HeaderValue::from_static)
        .collect();
        values.push(HeaderValue::from_bytes(b"caf\xc3\xa9").expect("obs-text is a valid value"));
        values.push(HeaderValue::from_bytes(b"\xff\xfe").expect("obs-text is a valid value"));
        let every_byte: Vec<u8> = (0u8..=255)
            .filter(|&b| b == b'\t' || (b >= 32 && b != 127))
            .collect();
        for byte in every_byte {
            values.push(HeaderValue::from_bytes(&[b'a', byte, b'z']).expect("a valid value"));
        }
        for value in &values {
            assert_eq!(header_text(value), value.to_str().ok(), "{value:?}");
        }
    }
}
