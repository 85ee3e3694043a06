//! GetSessionToken and GetFederationToken: credentials for the caller itself
//! (or a federated user in its account), not for a role.

use std::sync::Arc;

use nimbus_core::identity::{Identity, Session};
use nimbus_core::{AwsError, RequestContext};

use crate::Sts;
use crate::caller::partition_of;
use crate::credentials::issue;
use crate::role::{ALLOWS_NOTHING, session_tags, tag_bytes};
use crate::rules::{Violations, needs_long_term_credentials, packed_policy_size};
use nimbus_sts_api::{
    FederatedUser, GetFederationTokenRequest, GetFederationTokenResponse, GetSessionTokenRequest,
    GetSessionTokenResponse,
};

pub const DEFAULT_SESSION_SECONDS: i32 = 43200;
pub const MIN_SESSION_SECONDS: i32 = 900;
pub const MAX_SESSION_SECONDS: i32 = 129_600;

impl Sts {
    pub(crate) fn get_session_token(
        &self,
        ctx: &RequestContext,
        input: GetSessionTokenRequest,
    ) -> Result<GetSessionTokenResponse, AwsError> {
        let mut violations = Violations::new();
        violations.check_duration(input.duration_seconds, MIN_SESSION_SECONDS, MAX_SESSION_SECONDS);
        violations.into_result()?;

        let caller = self.caller(ctx);
        if caller.temporary {
            return Err(needs_long_term_credentials("GetSessionToken"));
        }
        self.check_mfa(
            ctx,
            input.serial_number.as_deref(),
            input.token_code.as_deref(),
            &caller.identity.arn,
        )?;
        let expires = self.expiry(input.duration_seconds.unwrap_or(DEFAULT_SESSION_SECONDS));
        let credentials = issue(expires);
        // Kept for the gateway's optional signature verification.
        self.registry.insert_secret(
            credentials.access_key_id.clone(),
            credentials.secret_access_key.clone(),
        );
        // A session token acts as the caller itself, until it expires.
        let session = Session {
            expires: u64::try_from(expires).unwrap_or_default(),
            mfa: input.token_code.is_some(),
            ..Session::default()
        };
        self.registry.insert(
            credentials.access_key_id.clone(),
            Identity {
                session: Some(Arc::new(session)),
                ..caller.identity
            },
        );
        Ok(GetSessionTokenResponse {
            credentials: Some(credentials),
        })
    }

    pub(crate) fn get_federation_token(
        &self,
        ctx: &RequestContext,
        input: GetFederationTokenRequest,
    ) -> Result<GetFederationTokenResponse, AwsError> {
        let mut violations = Violations::new();
        violations.check_name("name", &input.name, 2, 32);
        violations.check_duration(input.duration_seconds, MIN_SESSION_SECONDS, MAX_SESSION_SECONDS);
        violations.into_result()?;

        let caller = self.caller(ctx);
        if caller.temporary {
            return Err(needs_long_term_credentials("GetFederationToken"));
        }
        let packed = packed_policy_size(input.policy.as_deref(), tag_bytes(input.tags.as_deref()))?;
        let account_id = caller.identity.account_id;
        let user = FederatedUser {
            federated_user_id: format!("{account_id}:{}", input.name),
            arn: format!(
                "arn:{}:sts::{account_id}:federated-user/{}",
                partition_of(&caller.identity.arn),
                input.name
            ),
        };
        let expires = self.expiry(input.duration_seconds.unwrap_or(DEFAULT_SESSION_SECONDS));
        let credentials = issue(expires);
        // Kept for the gateway's optional signature verification.
        self.registry.insert_secret(
            credentials.access_key_id.clone(),
            credentials.secret_access_key.clone(),
        );
        // A federated user can do what both the user and the session's
        // policies allow.
        // Without a session policy a federated user has no permissions of
        // its own (resource policies naming it still apply).
        let mut policies = self.session_policies(input.policy.as_deref(), input.policy_arns.as_deref());
        if policies.is_empty() {
            policies.push(ALLOWS_NOTHING.to_owned());
        }
        let session = Session {
            expires: u64::try_from(expires).unwrap_or_default(),
            policies,
            tags: session_tags(input.tags),
            mfa: false,
            parent: Some(caller.identity.arn.clone()),
        };
        self.registry.insert(
            credentials.access_key_id.clone(),
            Identity {
                account_id,
                arn: user.arn.clone(),
                user_id: user.federated_user_id.clone(),
                session: Some(Arc::new(session)),
            },
        );
        Ok(GetFederationTokenResponse {
            credentials: Some(credentials),
            federated_user: Some(user),
            packed_policy_size: packed,
        })
    }
}
