//! How json and cbor error responses name an error: the `__type` body field,
//! the modeled exception shape behind it, the key the message travels under,
//! and the `x-amzn-query-error` header of awsQueryCompatible services.
//!
//! What real services put in `__type` differs: DynamoDB, SQS and CloudWatch
//! send a namespaced shape id (`com.amazonaws.dynamodb.v20120810#ResourceNotFoundException`;
//! the namespace is their profile's `errorNamespace`), and Coral's own errors
//! carry Coral's namespace (`com.amazon.coral.validate#ValidationException`);
//! most other json services send the bare name. Clients keep the part after
//! `#` (and before `:`).

use nimbus_core::AwsError;

use crate::model::{Model, Shape};

/// How a codec should name one error.
pub(crate) struct ErrorIdentity<'m> {
    /// The modeled exception shape, when the model has one.
    pub shape: Option<&'m Shape>,
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
            .and_then(Shape::message_member)
            .map_or("message", |member| member.json_key.as_str())
    }
}

/// The `__type` namespace for rpcv2Cbor, which always sends a shape id.
pub(crate) fn cbor_namespace(model: &Model) -> String {
    model.profile.error_namespace.clone().unwrap_or_else(|| {
        format!(
            "com.amazonaws.{}",
            model.metadata.endpoint_prefix.to_ascii_lowercase()
        )
    })
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

/// Names `error` for a response; `namespace` is the service's `__type`
/// namespace, `None` for bare names.
pub(crate) fn identify<'m>(model: &'m Model, error: &AwsError, namespace: Option<&str>) -> ErrorIdentity<'m> {
    let shape = model.error_shape(&error.code);
    let code = shape.map_or_else(|| error.code.to_string(), |shape| shape.name.clone());
    // The request layer's errors keep its namespace even where a model (or
    // nimbus's patch of it) declares the shape.
    let type_name = match namespace {
        Some(namespace) => coral_type(&code).map_or_else(|| format!("{namespace}#{code}"), str::to_owned),
        None => code.clone(),
    };
    let query_error = model.metadata.is_query_compatible().then(|| {
        let query_code = shape
            .and_then(|shape| shape.error.as_ref())
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
