//! A minimal HTTP/1.1 client: one keep-alive connection per worker, requests
//! built (and signed) ahead of time, bodies read to the end so the
//! connection can be reused.

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use tokio::net::TcpStream;

/// A request ready to send any number of times: cloning the headers and the
/// (reference-counted) body is all a send costs.
#[derive(Clone, Debug)]
pub struct PreparedRequest {
    pub method: Method,
    /// Path and query, as they go on the wire.
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl PreparedRequest {
    fn to_request(&self) -> Request<Full<Bytes>> {
        let mut request = Request::new(Full::new(self.body.clone()));
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }
}

/// What to do with a response body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyHandling {
    /// Keep it: the caller reads the answer.
    Keep,
    /// Only count its bytes: large downloads, where copying would measure
    /// the client instead of the server.
    Count,
}

/// An answer, with its body kept or only counted.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub body_len: u64,
}

impl Reply {
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One keep-alive HTTP/1.1 connection.
pub struct Connection {
    addr: SocketAddr,
    sender: SendRequest<Full<Bytes>>,
}

impl Connection {
    pub async fn open(addr: SocketAddr) -> Result<Self, String> {
        Ok(Connection {
            addr,
            sender: Self::handshake(addr).await?,
        })
    }

    async fn handshake(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|error| format!("connect to {addr}: {error}"))?;
        // Small requests must not wait for Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|error| format!("HTTP handshake with {addr}: {error}"))?;
        // The connection task ends when the sender is dropped or the peer
        // closes; its error, if any, shows up on the next send.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }

    pub async fn send(&mut self, request: &PreparedRequest, handling: BodyHandling) -> Result<Reply, String> {
        // A server may close a connection after any answer (`Connection:
        // close`, HTTP/1.0 servers); open a new one, as any client would.
        if self.sender.ready().await.is_err() {
            self.sender = Self::handshake(self.addr).await?;
        }
        let response = match self.sender.try_send_request(request.to_request()).await {
            Ok(response) => response,
            Err(mut error) => {
                if error.take_message().is_none() {
                    return Err(format!("request failed: {}", error.error()));
                }
                // Closed before our request went out: retry once on a new one.
                self.sender = Self::handshake(self.addr).await?;
                self.sender
                    .send_request(request.to_request())
                    .await
                    .map_err(|error| format!("request failed: {error}"))?
            }
        };
        let (parts, mut body) = response.into_parts();
        // Error answers are always kept: they explain what went wrong.
        let keep = handling == BodyHandling::Keep || !parts.status.is_success();
        let mut kept = Vec::new();
        let mut body_len = 0u64;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|error| format!("reading the body: {error}"))?;
            if let Ok(data) = frame.into_data() {
                body_len += data.len() as u64;
                if keep {
                    kept.extend_from_slice(&data);
                }
            }
        }
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            body: Bytes::from(kept),
            body_len,
        })
    }
}
