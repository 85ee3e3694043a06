//! AWS Security Token Service: who is calling, and temporary credentials.
//!
//! STS issues `ASIA...` credentials (AssumeRole and friends, GetSessionToken,
//! GetFederationToken) and records the identity behind each access key in the
//! shared [`CredentialRegistry`], so the gateway can put requests signed with
//! them in the right account and GetCallerIdentity can name the principal.

mod arn;
mod caller;
mod credentials;
mod federation;
mod identity;
mod jwt;
mod kept;
mod role;
mod rules;
mod saml;
mod session;

use std::sync::Arc;

use nimbus_core::identity::{CredentialRegistry, RoleDirectory};
use nimbus_core::{AwsError, RequestContext};
use nimbus_runtime::Clock;
use nimbus_store::Store;
use nimbus_sts_api::*;

pub use credentials::role_id;

/// The STS service; cheap to share, all state lives in the registry.
pub struct Sts {
    /// Access keys STS issued → the identity each one acts as.
    registry: Arc<CredentialRegistry>,
    /// What credentials expire by.
    clock: Clock,
    /// IAM's roles and policies: session limits and PolicyArns.
    roles: Option<Arc<dyn RoleDirectory>>,
    /// Where issued credentials are kept (none in unit tests).
    store: Option<Arc<Store>>,
}

impl Sts {
    pub fn new(registry: Arc<CredentialRegistry>) -> Self {
        Sts {
            registry,
            clock: Clock::real(),
            roles: None,
            store: None,
        }
    }

    /// Issued credentials are kept in `store` and outlive restarts; the
    /// ones kept before are back at once.
    pub fn with_store(mut self, store: Arc<Store>) -> Self {
        self.store = Some(store);
        if let Err(error) = self.restore() {
            tracing::warn!(%error, "issued STS credentials could not be read from the store");
        }
        self
    }

    /// Credentials expire by this clock (a test clock in tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Roles' MaxSessionDuration and managed policies come from IAM.
    pub fn with_roles(mut self, roles: Arc<dyn RoleDirectory>) -> Self {
        self.roles = Some(roles);
        self
    }

    /// When credentials issued now for `seconds` expire.
    fn expiry(&self, seconds: i32) -> i64 {
        self.now_seconds().saturating_add(seconds.into())
    }

    /// Now, in whole seconds since the epoch.
    fn now_seconds(&self) -> i64 {
        i64::try_from(self.clock.now_epoch_millis() / 1000).unwrap_or(i64::MAX)
    }
}

/// The operations, served by the handlers of this crate's modules (same
/// names, inherent methods: none awaits, so each answers at once).
impl StsApi for Sts {
    async fn assume_role(
        &self,
        ctx: &RequestContext,
        input: AssumeRoleRequest,
    ) -> Result<AssumeRoleResponse, AwsError> {
        let answer = Sts::assume_role(self, ctx, input)?;
        self.keep(answer.credentials.as_ref().map(|c| c.access_key_id.as_str()))
            .await?;
        Ok(answer)
    }

    async fn assume_role_with_saml(
        &self,
        _: &RequestContext,
        input: AssumeRoleWithSAMLRequest,
    ) -> Result<AssumeRoleWithSAMLResponse, AwsError> {
        let answer = Sts::assume_role_with_saml(self, input)?;
        self.keep(answer.credentials.as_ref().map(|c| c.access_key_id.as_str()))
            .await?;
        Ok(answer)
    }

    async fn assume_role_with_web_identity(
        &self,
        _: &RequestContext,
        input: AssumeRoleWithWebIdentityRequest,
    ) -> Result<AssumeRoleWithWebIdentityResponse, AwsError> {
        let answer = Sts::assume_role_with_web_identity(self, input)?;
        self.keep(answer.credentials.as_ref().map(|c| c.access_key_id.as_str()))
            .await?;
        Ok(answer)
    }

    async fn get_access_key_info(
        &self,
        _: &RequestContext,
        input: GetAccessKeyInfoRequest,
    ) -> Result<GetAccessKeyInfoResponse, AwsError> {
        Sts::get_access_key_info(self, input)
    }

    async fn get_caller_identity(
        &self,
        ctx: &RequestContext,
        input: GetCallerIdentityRequest,
    ) -> Result<GetCallerIdentityResponse, AwsError> {
        Sts::get_caller_identity(self, ctx, input)
    }

    async fn get_federation_token(
        &self,
        ctx: &RequestContext,
        input: GetFederationTokenRequest,
    ) -> Result<GetFederationTokenResponse, AwsError> {
        let answer = Sts::get_federation_token(self, ctx, input)?;
        self.keep(answer.credentials.as_ref().map(|c| c.access_key_id.as_str()))
            .await?;
        Ok(answer)
    }

    async fn get_session_token(
        &self,
        ctx: &RequestContext,
        input: GetSessionTokenRequest,
    ) -> Result<GetSessionTokenResponse, AwsError> {
        let answer = Sts::get_session_token(self, ctx, input)?;
        self.keep(answer.credentials.as_ref().map(|c| c.access_key_id.as_str()))
            .await?;
        Ok(answer)
    }

    /// Forgets every issued credential, then takes back those the (reset
    /// or restored) store keeps.
    fn reset(&self) {
        self.registry.clear();
        if let Err(error) = self.restore() {
            tracing::warn!(%error, "issued STS credentials could not be read from the store");
        }
    }
}

#[cfg(test)]
mod tests;
