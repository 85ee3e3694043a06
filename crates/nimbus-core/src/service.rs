//! The contract between the gateway and a service.

use std::future::Future;
use std::pin::Pin;

use crate::{AwsError, RequestContext, Value};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One AWS service. It owns its resources and rules and never sees HTTP:
/// it gets a decoded, model-checked input and returns an output value.
pub trait Service: Send + Sync + 'static {
    /// The model name (botocore's data directory name), e.g. `sts`.
    fn model_name(&self) -> &'static str;

    /// Handles one operation. Operations the service does not implement must
    /// answer [`AwsError::not_implemented`].
    fn handle<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, AwsError>>;

    /// Forgets all state (for `/_nimbus/reset`).
    fn reset(&self) {}
}
