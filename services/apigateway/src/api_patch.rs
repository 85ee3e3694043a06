//! UpdateRestApi's patch operations: `replace` of the name, description,
//! version, API key source, policy, minimum compression size and the
//! execute-api switch, `add`/`remove` of binary media types (`~1` for `/`).

use nimbus_apigateway_api::{PatchOperation, RestApi};
use nimbus_core::AwsError;

use crate::errors;

fn invalid(operation: &PatchOperation) -> AwsError {
    errors::bad_request(format!(
        "Invalid patch path '{}' specified for op '{}'",
        operation.path.as_deref().unwrap_or_default(),
        operation.op.as_deref().unwrap_or_default()
    ))
}

/// Applies one patch operation to `api`.
pub fn apply(api: &mut RestApi, operation: &PatchOperation) -> Result<(), AwsError> {
    let op = operation.op.as_deref().unwrap_or_default();
    let path = operation.path.as_deref().unwrap_or_default();
    let value = operation.value.clone();
    if let Some(media) = path.strip_prefix("/binaryMediaTypes/") {
        let media = media.replace("~1", "/");
        let types = api.binary_media_types.get_or_insert_default();
        match op {
            "add" if !types.contains(&media) => types.push(media),
            "add" => {}
            "remove" => types.retain(|t| *t != media),
            _ => return Err(invalid(operation)),
        }
        return Ok(());
    }
    if op != "replace" {
        return Err(invalid(operation));
    }
    match path {
        "/name" => match value.filter(|v| !v.is_empty()) {
            Some(name) => api.name = Some(name),
            None => return Err(errors::bad_request("Name is required")),
        },
        "/description" => api.description = value,
        "/version" => api.version = value,
        "/apiKeySource" => match value.as_deref() {
            Some("HEADER" | "AUTHORIZER") => api.api_key_source = value,
            _ => return Err(invalid(operation)),
        },
        "/policy" => api.policy = value,
        "/minimumCompressionSize" => {
            api.minimum_compression_size = value.and_then(|v| v.parse().ok());
        }
        "/disableExecuteApiEndpoint" => match value.as_deref() {
            Some("true") => api.disable_execute_api_endpoint = Some(true),
            Some("false") => api.disable_execute_api_endpoint = Some(false),
            _ => return Err(invalid(operation)),
        },
        _ => return Err(invalid(operation)),
    }
    Ok(())
}
