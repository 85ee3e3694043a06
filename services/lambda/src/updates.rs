//! UpdateFunctionCode and UpdateFunctionConfiguration: a new revision of
//! `$LATEST` (warm environments of the old one end), answered as Lambda
//! answers an update that has started.

use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::*;

use crate::Lambda;
use crate::code;
use crate::functions::{self, check_role, check_runtime, check_variables, last_modified, namespace};
use crate::names;
use crate::records::{FunctionRecord, function_key};

/// Staged new code for a function.
struct NewCode {
    staged: nimbus_store::StagedBlob,
    package: code::Package,
}

impl Lambda {
    pub(crate) async fn update_function_code(
        &self,
        ctx: &RequestContext,
        input: UpdateFunctionCodeRequest,
    ) -> Result<FunctionConfiguration, AwsError> {
        let function = names::parse(ctx, &input.function_name, None)?;
        let current = self.load(ctx, &function).await?;
        check_revision(&current, input.revision_id.as_deref())?;
        let location = crate::s3_code::S3Location {
            bucket: input.s3_bucket.as_deref(),
            key: input.s3_key.as_deref(),
            version: input.s3_object_version.as_deref(),
        };
        let zip = self.package(ctx, input.zip_file.as_ref(), location).await?;
        let package = code::inspect(&zip)?;
        let runtime = current.config.runtime.clone().unwrap_or_default();
        let problem = self
            .prepare(&runtime, &package.sha256_hex, Some(zip.clone()))
            .await?
            .err();
        let staged = self.store.blobs().write_from(std::io::Cursor::new(zip)).await?;
        let architectures = input.architectures.clone();
        let new_code = Some(NewCode { staged, package });
        let revised = self
            .revise(
                ctx,
                &function.name,
                input.revision_id,
                new_code,
                problem,
                move |config| {
                    if let Some(architectures) = architectures {
                        config.architectures = Some(architectures);
                    }
                    Ok(())
                },
            )
            .await?;
        match input.publish {
            Some(true) => self.publish(ctx, &function.name, Default::default()).await,
            _ => Ok(revised),
        }
    }

    pub(crate) async fn update_function_configuration(
        &self,
        ctx: &RequestContext,
        input: UpdateFunctionConfigurationRequest,
    ) -> Result<FunctionConfiguration, AwsError> {
        let function = names::parse(ctx, &input.function_name, None)?;
        if let Some(role) = &input.role {
            check_role(role)?;
        }
        if let Some(runtime) = &input.runtime {
            check_runtime(runtime)?;
        }
        check_variables(input.environment.as_ref())?;
        let current = self.load(ctx, &function).await?;
        let layers = self.function_layers(input.layers.as_ref()).await?;
        let runtime = input.runtime.clone().or(current.config.runtime.clone());
        let problem = self
            .prepare_stored(runtime.as_deref().unwrap_or_default(), &current)
            .await?
            .err();
        let revision = input.revision_id.clone();
        self.revise(ctx, &function.name, revision, None, problem, move |config| {
            apply(config, input);
            if let Some(layers) = layers {
                // An empty list takes every layer away.
                config.layers = (!layers.is_empty()).then_some(layers);
            }
            Ok(())
        })
        .await
    }

    /// Writes a new revision of the function; answers it as in progress.
    async fn revise(
        &self,
        ctx: &RequestContext,
        name: &str,
        expected_revision: Option<String>,
        new_code: Option<NewCode>,
        problem: Option<String>,
        change: impl FnOnce(&mut FunctionConfiguration) -> Result<(), AwsError> + Send + 'static,
    ) -> Result<FunctionConfiguration, AwsError> {
        let ns = namespace(ctx)?;
        let key = function_key(name);
        let not_found = names::not_found(
            ctx,
            &names::FunctionRef {
                name: name.to_owned(),
                qualifier: None,
            },
        );
        let modified = last_modified(&self.clock);
        let mut record = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut record: FunctionRecord = table.get_json(&key)?.ok_or(not_found)?;
                check_revision(&record, expected_revision.as_deref())?;
                change(&mut record.config)?;
                if let Some(new_code) = new_code {
                    // A published version may still run the old package.
                    let name = record.config.function_name.clone().unwrap_or_default();
                    crate::versions::release_unless_shared(txn, &table, &name, &record.code, &key)?;
                    record.code = txn.attach_blob(new_code.staged)?;
                    record.code_hex = new_code.package.sha256_hex;
                    record.config.code_sha256 = Some(new_code.package.sha256_base64);
                    record.config.code_size = Some(new_code.package.size);
                }
                record.config.last_modified = Some(modified);
                record.config.revision_id = Some(uuid::Uuid::new_v4().to_string());
                functions::settle(&mut record.config, problem);
                table.put_json(
                    &function_key(&record.config.function_name.clone().unwrap_or_default()),
                    &record,
                )?;
                Ok::<_, AwsError>(record)
            })
            .await?;
        record.config.last_update_status = Some("InProgress".to_owned());
        record.config.last_update_status_reason = Some("The function is being created.".to_owned());
        record.config.last_update_status_reason_code = Some("Creating".to_owned());
        Ok(record.config)
    }
}

/// RevisionId, when given, must be the function's current one.
pub fn check_revision(record: &FunctionRecord, expected: Option<&str>) -> Result<(), AwsError> {
    match expected {
        Some(expected) if expected != record.revision() => Err(revision_mismatch()),
        _ => Ok(()),
    }
}

pub fn revision_mismatch() -> AwsError {
    errors::precondition_failed(
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API \
         to retrieve the latest Revision Id",
    )
}

/// The members an UpdateFunctionConfiguration sets (the others stay).
fn apply(config: &mut FunctionConfiguration, input: UpdateFunctionConfigurationRequest) {
    let set = |target: &mut Option<String>, value: Option<String>| {
        if value.is_some() {
            *target = value;
        }
    };
    set(&mut config.role, input.role);
    set(&mut config.handler, input.handler);
    set(&mut config.description, input.description);
    set(&mut config.runtime, input.runtime);
    if input.timeout.is_some() {
        config.timeout = input.timeout;
    }
    if input.memory_size.is_some() {
        config.memory_size = input.memory_size;
    }
    if let Some(environment) = input.environment {
        // Replaced wholesale, as Lambda does.
        config.environment = Some(EnvironmentResponse {
            variables: environment.variables,
            error: None,
        });
    }
    if let Some(dlq) = input.dead_letter_config {
        config.dead_letter_config = Some(dlq);
    }
    if let Some(tracing) = input.tracing_config {
        config.tracing_config = Some(TracingConfigResponse { mode: tracing.mode });
    }
    if let Some(storage) = input.ephemeral_storage {
        config.ephemeral_storage = Some(storage);
    }
    if let Some(logging) = input.logging_config {
        config.logging_config = Some(logging);
    }
}
