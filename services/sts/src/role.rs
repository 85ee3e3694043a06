//! AssumeRole, and the role session every Assume* operation starts.

use std::sync::Arc;

use nimbus_core::identity::{Identity, Session};
use nimbus_core::{AwsError, RequestContext};
use nimbus_sts_api::errors;

use crate::Sts;
use crate::arn::RoleArn;
use crate::credentials::{issue, role_id};
use crate::rules::{ROLE_CHAINING_MAX_SECONDS, Violations, packed_policy_size, role_chaining_too_long};
use nimbus_sts_api::{
    AssumeRoleRequest, AssumeRoleResponse, AssumedRoleUser, Credentials, PolicyDescriptorType, Tag,
};

/// A session policy that allows nothing (and denies nothing).
pub const ALLOWS_NOTHING: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"*","Resource":"*"}]}"#;

/// Session tags as the session keeps them.
pub fn session_tags(tags: Option<Vec<Tag>>) -> Vec<(String, String)> {
    tags.unwrap_or_default()
        .into_iter()
        .map(|tag| (tag.key, tag.value))
        .collect()
}

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
        let caller = self.caller(ctx);
        // As on AWS; held to only when IAM is, so the default `test` keys
        // (an account's root) can still assume roles without it.
        if ctx.enforcement.0.is_some() && caller.identity.arn.ends_with(":root") {
            return Err(errors::access_denied(
                "Roles may not be assumed by root accounts.",
            ));
        }
        let duration = input.duration_seconds.unwrap_or(DEFAULT_ROLE_SESSION_SECONDS);
        if caller.temporary && duration > ROLE_CHAINING_MAX_SECONDS {
            return Err(role_chaining_too_long());
        }
        if let Some(max) = self
            .roles
            .as_ref()
            .and_then(|roles| roles.max_session_duration(role.arn))
            && duration > max
        {
            return Err(errors::validation_error(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            ));
        }
        let packed = packed_policy_size(input.policy.as_deref(), tag_bytes(input.tags.as_deref()))?;
        self.check_mfa(
            ctx,
            input.serial_number.as_deref(),
            input.token_code.as_deref(),
            &caller.identity.arn,
        )?;
        let session = Session {
            expires: 0,
            policies: self.session_policies(input.policy.as_deref(), input.policy_arns.as_deref()),
            tags: session_tags(input.tags),
            mfa: input.token_code.is_some(),
            parent: None,
        };
        let (credentials, user) = self.start_role_session(&role, &input.role_session_name, duration, session);
        Ok(AssumeRoleResponse {
            credentials: Some(credentials),
            assumed_role_user: Some(user),
            packed_policy_size: packed,
            source_identity: input.source_identity,
        })
    }

    /// Under IAM enforcement an MFA code must be the current one of the
    /// caller's enabled device (SerialNumber).
    pub(crate) fn check_mfa(
        &self,
        ctx: &RequestContext,
        serial: Option<&str>,
        code: Option<&str>,
        caller_arn: &str,
    ) -> Result<(), AwsError> {
        let (Some(code), Some(roles)) = (code, self.roles.as_ref()) else {
            return Ok(());
        };
        if ctx.enforcement.0.is_none() {
            return Ok(());
        }
        let user = caller_arn
            .split_once(":user/")
            .map(|(_, rest)| rest.rsplit('/').next().unwrap_or(rest));
        let valid = serial.is_some_and(|serial| roles.verify_mfa(serial, user, code));
        if !valid {
            return Err(errors::access_denied(
                "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
            ));
        }
        Ok(())
    }

    /// A session's policies: the inline one and the documents of the
    /// managed ones its PolicyArns name. A policy IAM does not know allows
    /// nothing (the session is still limited by it, never widened).
    pub(crate) fn session_policies(
        &self,
        inline: Option<&str>,
        arns: Option<&[PolicyDescriptorType]>,
    ) -> Vec<String> {
        let managed = arns
            .unwrap_or_default()
            .iter()
            .filter_map(|descriptor| descriptor.arn.as_deref())
            .map(|arn| {
                self.roles
                    .as_ref()
                    .and_then(|roles| roles.policy_document(arn))
                    .unwrap_or_else(|| ALLOWS_NOTHING.to_owned())
            });
        inline.map(str::to_owned).into_iter().chain(managed).collect()
    }

    /// Issues credentials for a session of `role` and records them, so requests
    /// signed with them act in the role's account as the session's principal.
    pub(crate) fn start_role_session(
        &self,
        role: &RoleArn<'_>,
        session_name: &str,
        duration_seconds: i32,
        mut session: Session,
    ) -> (Credentials, AssumedRoleUser) {
        let expires = self.expiry(duration_seconds);
        let credentials = issue(expires);
        let user = AssumedRoleUser {
            assumed_role_id: format!("{}:{session_name}", role_id(role.arn)),
            arn: role.session_arn(session_name),
        };
        session.expires = u64::try_from(expires).unwrap_or_default();
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
                session: Some(Arc::new(session)),
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
