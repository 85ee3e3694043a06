//! Invoke: the event goes to a warm execution environment of the function
//! (or a new one), and the runtime's answer comes back as Lambda shapes
//! it: the payload, X-Amz-Function-Error, the log tail.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::*;

use crate::Lambda;
use crate::code;
use crate::environment::{Ended, Environment, Spec};
use crate::log_shipping::Destination;
use crate::names;
use crate::records::FunctionRecord;
use crate::runtime_api::{Invocation, Outcome};

/// Lambda's limit for a synchronous invocation's payload (6 MB).
const MAX_SYNC_PAYLOAD: usize = 6 * 1024 * 1024;
/// What LogType Tail returns of the log: its last 4 KB.
const TAIL_BYTES: usize = 4096;

impl Lambda {
    pub(crate) async fn invoke(
        &self,
        ctx: &RequestContext,
        input: InvocationRequest,
    ) -> Result<InvocationResponse, AwsError> {
        let kind = input.invocation_type.as_deref().unwrap_or("RequestResponse");
        let (owners, function, record, payload) = self.prepare_invocation(ctx, &input, kind).await?;
        let ctx = owners.as_ref().unwrap_or(ctx);
        match kind {
            "DryRun" => Ok(InvocationResponse {
                status_code: Some(204),
                ..Default::default()
            }),
            "Event" => {
                self.enqueue_event(ctx, &function, &payload).await?;
                Ok(InvocationResponse {
                    status_code: Some(202),
                    ..Default::default()
                })
            }
            _ => {
                self.invoke_now(ctx, &record, payload, &input, &ctx.request_id)
                    .await
            }
        }
    }

    /// What an invocation names, ready to run: the owner's context when the
    /// function is another account's (its policy let the caller in), the
    /// function, its record, and the payload held to `kind`'s limit.
    pub(crate) async fn prepare_invocation(
        &self,
        ctx: &RequestContext,
        input: &InvocationRequest,
        kind: &str,
    ) -> Result<(Option<RequestContext>, names::FunctionRef, FunctionRecord, Bytes), AwsError> {
        let owners = names::owners_context(ctx, &input.function_name);
        let owner = owners.as_ref().unwrap_or(ctx);
        let function = names::parse(owner, &input.function_name, input.qualifier.as_deref())?;
        let record = self.load(owner, &function).await?;
        check_state(&record.config)?;
        let payload = input.payload.clone().unwrap_or_default();
        let limit = match kind {
            "Event" => crate::async_invoke::MAX_EVENT_PAYLOAD,
            _ => MAX_SYNC_PAYLOAD,
        };
        check_payload(&payload, kind, limit)?;
        Ok((owners, function, record, payload))
    }

    pub(crate) async fn invoke_now(
        &self,
        ctx: &RequestContext,
        record: &FunctionRecord,
        payload: Bytes,
        input: &InvocationRequest,
        request_id: &str,
    ) -> Result<InvocationResponse, AwsError> {
        self.invoke_streaming(ctx, record, (payload, input), request_id, None)
            .await
    }

    /// Runs one invocation; a response the function streams goes to
    /// `stream` chunk by chunk as it comes (else it is gathered whole).
    pub(crate) async fn invoke_streaming(
        &self,
        ctx: &RequestContext,
        record: &FunctionRecord,
        (payload, input): (Bytes, &InvocationRequest),
        request_id: &str,
        stream: Option<tokio::sync::mpsc::Sender<Bytes>>,
    ) -> Result<InvocationResponse, AwsError> {
        let config = &record.config;
        let name = config.function_name.clone().unwrap_or_default();
        let _running = self.enter(ctx, &name).await?;
        let version = config.version.clone().unwrap_or_else(|| "$LATEST".to_owned());
        let key = self.pool_key(ctx, &name, &version);
        let revision = record.revision().to_owned();
        let warm = self.pool.take(&key, &revision);
        // An environment whose role session is about to end is not used again.
        let warm = warm.filter(|env| env.credentials_last_past(self.clock.now()));
        let environment = match warm {
            Some(warm) => warm,
            None => Arc::new(self.start_environment(ctx, record).await?),
        };
        let timeout_secs = u64::try_from(config.timeout.unwrap_or(3)).unwrap_or(3);
        let request_id = request_id.to_owned();
        let arn = config.function_arn.clone().unwrap_or_default();
        let deadline_ms = self.clock.now_epoch_millis() + timeout_secs * 1000;
        let client_context = input
            .client_context
            .as_deref()
            .and_then(|text| BASE64.decode(text).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
        let started = Instant::now();
        environment.log_line(&start_line(&request_id, &version));
        let id = request_id.clone();
        let ended = environment
            .invoke(&self.clock, Duration::from_secs(timeout_secs), move |reply| {
                Invocation {
                    request_id: id,
                    payload,
                    deadline_ms,
                    function_arn: arn,
                    trace_id: format!(
                        "Root=1-{:08x}-{}",
                        deadline_ms / 1000,
                        uuid::Uuid::new_v4().simple()
                    ),
                    client_context,
                    reply,
                    stream,
                }
            })
            .await;
        let elapsed = started.elapsed();
        let memory = config.memory_size.unwrap_or(128);
        let peak = environment.peak_memory();
        // Past its MemorySize between two looks: Lambda would have ended it.
        let over = peak.is_some_and(|peak| peak > u64::try_from(memory).unwrap_or(u64::MAX));
        let ended = if over { Ended::OutOfMemory } else { ended };
        let used = peak.map_or_else(
            || i64::from(memory),
            |peak| i64::try_from(peak).unwrap_or(i64::MAX),
        );
        let init = environment.init_duration();
        let report = Report {
            elapsed,
            memory,
            used,
            init,
            timeout_secs,
        };
        let closing = closing_lines(&request_id, &report, &ended);
        let tail = input.log_type.as_deref() == Some("Tail");
        let lines = match tail {
            true => environment.log_lines().await,
            false => Vec::new(),
        };
        // Lines the function wrote before answering are read by other
        // tasks: they take them in first, so END follows them.
        if !tail {
            environment.catch_up().await;
        }
        for line in &closing {
            environment.log_line(line);
        }
        self.pool
            .give_back(&key, &revision, environment, self.clock.now());
        let (status_payload, function_error) = shape(&ended, &request_id, timeout_secs);
        let log_result = tail.then(|| tail_of(&log_text(&request_id, &version, &lines, &closing)));
        Ok(InvocationResponse {
            status_code: Some(200),
            function_error,
            log_result,
            payload: Some(status_payload),
            executed_version: Some(version),
            ..Default::default()
        })
    }

    pub(crate) async fn start_environment(
        &self,
        ctx: &RequestContext,
        record: &FunctionRecord,
    ) -> Result<Environment, AwsError> {
        let config = &record.config;
        let runtime = config.runtime.clone().unwrap_or_default();
        let launch = self
            .prepare_stored(&runtime, record)
            .await?
            .map_err(errors::invalid_runtime)?;
        let task_root = code::unpacked_dir(self.store.data_dir(), &record.code_hex);
        let destination = log_destination(ctx, config, &self.clock);
        let name = config.function_name.clone().unwrap_or_default();
        let role = config.role.clone().unwrap_or_default();
        let credentials = self.role_credentials(ctx, &role, &name).await;
        let mut variables = self.variables(ctx, config, &task_root.to_string_lossy(), &destination);
        add_credentials(&mut variables, ctx, credentials.as_ref());
        let layers = self.layer_dirs(config).await?;
        if !layers.is_empty() {
            add_layer_paths(&mut variables, &layers, &runtime);
        }
        let log = self.shipper.get().map(|shipper| shipper.sink(destination));
        let environment = Environment::start(Spec {
            launch,
            task_root,
            variables,
            log,
            credentials_expire: credentials.map(|c| c.expires),
            memory_mb: config.memory_size.and_then(|mb| u64::try_from(mb).ok()),
        })
        .await
        .map_err(|reason| errors::service(format!("the function's environment could not start: {reason}")))?;
        environment.log_line(&init_start_line(config));
        Ok(environment)
    }

    /// The function's variables, then the ones Lambda reserves.
    fn variables(
        &self,
        ctx: &RequestContext,
        config: &FunctionConfiguration,
        task_root: &str,
        log: &Destination,
    ) -> Vec<(String, String)> {
        let name = config.function_name.clone().unwrap_or_default();
        let runtime = config.runtime.clone().unwrap_or_default();
        let mut variables: Vec<(String, String)> = config
            .environment
            .as_ref()
            .and_then(|env| env.variables.clone())
            .unwrap_or_default()
            .into_iter()
            .collect();
        let reserved = [
            ("PATH", std::env::var("PATH").unwrap_or_default()),
            ("LANG", "en_US.UTF-8".to_owned()),
            ("TZ", ":UTC".to_owned()),
            ("PYTHONUNBUFFERED", "1".to_owned()),
            ("LAMBDA_TASK_ROOT", task_root.to_owned()),
            ("LAMBDA_RUNTIME_DIR", task_root.to_owned()),
            ("_HANDLER", config.handler.clone().unwrap_or_default()),
            ("AWS_REGION", ctx.region.clone()),
            ("AWS_DEFAULT_REGION", ctx.region.clone()),
            ("AWS_EXECUTION_ENV", format!("AWS_Lambda_{runtime}")),
            ("AWS_LAMBDA_FUNCTION_NAME", name.clone()),
            (
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                config.memory_size.unwrap_or(128).to_string(),
            ),
            (
                "AWS_LAMBDA_FUNCTION_VERSION",
                config.version.clone().unwrap_or_else(|| "$LATEST".to_owned()),
            ),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
            ("AWS_LAMBDA_LOG_GROUP_NAME", log.group.clone()),
            ("AWS_LAMBDA_LOG_STREAM_NAME", log.stream.clone()),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
        ];
        variables.extend(reserved.into_iter().map(|(k, v)| (k.to_owned(), v)));
        variables
    }
}

fn check_state(config: &FunctionConfiguration) -> Result<(), AwsError> {
    match config.state.as_deref() {
        Some("Active") | None => Ok(()),
        Some("Failed") => Err(errors::invalid_runtime(
            config
                .state_reason
                .clone()
                .unwrap_or_else(|| "The function could not be created.".to_owned()),
        )),
        Some(state) => Err(errors::resource_conflict(format!(
            "The operation cannot be performed at this time. The function is currently in the following state: {state}"
        ))),
    }
}

fn check_payload(payload: &[u8], kind: &str, limit: usize) -> Result<(), AwsError> {
    if payload.len() > limit {
        // Not the model's RequestTooLargeException: what Lambda answers.
        return Err(AwsError::new(
            "RequestEntityTooLargeException",
            format!(
                "{} byte payload is too large for the {kind} invocation type (limit {limit} bytes)",
                payload.len()
            ),
            413,
        ));
    }
    if payload.is_empty() {
        return Ok(());
    }
    match serde_json::from_slice::<serde::de::IgnoredAny>(payload) {
        Ok(_) => Ok(()),
        Err(error) => Err(errors::invalid_request_content(format!(
            "Could not parse request body into json: Could not parse payload into json: {error}"
        ))),
    }
}

/// The payload and X-Amz-Function-Error of an ended invocation.
fn shape(ended: &Ended, request_id: &str, timeout_secs: u64) -> (Bytes, Option<String>) {
    let failure = |error_type: &str, message: String| {
        let document = serde_json::json!({ "errorType": error_type, "errorMessage": message });
        (Bytes::from(document.to_string()), Some("Unhandled".to_owned()))
    };
    match ended {
        Ended::Reported(Outcome::Response(body)) => (body.clone(), None),
        Ended::Reported(Outcome::Error { body, .. }) => (body.clone(), Some("Unhandled".to_owned())),
        Ended::OutOfMemory => failure(
            "Runtime.OutOfMemory",
            format!("RequestId: {request_id} Error: Runtime exited with error: signal: killed"),
        ),
        Ended::TimedOut => failure(
            "Sandbox.Timedout",
            format!("RequestId: {request_id} Error: Task timed out after {timeout_secs}.00 seconds"),
        ),
        Ended::Exited {
            init_error: Some(Outcome::Error { body, .. }),
            ..
        } => (body.clone(), Some("Unhandled".to_owned())),
        Ended::Exited { status, .. } => failure(
            "Runtime.ExitError",
            format!("RequestId: {request_id} Error: Runtime exited with error: {status}"),
        ),
    }
}

/// The log group and a new stream of an execution environment:
/// `/aws/lambda/<name>` (or the LoggingConfig's group),
/// `YYYY/MM/DD/[<version>]<32 hex>`.
fn log_destination(
    ctx: &RequestContext,
    config: &FunctionConfiguration,
    clock: &nimbus_runtime::Clock,
) -> Destination {
    let name = config.function_name.clone().unwrap_or_default();
    let group = config
        .logging_config
        .as_ref()
        .and_then(|c| c.log_group.clone())
        .unwrap_or_else(|| format!("/aws/lambda/{name}"));
    let today = crate::functions::last_modified(clock)[..10].replace('-', "/");
    Destination {
        account: ctx.account_id.clone(),
        region: ctx.region.clone(),
        group,
        stream: format!(
            "{today}/[{}]{}",
            config.version.as_deref().unwrap_or("$LATEST"),
            uuid::Uuid::new_v4().simple()
        ),
    }
}

/// The execution role's session, or (without one) the account's own key.
fn add_credentials(
    variables: &mut Vec<(String, String)>,
    ctx: &RequestContext,
    credentials: Option<&crate::execution_role::RoleCredentials>,
) {
    let keys = match credentials {
        Some(session) => vec![
            ("AWS_ACCESS_KEY_ID", session.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", session.secret_access_key.clone()),
            ("AWS_SESSION_TOKEN", session.session_token.clone()),
        ],
        None => vec![
            ("AWS_ACCESS_KEY_ID", ctx.account_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ],
    };
    variables.extend(keys.into_iter().map(|(k, v)| (k.to_owned(), v)));
}

/// Puts the layers' directories before what the variables already list.
fn add_layer_paths(variables: &mut Vec<(String, String)>, layers: &[std::path::PathBuf], runtime: &str) {
    // python3.12 → python3.12 (the site-packages directory Lambda adds).
    let python = runtime.starts_with("python").then_some(runtime);
    for (name, paths) in crate::layers::search_paths(layers, python) {
        if paths.is_empty() {
            continue;
        }
        match variables.iter_mut().find(|(n, _)| n == name) {
            Some((_, value)) if !value.is_empty() => *value = format!("{paths}:{value}"),
            Some((_, value)) => *value = paths,
            None => variables.push((name.to_owned(), paths)),
        }
    }
}

/// `INIT_START Runtime Version: python:3.12.v1\tRuntime Version ARN: ...`.
fn init_start_line(config: &FunctionConfiguration) -> String {
    let runtime = config.runtime.as_deref().unwrap_or_default();
    let split = runtime
        .find(|c: char| c.is_ascii_digit() || c == '.')
        .unwrap_or(runtime.len());
    let (family, version) = runtime.split_at(split);
    let version = version.trim_start_matches('.').trim_end_matches(".x");
    let arn = config
        .runtime_version_config
        .as_ref()
        .and_then(|c| c.runtime_version_arn.clone())
        .unwrap_or_default();
    format!("INIT_START Runtime Version: {family}:{version}.v1\tRuntime Version ARN: {arn}")
}

fn start_line(request_id: &str, version: &str) -> String {
    format!("START RequestId: {request_id} Version: {version}")
}

/// What Lambda writes after an invocation: the timeout notice, END and
/// REPORT.
/// What the REPORT line says of an invocation.
struct Report {
    elapsed: Duration,
    /// The function's MemorySize, and the most its runtime held (MB).
    memory: i32,
    used: i64,
    /// On an environment's first invocation, how long its init took.
    init: Option<Duration>,
    timeout_secs: u64,
}

fn closing_lines(request_id: &str, report: &Report, ended: &Ended) -> Vec<String> {
    let mut lines = Vec::new();
    if matches!(ended, Ended::TimedOut) {
        lines.push(format!(
            "{request_id} Task timed out after {}.00 seconds",
            report.timeout_secs
        ));
    }
    let millis = report.elapsed.as_secs_f64() * 1000.0;
    lines.push(format!("END RequestId: {request_id}"));
    let init = report
        .init
        .map(|init| format!("Init Duration: {:.2} ms\t", init.as_secs_f64() * 1000.0))
        .unwrap_or_default();
    let status = match ended {
        Ended::TimedOut => "Status: timeout\t",
        Ended::OutOfMemory => "Status: error\tError Type: Runtime.OutOfMemory\t",
        _ => "",
    };
    lines.push(format!(
        "REPORT RequestId: {request_id}\tDuration: {millis:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB\t{init}{status}",
        millis.ceil() as u64,
        report.memory,
        report.used
    ));
    lines
}

/// The invocation's log as Lambda writes it: START, the function's lines,
/// END and REPORT.
fn log_text(request_id: &str, version: &str, lines: &[String], closing: &[String]) -> String {
    let mut text = start_line(request_id, version);
    text.push('\n');
    for line in lines.iter().chain(closing) {
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// The last 4 KB of a log, base64 (X-Amz-Log-Result).
fn tail_of(text: &str) -> String {
    let bytes = text.as_bytes();
    BASE64.encode(&bytes[bytes.len().saturating_sub(TAIL_BYTES)..])
}
