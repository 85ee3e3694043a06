//! Event invoke configuration: how many times Lambda retries an
//! asynchronous invocation, how old an event may get, and where its record
//! goes after success or failure (Put/Update/Get/Delete/List
//! FunctionEventInvokeConfig). One per function version or alias; an
//! unqualified name means `$LATEST`.

use nimbus_core::{AwsError, RequestContext, Timestamp};
use nimbus_lambda_api::*;

use crate::Lambda;
use crate::functions::namespace;
use crate::names::{self, FunctionRef};

const PREFIX: &str = "invoke-config/";

/// The store key of a function's configuration for one qualifier.
pub fn config_key(name: &str, qualifier: &str) -> Vec<u8> {
    format!("{PREFIX}{name}/{qualifier}").into_bytes()
}

/// Every qualifier's configuration of a function lies under this.
pub fn function_prefix(name: &str) -> Vec<u8> {
    format!("{PREFIX}{name}/").into_bytes()
}

fn qualifier_of(function: &FunctionRef) -> &str {
    function.qualifier.as_deref().unwrap_or("$LATEST")
}

fn not_configured(ctx: &RequestContext, function: &FunctionRef) -> AwsError {
    let arn = names::function_arn(ctx, &function.name);
    errors::resource_not_found(format!(
        "The function {arn}:{} doesn't have an EventInvokeConfig",
        qualifier_of(function)
    ))
    .with_field("Type", "User")
}

fn function_missing() -> AwsError {
    errors::resource_not_found("The function doesn't exist.").with_field("Type", "User")
}

/// Lambda's words for a destination of a service it does not send to: the
/// request's configuration as its Java service prints it.
fn unsupported_destinations(config: &DestinationConfig) -> AwsError {
    let member = |kind: &str, arn: Option<&String>| match arn {
        Some(arn) => format!("{kind}(destination={arn})"),
        None => "null".to_owned(),
    };
    let on_success = config.on_success.as_ref().and_then(|d| d.destination.as_ref());
    let on_failure = config.on_failure.as_ref().and_then(|d| d.destination.as_ref());
    errors::invalid_parameter_value(format!(
        "The provided destination config DestinationConfig(onSuccess={}, onFailure={}) is invalid.",
        member("OnSuccess", on_success),
        member("OnFailure", on_failure)
    ))
}

/// The model's ranges: 0 to 2 retries, 60 seconds to 6 hours.
fn check_limits(config: &FunctionEventInvokeConfig) -> Result<(), AwsError> {
    if let Some(retries) = config.maximum_retry_attempts
        && !(0..=2).contains(&retries)
    {
        let bound = if retries < 0 {
            "greater than or equal to 0"
        } else {
            "less than or equal to 2"
        };
        return Err(names::validation(format!(
            "1 validation error detected: Value '{retries}' at 'maximumRetryAttempts' failed to satisfy \
             constraint: Member must have value {bound}"
        )));
    }
    if let Some(age) = config.maximum_event_age_in_seconds
        && !(60..=21600).contains(&age)
    {
        let bound = if age < 60 {
            "greater than or equal to 60"
        } else {
            "less than or equal to 21600"
        };
        return Err(names::validation(format!(
            "1 validation error detected: Value '{age}' at 'maximumEventAgeInSeconds' failed to satisfy \
             constraint: Member must have value {bound}"
        )));
    }
    Ok(())
}

fn service_of(arn: &str) -> &str {
    arn.split(':').nth(2).unwrap_or_default()
}

impl Lambda {
    /// A destination must be a queue, a topic or another existing function
    /// (S3 and EventBridge are refused until nimbus can deliver to them).
    async fn check_destination(
        &self,
        ctx: &RequestContext,
        function: &FunctionRef,
        config: &DestinationConfig,
        arn: &str,
    ) -> Result<(), AwsError> {
        match service_of(arn) {
            "sqs" | "sns" => Ok(()),
            "lambda" => {
                let target = names::parse(ctx, arn, None).map_err(|_| {
                    errors::invalid_parameter_value(format!("The destination ARN {arn} is invalid."))
                })?;
                if target.name == function.name {
                    return Err(errors::invalid_parameter_value(
                        "You can't specify the function as a destination for itself.",
                    ));
                }
                match self.load(ctx, &target).await {
                    Ok(_) => Ok(()),
                    Err(_) => Err(errors::invalid_parameter_value(format!(
                        "The destination ARN {arn} is invalid."
                    ))),
                }
            }
            "events" | "s3" => Err(errors::invalid_parameter_value(format!(
                "nimbus does not deliver asynchronous invocation records to {} yet: use an SQS queue, \
                 an SNS topic or a Lambda function as the destination ({arn})",
                service_of(arn)
            ))),
            _ => Err(unsupported_destinations(config)),
        }
    }

    async fn check(
        &self,
        ctx: &RequestContext,
        function: &FunctionRef,
        config: &FunctionEventInvokeConfig,
    ) -> Result<(), AwsError> {
        check_limits(config)?;
        let Some(destinations) = config.destination_config.as_ref() else {
            return Ok(());
        };
        let on_success = destinations
            .on_success
            .as_ref()
            .and_then(|d| d.destination.as_deref());
        let on_failure = destinations
            .on_failure
            .as_ref()
            .and_then(|d| d.destination.as_deref());
        for arn in [on_success, on_failure]
            .into_iter()
            .flatten()
            .filter(|arn| !arn.is_empty())
        {
            self.check_destination(ctx, function, destinations, arn).await?;
        }
        Ok(())
    }
    /// The configuration asynchronous invocations of `function` follow, if
    /// any was put.
    pub(crate) async fn event_invoke_config(
        &self,
        ctx: &RequestContext,
        function: &FunctionRef,
    ) -> Result<Option<FunctionEventInvokeConfig>, AwsError> {
        let ns = namespace(ctx)?;
        let key = config_key(&function.name, qualifier_of(function));
        self.store.get_json(&ns, &key).await.map_err(AwsError::from)
    }

    /// Writes a configuration for an existing function, built from the one
    /// stored before (none for Put).
    async fn write_event_invoke_config(
        &self,
        ctx: &RequestContext,
        function: FunctionRef,
        merge: bool,
        change: FunctionEventInvokeConfig,
    ) -> Result<FunctionEventInvokeConfig, AwsError> {
        if change.maximum_retry_attempts.is_none()
            && change.maximum_event_age_in_seconds.is_none()
            && change.destination_config.is_none()
        {
            return Err(errors::invalid_parameter_value(
                "You must specify at least one of error handling or destination setting.",
            ));
        }
        self.load(ctx, &function).await.map_err(|_| function_missing())?;
        let before = self.event_invoke_config(ctx, &function).await?;
        let mut config = match (merge, before) {
            (true, Some(before)) => before,
            (true, None) => return Err(not_configured(ctx, &function)),
            (false, _) => FunctionEventInvokeConfig::default(),
        };
        if change.maximum_retry_attempts.is_some() || !merge {
            config.maximum_retry_attempts = change.maximum_retry_attempts;
        }
        if change.maximum_event_age_in_seconds.is_some() || !merge {
            config.maximum_event_age_in_seconds = change.maximum_event_age_in_seconds;
        }
        if change.destination_config.is_some() || !merge {
            config.destination_config = change.destination_config;
        }
        self.check(ctx, &function, &config).await?;
        let arn = names::function_arn(ctx, &function.name);
        config.function_arn = Some(format!("{arn}:{}", qualifier_of(&function)));
        config.last_modified = Some(Timestamp::from_epoch_millis(
            i64::try_from(self.clock.now_epoch_millis()).unwrap_or(i64::MAX),
        ));
        // Lambda answers both destinations, empty when not set.
        let destinations = config.destination_config.get_or_insert_default();
        destinations.on_success.get_or_insert_default();
        destinations.on_failure.get_or_insert_default();
        let ns = namespace(ctx)?;
        let key = config_key(&function.name, qualifier_of(&function));
        let stored = config.clone();
        self.store
            .put_json(&ns, &key, stored)
            .await
            .map_err(AwsError::from)?;
        Ok(config)
    }

    pub(crate) async fn put_function_event_invoke_config(
        &self,
        ctx: &RequestContext,
        input: PutFunctionEventInvokeConfigRequest,
    ) -> Result<FunctionEventInvokeConfig, AwsError> {
        let function = names::parse(ctx, &input.function_name, input.qualifier.as_deref())?;
        let change = FunctionEventInvokeConfig {
            maximum_retry_attempts: input.maximum_retry_attempts,
            maximum_event_age_in_seconds: input.maximum_event_age_in_seconds,
            destination_config: input.destination_config,
            ..Default::default()
        };
        self.write_event_invoke_config(ctx, function, false, change).await
    }

    pub(crate) async fn update_function_event_invoke_config(
        &self,
        ctx: &RequestContext,
        input: UpdateFunctionEventInvokeConfigRequest,
    ) -> Result<FunctionEventInvokeConfig, AwsError> {
        let function = names::parse(ctx, &input.function_name, input.qualifier.as_deref())?;
        let change = FunctionEventInvokeConfig {
            maximum_retry_attempts: input.maximum_retry_attempts,
            maximum_event_age_in_seconds: input.maximum_event_age_in_seconds,
            destination_config: input.destination_config,
            ..Default::default()
        };
        self.write_event_invoke_config(ctx, function, true, change).await
    }

    pub(crate) async fn get_function_event_invoke_config(
        &self,
        ctx: &RequestContext,
        input: GetFunctionEventInvokeConfigRequest,
    ) -> Result<FunctionEventInvokeConfig, AwsError> {
        let function = names::parse(ctx, &input.function_name, input.qualifier.as_deref())?;
        self.load(ctx, &function)
            .await
            .map_err(|_| not_configured(ctx, &function))?;
        self.event_invoke_config(ctx, &function)
            .await?
            .ok_or_else(|| not_configured(ctx, &function))
    }

    pub(crate) async fn delete_function_event_invoke_config(
        &self,
        ctx: &RequestContext,
        input: DeleteFunctionEventInvokeConfigRequest,
    ) -> Result<(), AwsError> {
        let function = names::parse(ctx, &input.function_name, input.qualifier.as_deref())?;
        self.load(ctx, &function)
            .await
            .map_err(|_| not_configured(ctx, &function))?;
        if self.event_invoke_config(ctx, &function).await?.is_none() {
            return Err(not_configured(ctx, &function));
        }
        let ns = namespace(ctx)?;
        let key = config_key(&function.name, qualifier_of(&function));
        self.store.delete(&ns, &key).await.map_err(AwsError::from)
    }

    pub(crate) async fn list_function_event_invoke_configs(
        &self,
        ctx: &RequestContext,
        input: ListFunctionEventInvokeConfigsRequest,
    ) -> Result<ListFunctionEventInvokeConfigsResponse, AwsError> {
        let function = names::parse(ctx, &input.function_name, None)?;
        self.load(ctx, &function).await.map_err(|_| function_missing())?;
        let ns = namespace(ctx)?;
        let configs: Vec<FunctionEventInvokeConfig> = self
            .store
            .values_under(&ns, &function_prefix(&function.name))
            .await?
            .iter()
            .filter_map(|bytes| serde_json::from_slice(bytes).ok())
            .collect();
        let (page, next_marker) = crate::paging::page(configs, input.marker.as_deref(), input.max_items, 50)?;
        Ok(ListFunctionEventInvokeConfigsResponse {
            next_marker,
            function_event_invoke_configs: Some(page),
        })
    }
}
