//! The HTTP request and response as the codecs see them, independent of the
//! server library: buffered, except for streaming object bodies (see
//! [`HttpResponse::stream`]).

use bytes::Bytes;
use http::{HeaderMap, Method};
use nimbus_core::ByteStream;

/// A request as it arrived (body already de-chunked and gunzipped by the gateway).
#[derive(Debug, Clone, Default)]
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
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The decoded query parameters, in order (`a=1&b` gives `("b", "")`).
    pub fn query_params(&self) -> Vec<(String, String)> {
        crate::codec::form::parse(self.query.as_bytes())
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
