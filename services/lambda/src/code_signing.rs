//! Code signing configurations, kept (not enforced: nimbus does not verify
//! signatures): Create/Get/Update/Delete/ListCodeSigningConfigs, a
//! function's association (Put/Get/DeleteFunctionCodeSigningConfig) and
//! ListFunctionsByCodeSigningConfig. A function without one answers an
//! empty CodeSigningConfigArn, as Lambda does.

use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::*;

use crate::Lambda;
use crate::functions::namespace;
use crate::names;

const PREFIX: &str = "csc/";

fn key(id: &str) -> Vec<u8> {
    format!("{PREFIX}{id}").into_bytes()
}

/// Which configuration a function uses, if any.
pub fn function_key(name: &str) -> Vec<u8> {
    format!("function-csc/{name}").into_bytes()
}

fn id_of(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

fn missing(arn: &str) -> AwsError {
    errors::resource_not_found(format!("The code signing configuration {arn} does not exist."))
        .with_field("Type", "User")
}

impl Lambda {
    async fn signing_config(&self, ctx: &RequestContext, arn: &str) -> Result<CodeSigningConfig, AwsError> {
        let ns = namespace(ctx)?;
        let key = key(id_of(arn));
        let found: Option<CodeSigningConfig> =
            self.store.get_json(&ns, &key).await.map_err(AwsError::from)?;
        found.ok_or_else(|| missing(arn))
    }

    async fn keep_signing_config(
        &self,
        ctx: &RequestContext,
        config: &CodeSigningConfig,
    ) -> Result<(), AwsError> {
        let ns = namespace(ctx)?;
        let key = key(&config.code_signing_config_id);
        let stored = config.clone();
        self.store
            .put_json(&ns, &key, stored)
            .await
            .map_err(AwsError::from)
    }

    pub(crate) async fn create_code_signing_config(
        &self,
        ctx: &RequestContext,
        input: CreateCodeSigningConfigRequest,
    ) -> Result<CreateCodeSigningConfigResponse, AwsError> {
        let id = format!("csc-{}", &uuid::Uuid::new_v4().simple().to_string()[..17]);
        let config = CodeSigningConfig {
            code_signing_config_arn: format!(
                "arn:aws:lambda:{}:{}:code-signing-config:{id}",
                ctx.region, ctx.account_id
            ),
            code_signing_config_id: id,
            description: Some(input.description.unwrap_or_default()),
            allowed_publishers: input.allowed_publishers,
            code_signing_policies: input.code_signing_policies.unwrap_or(CodeSigningPolicies {
                untrusted_artifact_on_deployment: Some("Warn".to_owned()),
            }),
            last_modified: crate::functions::last_modified(&self.clock),
        };
        self.keep_signing_config(ctx, &config).await?;
        Ok(CreateCodeSigningConfigResponse {
            code_signing_config: config,
        })
    }

    pub(crate) async fn get_code_signing_config(
        &self,
        ctx: &RequestContext,
        input: GetCodeSigningConfigRequest,
    ) -> Result<GetCodeSigningConfigResponse, AwsError> {
        Ok(GetCodeSigningConfigResponse {
            code_signing_config: self.signing_config(ctx, &input.code_signing_config_arn).await?,
        })
    }

    pub(crate) async fn update_code_signing_config(
        &self,
        ctx: &RequestContext,
        input: UpdateCodeSigningConfigRequest,
    ) -> Result<UpdateCodeSigningConfigResponse, AwsError> {
        let mut config = self.signing_config(ctx, &input.code_signing_config_arn).await?;
        if let Some(description) = input.description {
            config.description = Some(description);
        }
        if let Some(publishers) = input.allowed_publishers {
            config.allowed_publishers = publishers;
        }
        if let Some(policies) = input.code_signing_policies {
            config.code_signing_policies = policies;
        }
        config.last_modified = crate::functions::last_modified(&self.clock);
        self.keep_signing_config(ctx, &config).await?;
        Ok(UpdateCodeSigningConfigResponse {
            code_signing_config: config,
        })
    }

    pub(crate) async fn delete_code_signing_config(
        &self,
        ctx: &RequestContext,
        input: DeleteCodeSigningConfigRequest,
    ) -> Result<(), AwsError> {
        let arn = input.code_signing_config_arn;
        self.signing_config(ctx, &arn).await?;
        if !self.functions_signed_by(ctx, &arn).await?.is_empty() {
            return Err(errors::resource_conflict(
                "The code signing configuration cannot be deleted because it is used by one or more functions.",
            )
            .with_field("Type", "User"));
        }
        let ns = namespace(ctx)?;
        let key = key(id_of(&arn));
        self.store.delete(&ns, &key).await.map_err(AwsError::from)
    }

    pub(crate) async fn list_code_signing_configs(
        &self,
        ctx: &RequestContext,
        _input: ListCodeSigningConfigsRequest,
    ) -> Result<ListCodeSigningConfigsResponse, AwsError> {
        let ns = namespace(ctx)?;
        let configs = self
            .store
            .values_under(&ns, PREFIX.as_bytes())
            .await?
            .iter()
            .filter_map(|bytes| serde_json::from_slice(bytes).ok())
            .collect();
        Ok(ListCodeSigningConfigsResponse {
            code_signing_configs: Some(configs),
            next_marker: None,
        })
    }

    /// The ARNs of the functions that use a configuration.
    async fn functions_signed_by(&self, ctx: &RequestContext, arn: &str) -> Result<Vec<String>, AwsError> {
        let ns = namespace(ctx)?;
        let arn = arn.to_owned();
        let names: Vec<String> = self
            .store
            .read(move |txn| {
                let mut names = Vec::new();
                for entry in txn.open(&ns)?.scan(b"function-csc/")? {
                    let entry = entry?;
                    if entry.decode::<String>()? == arn {
                        names.push(String::from_utf8_lossy(&entry.key["function-csc/".len()..]).into_owned());
                    }
                }
                Ok::<_, AwsError>(names)
            })
            .await?;
        Ok(names.iter().map(|name| names::function_arn(ctx, name)).collect())
    }

    pub(crate) async fn list_functions_by_code_signing_config(
        &self,
        ctx: &RequestContext,
        input: ListFunctionsByCodeSigningConfigRequest,
    ) -> Result<ListFunctionsByCodeSigningConfigResponse, AwsError> {
        self.signing_config(ctx, &input.code_signing_config_arn).await?;
        Ok(ListFunctionsByCodeSigningConfigResponse {
            function_arns: Some(
                self.functions_signed_by(ctx, &input.code_signing_config_arn)
                    .await?,
            ),
            next_marker: None,
        })
    }

    pub(crate) async fn put_function_code_signing_config(
        &self,
        ctx: &RequestContext,
        input: PutFunctionCodeSigningConfigRequest,
    ) -> Result<PutFunctionCodeSigningConfigResponse, AwsError> {
        let function = names::parse(ctx, &input.function_name, None)?;
        self.load(ctx, &function).await?;
        self.signing_config(ctx, &input.code_signing_config_arn).await?;
        let ns = namespace(ctx)?;
        let key = function_key(&function.name);
        let arn = input.code_signing_config_arn.clone();
        self.store
            .put_json(&ns, &key, arn)
            .await
            .map_err(AwsError::from)?;
        Ok(PutFunctionCodeSigningConfigResponse {
            code_signing_config_arn: input.code_signing_config_arn,
            function_name: function.name,
        })
    }

    pub(crate) async fn get_function_code_signing_config(
        &self,
        ctx: &RequestContext,
        input: GetFunctionCodeSigningConfigRequest,
    ) -> Result<GetFunctionCodeSigningConfigResponse, AwsError> {
        let function = names::parse(ctx, &input.function_name, None)?;
        self.load(ctx, &function).await?;
        let ns = namespace(ctx)?;
        let key = function_key(&function.name);
        let arn: Option<String> = self.store.get_json(&ns, &key).await.map_err(AwsError::from)?;
        Ok(GetFunctionCodeSigningConfigResponse {
            code_signing_config_arn: arn.unwrap_or_default(),
            function_name: function.name,
        })
    }

    pub(crate) async fn delete_function_code_signing_config(
        &self,
        ctx: &RequestContext,
        input: DeleteFunctionCodeSigningConfigRequest,
    ) -> Result<(), AwsError> {
        let function = names::parse(ctx, &input.function_name, None)?;
        self.load(ctx, &function).await?;
        let ns = namespace(ctx)?;
        let key = function_key(&function.name);
        self.store.delete(&ns, &key).await.map_err(AwsError::from)
    }
}
