//! Functions: created from a zip, read, listed and deleted, each kept as
//! its configuration (as the API answers it), its package and its tags.

use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::*;
use nimbus_store::Namespace;

use crate::Lambda;
use crate::code;
use crate::names::{self, validation};
use crate::records::{FUNCTION_PREFIX, FunctionRecord, aliases_prefix, function_key, versions_prefix};
use crate::runtimes;

pub fn namespace(ctx: &RequestContext) -> Result<Namespace, AwsError> {
    Ok(Namespace::regional("lambda", &ctx.account_id, &ctx.region)?)
}

const ROLE_PATTERN: &str = "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+";

pub fn check_role(role: &str) -> Result<(), AwsError> {
    let parts: Vec<&str> = role.splitn(6, ':').collect();
    let valid = matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
        if partition.starts_with("aws")
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty()));
    match valid {
        true => Ok(()),
        false => Err(validation(format!(
            "1 validation error detected: Value '{role}' at 'role' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: {ROLE_PATTERN}"
        ))),
    }
}

/// Variables Lambda sets itself and a function may not.
const RESERVED_VARIABLES: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// Lambda's limits on a function's variables: none reserved, 4 KB in all.
pub fn check_variables(environment: Option<&Environment>) -> Result<(), AwsError> {
    let Some(variables) = environment.and_then(|env| env.variables.as_ref()) else {
        return Ok(());
    };
    let reserved: Vec<&str> = variables
        .keys()
        .filter(|key| RESERVED_VARIABLES.contains(&key.as_str()))
        .map(String::as_str)
        .collect();
    if !reserved.is_empty() {
        return Err(errors::invalid_parameter_value(format!(
            "Lambda was unable to configure your environment variables because the environment variables you have \
             provided contains reserved keys that are currently not supported for modification. Reserved keys used \
             in this request: {}",
            reserved.join(", ")
        )));
    }
    let measured = serde_json::to_string(variables).unwrap_or_default();
    if measured.len() > 4096 {
        return Err(errors::invalid_parameter_value(format!(
            "Lambda was unable to configure your environment variables because the environment variables you have \
             provided exceeded the 4KB limit. String measured: {measured}"
        )));
    }
    Ok(())
}

/// The runtime's version ARN (one per runtime identifier here).
fn runtime_version(ctx: &RequestContext, runtime: &str) -> RuntimeVersionConfig {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(runtime.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    RuntimeVersionConfig {
        runtime_version_arn: Some(format!("arn:aws:lambda:{}::runtime:{hex}", ctx.region)),
        ..Default::default()
    }
}

pub fn check_runtime(runtime: &str) -> Result<(), AwsError> {
    match runtimes::SUPPORTED.contains(&runtime) {
        true => Ok(()),
        false => Err(errors::invalid_parameter_value(format!(
            "The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda \
             functions. We recommend you use a supported runtime while creating or updating functions."
        ))),
    }
}

/// Lambda's `LastModified`: `2024-01-01T00:00:00.000+0000`.
pub fn last_modified(clock: &nimbus_runtime::Clock) -> String {
    let now = time::OffsetDateTime::from(clock.now());
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+0000"
    );
    now.format(&format).unwrap_or_default()
}

impl Lambda {
    pub(crate) async fn create_function(
        &self,
        ctx: &RequestContext,
        input: CreateFunctionRequest,
    ) -> Result<FunctionConfiguration, AwsError> {
        let function = names::parse(ctx, &input.function_name, None)?;
        if input.package_type.as_deref() == Some("Image") {
            return Err(errors::invalid_parameter_value(
                "nimbus runs functions as local processes: container images (PackageType Image) need a \
                 container runtime, which nimbus does not use. Deploy the function as a zip.",
            ));
        }
        check_role(&input.role)?;
        let runtime = input
            .runtime
            .clone()
            .ok_or_else(|| errors::invalid_parameter_value("Runtime and Handler are mandatory parameters for functions created with deployment packages."))?;
        check_runtime(&runtime)?;
        check_variables(input.environment.as_ref())?;
        if let Some(tags) = &input.tags {
            crate::tags::check_tags(tags)?;
        }
        let handler = input
            .handler
            .clone()
            .ok_or_else(|| errors::invalid_parameter_value("Runtime and Handler are mandatory parameters for functions created with deployment packages."))?;
        let code_in = &input.code;
        let location = crate::s3_code::S3Location {
            bucket: code_in.s3_bucket.as_deref(),
            key: code_in.s3_key.as_deref(),
            version: code_in.s3_object_version.as_deref(),
        };
        let zip = self.package(ctx, code_in.zip_file.as_ref(), location).await?;
        let package = code::inspect(&zip)?;
        let layers = self.function_layers(input.layers.as_ref()).await?;
        let arn = names::function_arn(ctx, &function.name);
        let mut config = FunctionConfiguration {
            function_name: Some(function.name.clone()),
            function_arn: Some(arn),
            runtime: Some(runtime.clone()),
            role: Some(input.role.clone()),
            handler: Some(handler),
            code_size: Some(package.size),
            description: Some(input.description.clone().unwrap_or_default()),
            timeout: Some(input.timeout.unwrap_or(3)),
            memory_size: Some(input.memory_size.unwrap_or(128)),
            last_modified: Some(last_modified(&self.clock)),
            code_sha256: Some(package.sha256_base64.clone()),
            version: Some("$LATEST".to_owned()),
            environment: input.environment.as_ref().map(|env| EnvironmentResponse {
                variables: env.variables.clone(),
                error: None,
            }),
            tracing_config: Some(TracingConfigResponse {
                mode: Some(
                    input
                        .tracing_config
                        .as_ref()
                        .and_then(|t| t.mode.clone())
                        .unwrap_or_else(|| "PassThrough".to_owned()),
                ),
            }),
            revision_id: Some(uuid::Uuid::new_v4().to_string()),
            state: Some("Pending".to_owned()),
            state_reason: Some("The function is being created.".to_owned()),
            state_reason_code: Some("Creating".to_owned()),
            package_type: Some("Zip".to_owned()),
            architectures: Some(
                input
                    .architectures
                    .clone()
                    .unwrap_or_else(|| vec!["x86_64".to_owned()]),
            ),
            ephemeral_storage: Some(
                input
                    .ephemeral_storage
                    .clone()
                    .unwrap_or(EphemeralStorage { size: 512 }),
            ),
            snap_start: Some(SnapStartResponse {
                apply_on: Some("None".to_owned()),
                optimization_status: Some("Off".to_owned()),
            }),
            logging_config: Some(LoggingConfig {
                log_format: Some("Text".to_owned()),
                log_group: Some(format!("/aws/lambda/{}", function.name)),
                ..Default::default()
            }),
            dead_letter_config: input.dead_letter_config.clone(),
            layers: layers.filter(|l| !l.is_empty()),
            runtime_version_config: Some(runtime_version(ctx, &runtime)),
            ..Default::default()
        };
        // What the caller sees is the creation starting; what is kept is the
        // outcome of the checks Lambda does while Pending.
        let answered = config.clone();
        let launched = self
            .prepare(&runtime, &package.sha256_hex, Some(zip.clone()))
            .await?;
        settle(&mut config, launched.err());
        let staged = self.store.blobs().write_from(std::io::Cursor::new(zip)).await?;
        let record_tags = input.tags.clone().unwrap_or_default();
        let name = function.name.clone();
        let code_hex = package.sha256_hex;
        let ns = namespace(ctx)?;
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                if table.get(&function_key(&name))?.is_some() {
                    return Err(
                        errors::resource_conflict(format!("Function already exist: {name}"))
                            .with_field("Type", "User"),
                    );
                }
                let code = txn.attach_blob(staged)?;
                let record = FunctionRecord {
                    config,
                    code,
                    code_hex,
                    tags: record_tags,
                    last_version: 0,
                    published_revision: None,
                };
                table.put_json(&function_key(&name), &record)?;
                Ok(())
            })
            .await?;
        if input.publish == Some(true) {
            let version = self.publish(ctx, &function.name, Default::default()).await?;
            return Ok(FunctionConfiguration {
                version: version.version,
                ..answered
            });
        }
        Ok(answered)
    }

    pub(crate) async fn get_function(
        &self,
        ctx: &RequestContext,
        input: GetFunctionRequest,
    ) -> Result<GetFunctionResponse, AwsError> {
        let function = names::parse(ctx, &input.function_name, input.qualifier.as_deref())?;
        let record = self.load(ctx, &function).await?;
        let location = self.code_location(ctx, &record);
        Ok(GetFunctionResponse {
            configuration: Some(record.config),
            code: Some(FunctionCodeLocation {
                repository_type: Some("S3".to_owned()),
                location: Some(location),
                ..Default::default()
            }),
            tags: (!record.tags.is_empty()).then_some(record.tags),
            concurrency: self
                .reserved(ctx, &function.name)
                .await?
                .map(|reserved| Concurrency {
                    reserved_concurrent_executions: Some(reserved),
                }),
            ..Default::default()
        })
    }

    pub(crate) async fn get_function_configuration(
        &self,
        ctx: &RequestContext,
        input: GetFunctionConfigurationRequest,
    ) -> Result<FunctionConfiguration, AwsError> {
        let function = names::parse(ctx, &input.function_name, input.qualifier.as_deref())?;
        Ok(self.load(ctx, &function).await?.config)
    }

    pub(crate) async fn list_functions(
        &self,
        ctx: &RequestContext,
        input: ListFunctionsRequest,
    ) -> Result<ListFunctionsResponse, AwsError> {
        let ns = namespace(ctx)?;
        let limit = usize::try_from(input.max_items.unwrap_or(50).clamp(1, 10_000)).unwrap_or(50);
        let after = input.marker.clone();
        let (functions, next) = self
            .store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let after_key = after.as_deref().map(function_key);
                let mut functions = Vec::new();
                let mut next = None;
                for entry in table.scan_after(FUNCTION_PREFIX, after_key.as_deref())? {
                    let record: FunctionRecord = entry?.decode()?;
                    if functions.len() == limit {
                        next = functions
                            .last()
                            .and_then(|c: &FunctionConfiguration| c.function_name.clone());
                        break;
                    }
                    functions.push(record.config);
                }
                Ok::<_, AwsError>((functions, next))
            })
            .await?;
        Ok(ListFunctionsResponse {
            functions: Some(functions),
            next_marker: next,
        })
    }

    pub(crate) async fn delete_function(
        &self,
        ctx: &RequestContext,
        input: DeleteFunctionRequest,
    ) -> Result<DeleteFunctionResponse, AwsError> {
        let function = names::parse(ctx, &input.function_name, input.qualifier.as_deref())?;
        let unqualified = names::FunctionRef {
            name: function.name.clone(),
            qualifier: None,
        };
        self.load(ctx, &unqualified).await?;
        match function.qualifier.as_deref() {
            Some("$LATEST") => {
                return Err(errors::invalid_parameter_value(
                    "$LATEST version cannot be deleted without deleting the function.",
                ));
            }
            Some(version) if crate::versions::is_version_number(version) => {
                if let Ok(number) = version.parse() {
                    self.delete_version(ctx, &function.name, number).await?;
                }
                self.pool.forget(&self.pool_key(ctx, &function.name, version));
            }
            Some(_) => {
                return Err(errors::invalid_parameter_value(
                    "Deletion of aliases is not supported by DeleteFunction: use DeleteAlias.",
                ));
            }
            None => {
                self.delete_everything(ctx, &function.name).await?;
                self.forget_provisioned(ctx, &function.name).await?;
                self.forget_concurrency(ctx, &function.name).await?;
                self.pool.forget_under(&self.pool_prefix(ctx, &function.name));
            }
        }
        Ok(DeleteFunctionResponse {
            status_code: Some(204),
        })
    }

    /// Deletes a function with its versions, aliases and event invoke
    /// configurations, and the packages they held.
    async fn delete_everything(&self, ctx: &RequestContext, name: &str) -> Result<(), AwsError> {
        let ns = namespace(ctx)?;
        let name = name.to_owned();
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut blobs: Vec<nimbus_store::BlobRef> = Vec::new();
                let mut records = Vec::new();
                records.extend(table.get_json::<FunctionRecord>(&function_key(&name))?);
                for entry in table.scan(&versions_prefix(&name))? {
                    records.push(entry?.decode::<FunctionRecord>()?);
                }
                for record in records {
                    if !blobs.iter().any(|b| b.id == record.code.id) {
                        blobs.push(record.code);
                    }
                }
                for blob in &blobs {
                    txn.release_blob(blob)?;
                }
                table.delete(&function_key(&name))?;
                table.delete_prefix(&versions_prefix(&name))?;
                table.delete_prefix(&aliases_prefix(&name))?;
                table.delete_prefix(&crate::event_invoke::function_prefix(&name))?;
                table.delete_prefix(&crate::permissions::policies_prefix(&name))?;
                table.delete_prefix(format!("provisioned/{name}/").as_bytes())?;
                table.delete(&crate::code_signing::function_key(&name))?;
                let mut url_ids = Vec::new();
                for entry in table.scan(&crate::function_urls::urls_prefix(&name))? {
                    url_ids.push(entry?.decode::<crate::function_urls::UrlRecord>()?.id);
                }
                table.delete_prefix(&crate::function_urls::urls_prefix(&name))?;
                // One table at a time: the index shares the service's table.
                drop(table);
                let mut index = txn.open(&crate::function_urls::index()?)?;
                for id in url_ids {
                    index.delete(&crate::function_urls::index_key(&id))?;
                }
                Ok::<_, AwsError>(())
            })
            .await
    }

    pub(crate) async fn get_account_settings(
        &self,
        ctx: &RequestContext,
    ) -> Result<GetAccountSettingsResponse, AwsError> {
        let ns = namespace(ctx)?;
        let (count, size) = self
            .store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let mut count = 0_i64;
                let mut size = 0_i64;
                for entry in table.scan(FUNCTION_PREFIX)? {
                    let record: FunctionRecord = entry?.decode()?;
                    count += 1;
                    size += record.config.code_size.unwrap_or(0);
                }
                Ok::<_, AwsError>((count, size))
            })
            .await?;
        Ok(GetAccountSettingsResponse {
            account_limit: Some(AccountLimit {
                total_code_size: Some(80_530_636_800),
                code_size_unzipped: Some(262_144_000),
                code_size_zipped: Some(52_428_800),
                concurrent_executions: Some(crate::concurrency::ACCOUNT_CONCURRENCY),
                unreserved_concurrent_executions: Some(self.unreserved(ctx).await?),
            }),
            account_usage: Some(AccountUsage {
                total_code_size: Some(size),
                function_count: Some(count),
            }),
        })
    }

    /// Unpacks the package (when given and not unpacked yet) and finds how
    /// its runtime runs, off the async workers: both touch the disk, and
    /// finding an interpreter may start a process. `Err` inside: why the
    /// function cannot run here.
    pub(crate) async fn prepare(
        &self,
        runtime: &str,
        code_hex: &str,
        zip: Option<bytes::Bytes>,
    ) -> Result<Result<runtimes::Launch, String>, AwsError> {
        let root = self.store.data_dir().to_owned();
        let (runtime, code_hex) = (runtime.to_owned(), code_hex.to_owned());
        tokio::task::spawn_blocking(move || {
            let task_root = match zip {
                Some(zip) => code::unpack(&root, &code_hex, &zip)?,
                None => code::unpacked_dir(&root, &code_hex),
            };
            Ok(runtimes::launch(&runtime, &task_root, &root))
        })
        .await
        .map_err(|e| AwsError::internal(e.to_string()))?
    }

    /// [`prepare`](Self::prepare) for a stored function: its package is read
    /// from the store only when this machine has not unpacked it (a new data
    /// directory, a restored snapshot).
    pub(crate) async fn prepare_stored(
        &self,
        runtime: &str,
        record: &FunctionRecord,
    ) -> Result<Result<runtimes::Launch, String>, AwsError> {
        let unpacked = code::unpacked_dir(self.store.data_dir(), &record.code_hex).is_dir();
        let zip = match unpacked {
            true => None,
            false => Some(self.read_package(record).await?),
        };
        self.prepare(runtime, &record.code_hex, zip).await
    }

    pub(crate) async fn read_package(&self, record: &FunctionRecord) -> Result<bytes::Bytes, AwsError> {
        let mut reader = self.store.blobs().open(&record.code).await?;
        let mut zip = Vec::new();
        while let Some(chunk) = reader.next_chunk().await? {
            zip.extend_from_slice(&chunk);
        }
        Ok(zip.into())
    }

    /// Where a function's warm environments wait: one slot per version
    /// (`$LATEST` or a number), under the function's own prefix.
    pub(crate) fn pool_key(&self, ctx: &RequestContext, name: &str, version: &str) -> String {
        format!("{}{version}", self.pool_prefix(ctx, name))
    }

    pub(crate) fn pool_prefix(&self, ctx: &RequestContext, name: &str) -> String {
        format!("{}/{}/{name}:", ctx.account_id, ctx.region)
    }
}

/// The state a function reaches once created: Active, or Failed with why
/// (an interpreter this machine lacks, a provided runtime with no bootstrap).
pub fn settle(config: &mut FunctionConfiguration, problem: Option<String>) {
    match problem {
        None => {
            config.state = Some("Active".to_owned());
            config.state_reason = None;
            config.state_reason_code = None;
        }
        Some(reason) => {
            config.state = Some("Failed".to_owned());
            config.state_reason = Some(reason);
            config.state_reason_code = Some("InvalidRuntime".to_owned());
        }
    }
    config.last_update_status = Some("Successful".to_owned());
}
