//! Which service, in which protocol, a request is for.
//!
//! Real clients say it in different ways: the SigV4 credential scope (header
//! or presigned query), `X-Amz-Target`, the smithy RPC v2 CBOR path, the
//! Content-Type, `Action=`, and for S3 the Host name or nothing at all. The
//! rules, in order:
//!
//! 1. CBOR (`smithy-protocol: rpc-v2-cbor` or `Content-Type: application/cbor`):
//!    the service is the `<Name>` of `/service/<Name>/operation/<Op>`.
//! 2. `X-Amz-Target: <prefix>.<Op>`: the model with that target prefix, in
//!    json (this tells DynamoDB from DynamoDB Streams, which sign alike).
//! 3. A SigV4 scope: the model with that signing name; among its protocols
//!    the one the request's shape asks for (form `Action=` → query, ...).
//! 4. Unsigned `Action=` requests: the query service that has that action,
//!    which needs the body (see [`Identification::ByAction`]).
//! 5. Anything else goes to the service whose profile says `fallbackRoute`
//!    (S3: anonymous GETs, SigV2, browser-style requests).

use http::HeaderName;
use http::header::CONTENT_TYPE;
use nimbus_core::AwsError;
use nimbus_protocol::model::Profile;
use nimbus_protocol::{HttpRequest, Protocol, models};

pub mod catalog;

use crate::auth::sigv4::RequestAuth;
use catalog::{Catalog, ModelInfo};

const X_AMZ_TARGET: HeaderName = HeaderName::from_static("x-amz-target");
const SMITHY_PROTOCOL: HeaderName = HeaderName::from_static("smithy-protocol");
const JSON_MEDIA_PREFIX: &str = "application/x-amz-json";

/// The service and protocol that will handle a request.
#[derive(Debug, Clone)]
pub struct Route {
    /// The model name, e.g. `sqs`.
    pub model: &'static str,
    pub protocol: Protocol,
    /// What the service does differently on the wire.
    pub profile: &'static Profile,
}

impl PartialEq for Route {
    fn eq(&self, other: &Self) -> bool {
        (self.model, self.protocol) == (other.model, other.protocol)
    }
}

impl Eq for Route {}

/// The outcome of looking at the request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identification {
    Routed(Route),
    /// An unsigned query-protocol request: the service is the one that has
    /// its `Action`, which may be in the body ([`route_by_action`]).
    ByAction,
}

/// What the request head says about its protocol.
#[derive(Debug, Default)]
struct Shape<'r> {
    target: Option<&'r str>,
    cbor: bool,
    json: bool,
    form: bool,
}

impl<'r> Shape<'r> {
    fn of(request: &'r HttpRequest) -> Self {
        // The three headers, found in one pass over the request's headers
        // (cheaper than three hashed lookups); the first value of each
        // counts, as with `HeaderMap::get`.
        let (mut content_type, mut target, mut smithy_protocol) = (None, None, None);
        for (name, value) in &request.headers {
            let slot = if *name == CONTENT_TYPE {
                &mut content_type
            } else if *name == X_AMZ_TARGET {
                &mut target
            } else if *name == SMITHY_PROTOCOL {
                &mut smithy_protocol
            } else {
                continue;
            };
            slot.get_or_insert_with(|| value.to_str().ok());
        }
        let (content_type, target, smithy_protocol) = (
            content_type.flatten(),
            target.flatten(),
            smithy_protocol.flatten(),
        );
        // The media type, compared without case (and without a lower-case copy).
        let content_type = content_type
            .map(|ct| ct.split(';').next().unwrap_or_default().trim())
            .unwrap_or_default();
        let media_is = |media: &str| content_type.eq_ignore_ascii_case(media);
        let json_media = content_type
            .get(..JSON_MEDIA_PREFIX.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(JSON_MEDIA_PREFIX));
        let target = target.map(str::trim).filter(|t| !t.is_empty());
        Shape {
            target,
            cbor: media_is("application/cbor")
                || smithy_protocol.is_some_and(|p| p.eq_ignore_ascii_case("rpc-v2-cbor")),
            json: target.is_some() || json_media,
            form: media_is("application/x-www-form-urlencoded") || has_action_param(&request.query),
        }
    }
}

/// Finds the service and protocol from the request head (never the body).
/// `Err` is a 400 for requests no known service can answer.
pub fn identify(request: &HttpRequest, auth: &RequestAuth) -> Result<Identification, AwsError> {
    let catalog = Catalog::get();
    let shape = Shape::of(request);

    if shape.cbor {
        if let Some(model) = cbor_service_name(&request.path).and_then(|name| catalog.by_target_prefix(name))
            && model.speaks_cbor()
        {
            return Ok(Identification::Routed(route(model, Protocol::Cbor)));
        }
        if auth.signing_service().is_none() {
            return Err(unknown_service(format!(
                "No service is named by the RPC v2 CBOR path '{}'; expected /service/<ServiceName>/operation/<Operation>.",
                request.path
            )));
        }
    }

    if let Some(target) = shape.target {
        let prefix = target.rsplit_once('.').map_or(target, |(prefix, _)| prefix);
        if let Some(model) = catalog.by_target_prefix(prefix)
            && let Some(protocol) = model.speaks_json()
        {
            return Ok(Identification::Routed(route(model, protocol)));
        }
    }

    if let Some(signing_name) = auth.signing_service() {
        let Some(model) = catalog.by_signing_name_and_path(signing_name, &request.path) else {
            return Err(unknown_service(format!(
                "nimbus does not know the service '{signing_name}' named by the request's SigV4 credential scope."
            )));
        };
        let protocol = choose_protocol(model, &shape).ok_or_else(|| {
            unknown_service(format!(
                "The service {} speaks no protocol nimbus knows.",
                model.name
            ))
        })?;
        return Ok(Identification::Routed(route(model, protocol)));
    }

    if shape.target.is_some() {
        return Err(unknown_service(format!(
            "nimbus does not know the service of X-Amz-Target '{}'.",
            shape.target.unwrap_or_default()
        )));
    }
    if shape.form {
        return Ok(Identification::ByAction);
    }
    fallback(catalog).map(Identification::Routed)
}

/// Routes an unsigned query request by its `Action` (query string or form
/// body, which must already be decompressed). A form-typed request without
/// an Action is no query request but an S3 upload whose client defaulted the
/// Content-Type (urllib's presigned SigV2 PUTs, for one).
pub fn route_by_action(request: &HttpRequest) -> Result<Route, AwsError> {
    let catalog = Catalog::get();
    let Some(action) = action_of(request) else {
        return fallback(catalog);
    };
    catalog
        .query_models()
        .find(|info| models::get(info.name).is_some_and(|model| model.operation(&action).is_some()))
        .and_then(|info| Some(route(info, info.speaks_query()?)))
        .ok_or_else(|| {
            AwsError::new(
                "InvalidAction",
                format!("The action {action} is not valid for any service nimbus knows."),
                400,
            )
        })
}

/// The request's protocol among those the service speaks.
fn choose_protocol(model: &ModelInfo, shape: &Shape<'_>) -> Option<Protocol> {
    if shape.cbor && model.speaks_cbor() {
        return Some(Protocol::Cbor);
    }
    if shape.json
        && let Some(json) = model.speaks_json()
    {
        return Some(json);
    }
    if shape.form
        && let Some(query) = model.speaks_query()
    {
        return Some(query);
    }
    model.default_protocol()
}

fn route(model: &'static ModelInfo, protocol: Protocol) -> Route {
    Route {
        model: model.name,
        protocol,
        profile: &model.profile,
    }
}

/// Where requests no other service claims go, in its default protocol.
fn fallback(catalog: &'static Catalog) -> Result<Route, AwsError> {
    let model = catalog.fallback().ok_or_else(|| {
        unknown_service("No service takes requests without a mark of their own.".to_owned())
    })?;
    let protocol = model.default_protocol().ok_or_else(|| {
        unknown_service(format!(
            "The service {} speaks no protocol nimbus knows.",
            model.name
        ))
    })?;
    Ok(route(model, protocol))
}

/// `<Name>` of `/service/<Name>/operation/<Operation>`.
fn cbor_service_name(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/service/")?;
    let (name, rest) = rest.split_once('/')?;
    rest.starts_with("operation/").then_some(name)
}

fn has_action_param(query: &str) -> bool {
    query.split('&').any(|pair| pair.starts_with("Action="))
}

fn action_of(request: &HttpRequest) -> Option<String> {
    let find = |pairs: Vec<(String, String)>| {
        pairs
            .into_iter()
            .find(|(key, value)| key == "Action" && !value.is_empty())
            .map(|(_, value)| value)
    };
    find(request.query_params()).or_else(|| find(nimbus_protocol::codec::form::parse(&request.body)))
}

fn unknown_service(message: String) -> AwsError {
    AwsError::new("UnknownService", message, 400)
}

#[cfg(test)]
mod tests;
