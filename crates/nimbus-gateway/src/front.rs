//! Services' front hooks around the AWS pipeline (see
//! [`nimbus_protocol::front`]): a hook that claims a request answers it; a
//! hook that amends one adds to its service's answer once the pipeline has
//! served it. The gateway asks every hook the same questions and knows
//! nothing of what they serve.

use std::sync::Arc;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, Method};
use hyper::body::Incoming;
use nimbus_core::RequestContext;
use nimbus_protocol::HttpRequest;
use nimbus_protocol::front::Head;

use crate::auth::caller::Caller;
use crate::auth::sigv4::RequestAuth;
use crate::auth::verify;
use crate::dispatch::{Exchange, dispatch};
use crate::gateway::Gateway;

/// Whether a service's front hook claims the request.
pub fn claimed(gateway: &Gateway, parts: &Parts) -> bool {
    let head = Head {
        method: &parts.method,
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or_default(),
        headers: &parts.headers,
    };
    let mut fronts = gateway.services().fronts();
    fronts.any(|service| service.front().is_some_and(|hook| hook.claims(&head)))
}

/// Serves a request that did not go to an internal endpoint.
pub async fn serve(gateway: &Gateway, parts: Parts, incoming: Incoming) -> Exchange {
    let head = Head {
        method: &parts.method,
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or_default(),
        headers: &parts.headers,
    };
    let mut amending = None;
    for service in gateway.services().fronts() {
        let Some(hook) = service.front() else {
            continue;
        };
        if hook.claims(&head) {
            let limit = gateway.config().max_body_bytes;
            let body = match crate::body::collect(&parts.headers, incoming, limit, &DEFAULT_PROFILE).await {
                Ok(body) => body,
                Err(error) => return refused_body(service.model_name(), &error),
            };
            let ctx = hook_context(gateway, service.model_name(), &head, &body);
            let answer = hook.serve(&ctx, head, body).await;
            return Exchange {
                response: answer.response,
                service: service.model_name(),
                operation: answer.operation.to_owned(),
            };
        }
        if amending.is_none() && hook.amends(&head) {
            amending = Some((Arc::clone(service), OwnedHead::of(&head)));
        }
    }
    let mut exchange = dispatch(gateway, parts, incoming).await;
    if let Some((service, owned)) = amending
        && exchange.service == service.model_name()
        && let Some(hook) = service.front()
    {
        let head = owned.head();
        let ctx = anonymous_context(gateway, service.model_name(), &head);
        hook.amend(&ctx, head, &mut exchange.response).await;
    }
    exchange
}

/// The profile of requests a hook answers: the protocol's defaults.
static DEFAULT_PROFILE: std::sync::LazyLock<nimbus_protocol::model::Profile> =
    std::sync::LazyLock::new(nimbus_protocol::model::Profile::default);

/// A claimed request whose body could not be read (too large, cut short).
fn refused_body(service: &'static str, error: &nimbus_core::AwsError) -> Exchange {
    let mut response = nimbus_protocol::HttpResponse {
        status: error.status,
        body: bytes::Bytes::from(error.message.clone()),
        ..Default::default()
    };
    response.headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain"),
    );
    Exchange {
        response,
        service,
        operation: "-".to_owned(),
    }
}

/// The context of a claimed request: its signer's when it is signed with
/// SigV4 (and, when signatures are verified, the signature holds), else an
/// anonymous caller's, as a browser is.
fn hook_context(gateway: &Gateway, service: &'static str, head: &Head<'_>, body: &Bytes) -> RequestContext {
    let query = crate::auth::sigv4::query_params_if_presigned(head.query);
    let auth = match crate::auth::sigv4::parse(head.headers, &query) {
        Ok(auth @ RequestAuth::SigV4(_)) => auth,
        _ => return anonymous_context(gateway, service, head),
    };
    if gateway.config().verify_signatures {
        let request = HttpRequest {
            method: head.method.clone(),
            path: head.path.to_owned(),
            query: head.query.to_owned(),
            headers: head.headers.clone(),
            body: body.clone(),
        };
        let verified =
            verify::whole_request(gateway.config(), gateway.credentials(), &auth, &request, &query);
        if verified.is_err() {
            return anonymous_context(gateway, service, head);
        }
    }
    let caller = Caller::resolve(&auth, gateway.credentials(), gateway.config());
    RequestContext {
        account_id: caller.account_id,
        region: caller.region,
        access_key_id: caller.access_key_id,
        ..anonymous_context(gateway, service, head)
    }
}

/// The context of a hook's own calls: an anonymous caller, as a browser is.
fn anonymous_context(gateway: &Gateway, service: &'static str, head: &Head<'_>) -> RequestContext {
    let caller = Caller::resolve(&RequestAuth::Anonymous, gateway.credentials(), gateway.config());
    RequestContext {
        request_id: uuid::Uuid::new_v4().to_string(),
        account_id: caller.account_id,
        region: caller.region,
        access_key_id: None,
        service,
        operation: String::new(),
        host: head.header(http::header::HOST).unwrap_or_default().to_owned(),
        enforcement: gateway.config().enforcement.clone(),
        // Front hooks answer website and CORS requests, which no policy checks.
        source_ip: None,
        service_caller: None,
    }
}

/// A request head kept past the pipeline, which consumes the request.
struct OwnedHead {
    method: Method,
    path: String,
    query: String,
    headers: HeaderMap,
}

impl OwnedHead {
    fn of(head: &Head<'_>) -> Self {
        OwnedHead {
            method: head.method.clone(),
            path: head.path.to_owned(),
            query: head.query.to_owned(),
            headers: head.headers.clone(),
        }
    }

    fn head(&self) -> Head<'_> {
        Head {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
        }
    }
}
