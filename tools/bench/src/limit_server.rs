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
use std::sync::{Arc, OnceLock};
use tokio::net::TcpListener;

/// The answer to every small request.
const FIXED_BODY: &[u8] = b"ok\n";

/// Marker in the path of the large-object scenarios: a GET of such a path is
/// answered with `large_bytes` bytes, so large downloads have a limit too.
pub const LARGE_PATH_MARKER: &str = "large-object";

pub async fn serve(port: u16, large_bytes: usize) -> std::io::Result<()> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    let large_body = Arc::new(LargeBody {
        size: large_bytes,
        bytes: OnceLock::new(),
    });
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let large_body = Arc::clone(&large_body);
        tokio::spawn(async move {
            let service = service_fn(move |request| answer(request, Arc::clone(&large_body)));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The large answer, built on first use and shared by every large answer
/// after it: built at start, it would inflate the limit server's cold start
/// and idle memory.
struct LargeBody {
    size: usize,
    bytes: OnceLock<Bytes>,
}

impl LargeBody {
    fn get(&self) -> Bytes {
        self.bytes
            .get_or_init(|| Bytes::from(vec![b'x'; self.size]))
            .clone()
    }
}

async fn answer(
    request: Request<Incoming>,
    large_body: Arc<LargeBody>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let wants_large = request.method() == Method::GET && request.uri().path().contains(LARGE_PATH_MARKER);
    // Read the whole upload, as any real server must.
    let mut body = request.into_body();
    while let Some(frame) = body.frame().await {
        if frame.is_err() {
            break;
        }
    }
    let body = if wants_large {
        large_body.get()
    } else {
        Bytes::from_static(FIXED_BODY)
    };
    Ok(Response::new(Full::new(body)))
}
