//! UpdateEventSourceMapping: a mapping's function, batch settings,
//! retries, destination, or Enabled changed; answered 202 with State
//! `Updating`, then its poller starts again with what changed (or stops,
//! when disabled).

use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::*;

use crate::Lambda;
use crate::names;

/// The members an update sets (the others stay).
fn apply(config: &mut EventSourceMappingConfiguration, input: &UpdateEventSourceMappingRequest) {
    if input.batch_size.is_some() {
        config.batch_size = input.batch_size;
    }
    if input.maximum_batching_window_in_seconds.is_some() {
        config.maximum_batching_window_in_seconds = input.maximum_batching_window_in_seconds;
    }
    if input.function_response_types.is_some() {
        config.function_response_types = input.function_response_types.clone();
    }
    if input.destination_config.is_some() {
        config.destination_config = input.destination_config.clone();
    }
    if input.maximum_retry_attempts.is_some() {
        config.maximum_retry_attempts = input.maximum_retry_attempts;
    }
    if input.bisect_batch_on_function_error.is_some() {
        config.bisect_batch_on_function_error = input.bisect_batch_on_function_error;
    }
    if input.maximum_record_age_in_seconds.is_some() {
        config.maximum_record_age_in_seconds = input.maximum_record_age_in_seconds;
    }
    if input.parallelization_factor.is_some() {
        config.parallelization_factor = input.parallelization_factor;
    }
    if input.scaling_config.is_some() {
        config.scaling_config = input.scaling_config.clone();
    }
    if input.filter_criteria.is_some() {
        config.filter_criteria = input.filter_criteria.clone();
    }
}

impl Lambda {
    pub(crate) async fn update_event_source_mapping(
        &self,
        ctx: &RequestContext,
        input: UpdateEventSourceMappingRequest,
    ) -> Result<EventSourceMappingConfiguration, AwsError> {
        let mut record = self.mapping(ctx, &input.uuid).await?;
        crate::filters::check(input.filter_criteria.as_ref())?;
        if let Some(name) = &input.function_name {
            let function = names::parse(ctx, name, None)?;
            let target = self.load(ctx, &function).await?;
            record.function = function.name;
            record.config.function_arn = target.config.function_arn;
        }
        if let Some(batch_size) = input.batch_size
            && !(1..=10_000).contains(&batch_size)
        {
            return Err(errors::invalid_parameter_value(format!(
                "BatchSize must be between 1 and 10000; got {batch_size}"
            )));
        }
        apply(&mut record.config, &input);
        let enabled = input
            .enabled
            .unwrap_or(record.config.state.as_deref() != Some("Disabled"));
        record.config.state = Some(if enabled { "Enabled" } else { "Disabled" }.to_owned());
        record.config.last_modified = Some(nimbus_core::Timestamp::from_epoch_millis(
            i64::try_from(self.clock.now_epoch_millis()).unwrap_or(i64::MAX),
        ));
        self.put_mapping(record.clone()).await?;
        self.stop_poller(&input.uuid);
        let mut answered = record.config.clone();
        answered.state = Some("Updating".to_owned());
        if enabled {
            self.start_poller(record);
        }
        Ok(answered)
    }
}
