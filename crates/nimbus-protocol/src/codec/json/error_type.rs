//! How json and cbor error responses name an error: the `__type` body field,
//! the modeled exception shape behind it, the key the message travels under,
//! and the `x-amzn-query-error` header of awsQueryCompatible services.
//!
//! What real services put in `__type` differs: DynamoDB, SQS and CloudWatch
//! send a namespaced shape id (`com.amazonaws.dynamodb.v20120810#ResourceNotFoundException`),
//! and Coral's own errors carry Coral's namespace
//! (`com.amazon.coral.validate#ValidationException`); most other json services
//! send the bare name. Clients keep the part after `#` (and before `:`).

use nimbus_core::AwsError;

use crate::model::{ServiceModel, Shape};

/// How a codec should name one error.
pub(crate) struct ErrorIdentity<'m> {
    /// The modeled exception shape (name and shape), when the model has one.
    pub shape: Option<(&'m str, &'m Shape)>,
    /// The `__type` value.
    pub type_name: String,
    /// The bare code (`x-amzn-ErrorType`): the shape name, else the error's code.
    pub code: String,
    /// `x-amzn-query-error: <query code>;<Sender|Receiver>`, for
    /// awsQueryCompatible services only.
    pub query_error: Option<String>,
}

impl ErrorIdentity<'_> {
    /// The key of the message in the body: the exception's own message
    /// member (`Message` for some services, `message` for most), else `message`.
    pub fn message_key(&self) -> &str {
        self.shape
            .and_then(|(_, shape)| {
                shape.members.iter().find_map(|(name, member)| {
                    name.eq_ignore_ascii_case("message")
                        .then(|| member.location_name.as_deref().unwrap_or(name))
                })
            })
            .unwrap_or("message")
    }
}

/// Namespaces of the services known to send namespaced `__type`s.
fn known_namespace(model: &ServiceModel) -> Option<&'static str> {
    match model.metadata.endpoint_prefix.as_str() {
        "dynamodb" | "streams.dynamodb" => Some("com.amazonaws.dynamodb.v20120810"),
        "sqs" => Some("com.amazonaws.sqs"),
        "monitoring" => Some("com.amazonaws.cloudwatch"),
        _ => None,
    }
}

/// The `__type` namespace for awsJson: only where the real service sends one.
pub(crate) fn json_namespace(model: &ServiceModel) -> Option<String> {
    known_namespace(model).map(str::to_owned)
}

/// The `__type` namespace for rpcv2Cbor, which always sends a shape id.
pub(crate) fn cbor_namespace(model: &ServiceModel) -> Option<String> {
    Some(known_namespace(model).map_or_else(
        || {
            format!(
                "com.amazonaws.{}",
                model.metadata.endpoint_prefix.to_ascii_lowercase()
            )
        },
        str::to_owned,
    ))
}

/// Errors raised by AWS's request layer rather than the service, which keep
/// the request layer's namespace.
fn coral_type(code: &str) -> Option<&'static str> {
    Some(match code {
        // A query-compatible service's validation error: `ValidationError`
        // travels in `x-amzn-query-error`, the body names Coral's exception.
        "ValidationException" | "ValidationError" => "com.amazon.coral.validate#ValidationException",
        "SerializationException" => "com.amazon.coral.service#SerializationException",
        "UnknownOperationException" => "com.amazon.coral.service#UnknownOperationException",
        "AccessDeniedException" => "com.amazon.coral.service#AccessDeniedException",
        "UnrecognizedClientException" => "com.amazon.coral.service#UnrecognizedClientException",
        "InvalidSignatureException" => "com.amazon.coral.service#InvalidSignatureException",
        "IncompleteSignatureException" => "com.amazon.coral.service#IncompleteSignatureException",
        "MissingAuthenticationTokenException" => {
            "com.amazon.coral.service#MissingAuthenticationTokenException"
        }
        "ExpiredTokenException" => "com.amazon.coral.service#ExpiredTokenException",
        "InternalFailure" => "com.amazon.coral.service#InternalFailure",
        _ => return None,
    })
}

/// The exception shape for an error code: the shape of that name, else the
/// one whose `error.code` (its query-protocol code) is that code.
pub(crate) fn find_error_shape<'m>(model: &'m ServiceModel, code: &str) -> Option<(&'m str, &'m Shape)> {
    let is_exception = |shape: &Shape| shape.exception || shape.error.is_some();
    if let Some((name, shape)) = model.shapes.get_key_value(code)
        && is_exception(shape)
    {
        return Some((name.as_str(), shape));
    }
    model
        .shapes
        .iter()
        .filter(|(_, shape)| is_exception(shape))
        .filter(|(_, shape)| shape.error.as_ref().and_then(|e| e.code.as_deref()) == Some(code))
        // Several shapes may share a query code; pick one deterministically.
        .min_by_key(|(name, _)| name.as_str())
        .map(|(name, shape)| (name.as_str(), shape))
}

/// Names `error` for a response; `namespace` is the service's `__type`
/// namespace, `None` for bare names.
pub(crate) fn identify<'m>(
    model: &'m ServiceModel,
    error: &AwsError,
    namespace: Option<&str>,
) -> ErrorIdentity<'m> {
    let shape = find_error_shape(model, &error.code);
    let code = shape.map_or_else(|| error.code.to_string(), |(name, _)| name.to_owned());
    let type_name = match (namespace, shape) {
        (Some(namespace), Some(_)) => format!("{namespace}#{code}"),
        (Some(namespace), None) => {
            coral_type(&code).map_or_else(|| format!("{namespace}#{code}"), str::to_owned)
        }
        (None, _) => code.clone(),
    };
    let query_error = model.metadata.is_query_compatible().then(|| {
        let query_code = shape
            .and_then(|(_, shape)| shape.error.as_ref())
            .and_then(|trait_| trait_.code.clone())
            .unwrap_or_else(|| error.code.to_string());
        let fault = if error.sender_fault { "Sender" } else { "Receiver" };
        format!("{query_code};{fault}")
    });
    ErrorIdentity {
        shape,
        type_name,
        code,
        query_error,
    }
}
