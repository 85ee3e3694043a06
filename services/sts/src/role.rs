//! AssumeRole, and the role session every Assume* operation starts.

use nimbus_core::identity::Identity;
use nimbus_core::{AwsError, RequestContext};

use crate::Sts;
use crate::arn::RoleArn;
use crate::credentials::{issue, role_id};
use crate::rules::{ROLE_CHAINING_MAX_SECONDS, Violations, packed_policy_size, role_chaining_too_long};
use nimbus_sts_api::{AssumeRoleRequest, AssumeRoleResponse, AssumedRoleUser, Credentials, Tag};

/// Role sessions last an hour unless asked otherwise.
pub const DEFAULT_ROLE_SESSION_SECONDS: i32 = 3600;
pub const MIN_ROLE_SESSION_SECONDS: i32 = 900;
pub const MAX_ROLE_SESSION_SECONDS: i32 = 43200;

impl Sts {
    pub(crate) fn assume_role(
        &self,
        ctx: &RequestContext,
        input: AssumeRoleRequest,
    ) -> Result<AssumeRoleResponse, AwsError> {
        let mut violations = Violations::new();
        violations.check_name("roleSessionName", &input.role_session_name, 2, 64);
        violations.check_duration(
            input.duration_seconds,
            MIN_ROLE_SESSION_SECONDS,
            MAX_ROLE_SESSION_SECONDS,
        );
        if let Some(source_identity) = &input.source_identity {
            violations.check_name("sourceIdentity", source_identity, 2, 64);
        }
        violations.into_result()?;

        let role = RoleArn::parse(&input.role_arn)?;
        let duration = input.duration_seconds.unwrap_or(DEFAULT_ROLE_SESSION_SECONDS);
        if self.caller(ctx).temporary && duration > ROLE_CHAINING_MAX_SECONDS {
            return Err(role_chaining_too_long());
        }
        let packed = packed_policy_size(input.policy.as_deref(), tag_bytes(input.tags.as_deref()))?;
        let (credentials, user) = self.start_role_session(&role, &input.role_session_name, duration);
        Ok(AssumeRoleResponse {
            credentials: Some(credentials),
            assumed_role_user: Some(user),
            packed_policy_size: packed,
            source_identity: input.source_identity,
        })
    }

    /// Issues credentials for a session of `role` and records them, so requests
    /// signed with them act in the role's account as the session's principal.
    pub(crate) fn start_role_session(
        &self,
        role: &RoleArn<'_>,
        session_name: &str,
        duration_seconds: i32,
    ) -> (Credentials, AssumedRoleUser) {
        let credentials = issue(duration_seconds.into());
        let user = AssumedRoleUser {
            assumed_role_id: format!("{}:{session_name}", role_id(role.arn)),
            arn: role.session_arn(session_name),
        };
        // Kept for the gateway's optional signature verification.
        self.registry.insert_secret(
            credentials.access_key_id.clone(),
            credentials.secret_access_key.clone(),
        );
        self.registry.insert(
            credentials.access_key_id.clone(),
            Identity {
                account_id: role.account_id.to_owned(),
                arn: user.arn.clone(),
                user_id: user.assumed_role_id.clone(),
            },
        );
        (credentials, user)
    }
}

/// Session tags count against the packed-policy allowance.
pub fn tag_bytes(tags: Option<&[Tag]>) -> usize {
    tags.unwrap_or_default()
        .iter()
        .map(|tag| tag.key.len() + tag.value.len())
        .sum()
}
