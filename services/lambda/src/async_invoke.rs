//! Event (asynchronous) invocations: the event is written to an outbox in
//! the store before Invoke answers 202, then run in the background on
//! nimbus-runtime's event bus; a function error or timeout is retried
//! twice, one minute then two minutes later, as Lambda does (fewer when the
//! function's event invoke configuration says so, and not once the event
//! is older than its maximum age). A throttled event (or one that met a
//! system error) is not an attempt: it waits, from one second up to five
//! minutes, and runs again until its maximum age. The outcome then goes to the configured
//! destination, and a failure to the dead-letter target. An outbox left by
//! a previous run (kill -9 included) is resumed at start.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::{FunctionEventInvokeConfig, InvocationRequest};
use nimbus_runtime::{Delivery, DeliveryError, EventBus, RetryPolicy};
use nimbus_store::Namespace;
use serde::{Deserialize, Serialize};

use crate::Lambda;
use crate::destinations::{Condition, LastResponse};
use crate::names::FunctionRef;

const TARGET: &str = "lambda-async";
const OUTBOX_PREFIX: &[u8] = b"async/";

/// Lambda's limit for an Event invocation's payload (1 MB).
pub const MAX_EVENT_PAYLOAD: usize = 1_048_576;

/// Lambda's retries of an asynchronous invocation: two, after one and two
/// minutes.
pub fn retry_policy() -> RetryPolicy {
    RetryPolicy {
        first_delay: Duration::from_secs(60),
        factor: 2,
        max_delay: Duration::from_secs(120),
        max_attempts: 3,
    }
}

/// How long a throttled event waits before it is tried again: from one
/// second, growing with its age (doubling as it doubles), up to five
/// minutes, as Lambda's documentation describes its backoff.
fn busy_backoff(age_ms: u64) -> Duration {
    Duration::from_millis(age_ms.clamp(1_000, 300_000))
}

/// One accepted event, as the outbox keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Queued {
    /// The request id of the Invoke call, which every attempt runs under.
    id: String,
    account: String,
    region: String,
    function: String,
    #[serde(default)]
    qualifier: Option<String>,
    /// When Invoke accepted it (epoch milliseconds): the event's age.
    #[serde(default)]
    accepted_ms: u64,
    /// Base64 of the payload.
    payload: String,
    /// Attempts made before the run that published it (a restart resumes
    /// the count, not the attempts).
    #[serde(default)]
    attempts_before: u32,
}

fn outbox() -> Result<Namespace, AwsError> {
    Namespace::global("lambda").map_err(AwsError::from)
}

fn outbox_key(id: &str) -> Vec<u8> {
    [OUTBOX_PREFIX, id.as_bytes()].concat()
}

/// How an attempt ended: the function answered (perhaps with an error), or
/// it could not be run at all.
enum Attempted {
    Answered(LastResponse),
    /// Throttled, or a system error: tried again later, not an attempt.
    Busy(String),
    /// The function is gone: nothing more to do with the event.
    Gone(String),
}

/// What an event's invoke configuration allows it (Lambda's defaults: two
/// retries, six hours).
struct Limits {
    retries: u32,
    max_age_ms: u64,
}

impl Limits {
    fn of(config: Option<&FunctionEventInvokeConfig>) -> Self {
        let retries = config.and_then(|c| c.maximum_retry_attempts).unwrap_or(2);
        let max_age = config
            .and_then(|c| c.maximum_event_age_in_seconds)
            .unwrap_or(21_600);
        Limits {
            retries: u32::try_from(retries).unwrap_or(2),
            max_age_ms: u64::try_from(max_age).unwrap_or(21_600) * 1000,
        }
    }
}

impl Lambda {
    fn bus(&self) -> &EventBus {
        self.events.get_or_init(|| {
            let bus = EventBus::new(self.clock.clone(), retry_policy());
            let lambda = self.clone();
            bus.subscribe(TARGET, move |delivery: Delivery| {
                let lambda = lambda.clone();
                async move { lambda.run_queued(delivery).await }
            });
            bus
        })
    }

    /// Accepts an event: durable in the outbox when this returns. Its id is
    /// the request id of the accepting call.
    pub(crate) async fn enqueue_event(
        &self,
        ctx: &RequestContext,
        function: &FunctionRef,
        payload: &[u8],
    ) -> Result<String, AwsError> {
        let queued = Queued {
            id: ctx.request_id.clone(),
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            function: function.name.clone(),
            qualifier: function.qualifier.clone(),
            accepted_ms: self.clock.now_epoch_millis(),
            payload: BASE64.encode(payload),
            attempts_before: 0,
        };
        let encoded = serde_json::to_vec(&queued).map_err(|e| AwsError::internal(e.to_string()))?;
        let ns = outbox()?;
        let key = outbox_key(&queued.id);
        let stored = encoded.clone();
        self.store
            .write(move |txn| {
                txn.open(&ns)?.put(&key, &stored)?;
                Ok::<_, AwsError>(())
            })
            .await?;
        self.bus().publish(TARGET, encoded);
        Ok(queued.id)
    }

    /// Hands the events a previous run accepted and did not finish to the bus.
    pub async fn resume_events(&self) {
        let Ok(ns) = outbox() else { return };
        let left = self.store.values_under(&ns, OUTBOX_PREFIX).await;
        match left {
            Ok(left) => {
                if !left.is_empty() {
                    tracing::info!(
                        count = left.len(),
                        "lambda resumes asynchronous invocations left in its outbox"
                    );
                }
                for payload in left {
                    self.bus().publish(TARGET, payload);
                }
            }
            Err(error) => tracing::error!(%error, "lambda could not read its outbox"),
        }
    }

    /// One attempt of an accepted event; the last one (by the function's
    /// invoke configuration) sends the outcome where it is configured to go.
    async fn run_queued(&self, delivery: Delivery) -> Result<(), DeliveryError> {
        let queued: Queued = serde_json::from_slice(&delivery.payload)
            .map_err(|e| DeliveryError::permanent(format!("undecodable lambda event: {e}")))?;
        let ctx = RequestContext::internal("lambda", "Invoke", &queued.account, &queued.region);
        let function = FunctionRef {
            name: queued.function.clone(),
            qualifier: queued.qualifier.clone(),
        };
        let config = self.event_invoke_config(&ctx, &function).await.ok().flatten();
        let limits = Limits::of(config.as_ref());
        let payload = BASE64.decode(&queued.payload).unwrap_or_default();
        let age_ms = self.clock.now_epoch_millis().saturating_sub(queued.accepted_ms);
        let finished = if queued.accepted_ms > 0 && age_ms > limits.max_age_ms {
            let done = Finished {
                condition: Condition::EventAgeExceeded,
                attempts: queued.attempts_before + delivery.attempt.saturating_sub(1),
                response: None,
            };
            self.finish(&ctx, &queued, &function, config.as_ref(), &payload, done)
                .await;
            Ok(())
        } else {
            self.attempt_queued(
                &ctx,
                &queued,
                &function,
                config.as_ref(),
                &payload,
                &delivery,
                &limits,
            )
            .await
        };
        if finished.is_ok() {
            self.forget_queued(&queued.id).await;
        }
        finished
    }

    /// Runs the function once; retries (an error) while the limits allow.
    #[allow(clippy::too_many_arguments)]
    async fn attempt_queued(
        &self,
        ctx: &RequestContext,
        queued: &Queued,
        function: &FunctionRef,
        config: Option<&FunctionEventInvokeConfig>,
        payload: &[u8],
        delivery: &Delivery,
        limits: &Limits,
    ) -> Result<(), DeliveryError> {
        let response = match self.attempt(ctx, queued, function, payload).await {
            Attempted::Answered(response) => response,
            Attempted::Gone(why) => {
                tracing::warn!(function = queued.function, why, "asynchronous invocation dropped");
                return Ok(());
            }
            Attempted::Busy(why) => {
                let age_ms = self.clock.now_epoch_millis().saturating_sub(queued.accepted_ms);
                return Err(DeliveryError::deferred(why, busy_backoff(age_ms)));
            }
        };
        let failed = response.function_error.is_some();
        let attempts = queued.attempts_before + delivery.attempt;
        if failed && attempts <= limits.retries {
            self.count_attempts(queued, attempts).await;
            return Err(DeliveryError::retry(format!(
                "the function failed ({})",
                response.function_error.as_deref().unwrap_or_default()
            )));
        }
        let done = Finished {
            condition: if failed {
                Condition::RetriesExhausted
            } else {
                Condition::Success
            },
            attempts,
            response: Some(response),
        };
        self.finish(ctx, queued, function, config, payload, done).await;
        Ok(())
    }

    async fn attempt(
        &self,
        ctx: &RequestContext,
        queued: &Queued,
        function: &FunctionRef,
        payload: &[u8],
    ) -> Attempted {
        let record = match self.load(ctx, function).await {
            Ok(record) => record,
            Err(error) => return Attempted::Gone(error.message),
        };
        let input = InvocationRequest {
            function_name: queued.function.clone(),
            ..Default::default()
        };
        let invoked = self
            .invoke_now(ctx, &record, payload.to_vec().into(), &input, &queued.id)
            .await;
        match invoked {
            Ok(response) => Attempted::Answered(LastResponse {
                function_error: response.function_error,
                payload: response.payload.unwrap_or_default(),
            }),
            // Lambda retries throttles and its own errors for up to the
            // event's maximum age, apart from the function's retries.
            Err(error) if error.status == 429 || error.status >= 500 => Attempted::Busy(error.to_string()),
            Err(error) => Attempted::Answered(LastResponse {
                function_error: Some("Unhandled".to_owned()),
                payload: serde_json::json!({ "errorType": error.code, "errorMessage": error.message })
                    .to_string()
                    .into(),
            }),
        }
    }

    /// Keeps how many attempts an event has had in its outbox entry, so a
    /// restart does not give it its retries again.
    async fn count_attempts(&self, queued: &Queued, attempts: u32) {
        let Ok(ns) = outbox() else { return };
        let counted = Queued {
            attempts_before: attempts,
            ..queued.clone()
        };
        if let Err(error) = self.store.put_json(&ns, &outbox_key(&queued.id), counted).await {
            tracing::warn!(%error, "lambda could not count an event's attempts");
        }
    }

    /// Sends the outcome of an event to its destination and, on failure, to
    /// the function's dead-letter target.
    async fn finish(
        &self,
        ctx: &RequestContext,
        queued: &Queued,
        function: &FunctionRef,
        config: Option<&FunctionEventInvokeConfig>,
        payload: &[u8],
        done: Finished,
    ) {
        let success = done.condition == Condition::Success;
        if !success {
            tracing::warn!(function = queued.function, condition = ?done.condition, "asynchronous invocation failed for good");
        }
        let destinations = config.and_then(|c| c.destination_config.as_ref());
        let destination = match success {
            true => destinations.and_then(|d| d.on_success.as_ref()?.destination.clone()),
            false => destinations.and_then(|d| d.on_failure.as_ref()?.destination.clone()),
        };
        let qualified = format!(
            "{}:{}",
            crate::names::function_arn(ctx, &function.name),
            function.qualifier.as_deref().unwrap_or("$LATEST")
        );
        if let Some(arn) = destination {
            let record = crate::destinations::record(&crate::destinations::Outcome {
                request_id: &queued.id,
                function_arn: &qualified,
                condition: done.condition,
                attempts: done.attempts,
                request_payload: payload,
                response: done.response.as_ref(),
                timestamp: crate::destinations::timestamp(self.clock.now()),
            });
            self.send_to_destination(&arn, record).await;
        }
        if success {
            return;
        }
        let dead_letter = self
            .load(ctx, function)
            .await
            .ok()
            .and_then(|record| record.config.dead_letter_config?.target_arn);
        if let Some(arn) = dead_letter {
            let message = done
                .response
                .as_ref()
                .and_then(|r| serde_json::from_slice::<serde_json::Value>(&r.payload).ok())
                .and_then(|body| body.get("errorMessage")?.as_str().map(str::to_owned))
                .unwrap_or_else(|| "Event age exceeded".to_owned());
            self.send_to_dead_letter(&arn, payload, &queued.id, &message)
                .await;
        }
    }

    async fn forget_queued(&self, id: &str) {
        let key = outbox_key(id);
        let Ok(ns) = outbox() else { return };
        let removed = self
            .store
            .write(move |txn| {
                txn.open(&ns)?.delete(&key)?;
                Ok::<_, AwsError>(())
            })
            .await;
        if let Err(error) = removed {
            tracing::warn!(%error, "lambda could not clear a finished event from its outbox");
        }
    }
}

/// How an event ended for good.
struct Finished {
    condition: Condition,
    attempts: u32,
    response: Option<LastResponse>,
}

/// Keeps the bus's clone of the service from being a second service.
pub type Events = Arc<std::sync::OnceLock<EventBus>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_retried_twice_after_one_then_two_minutes() {
        let policy = retry_policy();
        assert_eq!(policy.delay_after(1), Some(Duration::from_secs(60)));
        assert_eq!(policy.delay_after(2), Some(Duration::from_secs(120)));
        assert_eq!(policy.delay_after(3), None);
    }

    #[test]
    fn a_throttled_event_waits_longer_as_it_ages_up_to_five_minutes() {
        assert_eq!(busy_backoff(0), Duration::from_secs(1));
        assert_eq!(busy_backoff(8_000), Duration::from_secs(8));
        assert_eq!(busy_backoff(3_600_000), Duration::from_secs(300));
    }
}
