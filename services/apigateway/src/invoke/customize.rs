//! Applying a REST API's gateway responses to the answers API Gateway gives
//! itself: the answer's error type names its response type; the API's
//! response of that type (else DEFAULT_4XX or DEFAULT_5XX) sets the status,
//! adds headers (`gatewayresponse.header.X: 'value'`) and renders its
//! template with `$context.error.message`, `messageString` and
//! `responseType`.

use std::collections::HashMap;

use bytes::Bytes;
use indexmap::IndexMap;
use nimbus_apigateway_api::{ApiResponse, GatewayResponse};
use nimbus_vtl::{Template, Value};
use serde_json::Value as Json;

/// The response type of API Gateway's own error answers, by error type.
fn response_type(error_type: &str) -> Option<&'static str> {
    Some(match error_type {
        "MissingAuthenticationTokenException" => "MISSING_AUTHENTICATION_TOKEN",
        "UnauthorizedException" => "UNAUTHORIZED",
        "AccessDeniedException" => "ACCESS_DENIED",
        "ForbiddenException" => "INVALID_API_KEY",
        "TooManyRequestsException" => "THROTTLED",
        "LimitExceededException" => "QUOTA_EXCEEDED",
        "AuthorizerConfigurationException" => "AUTHORIZER_CONFIGURATION_ERROR",
        "IntegrationFailureException" => "INTEGRATION_FAILURE",
        "IntegrationTimeoutException" => "INTEGRATION_TIMEOUT",
        "UnsupportedMediaTypeException" => "UNSUPPORTED_MEDIA_TYPE",
        "InternalServerErrorException" => "API_CONFIGURATION_ERROR",
        _ => return None,
    })
}

pub fn customize(mut answer: ApiResponse, responses: &IndexMap<String, GatewayResponse>) -> ApiResponse {
    if responses.is_empty() {
        return answer;
    }
    let error_type = answer
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("x-amzn-ErrorType"))
        .map(|(_, value)| value.clone());
    let kind = match error_type.as_deref() {
        // Both refusals of request validation: told apart by their message.
        Some("BadRequestException") if answer.body.as_ref() == br#"{"message": "Invalid request body"}"# => {
            "BAD_REQUEST_BODY"
        }
        Some("BadRequestException") => "BAD_REQUEST_PARAMETERS",
        other => match other.and_then(response_type) {
            Some(kind) => kind,
            None => return answer,
        },
    };
    let fallback = if answer.status < 500 {
        "DEFAULT_4XX"
    } else {
        "DEFAULT_5XX"
    };
    let Some(custom) = responses.get(kind).or_else(|| responses.get(fallback)) else {
        return answer;
    };
    if let Some(status) = custom.status_code.as_deref().and_then(|s| s.parse().ok()) {
        answer.status = status;
    }
    for (target, source) in custom.response_parameters.iter().flatten() {
        let (Some(name), Some(value)) = (
            target.strip_prefix("gatewayresponse.header."),
            source.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')),
        ) else {
            continue;
        };
        answer.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        answer.headers.push((name.to_owned(), value.to_owned()));
    }
    let template = custom.response_templates.as_ref().and_then(|templates| {
        templates
            .get("application/json")
            .or_else(|| templates.values().next())
    });
    if let Some(parsed) = template.and_then(|t| Template::parse(t).ok()) {
        let message = serde_json::from_slice::<Json>(&answer.body)
            .ok()
            .and_then(|body| {
                body.get("message")
                    .or_else(|| body.get("Message"))?
                    .as_str()
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        let error = Value::Map(vec![
            ("message".into(), Value::String(message.clone())),
            (
                "messageString".into(),
                Value::String(Json::String(message).to_string()),
            ),
            ("responseType".into(), Value::String(kind.to_owned())),
        ]);
        let variables = HashMap::from([("context".to_owned(), Value::Map(vec![("error".into(), error)]))]);
        answer.body = Bytes::from(nimbus_vtl::render(&parsed, variables));
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gateway_response_rewords_the_answer_of_its_type_or_its_default() {
        let answer = super::super::message(
            403,
            "Missing Authentication Token",
            "MissingAuthenticationTokenException",
        );
        let mut responses = IndexMap::new();
        responses.insert(
            "DEFAULT_4XX".to_owned(),
            GatewayResponse {
                status_code: Some("404".into()),
                response_parameters: Some(IndexMap::from([(
                    "gatewayresponse.header.Access-Control-Allow-Origin".to_owned(),
                    "'*'".to_owned(),
                )])),
                response_templates: Some(IndexMap::from([(
                    "application/json".to_owned(),
                    "{\"error\": $context.error.messageString, \"type\": \"$context.error.responseType\"}"
                        .to_owned(),
                )])),
                ..Default::default()
            },
        );
        let customized = customize(answer, &responses);
        assert_eq!(customized.status, 404);
        assert!(
            customized
                .headers
                .contains(&("Access-Control-Allow-Origin".into(), "*".into()))
        );
        assert_eq!(
            customized.body,
            Bytes::from(
                "{\"error\": \"Missing Authentication Token\", \"type\": \"MISSING_AUTHENTICATION_TOKEN\"}"
            )
        );
    }
}
