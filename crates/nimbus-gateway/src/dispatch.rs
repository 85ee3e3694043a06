//! One AWS API request, from HTTP to a service and back, in named stages:
//! [`read_head`] (signature, route, the checks the head allows) →
//! [`read_body`] (buffered or streamed, verified, unwrapped) →
//! [`settle_route`] (service, protocol, operation) → [`context`] (the
//! caller) → [`call`] (the service decodes, handles and encodes). A stage
//! that fails answers in the protocol's own error shape; what differs
//! between services comes from the route's profile, never a service name.

use std::sync::Arc;

use bytes::Bytes;
use http::request::Parts;
use hyper::body::Incoming;
use nimbus_core::{AwsError, ByteStream, RequestContext};
use nimbus_protocol::model::{Model, Operation};
use nimbus_protocol::service::{self, Service};
use nimbus_protocol::{HttpRequest, HttpResponse, Protocol, models};

use crate::auth::caller::Caller;
use crate::auth::presign;
use crate::auth::sigv4::{self, MalformedSignature, RequestAuth, SignatureLocation};
use crate::auth::verify::{self, BodyVerification, DeclaredSha256};
use crate::body::{self, chunked, encoding};
use crate::fallback_error;
use crate::gateway::Gateway;
use crate::internal::test_hooks;
use crate::route::{self, Identification, Route};
use crate::server::Peer;

/// A served request, with what the access log needs.
pub struct Exchange {
    pub response: HttpResponse,
    /// The model name, or `-` when the request matched no service.
    pub service: &'static str,
    /// The operation name, or `-` when none was identified.
    pub operation: String,
}

/// Serves one AWS API request.
pub async fn dispatch(gateway: &Gateway, parts: Parts, incoming: Incoming) -> Exchange {
    let mut request = Request {
        id: uuid::Uuid::new_v4().to_string(),
        peer: parts.extensions.get::<Peer>().map(|peer| peer.0),
        http: HttpRequest {
            method: parts.method,
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().unwrap_or_default().to_owned(),
            headers: parts.headers,
            body: Bytes::new(),
        },
    };
    match serve(gateway, &mut request, incoming).await {
        Ok(exchange) | Err(exchange) => exchange,
    }
}

/// The stages in order; `Err` is a stage's failure, already answered.
async fn serve(gateway: &Gateway, request: &mut Request, incoming: Incoming) -> Result<Exchange, Exchange> {
    let mut head = read_head(gateway, request)?;
    let upload = read_body(gateway, request, &mut head, incoming).await?;
    let (route, model, operation) = settle_route(request, &head)?;
    require_signature(gateway, &head.auth, &route, operation).map_err(|e| request.failed(Some(&route), e))?;
    let ctx = context(gateway, request, &head.auth, &route, operation);
    let service = gateway.services().get(route.model).cloned();
    let response = call(
        Call {
            service,
            protocol: route.protocol,
            model,
            operation,
            // The last stage: the request moves to the service.
            request: std::mem::take(&mut request.http),
            upload,
            ctx,
            test_hooks: gateway.config().test_hooks,
        },
        &request.id,
    )
    .await;
    Ok(Exchange {
        response,
        service: route.model,
        operation: operation.name.clone(),
    })
}

/// The request being served, and its id.
struct Request {
    id: String,
    /// The address it came from (none when served without a connection).
    peer: Option<std::net::IpAddr>,
    http: HttpRequest,
}

impl Request {
    /// A failure before any service is known.
    fn unrouted(&self, error: AwsError) -> Exchange {
        Exchange {
            response: fallback_error::render(&self.http, &error, &self.id),
            service: "-",
            operation: "-".to_owned(),
        }
    }

    /// A failure in the envelope of `route`'s service, when there is one.
    fn failed(&self, route: Option<&Route>, error: AwsError) -> Exchange {
        let Some(route) = route else {
            return self.unrouted(error);
        };
        let response = match models::for_protocol(route.model, route.protocol) {
            Some(model) => route.protocol.encode_error(model, None, &error, &self.id),
            None => fallback_error::render(&self.http, &error, &self.id),
        };
        Exchange {
            response,
            service: route.model,
            operation: "-".to_owned(),
        }
    }
}

/// What the head of a request tells, before its body is read.
struct Head {
    auth: RequestAuth,
    /// A signature that does not parse: refused once the service is known.
    malformed: Option<MalformedSignature>,
    identification: Identification,
    /// The route, when the head alone names it.
    route: Option<Route>,
    /// What the body must hash to (`x-amz-content-sha256`, when checked).
    declared_sha256: Option<DeclaredSha256>,
    body_verification: BodyVerification,
    /// The operation of a rest request, found from method, path and query.
    operation: Option<Result<&'static Operation, AwsError>>,
    /// The body is an upload that streams instead of being read whole.
    streams: bool,
}

/// Stage 1: the signature, the route, and the checks the head allows.
fn read_head(gateway: &Gateway, request: &mut Request) -> Result<Head, Exchange> {
    let http = &request.http;
    let presign_params = sigv4::query_params_if_presigned(&http.query);
    let (auth, malformed) = match sigv4::parse(&http.headers, &presign_params) {
        Ok(auth) => (auth, None),
        Err(malformed) => (RequestAuth::Anonymous, Some(malformed)),
    };
    let identification = route::identify(http, &auth).map_err(|error| request.unrouted(error))?;
    let route = match &identification {
        Identification::Routed(route) => Some(route.clone()),
        Identification::ByAction => None,
    };
    let fail = |error| request.failed(route.as_ref(), error);
    let profile = route.as_ref().map(|route| route.profile);
    // An expired presigned URL is refused before its body is read.
    if profile.is_some_and(|p| p.checks_presigned_expiry) {
        presign::check_window(&auth, &presign_params, gateway.config().clock.now()).map_err(fail)?;
    }
    let declared_sha256 = match profile.is_some_and(|p| p.checks_content_sha256) {
        true => verify::declared_sha256(&auth, http).map_err(fail)?,
        false => None,
    };
    // A request naming its resource in the Host (S3's virtual-hosted
    // buckets) has the service's own path, as its front hook tells.
    let host_path = route.as_ref().and_then(|route| {
        let host = http.header(http::header::HOST);
        gateway.services().host_path(route.model, host, &http.path)
    });
    // Opt-in signature verification; a body-hash check waits for the body.
    let body_verification = verify::before_body(
        gateway.config(),
        gateway.credentials(),
        route.as_ref(),
        &auth,
        http,
        host_path.as_deref(),
        &presign_params,
    )
    .map_err(fail)?;
    if let Some(path) = host_path {
        request.http.path = path;
    }
    // Rest protocols name the operation in the head: found before the body,
    // so that an upload can stream instead of being read whole.
    let operation = route
        .as_ref()
        .and_then(|route| operation_from_head(route, &request.http));
    let streams = match (&route, &operation) {
        (Some(route), Some(Ok(operation))) => streams_upload(route, operation, &request.http),
        _ => false,
    };
    Ok(Head {
        auth,
        malformed,
        identification,
        route,
        declared_sha256,
        body_verification,
        operation,
        streams,
    })
}

/// Stage 2: the body, read within the service's limit and unwrapped from
/// its transport encodings: whole, or (an upload) as a stream.
async fn read_body(
    gateway: &Gateway,
    request: &mut Request,
    head: &mut Head,
    incoming: Incoming,
) -> Result<Option<ByteStream>, Exchange> {
    let route = head.route.clone();
    let profile: &nimbus_protocol::model::Profile =
        route.as_ref().map_or(&DEFAULT_PROFILE, |route| route.profile);
    let limit = profile
        .max_body_bytes
        .map_or(gateway.config().max_body_bytes, |max| {
            usize::try_from(max).unwrap_or(usize::MAX)
        });
    let read = match &route {
        Some(route) if head.streams => stream_body(request, head, incoming, limit, route).map(Some),
        _ => match body::collect(&request.http.headers, incoming, limit, profile).await {
            Ok(bytes) => {
                request.http.body = bytes;
                unwrap_body(&mut request.http, head, limit, profile).map(|()| None)
            }
            Err(error) => Err(error),
        },
    };
    read.map_err(|error| request.failed(route.as_ref(), error))
}

/// The profile of requests whose service is not known yet.
static DEFAULT_PROFILE: std::sync::LazyLock<nimbus_protocol::model::Profile> =
    std::sync::LazyLock::new(nimbus_protocol::model::Profile::default);

/// A streamed upload: de-chunked, hashed and its chunk signatures checked
/// as it arrives.
fn stream_body(
    request: &mut Request,
    head: &mut Head,
    incoming: Incoming,
    limit: usize,
    route: &Route,
) -> Result<ByteStream, AwsError> {
    let wire_len = body::announced_length(&request.http.headers);
    let chunked = encoding::streamed_aws_chunked(&mut request.http, &head.auth)?;
    body::stream(
        wire_len,
        incoming,
        limit,
        chunked,
        head.declared_sha256.take(),
        head.body_verification.chunks.take(),
        route.profile,
    )
}

/// A whole body: its hash and signatures checked, `aws-chunked` framing
/// removed, gzip undone where the service takes bodies unpacked.
fn unwrap_body(
    http: &mut HttpRequest,
    head: &mut Head,
    limit: usize,
    profile: &nimbus_protocol::model::Profile,
) -> Result<(), AwsError> {
    let signature = head.body_verification.signature.take();
    verify::check_body(&http.body, signature, head.declared_sha256.as_ref())?;
    if let Some(chain) = head.body_verification.chunks.take() {
        chunked::verify_signatures(http.body.clone(), chain).map_err(encoding::chunk_error)?;
    }
    encoding::decode_aws_chunked(http, &head.auth)?;
    if profile.gunzip {
        encoding::gunzip(http, limit, profile)?;
    }
    Ok(())
}

/// Stage 3: the service (an unsigned `Action=` request's from its body),
/// the protocol's model and the operation.
fn settle_route(
    request: &Request,
    head: &Head,
) -> Result<(Route, &'static Model, &'static Operation), Exchange> {
    let route = match &head.identification {
        Identification::Routed(route) => route.clone(),
        Identification::ByAction => {
            route::route_by_action(&request.http).map_err(|error| request.unrouted(error))?
        }
    };
    let fail = |error| request.failed(Some(&route), error);
    if let Some(malformed) = &head.malformed {
        return Err(fail(signature_error(&route, malformed)));
    }
    let Some(model) = models::for_protocol(route.model, route.protocol) else {
        let error = AwsError::internal(format!("model {} is not vendored", route.model));
        return Err(request.unrouted(error));
    };
    let operation = match &head.operation {
        Some(identified) => identified.clone(),
        None => route.protocol.identify_operation(model, &request.http),
    };
    let operation = operation.map_err(fail)?;
    Ok((route, model, operation))
}

/// With signatures verified, an unsigned request is refused unless its
/// operation is called without one (STS's web identity calls) or its
/// service lets resource policies admit anonymous callers (S3).
fn require_signature(
    gateway: &Gateway,
    auth: &RequestAuth,
    route: &Route,
    operation: &Operation,
) -> Result<(), AwsError> {
    let unsigned = matches!(auth, RequestAuth::Anonymous);
    if unsigned
        && gateway.config().verify_signatures
        && !operation.unsigned
        && !route.profile.anonymous_access
    {
        return Err(AwsError::new(
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
            403,
        ));
    }
    Ok(())
}

/// Stage 4: who is calling, and where.
fn context(
    gateway: &Gateway,
    request: &Request,
    auth: &RequestAuth,
    route: &Route,
    operation: &Operation,
) -> RequestContext {
    let caller = Caller::resolve(auth, gateway.credentials(), gateway.config());
    RequestContext {
        request_id: request.id.clone(),
        account_id: caller.account_id,
        region: caller.region,
        access_key_id: caller.access_key_id,
        service: route.model,
        operation: operation.name.clone(),
        host: request
            .http
            .header(http::header::HOST)
            .unwrap_or_default()
            .to_owned(),
        enforcement: gateway
            .config()
            .enforcement_for(matches!(auth, RequestAuth::Anonymous)),
        source_ip: request.peer,
        service_caller: None,
    }
}

/// Everything a service call needs, owned, so it can run as its own task.
struct Call {
    service: Option<Arc<dyn Service>>,
    protocol: Protocol,
    model: &'static Model,
    operation: &'static Operation,
    request: HttpRequest,
    /// The streamed body of an upload, for the streaming payload member.
    upload: Option<ByteStream>,
    ctx: RequestContext,
    test_hooks: bool,
}

/// Stage 5: the service decodes, handles and encodes, in a task of its own
/// so that a panic becomes a 500 InternalError instead of a dropped
/// connection. `request_id` is the context's, borrowed for the error the
/// gateway writes when the task fails.
async fn call(call: Call, request_id: &str) -> HttpResponse {
    let Call {
        service,
        protocol,
        model,
        operation,
        request,
        upload,
        ctx,
        test_hooks,
    } = call;
    let service_name = ctx.service;
    // A handle on the upload, to find out afterwards whether it was read.
    let unread_upload = upload.clone();
    let task_request_id = request_id.to_owned();
    let task = tokio::spawn(async move {
        test_hooks::before_handler(test_hooks, &request);
        let Some(service) = service else {
            let error = AwsError::not_implemented(ctx.service, &operation.name);
            return protocol.encode_error(model, Some(operation), &error, &task_request_id);
        };
        let wire = service::Wire {
            protocol,
            model,
            operation,
            request: &request,
            stream: upload,
            request_id: &task_request_id,
        };
        service
            .call(&ctx, service::Call::wire(wire))
            .await
            .into_response()
    });
    let outcome = task.await;
    if let Some(upload) = unread_upload {
        drain_unread(&upload).await;
    }
    match outcome {
        Ok(response) => response,
        Err(join_error) => {
            let why = if join_error.is_panic() {
                panic_message(join_error.into_panic())
            } else {
                "the handler was cancelled".to_owned()
            };
            tracing::error!(
                service = %service_name,
                operation = %operation.name,
                request_id = %request_id,
                "handler failed: {why}"
            );
            let error = AwsError::internal(format!(
                "nimbus failed while handling {} (request {request_id}); see the server log.",
                operation.name
            ));
            protocol.encode_error(model, Some(operation), &error, request_id)
        }
    }
}

/// An upload the service refused without reading it (NoSuchBucket) is read
/// and discarded up to this size, so a client that sends its whole body
/// before reading the answer (no `Expect: 100-continue`) gets the answer
/// instead of a broken connection; larger ones are cut off as S3 does.
const DRAIN_UNREAD_BYTES: u64 = 64 * 1024 * 1024;

async fn drain_unread(upload: &ByteStream) {
    if upload.len().is_none_or(|len| len > DRAIN_UNREAD_BYTES) {
        return;
    }
    let Some(mut chunks) = upload.take() else {
        return;
    };
    while let Some(Ok(_)) = std::future::poll_fn(|cx| chunks.as_mut().poll_next(cx)).await {}
}

/// Uploads of at least this many bytes (or of unknown length) stream; smaller
/// ones are read whole, which is cheaper for them.
const STREAM_FROM_BYTES: u64 = 256 * 1024;

/// The operation of a rest request, from its method, path and query; `None`
/// for protocols that name it in the body.
fn operation_from_head(route: &Route, request: &HttpRequest) -> Option<Result<&'static Operation, AwsError>> {
    if !matches!(route.protocol, Protocol::RestXml | Protocol::RestJson) {
        return None;
    }
    let model = models::for_protocol(route.model, route.protocol)?;
    Some(route.protocol.identify_operation(model, request))
}

/// Whether the request's body is a streaming payload (an S3 object upload)
/// large enough to stream.
fn streams_upload(route: &Route, operation: &Operation, request: &HttpRequest) -> bool {
    let Some(model) = models::for_protocol(route.model, route.protocol) else {
        return false;
    };
    if route.protocol.streaming_input_member(model, operation).is_none() {
        return false;
    }
    let data_len = request
        .header("x-amz-decoded-content-length")
        .and_then(|text| text.trim().parse::<u64>().ok())
        .or_else(|| body::announced_length(&request.headers));
    data_len.is_none_or(|len| len >= STREAM_FROM_BYTES)
}

/// A malformed signature, in the words of the service it was sent to.
fn signature_error(route: &Route, malformed: &MalformedSignature) -> AwsError {
    let codes = &route.profile.signature_errors;
    let code = match malformed.location {
        SignatureLocation::Header => &codes.header,
        SignatureLocation::Query { .. } => &codes.query,
    };
    AwsError::new(code.clone(), malformed.message.clone(), 400)
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(message) => (*message).to_owned(),
            Err(payload) => match payload.downcast::<&str>() {
                Ok(message) => (*message).to_owned(),
                Err(_) => "a panic without a message".to_owned(),
            },
        },
    }
}
