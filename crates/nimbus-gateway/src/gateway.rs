//! The gateway: registered services, shared credentials, settings, and the
//! entry point for one HTTP request (internal endpoint or AWS API).

use std::sync::Arc;
use std::time::Instant;

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use nimbus_core::identity::CredentialRegistry;
use nimbus_protocol::HttpResponse;
use nimbus_protocol::service::Service;
use nimbus_store::Store;

use crate::body::ResponseBody;
use crate::config::GatewayConfig;
use crate::dispatch::Exchange;
use crate::front;
use crate::internal::snapshots;
use crate::internal::{self, InternalRoute};
use crate::services::Services;

/// Everything needed to answer requests; shared by all connections.
pub struct Gateway {
    config: GatewayConfig,
    services: Services,
    /// Temporary credentials issued by STS, so their access keys resolve to
    /// the right account; cleared on reset.
    credentials: Arc<CredentialRegistry>,
    /// The state every service keeps: emptied on reset, saved and restored
    /// by the snapshot endpoints.
    store: Arc<Store>,
}

impl Gateway {
    /// `services` are keyed by their model name; models without a service
    /// answer every operation with NotImplemented.
    pub fn new(
        config: GatewayConfig,
        services: Vec<Arc<dyn Service>>,
        credentials: Arc<CredentialRegistry>,
        store: Arc<Store>,
    ) -> Self {
        for name in services.iter().map(|service| service.model_name()) {
            if nimbus_protocol::models::metadata(name).is_none() {
                tracing::warn!(
                    service = name,
                    "registered service has no vendored model; requests cannot reach it"
                );
            }
        }
        Gateway {
            config,
            services: Services::new(services),
            credentials,
            store,
        }
    }

    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    pub fn credentials(&self) -> &CredentialRegistry {
        &self.credentials
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Forgets all state: the store, every service's cache and every issued credential.
    pub async fn reset(&self) -> Result<(), snapshots::Failure> {
        snapshots::reset_store(Arc::clone(&self.store)).await?;
        self.forget_cached_state();
        tracing::info!("state reset");
        Ok(())
    }

    /// Services drop what they keep in memory after the store changed under
    /// them (reset, snapshot restore) and read the store afresh.
    pub fn forget_cached_state(&self) {
        // Credentials first: services that keep keys in the store (IAM)
        // register them again as they reset.
        self.credentials.clear();
        self.services.reset_all();
    }

    /// Answers one HTTP request and logs it.
    pub async fn handle(&self, request: Request<Incoming>) -> Response<ResponseBody> {
        let started = Instant::now();
        let (parts, body) = request.into_parts();
        let method = parts.method.clone();
        let path = parts.uri.path().to_owned();
        // A `/_nimbus/` path nimbus itself does not serve may be a service's
        // control endpoint (EC2's zone failures), answered by its front hook.
        let route = internal::route(&parts.method, &path)
            .filter(|route| *route != InternalRoute::NotFound || !front::claimed(self, &parts));
        let exchange = match route {
            Some(route) => Exchange {
                response: internal::serve(self, route, &path, parts.uri.query().unwrap_or("")).await,
                service: "_nimbus",
                operation: match route {
                    InternalRoute::Endpoint(endpoint) => endpoint.name().to_owned(),
                    InternalRoute::NotFound | InternalRoute::MethodNotAllowed => "-".to_owned(),
                },
            },
            // Services' front hooks (S3's website endpoint, CORS) wrap the AWS pipeline.
            None => front::serve(self, parts, body).await,
        };
        // Plain `&str` fields: the log's formatter writes them without `fmt`.
        tracing::info!(
            service = exchange.service,
            operation = exchange.operation.as_str(),
            status = exchange.response.status,
            micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "{method} {path}"
        );
        into_hyper(exchange.response, method == Method::HEAD)
    }
}

/// A codec response as hyper's. HEAD responses keep their headers (an S3
/// HeadObject's Content-Length is the object's) but carry no body; a
/// streamed body (S3 GetObject) is passed on chunk by chunk.
fn into_hyper(response: HttpResponse, head: bool) -> Response<ResponseBody> {
    let HttpResponse {
        status,
        mut headers,
        body,
        stream,
    } = response;
    let body = if head {
        ResponseBody::empty()
    } else {
        // hyper frames the body it is given (from its exact length); a stale
        // header would corrupt the connection.
        headers.remove(http::header::CONTENT_LENGTH);
        match &stream {
            Some(stream) => ResponseBody::streamed(stream),
            None => ResponseBody::full(body),
        }
    };
    let mut out = Response::new(body);
    *out.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    *out.headers_mut() = headers;
    out
}
