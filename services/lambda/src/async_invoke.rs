//! Event (asynchronous) invocations: the event is written to an outbox in
//! the store before Invoke answers 202, then run in the background on
//! nimbus-runtime's event bus; a function error or timeout is retried
//! twice, one minute then two minutes later, as Lambda does. An outbox left
//! by a previous run (kill -9 included) is resumed at start.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::InvocationRequest;
use nimbus_runtime::{Delivery, DeliveryError, EventBus, RetryPolicy};
use nimbus_store::Namespace;
use serde::{Deserialize, Serialize};

use crate::Lambda;
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

/// One accepted event, as the outbox keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Queued {
    id: String,
    account: String,
    region: String,
    function: String,
    /// Base64 of the payload.
    payload: String,
}

fn outbox() -> Result<Namespace, AwsError> {
    Namespace::global("lambda").map_err(AwsError::from)
}

fn outbox_key(id: &str) -> Vec<u8> {
    [OUTBOX_PREFIX, id.as_bytes()].concat()
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

    /// Accepts an event: durable in the outbox when this returns.
    pub(crate) async fn enqueue_event(
        &self,
        ctx: &RequestContext,
        function: &str,
        payload: &[u8],
    ) -> Result<String, AwsError> {
        let queued = Queued {
            id: uuid::Uuid::new_v4().to_string(),
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            function: function.to_owned(),
            payload: BASE64.encode(payload),
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

    /// One attempt of an accepted event.
    async fn run_queued(&self, delivery: Delivery) -> Result<(), DeliveryError> {
        let queued: Queued = serde_json::from_slice(&delivery.payload)
            .map_err(|e| DeliveryError::permanent(format!("undecodable lambda event: {e}")))?;
        let outcome = self.attempt(&queued).await;
        let last = delivery.attempt >= retry_policy().max_attempts;
        if outcome.as_ref().map_or_else(|e| !e.retryable || last, |()| true) {
            if let Err(error) = &outcome {
                tracing::warn!(function = queued.function, %error, "asynchronous invocation failed for good");
            }
            self.forget_queued(&queued.id).await;
        }
        outcome
    }

    async fn attempt(&self, queued: &Queued) -> Result<(), DeliveryError> {
        let ctx = RequestContext::internal("lambda", "Invoke", &queued.account, &queued.region);
        let function = FunctionRef {
            name: queued.function.clone(),
            qualifier: None,
        };
        let record = self
            .load(&ctx, &function)
            .await
            .map_err(|e| DeliveryError::permanent(e.message.clone()))?;
        let payload = BASE64.decode(&queued.payload).unwrap_or_default();
        let input = InvocationRequest {
            function_name: queued.function.clone(),
            ..Default::default()
        };
        let response = self
            .invoke_now(&ctx, &record, payload.into(), &input)
            .await
            .map_err(|e| DeliveryError::retry(e.message.clone()))?;
        match response.function_error {
            None => Ok(()),
            Some(kind) => Err(DeliveryError::retry(format!("the function failed ({kind})"))),
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
}
