//! One AWS API request, from HTTP to a service and back:
//! authenticate (parse) → identify → read and unwrap the body → find the
//! operation → resolve the caller → decode → call the service → encode.
//! Every failure is rendered in the protocol's own error shape.

use std::sync::Arc;

use bytes::Bytes;
use http::request::Parts;
use hyper::body::Incoming;
use nimbus_core::{AwsError, ByteStream, RequestContext};
use nimbus_protocol::model::{Model, Operation};
use nimbus_protocol::service::{self, Service};
use nimbus_protocol::{HttpRequest, HttpResponse, Protocol, models};

use crate::caller::Caller;
use crate::gateway::Gateway;
use crate::identify::{self, Identification, Route};
use crate::sigv4::{self, MalformedSignature, RequestAuth, SignatureLocation};
use crate::verify::BodyVerification;
use crate::{body, chunked, content_encoding, fallback_error, front, presign, test_hooks, verify};

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
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut request = HttpRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: parts.headers,
        body: Bytes::new(),
    };
    let unrouted = |request: &HttpRequest, error: AwsError| Exchange {
        response: fallback_error::render(request, &error, &request_id),
        service: "-",
        operation: "-".to_owned(),
    };

    // Who signed, and for which service: from the head alone.
    let presign_params = if carries_presigned_auth(&request.query) {
        request.query_params()
    } else {
        Vec::new()
    };
    let (auth, malformed) = match sigv4::parse(&request.headers, &presign_params) {
        Ok(auth) => (auth, None),
        Err(malformed) => (RequestAuth::Anonymous, Some(malformed)),
    };
    let identification = match identify::identify(&request, &auth) {
        Ok(identification) => identification,
        Err(error) => return unrouted(&request, error),
    };
    let provisional = match &identification {
        Identification::Routed(route) => Some(route.clone()),
        Identification::ByAction => None,
    };
    let is_s3 = provisional.as_ref().is_some_and(|route| route.model == "s3");
    let fail = |request: &HttpRequest, error: AwsError| match &provisional {
        Some(route) => Exchange {
            response: routed_error(route, None, request, &error, &request_id),
            service: route.model,
            operation: "-".to_owned(),
        },
        None => unrouted(request, error),
    };
    // An expired presigned S3 URL is refused before its body is read.
    if is_s3
        && let Err(error) = presign::check_s3_window(&auth, &presign_params, gateway.config().clock.now())
    {
        return fail(&request, error);
    }
    // S3 checks the body against a hex x-amz-content-sha256 (once read) and
    // refuses a value that is neither a hash nor a known keyword.
    let declared_sha256 = if is_s3 {
        match verify::s3_declared_sha256(&auth, &request) {
            Ok(declared) => declared,
            Err(error) => return fail(&request, error),
        }
    } else {
        None
    };
    // A request naming its resource in the Host (S3's virtual-hosted
    // buckets) has the service's own path, as its front hook tells.
    let host_path = provisional.as_ref().and_then(|route| {
        let service = gateway.services().get(route.model);
        front::host_path(service, request.header(http::header::HOST), &request.path)
    });
    // Opt-in signature verification; a body-hash check waits for the body.
    let body_verification = match verify::before_body(
        gateway.config().verify_signatures,
        gateway.credentials(),
        provisional.as_ref(),
        &auth,
        &request,
        host_path.as_deref(),
        &presign_params,
    ) {
        Ok(pending) => pending,
        Err(error) => return fail(&request, error),
    };

    // Before anything else reads the path.
    if let Some(path) = host_path {
        request.path = path;
    }
    // Rest protocols name the operation in the head: found before the body,
    // so that an object upload can stream instead of being read whole.
    let early_operation = provisional
        .as_ref()
        .and_then(|route| operation_from_head(route, &request));
    let streamed = match (&provisional, &early_operation) {
        (Some(route), Some(Ok(operation))) => streams_upload(route, operation, &request),
        _ => false,
    };

    // The body: read within the limit, then undo transport encodings.
    let limit = if is_s3 {
        gateway.config().max_s3_body_bytes
    } else {
        gateway.config().max_body_bytes
    };
    let mut upload = None;
    if streamed {
        let wire_len = body::announced_length(&request.headers);
        let chunked = match content_encoding::streamed_aws_chunked(&mut request, &auth) {
            Ok(chunked) => chunked,
            Err(error) => return fail(&request, error),
        };
        let chunk_signatures = body_verification.chunks;
        upload = match body::stream(
            wire_len,
            incoming,
            limit,
            chunked,
            declared_sha256,
            chunk_signatures,
        ) {
            Ok(stream) => Some(stream),
            Err(error) => return fail(&request, error),
        };
    } else {
        request.body = match body::collect(&request.headers, incoming, limit, is_s3).await {
            Ok(bytes) => bytes,
            Err(error) => return fail(&request, error),
        };
        let BodyVerification { signature, chunks } = body_verification;
        if let Err(error) = verify::check_body(&request.body, signature, declared_sha256.as_ref()) {
            return fail(&request, error);
        }
        if let Some(chain) = chunks
            && let Err(error) = chunked::verify_signatures(request.body.clone(), chain)
        {
            return fail(&request, content_encoding::chunk_error(error));
        }
        if let Err(error) = content_encoding::decode_aws_chunked(&mut request, &auth) {
            return fail(&request, error);
        }
        if !is_s3 && let Err(error) = content_encoding::gunzip(&mut request, limit) {
            return fail(&request, error);
        }
    }

    let route = match identification {
        Identification::Routed(route) => route,
        Identification::ByAction => match identify::route_by_action(&request) {
            Ok(route) => route,
            Err(error) => return unrouted(&request, error),
        },
    };
    let routed_failure = |request: &HttpRequest, error: AwsError| Exchange {
        response: routed_error(&route, None, request, &error, &request_id),
        service: route.model,
        operation: "-".to_owned(),
    };
    if let Some(malformed) = malformed {
        return routed_failure(&request, signature_error(&route, malformed));
    }
    let Some(model) = models::for_protocol(route.model, route.protocol) else {
        return unrouted(
            &request,
            AwsError::internal(format!("model {} is not vendored", route.model)),
        );
    };
    let identified = match early_operation {
        Some(identified) => identified,
        None => route.protocol.identify_operation(model, &request),
    };
    let operation = match identified {
        Ok(operation) => operation,
        Err(error) => return routed_failure(&request, error),
    };

    let caller = Caller::resolve(&auth, gateway.credentials(), gateway.config());
    let ctx = RequestContext {
        request_id: request_id.clone(),
        account_id: caller.account_id,
        region: caller.region,
        access_key_id: caller.access_key_id,
        service: route.model,
        operation: operation.name.clone(),
        host: request.header(http::header::HOST).unwrap_or_default().to_owned(),
    };
    let service = gateway.services().get(route.model).cloned();
    let test_hooks = gateway.config().test_hooks;
    let response = call(
        Call {
            service,
            protocol: route.protocol,
            model,
            operation,
            request,
            upload,
            ctx,
            test_hooks,
        },
        &request_id,
    )
    .await;
    Exchange {
        response,
        service: route.model,
        operation: operation.name.clone(),
    }
}

/// Everything a service call needs, owned, so it can run as its own task.
struct Call {
    service: Option<Arc<dyn Service>>,
    protocol: Protocol,
    model: &'static Model,
    operation: &'static Operation,
    request: HttpRequest,
    /// The streamed body of an object upload, for the streaming payload member.
    upload: Option<ByteStream>,
    ctx: RequestContext,
    test_hooks: bool,
}

/// Decodes, calls the service and encodes. The decode and the handler run in
/// a task of their own so that a panic becomes a 500 InternalError instead of
/// a dropped connection. `request_id` is the context's, borrowed for the
/// encoding that follows the task.
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

fn routed_error(
    route: &Route,
    operation: Option<&Operation>,
    request: &HttpRequest,
    error: &AwsError,
    request_id: &str,
) -> HttpResponse {
    match models::for_protocol(route.model, route.protocol) {
        Some(model) => route.protocol.encode_error(model, operation, error, request_id),
        None => fallback_error::render(request, error, request_id),
    }
}

/// A malformed signature, in the words of the service it was sent to.
fn signature_error(route: &Route, malformed: MalformedSignature) -> AwsError {
    let code = match (route.model, &malformed.location) {
        ("s3", SignatureLocation::Header) => "AuthorizationHeaderMalformed",
        ("s3", SignatureLocation::Query { .. }) => "AuthorizationQueryParametersError",
        _ => "IncompleteSignature",
    };
    AwsError::new(code, malformed.message, 400)
}

/// Whether the query string may hold a presigned signature (cheap pre-check
/// so ordinary requests skip decoding their query twice).
fn carries_presigned_auth(query: &str) -> bool {
    query.contains("X-Amz-") || query.contains("AWSAccessKeyId")
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(message) => (*message).to_owned(),
            Err(_) => "a panic without a message".to_owned(),
        },
    }
}
