//! UpdateStage's patch operations: `replace` of the deployment,
//! description and flags, `add`/`replace`/`remove` of stage variables, and
//! method settings at `/<resource path>/<method>/<setting>` (`~1` for `/`,
//! `/*/*/...` for every method), and the canary's settings.

use nimbus_apigateway_api::{MethodSetting, PatchOperation, Stage};
use nimbus_core::AwsError;

use crate::errors;

fn invalid(operation: &PatchOperation) -> AwsError {
    errors::bad_request(format!(
        "Invalid patch path '{}' specified for op '{}'",
        operation.path.as_deref().unwrap_or_default(),
        operation.op.as_deref().unwrap_or_default()
    ))
}

fn flag(value: Option<&str>, operation: &PatchOperation) -> Result<bool, AwsError> {
    match value {
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        _ => Err(invalid(operation)),
    }
}

/// Applies one patch operation to `stage`.
pub fn apply(stage: &mut Stage, operation: &PatchOperation) -> Result<(), AwsError> {
    let op = operation.op.as_deref().unwrap_or_default();
    let path = operation.path.as_deref().unwrap_or_default();
    let value = operation.value.as_deref();
    let removing = op == "remove";
    if !matches!(op, "add" | "replace" | "remove") {
        return Err(invalid(operation));
    }
    if let Some(name) = path.strip_prefix("/variables/") {
        let variables = stage.variables.get_or_insert_default();
        match (removing, value) {
            (true, _) => {
                variables.shift_remove(name);
            }
            (false, Some(value)) => {
                variables.insert(name.to_owned(), value.to_owned());
            }
            (false, None) => return Err(invalid(operation)),
        }
        return Ok(());
    }
    match path {
        "/deploymentId" if !removing => stage.deployment_id = value.map(str::to_owned),
        "/description" => stage.description = value.filter(|_| !removing).map(str::to_owned),
        "/tracingEnabled" => stage.tracing_enabled = Some(flag(value, operation)?),
        "/cacheClusterEnabled" => {
            let enabled = flag(value, operation)?;
            stage.cache_cluster_enabled = Some(enabled);
            stage.cache_cluster_status = Some(if enabled { "AVAILABLE" } else { "NOT_AVAILABLE" }.to_owned());
        }
        "/cacheClusterSize" => stage.cache_cluster_size = value.map(str::to_owned),
        "/clientCertificateId" => {
            stage.client_certificate_id = value.filter(|_| !removing).map(str::to_owned)
        }
        "/accessLogSettings/destinationArn" | "/accessLogSettings/format" if !removing => {
            let settings = stage.access_log_settings.get_or_insert_default();
            match path.ends_with("destinationArn") {
                true => settings.destination_arn = value.map(str::to_owned),
                false => settings.format = value.map(str::to_owned),
            }
        }
        "/accessLogSettings" if removing => stage.access_log_settings = None,
        _ if path.starts_with("/canarySettings") => return canary_setting(stage, operation),
        _ => return method_setting(stage, operation),
    }
    Ok(())
}

/// `/canarySettings[/percentTraffic|deploymentId|useStageCache|stageVariableOverrides/<name>]`.
fn canary_setting(stage: &mut Stage, operation: &PatchOperation) -> Result<(), AwsError> {
    let path = operation.path.as_deref().unwrap_or_default();
    let value = operation.value.as_deref();
    let removing = operation.op.as_deref() == Some("remove");
    if path == "/canarySettings" && removing {
        stage.canary_settings = None;
        return Ok(());
    }
    let canary = stage.canary_settings.get_or_insert_default();
    if let Some(name) = path.strip_prefix("/canarySettings/stageVariableOverrides/") {
        let overrides = canary.stage_variable_overrides.get_or_insert_default();
        match (removing, value) {
            (true, _) => overrides.shift_remove(name),
            (false, Some(value)) => overrides.insert(name.to_owned(), value.to_owned()),
            (false, None) => return Err(invalid(operation)),
        };
        return Ok(());
    }
    match path {
        "/canarySettings/percentTraffic" if !removing => {
            let share = value
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|p| (0.0..=100.0).contains(p));
            canary.percent_traffic = Some(share.ok_or_else(|| invalid(operation))?);
        }
        "/canarySettings/deploymentId" if !removing => canary.deployment_id = value.map(str::to_owned),
        "/canarySettings/useStageCache" if !removing => {
            canary.use_stage_cache = Some(flag(value, operation)?)
        }
        _ => return Err(invalid(operation)),
    }
    Ok(())
}

/// `/<resource path>/<method>/<group>/<setting>`.
fn method_setting(stage: &mut Stage, operation: &PatchOperation) -> Result<(), AwsError> {
    let path = operation.path.as_deref().unwrap_or_default();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let [resource, method, group, setting] = parts.as_slice() else {
        return Err(invalid(operation));
    };
    let key = format!("{resource}/{method}");
    let value = operation.value.as_deref();
    let settings = stage.method_settings.get_or_insert_default();
    if operation.op.as_deref() == Some("remove") {
        settings.shift_remove(&key);
        return Ok(());
    }
    let entry = settings.entry(key).or_insert_with(|| MethodSetting {
        metrics_enabled: Some(false),
        logging_level: Some("OFF".to_owned()),
        data_trace_enabled: Some(false),
        throttling_burst_limit: Some(5000),
        throttling_rate_limit: Some(10000.0),
        caching_enabled: Some(false),
        cache_ttl_in_seconds: Some(300),
        cache_data_encrypted: Some(false),
        require_authorization_for_cache_control: Some(true),
        unauthorized_cache_control_header_strategy: Some("SUCCEED_WITH_RESPONSE_HEADER".to_owned()),
    });
    let number = || {
        value
            .and_then(|v| v.parse::<f64>().ok())
            .ok_or_else(|| invalid(operation))
    };
    match (*group, *setting) {
        ("metrics", "enabled") => entry.metrics_enabled = Some(flag(value, operation)?),
        ("logging", "loglevel") => {
            let level = value
                .filter(|v| matches!(*v, "OFF" | "ERROR" | "INFO"))
                .ok_or_else(|| invalid(operation))?;
            entry.logging_level = Some(level.to_owned());
        }
        ("logging", "dataTrace") => entry.data_trace_enabled = Some(flag(value, operation)?),
        ("throttling", "burstLimit") => entry.throttling_burst_limit = Some(number()? as i32),
        ("throttling", "rateLimit") => entry.throttling_rate_limit = Some(number()?),
        ("caching", "enabled") => entry.caching_enabled = Some(flag(value, operation)?),
        ("caching", "ttlInSeconds") => entry.cache_ttl_in_seconds = Some(number()? as i32),
        ("caching", "dataEncrypted") => entry.cache_data_encrypted = Some(flag(value, operation)?),
        ("caching", "requireAuthorizationForCacheControl") => {
            entry.require_authorization_for_cache_control = Some(flag(value, operation)?);
        }
        ("caching", "unauthorizedCacheControlHeaderStrategy") => {
            entry.unauthorized_cache_control_header_strategy = value.map(str::to_owned);
        }
        _ => return Err(invalid(operation)),
    }
    Ok(())
}
