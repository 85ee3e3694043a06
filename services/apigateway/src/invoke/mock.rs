//! MOCK integrations, and the integration responses every non-proxy
//! integration answers through: the request template (rendered) gives a
//! MOCK its `statusCode`; a backend status chooses the integration response
//! by its selection pattern (else the default one), whose status, header
//! mappings and rendered response template make the answer.

use bytes::Bytes;
use nimbus_apigateway_api::{ApiResponse, Integration, IntegrationResponse};
use serde_json::Value as Json;

use super::{Invocation, message, templates};

/// The content type a request's template is chosen by.
fn content_type(invocation: &Invocation<'_>) -> String {
    invocation
        .request
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| value.split(';').next().unwrap_or_default().trim().to_owned())
        .unwrap_or_else(|| "application/json".to_owned())
}

/// The request template for the request's content type, if there is one.
pub fn request_template(invocation: &Invocation<'_>, integration: &Integration) -> Option<String> {
    let templates = integration.request_templates.as_ref()?;
    templates
        .get(&content_type(invocation))
        .or_else(|| templates.get("application/json"))
        .cloned()
}

/// The status a MOCK's request template asks for (200 without one).
fn mocked_status(invocation: &Invocation<'_>, integration: &Integration) -> String {
    let body = String::from_utf8_lossy(&invocation.request.body).into_owned();
    request_template(invocation, integration)
        .map(|template| templates::render(&template, invocation, &body))
        .and_then(|text| serde_json::from_str::<Json>(&text).ok())
        .and_then(|doc| doc.get("statusCode").cloned())
        .map(|code| match code {
            Json::String(text) => text,
            other => other.to_string(),
        })
        .unwrap_or_else(|| "200".to_owned())
}

/// The integration response a backend status selects: the first whose
/// selection pattern matches it whole, else the default (no pattern).
pub fn select<'i, R>(responses: R, status: &str) -> Option<&'i IntegrationResponse>
where
    R: IntoIterator<Item = &'i IntegrationResponse> + Clone,
{
    let pattern_of = |r: &&'i IntegrationResponse| r.selection_pattern.as_deref().filter(|p| !p.is_empty());
    responses
        .clone()
        .into_iter()
        .find(|r| pattern_of(r).is_some_and(|p| whole_match(p, status)))
        .or_else(|| responses.into_iter().find(|r| pattern_of(r).is_none()))
}

/// Whether the selection pattern (a regular expression) matches all of
/// `text`; one that does not compile matches nothing.
fn whole_match(pattern: &str, text: &str) -> bool {
    regex_lite::Regex::new(&format!("^(?:{pattern})$")).is_ok_and(|regex| regex.is_match(text))
}

/// The answer an integration response gives to a backend's answer
/// (`backend`: its headers and body): its status, header mappings (`'value'`
/// or `integration.response.header.X`), and the rendered template for JSON
/// (else the backend's body, passed through).
pub fn render(
    response: &IntegrationResponse,
    invocation: &Invocation<'_>,
    backend: &ApiResponse,
) -> ApiResponse {
    let status = response
        .status_code
        .as_deref()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    for (target, source) in response.response_parameters.iter().flatten() {
        let Some(name) = target.strip_prefix("method.response.header.") else {
            continue;
        };
        let value = match source.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
            Some(literal) => Some(literal.to_owned()),
            None => source
                .strip_prefix("integration.response.header.")
                .and_then(|header| {
                    backend
                        .headers
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(header))
                        .map(|(_, v)| v.clone())
                }),
        };
        let Some(value) = value else {
            continue;
        };
        headers.retain(|(existing, _)| !existing.eq_ignore_ascii_case(name));
        headers.push((name.to_owned(), value));
    }
    let backend_body = String::from_utf8_lossy(&backend.body).into_owned();
    let template = response.response_templates.as_ref().and_then(|templates| {
        templates
            .get("application/json")
            .or_else(|| templates.values().next())
    });
    let body = match template {
        Some(template) => templates::render(template, invocation, &backend_body),
        None => backend_body,
    };
    ApiResponse {
        status,
        headers,
        body: Bytes::from(body),
    }
}

pub fn answer(invocation: &Invocation<'_>, integration: &Integration) -> ApiResponse {
    let status = mocked_status(invocation, integration);
    respond(invocation, integration, &status, &ApiResponse::default())
}

/// The method's answer to a backend's `status` and answer.
pub fn respond(
    invocation: &Invocation<'_>,
    integration: &Integration,
    status: &str,
    backend: &ApiResponse,
) -> ApiResponse {
    let responses = integration.integration_responses.iter().flat_map(|r| r.values());
    match select(responses, status) {
        Some(response) => render(response, invocation, backend),
        None => message(500, "Internal server error", "InternalServerErrorException"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: &str, pattern: Option<&str>) -> IntegrationResponse {
        IntegrationResponse {
            status_code: Some(status.to_owned()),
            selection_pattern: pattern.map(str::to_owned),
            ..Default::default()
        }
    }

    #[test]
    fn a_status_picks_the_response_whose_pattern_matches_else_the_default() {
        let responses = [
            response("200", None),
            response("400", Some("4\\d{2}")),
            response("500", Some("5.*")),
        ];
        let picked = |status: &str| select(&responses, status).and_then(|r| r.status_code.clone());
        assert_eq!(picked("200").as_deref(), Some("200"));
        assert_eq!(picked("404").as_deref(), Some("400"));
        assert_eq!(picked("503").as_deref(), Some("500"));
        assert_eq!(
            picked("4000").as_deref(),
            Some("200"),
            "a pattern matches the whole status"
        );
        assert!(select(&[response("400", Some("400"))], "200").is_none());
    }
}
