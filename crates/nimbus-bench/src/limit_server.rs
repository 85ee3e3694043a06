//! The "limit" server: bare hyper answering every request with a fixed 200.
//! It does no work at all, so its figures are the physical limit of this
//! machine, this client and HTTP/1.1 — the yardstick for everyone else.
//!
//! It runs as its own process (`nimbus-bench limit-server`), started and
//! measured exactly like the real servers.

use bytes::Bytes;
use http::{Method, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use tokio::net::TcpListener;

/// The answer to every small request.
const FIXED_BODY: &[u8] = b"ok\n";

/// Marker in the path of the large-object scenarios: a GET of such a path is
/// answered with `large_bytes` bytes, so large downloads have a limit too.
pub const LARGE_PATH_MARKER: &str = "large-object";

pub async fn serve(port: u16, large_bytes: usize) -> std::io::Result<()> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    // Built once; every large answer shares it.
    let large_body = Bytes::from(vec![b'x'; large_bytes]);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let large_body = large_body.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| answer(request, large_body.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(request: Request<Incoming>, large_body: Bytes) -> Result<Response<Full<Bytes>>, Infallible> {
    let wants_large = request.method() == Method::GET && request.uri().path().contains(LARGE_PATH_MARKER);
    // Read the whole upload, as any real server must.
    let mut body = request.into_body();
    while let Some(frame) = body.frame().await {
        if frame.is_err() {
            break;
        }
    }
    let body = if wants_large {
        large_body
    } else {
        Bytes::from_static(FIXED_BODY)
    };
    Ok(Response::new(Full::new(body)))
}
