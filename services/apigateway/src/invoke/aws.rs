//! AWS integrations: a method calls an AWS API as API Gateway does, by an
//! HTTP request to the service's endpoint, which in nimbus is nimbus. The
//! URI names the service and either a path (`...:sqs:path/<account>/<queue>`)
//! or an action (`...:dynamodb:action/PutItem`: `X-Amz-Target` for JSON
//! services, `Action=` for query ones); the request template renders the
//! body, the request parameter mappings add headers and query; the request
//! is signed with SigV4 as the API's account, and the answer goes through
//! the integration responses by its status. Lambda's own (non-proxy)
//! integration invokes the function in process instead.

use bytes::Bytes;
use nimbus_apigateway_api::{ApiResponse, Integration};
use nimbus_sigv4::{Credentials, RequestToSign, Signer, SigningTime, hex_sha256};

use super::http_proxy::{self, Outgoing};
use super::{Invocation, message, mock, templates};
use crate::ApiGateway;

/// `(region, service, rest)` of `arn:aws:apigateway:<region>:<service>:<rest>`.
fn target(uri: &str) -> Option<(&str, &str, &str)> {
    let rest = uri.strip_prefix("arn:aws:apigateway:")?;
    let mut parts = rest.splitn(3, ':');
    Some((parts.next()?, parts.next()?, parts.next()?))
}

/// The vendored model whose endpoint prefix is `service`: its protocol and
/// target prefix.
fn model_of(service: &str) -> Option<nimbus_protocol::model::Metadata> {
    nimbus_protocol::models::NAMES
        .iter()
        .filter_map(|name| nimbus_protocol::models::metadata(name))
        .find(|meta| meta.endpoint_prefix == service)
}

impl ApiGateway {
    pub(super) async fn call_aws(
        &self,
        invocation: &Invocation<'_>,
        integration: &Integration,
    ) -> ApiResponse {
        let failed = || message(500, "Internal server error", "InternalServerErrorException");
        let uri =
            super::lambda::with_stage_variables(integration.uri.as_deref().unwrap_or_default(), invocation);
        let Some((region, service, rest)) = target(&uri) else {
            return failed();
        };
        let body = match mock::request_template(invocation, integration) {
            Some(template) => templates::render(
                &template,
                invocation,
                &String::from_utf8_lossy(&invocation.request.body),
            ),
            None => String::from_utf8_lossy(&invocation.request.body).into_owned(),
        };
        if service == "lambda" {
            return self
                .call_function_plainly(invocation, integration, &uri, body)
                .await;
        }
        let Some(endpoint) = self.endpoint.get() else {
            return failed();
        };
        let (mut headers, mut query) = http_proxy::mapped_parameters(invocation, integration);
        let path = match (rest.strip_prefix("path/"), rest.strip_prefix("action/")) {
            (Some(path), _) => format!("/{path}"),
            (None, Some(action)) => {
                match model_of(service)
                    .and_then(|m| m.target_prefix.filter(|_| m.protocol.starts_with("json")))
                {
                    Some(prefix) => {
                        headers.retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
                        headers.push(("Content-Type".into(), "application/x-amz-json-1.0".into()));
                        headers.push(("X-Amz-Target".into(), format!("{prefix}.{action}")));
                    }
                    None => query.insert(0, format!("Action={action}")),
                }
                "/".to_owned()
            }
            _ => return failed(),
        };
        let query_text = query.join("&");
        let url = match query_text.is_empty() {
            true => format!("{endpoint}{path}"),
            false => format!("{endpoint}{path}?{query_text}"),
        };
        let mut outgoing = Outgoing {
            method: integration
                .http_method
                .clone()
                .unwrap_or_else(|| "POST".to_owned()),
            url,
            headers,
            body: Bytes::from(body),
        };
        self.sign(&mut outgoing, (region, service), &invocation.home.account);
        match http_proxy::exchange(&outgoing, http_proxy::timeout_of(integration)).await {
            Ok(answered) => mock::respond(invocation, integration, &answered.status.to_string(), &answered),
            Err(failure) => failure,
        }
    }

    /// Signs `outgoing` for `service` in `region` as `account`'s root (the
    /// API's owner acts; a role in the integration's credentials is not
    /// assumed yet).
    fn sign(&self, outgoing: &mut Outgoing, (region, service): (&str, &str), account: &str) {
        let Ok(uri) = outgoing.url.parse::<http::Uri>() else {
            return;
        };
        let mut headers = http::HeaderMap::new();
        if let Some(Ok(host)) = uri.authority().map(|a| http::HeaderValue::from_str(a.as_str())) {
            headers.insert(http::header::HOST, host);
        }
        for (name, value) in &outgoing.headers {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::try_from(name.as_str()),
                http::HeaderValue::from_str(value),
            ) {
                headers.insert(name, value);
            }
        }
        let query: Vec<(String, String)> = super::proxy_event::query_pairs(uri.query().unwrap_or_default());
        let signer = Signer {
            credentials: Credentials {
                access_key: account.to_owned(),
                secret_key: "test".to_owned(),
            },
            region: region.to_owned(),
            service: service.to_owned(),
        };
        let method = http::Method::from_bytes(outgoing.method.as_bytes()).unwrap_or(http::Method::POST);
        let payload_hash = hex_sha256(&outgoing.body);
        let request = RequestToSign {
            method: &method,
            path: uri.path(),
            query: &query,
            payload_hash: &payload_hash,
        };
        let at = SigningTime::at(time::OffsetDateTime::from(self.clock.now()));
        signer.sign(&request, &mut headers, &at);
        outgoing.headers = headers
            .iter()
            .filter(|(name, _)| *name != http::header::HOST)
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
    }

    /// Lambda's non-proxy integration: the rendered template is the event;
    /// a function error's errorMessage selects the integration response.
    async fn call_function_plainly(
        &self,
        invocation: &Invocation<'_>,
        integration: &Integration,
        uri: &str,
        payload: String,
    ) -> ApiResponse {
        let failed = || message(500, "Internal server error", "InternalServerErrorException");
        let Some(function) = super::lambda::function_of(uri) else {
            return failed();
        };
        let source = (invocation.source_arn(), invocation.home.account.clone());
        let Ok(answered) = self
            .invoke_function(function, payload.into_bytes(), (&source.0, &source.1))
            .await
        else {
            return failed();
        };
        let body = answered.payload.unwrap_or_default();
        let backend = ApiResponse {
            status: 200,
            headers: Vec::new(),
            body: body.clone(),
        };
        // A function error is matched by its errorMessage, success by 200.
        let selector = match answered.function_error {
            Some(_) => serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|error| {
                    error
                        .get("errorMessage")
                        .and_then(|m| m.as_str())
                        .map(str::to_owned)
                })
                .unwrap_or_default(),
            None => "200".to_owned(),
        };
        mock::respond(invocation, integration, &selector, &backend)
    }
}
