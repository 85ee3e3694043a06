//! AWS Security Token Service: who is calling, and temporary credentials.
//!
//! STS issues `ASIA...` credentials (AssumeRole and friends, GetSessionToken,
//! GetFederationToken) and records the identity behind each access key in the
//! shared [`CredentialRegistry`], so the gateway can put requests signed with
//! them in the right account and GetCallerIdentity can name the principal.

// Every handler returns nimbus_core::AwsError, whose size is the core's call.
#![allow(clippy::result_large_err)]

mod arn;
mod caller;
mod credentials;
mod federation;
pub mod generated;
mod identity;
mod jwt;
mod role;
mod rules;
mod saml;
mod session;
mod sha1;

use std::sync::Arc;

use nimbus_core::identity::CredentialRegistry;
use nimbus_core::{AwsError, BoxFuture, RequestContext, Service, Value, handle_typed};

pub use credentials::role_id;

/// The STS service; cheap to share, all state lives in the registry.
pub struct Sts {
    /// Access keys STS issued → the identity each one acts as.
    registry: Arc<CredentialRegistry>,
}

impl Sts {
    pub fn new(registry: Arc<CredentialRegistry>) -> Self {
        Sts { registry }
    }

    fn dispatch(&self, ctx: &RequestContext, operation: &str, input: Value) -> Result<Value, AwsError> {
        match operation {
            "AssumeRole" => handle_typed(input, |i| self.assume_role(ctx, i)),
            "AssumeRoleWithSAML" => handle_typed(input, |i| self.assume_role_with_saml(i)),
            "AssumeRoleWithWebIdentity" => handle_typed(input, |i| self.assume_role_with_web_identity(i)),
            "GetAccessKeyInfo" => handle_typed(input, |i| self.get_access_key_info(i)),
            "GetCallerIdentity" => handle_typed(input, |i| self.get_caller_identity(ctx, i)),
            "GetFederationToken" => handle_typed(input, |i| self.get_federation_token(ctx, i)),
            "GetSessionToken" => handle_typed(input, |i| self.get_session_token(ctx, i)),
            _ => Err(AwsError::not_implemented("sts", operation)),
        }
    }
}

impl Service for Sts {
    fn model_name(&self) -> &'static str {
        "sts"
    }

    fn handle<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, AwsError>> {
        Box::pin(async move { self.dispatch(ctx, operation, input) })
    }

    /// Forgets every issued credential.
    fn reset(&self) {
        self.registry.clear();
    }
}

#[cfg(test)]
mod tests;
