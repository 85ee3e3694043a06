//! Reserved concurrency: how many invocations of a function (all its
//! versions and aliases together) may run at once (Put/Get/Delete
//! FunctionConcurrency), kept under `concurrency/<name>`; the account's
//! 1,000 less what is reserved stays for the others, never below 100.
//! Invocations past the limit are throttled with TooManyRequestsException.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::*;

use crate::Lambda;
use crate::functions::namespace;
use crate::names::{self, FunctionRef};

/// The account's concurrency, and what must stay unreserved of it.
pub const ACCOUNT_CONCURRENCY: i32 = 1000;
const MINIMUM_UNRESERVED: i32 = 100;
const PREFIX: &str = "concurrency/";

fn key(name: &str) -> Vec<u8> {
    format!("{PREFIX}{name}").into_bytes()
}

/// Invocations running now, and the reserved limits read so far, per
/// function (by its pool prefix: account, region and name).
#[derive(Default)]
pub struct Running {
    counts: Mutex<HashMap<String, usize>>,
    limits: Mutex<HashMap<String, Option<usize>>>,
}

/// Held while an invocation runs; counts it out when dropped.
pub struct Slot {
    running: Arc<Running>,
    function: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut counts) = self.running.counts.lock()
            && let Some(count) = counts.get_mut(&self.function)
        {
            *count = count.saturating_sub(1);
        }
    }
}

impl Running {
    pub fn clear(&self) {
        if let Ok(mut limits) = self.limits.lock() {
            limits.clear();
        }
    }

    fn known_limit(&self, function: &str) -> Option<Option<usize>> {
        self.limits.lock().ok()?.get(function).copied()
    }

    fn remember_limit(&self, function: &str, limit: Option<usize>) {
        if let Ok(mut limits) = self.limits.lock() {
            limits.insert(function.to_owned(), limit);
        }
    }

    /// Counts an invocation in, unless the function's limit is reached.
    fn enter(self: &Arc<Self>, function: &str, limit: Option<usize>) -> Option<Slot> {
        let mut counts = self.counts.lock().ok()?;
        let count = counts.entry(function.to_owned()).or_default();
        if limit.is_some_and(|limit| *count >= limit) {
            return None;
        }
        *count += 1;
        Some(Slot {
            running: Arc::clone(self),
            function: function.to_owned(),
        })
    }
}

fn throttled() -> AwsError {
    errors::too_many_requests("Rate Exceeded.")
        .with_field("Reason", "ReservedFunctionConcurrentInvocationLimitExceeded")
        .with_field("Type", "User")
}

fn unqualified_only(function: &FunctionRef) -> Result<(), AwsError> {
    match function.qualifier {
        Some(_) => Err(errors::invalid_parameter_value(
            "This operation is permitted on Lambda functions only. Aliases and versions do not support this \
             operation. Please specify either a function name or an unqualified function ARN.",
        )),
        None => Ok(()),
    }
}

impl Lambda {
    /// The function's reserved concurrency, if any.
    pub(crate) async fn reserved(&self, ctx: &RequestContext, name: &str) -> Result<Option<i32>, AwsError> {
        let ns = namespace(ctx)?;
        let key = key(name);
        self.store.get_json(&ns, &key).await.map_err(AwsError::from)
    }

    /// Counts an invocation of `name` in, or throttles it.
    pub(crate) async fn enter(&self, ctx: &RequestContext, name: &str) -> Result<Slot, AwsError> {
        let function = self.pool_prefix(ctx, name);
        let limit = match self.running.known_limit(&function) {
            Some(limit) => limit,
            None => {
                let limit = self
                    .reserved(ctx, name)
                    .await?
                    .map(|n| usize::try_from(n).unwrap_or(0));
                self.running.remember_limit(&function, limit);
                limit
            }
        };
        self.running.enter(&function, limit).ok_or_else(throttled)
    }

    /// Everything reserved in the account and region, but for `except`.
    async fn reserved_elsewhere(&self, ctx: &RequestContext, except: &str) -> Result<i32, AwsError> {
        let ns = namespace(ctx)?;
        let except = key(except);
        self.store
            .read(move |txn| {
                let mut sum = 0;
                for entry in txn.open(&ns)?.scan(PREFIX.as_bytes())? {
                    let entry = entry?;
                    if entry.key != except {
                        sum += entry.decode::<i32>()?;
                    }
                }
                Ok::<_, AwsError>(sum)
            })
            .await
    }

    /// What the account has left unreserved.
    pub(crate) async fn unreserved(&self, ctx: &RequestContext) -> Result<i32, AwsError> {
        Ok(ACCOUNT_CONCURRENCY - self.reserved_elsewhere(ctx, "").await?)
    }

    pub(crate) async fn put_function_concurrency(
        &self,
        ctx: &RequestContext,
        input: PutFunctionConcurrencyRequest,
    ) -> Result<Concurrency, AwsError> {
        let function = names::parse(ctx, &input.function_name, None)?;
        unqualified_only(&function)?;
        let latest = FunctionRef {
            name: function.name.clone(),
            qualifier: Some("$LATEST".to_owned()),
        };
        self.load(ctx, &function)
            .await
            .map_err(|_| names::not_found(ctx, &latest))?;
        let wanted = input.reserved_concurrent_executions;
        let elsewhere = self.reserved_elsewhere(ctx, &function.name).await?;
        if ACCOUNT_CONCURRENCY - elsewhere - wanted < MINIMUM_UNRESERVED {
            return Err(errors::invalid_parameter_value(format!(
                "Specified ReservedConcurrentExecutions for function decreases account's \
                 UnreservedConcurrentExecution below its minimum value of [{MINIMUM_UNRESERVED}]."
            )));
        }
        let ns = namespace(ctx)?;
        let stored = key(&function.name);
        self.store
            .put_json(&ns, &stored, wanted)
            .await
            .map_err(AwsError::from)?;
        let limit = usize::try_from(wanted).unwrap_or(0);
        self.running
            .remember_limit(&self.pool_prefix(ctx, &function.name), Some(limit));
        Ok(Concurrency {
            reserved_concurrent_executions: Some(wanted),
        })
    }

    pub(crate) async fn get_function_concurrency(
        &self,
        ctx: &RequestContext,
        input: GetFunctionConcurrencyRequest,
    ) -> Result<GetFunctionConcurrencyResponse, AwsError> {
        let function = names::parse(ctx, &input.function_name, None)?;
        unqualified_only(&function)?;
        self.load(ctx, &function).await?;
        Ok(GetFunctionConcurrencyResponse {
            reserved_concurrent_executions: self.reserved(ctx, &function.name).await?,
        })
    }

    pub(crate) async fn delete_function_concurrency(
        &self,
        ctx: &RequestContext,
        input: DeleteFunctionConcurrencyRequest,
    ) -> Result<(), AwsError> {
        let function = names::parse(ctx, &input.function_name, None)?;
        unqualified_only(&function)?;
        self.load(ctx, &function).await?;
        self.forget_concurrency(ctx, &function.name).await
    }

    /// Removes a function's reservation (when it is deleted, too).
    pub(crate) async fn forget_concurrency(&self, ctx: &RequestContext, name: &str) -> Result<(), AwsError> {
        let ns = namespace(ctx)?;
        let stored = key(name);
        self.store.delete(&ns, &stored).await.map_err(AwsError::from)?;
        self.running.remember_limit(&self.pool_prefix(ctx, name), None);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invocations_past_the_limit_are_refused_until_one_ends() {
        let running = Arc::new(Running::default());
        let first = running.enter("f", Some(2)).unwrap();
        let _second = running.enter("f", Some(2)).unwrap();
        assert!(running.enter("f", Some(2)).is_none());
        assert!(
            running.enter("g", Some(2)).is_some(),
            "another function has its own count"
        );
        drop(first);
        assert!(running.enter("f", Some(2)).is_some());
        assert!(
            running.enter("h", Some(0)).is_none(),
            "a reservation of 0 stops every invocation"
        );
        assert!(running.enter("h", None).is_some());
    }
}
