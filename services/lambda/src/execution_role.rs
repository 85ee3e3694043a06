//! The credentials a function runs with: a session of its execution role,
//! issued by STS (AssumeRole, the session named after the function), as
//! Lambda gives them (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
//! AWS_SESSION_TOKEN). Under `--enforce-iam` the function's own calls are
//! then held to its role's policies. A session is shared by a function's
//! environments while it has a while left; an environment whose
//! credentials are about to expire is not used again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use nimbus_core::RequestContext;
use nimbus_sts_api::{AssumeRoleRequest, StsClient};

use crate::Lambda;

/// What a session must still have left to be handed to a new environment.
const FRESH_FOR: Duration = Duration::from_secs(30 * 60);
/// What an environment's credentials must still have left for it to be
/// used again.
pub const USABLE_FOR: Duration = Duration::from_secs(5 * 60);
/// How long Lambda's sessions last (the longest a role allows by default).
const SESSION_SECONDS: i32 = 3600;

/// Credentials of an execution role session.
#[derive(Debug, Clone)]
pub struct RoleCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expires: SystemTime,
}

/// Sessions by account, role and function.
#[derive(Default)]
pub struct Sessions(Mutex<HashMap<String, RoleCredentials>>);

impl Sessions {
    pub fn clear(&self) {
        if let Ok(mut sessions) = self.0.lock() {
            sessions.clear();
        }
    }

    fn fresh(&self, key: &str, now: SystemTime) -> Option<RoleCredentials> {
        let sessions = self.0.lock().ok()?;
        sessions.get(key).filter(|c| c.expires > now + FRESH_FOR).cloned()
    }

    fn keep(&self, key: String, credentials: RoleCredentials) {
        if let Ok(mut sessions) = self.0.lock() {
            sessions.insert(key, credentials);
        }
    }
}

impl Lambda {
    /// A session of the function's role, or `None` when STS is not wired or
    /// will not issue one (the function then runs with its account's own
    /// key, as before roles existed).
    pub(crate) async fn role_credentials(
        &self,
        ctx: &RequestContext,
        role: &str,
        function: &str,
    ) -> Option<RoleCredentials> {
        let sts: &StsClient = self.sts.get()?;
        let key = format!("{}/{role}/{function}", ctx.account_id);
        let now = self.clock.now();
        if let Some(fresh) = self.sessions.fresh(&key, now) {
            return Some(fresh);
        }
        let sts_ctx = RequestContext::internal("sts", "AssumeRole", &ctx.account_id, &ctx.region);
        let input = AssumeRoleRequest {
            role_arn: role.to_owned(),
            role_session_name: function.to_owned(),
            duration_seconds: Some(SESSION_SECONDS),
            ..Default::default()
        };
        let assumed = match sts.assume_role(&sts_ctx, input).await {
            Ok(assumed) => assumed.credentials?,
            Err(error) => {
                tracing::debug!(role, %error, "no execution role session: the function uses its account's key");
                return None;
            }
        };
        let millis = u64::try_from(assumed.expiration.as_epoch_millis()).unwrap_or(0);
        let credentials = RoleCredentials {
            access_key_id: assumed.access_key_id,
            secret_access_key: assumed.secret_access_key,
            session_token: assumed.session_token,
            expires: SystemTime::UNIX_EPOCH + Duration::from_millis(millis),
        };
        self.sessions.keep(key, credentials.clone());
        Some(credentials)
    }
}
