//! Execution logs: a method whose stage settings (its own, else `*/*`)
//! set `logging/loglevel` to INFO writes the steps of each request to the
//! `API-Gateway-Execution-Logs_<api>/<stage>` group, each line prefixed
//! with the request id as API Gateway writes them; ERROR writes only
//! requests that failed; `logging/dataTrace` adds the request's and the
//! answer's bodies and headers.

use nimbus_apigateway_api::{ApiResponse, Stage};
use sha2::{Digest, Sha256};

use super::Invocation;
use super::access_log::LogPlace;
use crate::ApiGateway;

/// How a method logs: its level (OFF, ERROR, INFO) and data trace.
fn level_of<'s>(stage: &'s Stage, setting_key: &str) -> (&'s str, bool) {
    let settings = stage.method_settings.as_ref();
    let setting = settings.and_then(|s| s.get(setting_key).or_else(|| s.get("*/*")));
    match setting {
        Some(setting) => (
            setting.logging_level.as_deref().unwrap_or("OFF"),
            setting.data_trace_enabled == Some(true),
        ),
        None => ("OFF", false),
    }
}

fn as_map(pairs: &[(String, String)]) -> String {
    let entries: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
    format!("{{{}}}", entries.join(", "))
}

/// The lines API Gateway writes for `invocation` answered with `answer`.
fn lines(invocation: &Invocation<'_>, answer: &ApiResponse, trace: bool) -> Vec<String> {
    let request = invocation.request;
    let mut lines = vec![
        format!("Extended Request Id: {}", invocation.extended_id),
        format!("Starting execution for request: {}", invocation.request_id),
        format!(
            "HTTP Method: {}, Resource Path: {}",
            request.method,
            invocation.resource_path()
        ),
    ];
    if trace {
        let parameters: Vec<(String, String)> =
            invocation.route.path_parameters.clone().into_iter().collect();
        lines.push(format!("Method request path: {}", as_map(&parameters)));
        let query = super::proxy_event::query_pairs(&request.query);
        lines.push(format!("Method request query string: {}", as_map(&query)));
        lines.push(format!("Method request headers: {}", as_map(&request.headers)));
        let body = String::from_utf8_lossy(&request.body);
        lines.push(format!("Method request body before transformations: {body}"));
        let answered = String::from_utf8_lossy(&answer.body);
        lines.push(format!("Method response body after transformations: {answered}"));
        lines.push(format!("Method response headers: {}", as_map(&answer.headers)));
    }
    if answer.status >= 500 {
        lines.push("Execution failed due to an internal error".to_owned());
    } else {
        lines.push("Successfully completed execution".to_owned());
    }
    lines.push(format!("Method completed with status: {}", answer.status));
    let prefix = format!("({}) ", invocation.request_id);
    lines.into_iter().map(|line| prefix.clone() + &line).collect()
}

impl ApiGateway {
    /// Writes the execution log of `invocation` when its method logs.
    pub(super) fn log_execution(&self, invocation: &Invocation<'_>, setting_key: &str, answer: &ApiResponse) {
        let (level, trace) = level_of(invocation.stage, setting_key);
        let logs = match level {
            "INFO" => true,
            "ERROR" => answer.status >= 400,
            _ => false,
        };
        if !logs {
            return;
        }
        let request = invocation.request;
        // A stream per stage, named by a hash as API Gateway names them.
        let digest = Sha256::digest(format!("{}/{}", request.api_id, request.stage));
        let stream: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        let place = LogPlace {
            account: &invocation.home.account,
            region: &invocation.home.region,
            group: format!("API-Gateway-Execution-Logs_{}/{}", request.api_id, request.stage),
            stream,
            make_group: true,
        };
        self.write_log(place, lines(invocation, answer, trace));
    }
}
