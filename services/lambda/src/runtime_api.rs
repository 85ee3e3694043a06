//! The Lambda Runtime API an execution environment's runtime polls: one
//! loopback port per environment (`AWS_LAMBDA_RUNTIME_API`), the paths and
//! headers the official runtime clients use.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http::{Method, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

const PREFIX: &str = "/2018-06-01/runtime/";

/// One event for the function, and where its outcome goes.
pub struct Invocation {
    pub request_id: String,
    pub payload: Bytes,
    /// Milliseconds since the epoch (Lambda-Runtime-Deadline-Ms).
    pub deadline_ms: u64,
    pub function_arn: String,
    pub trace_id: String,
    pub client_context: Option<String>,
    pub reply: oneshot::Sender<Outcome>,
    /// Where a streamed response's chunks go as they arrive
    /// (InvokeWithResponseStream); without it one is gathered whole.
    pub stream: Option<mpsc::Sender<Bytes>>,
}

/// The invocation the runtime took and has not answered.
struct Held {
    request_id: String,
    reply: oneshot::Sender<Outcome>,
    stream: Option<mpsc::Sender<Bytes>>,
}

/// What the runtime reported for an invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Response(Bytes),
    /// The function failed: the runtime's error document and its type.
    Error {
        error_type: Option<String>,
        body: Bytes,
    },
}

/// The state the Runtime API serves from.
struct Shared {
    queue: tokio::sync::Mutex<mpsc::Receiver<Invocation>>,
    /// The invocation the runtime took and has not answered.
    current: Mutex<Option<Held>>,
    /// What the runtime reported through /runtime/init/error.
    init_error: Mutex<Option<Outcome>>,
    /// When the runtime first asked for an invocation: its init was done.
    first_poll: std::sync::OnceLock<std::time::Instant>,
}

/// A running Runtime API: its address, the queue it serves from, and what
/// an initialisation error reported.
pub struct RuntimeApi {
    pub address: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    /// Serves on a free loopback port; invocations arrive through the sender.
    pub async fn start() -> std::io::Result<(RuntimeApi, mpsc::Sender<Invocation>)> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let (sender, queue) = mpsc::channel(1);
        let shared = Arc::new(Shared {
            queue: tokio::sync::Mutex::new(queue),
            current: Mutex::new(None),
            init_error: Mutex::new(None),
            first_poll: std::sync::OnceLock::new(),
        });
        let served = Arc::clone(&shared);
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = Arc::clone(&served);
                tokio::spawn(async move {
                    let service = service_fn(move |request| serve(Arc::clone(&shared), request));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok((
            RuntimeApi {
                address,
                shared,
                server,
            },
            sender,
        ))
    }

    /// When the runtime first asked for an invocation, if it has.
    pub fn first_poll(&self) -> Option<std::time::Instant> {
        self.shared.first_poll.get().copied()
    }

    /// The error the runtime reported while initialising, if it did.
    pub fn init_error(&self) -> Option<Outcome> {
        self.shared.init_error.lock().ok()?.clone()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

type Reply = Response<Full<Bytes>>;

fn reply(status: StatusCode, body: &'static str) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

async fn serve(shared: Arc<Shared>, request: http::Request<Incoming>) -> Result<Reply, Infallible> {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Ok(reply(
            StatusCode::NOT_FOUND,
            r#"{"errorMessage":"not found","errorType":"NotFound"}"#,
        ));
    };
    let error_type = header(request.headers(), "lambda-runtime-function-error-type");
    let streaming =
        header(request.headers(), "lambda-runtime-function-response-mode").as_deref() == Some("streaming");
    if let (true, Some(("invocation", id, "response"))) = (streaming, response_path(rest))
        && method == Method::POST
    {
        return Ok(streamed(&shared, id, request.into_body()).await);
    }
    let body = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let segments: Vec<&str> = rest.split('/').collect();
    Ok(match (method, segments.as_slice()) {
        (Method::GET, ["invocation", "next"]) => next(&shared).await,
        (Method::POST, ["invocation", id, "response"]) => answer(&shared, id, Outcome::Response(body)),
        (Method::POST, ["invocation", id, "error"]) => {
            answer(&shared, id, Outcome::Error { error_type, body })
        }
        (Method::POST, ["init", "error"]) => {
            if let Ok(mut init) = shared.init_error.lock() {
                *init = Some(Outcome::Error { error_type, body });
            }
            reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
        }
        _ => reply(
            StatusCode::NOT_FOUND,
            r#"{"errorMessage":"not found","errorType":"NotFound"}"#,
        ),
    })
}

/// Waits for the next invocation and hands it to the runtime.
async fn next(shared: &Shared) -> Reply {
    let _ = shared.first_poll.set(std::time::Instant::now());
    let invocation = shared.queue.lock().await.recv().await;
    let Some(invocation) = invocation else {
        return reply(
            StatusCode::GONE,
            r#"{"errorMessage":"environment shutting down","errorType":"Shutdown"}"#,
        );
    };
    let mut response = Response::new(Full::new(invocation.payload));
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(value) = http::HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set("content-type", "application/json");
    set("lambda-runtime-aws-request-id", &invocation.request_id);
    set("lambda-runtime-deadline-ms", &invocation.deadline_ms.to_string());
    set("lambda-runtime-invoked-function-arn", &invocation.function_arn);
    set("lambda-runtime-trace-id", &invocation.trace_id);
    if let Some(context) = &invocation.client_context {
        set("lambda-runtime-client-context", context);
    }
    if let Ok(mut current) = shared.current.lock() {
        *current = Some(Held {
            request_id: invocation.request_id,
            reply: invocation.reply,
            stream: invocation.stream,
        });
    }
    response
}

fn header(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// `invocation/<id>/response` split in three.
fn response_path(rest: &str) -> Option<(&str, &str, &str)> {
    let mut segments = rest.split('/');
    let parts = (segments.next()?, segments.next()?, segments.next()?);
    segments.next().is_none().then_some(parts)
}

/// The invocation `id` names, taken from the runtime's hands.
fn take_held(shared: &Shared, id: &str) -> Option<Held> {
    let mut current = shared.current.lock().ok()?;
    match current.take() {
        Some(held) if held.request_id == id => Some(held),
        other => {
            *current = other;
            None
        }
    }
}

fn invalid_request_id() -> Reply {
    reply(
        StatusCode::BAD_REQUEST,
        r#"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#,
    )
}

/// A response the runtime streams (`Lambda-Runtime-Function-Response-Mode:
/// streaming`): its chunks forwarded as they arrive, an error mid-stream
/// reported in its trailers (the error body base64).
async fn streamed(shared: &Shared, id: &str, mut body: Incoming) -> Reply {
    let Some(held) = take_held(shared, id) else {
        return invalid_request_id();
    };
    let mut gathered = bytes::BytesMut::new();
    let mut failure = None;
    while let Some(Ok(frame)) = body.frame().await {
        match frame.into_data() {
            Ok(data) => match &held.stream {
                // A caller that went away leaves the function to finish.
                Some(sink) => drop(sink.send(data).await),
                None => gathered.extend_from_slice(&data),
            },
            Err(frame) => {
                if let Ok(trailers) = frame.into_trailers() {
                    failure = header(&trailers, "lambda-runtime-function-error-type").map(|error_type| {
                        let body = header(&trailers, "lambda-runtime-function-error-body")
                            .and_then(|text| BASE64.decode(text).ok())
                            .unwrap_or_default();
                        (error_type, Bytes::from(body))
                    });
                }
            }
        }
    }
    let outcome = match failure {
        Some((error_type, body)) => Outcome::Error {
            error_type: Some(error_type),
            body,
        },
        None => Outcome::Response(gathered.freeze()),
    };
    let _ = held.reply.send(outcome);
    reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
}

/// The runtime's answer for the invocation it holds.
fn answer(shared: &Shared, id: &str, outcome: Outcome) -> Reply {
    match take_held(shared, id) {
        Some(held) => {
            let _ = held.reply.send(outcome);
            reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
        }
        None => invalid_request_id(),
    }
}
