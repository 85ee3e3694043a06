//! An instance's role credentials: its instance profile's role (read
//! through IAM's GetInstanceProfile), a session of it from STS's
//! AssumeRole, kept per instance and replaced once less than
//! [`ROTATE_BEFORE`] is left (AWS makes new ones available at least five
//! minutes before the old expire).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use nimbus_core::RequestContext;
use nimbus_iam_api::{GetInstanceProfileRequest, IamClient};
use nimbus_sts_api::{AssumeRoleRequest, StsClient};

/// How long a session lasts.
const SESSION_SECONDS: i32 = 3600;
/// Sessions are replaced when this little is left.
pub const ROTATE_BEFORE: Duration = Duration::from_secs(15 * 60);

/// A role session as IMDS hands it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub token: String,
    /// Epoch milliseconds.
    pub issued: i64,
    pub expires: i64,
}

/// Whether `session` is still good to hand out at `now` (epoch ms).
pub fn fresh(session: &Session, now: i64) -> bool {
    let margin = i64::try_from(ROTATE_BEFORE.as_millis()).unwrap_or(0);
    session.expires - now > margin
}

/// Sessions by instance.
#[derive(Default)]
pub struct Sessions(Mutex<HashMap<String, Session>>);

impl Sessions {
    pub fn fresh(&self, instance: &str, now: i64) -> Option<Session> {
        let sessions = self.0.lock().ok()?;
        sessions.get(instance).filter(|s| fresh(s, now)).cloned()
    }

    pub fn keep(&self, instance: &str, session: Session) {
        if let Ok(mut sessions) = self.0.lock() {
            sessions.insert(instance.to_owned(), session);
        }
    }

    pub fn clear(&self) {
        if let Ok(mut sessions) = self.0.lock() {
            sessions.clear();
        }
    }
}

/// The role (name and ARN) of the instance profile `arn`, through IAM.
pub async fn profile_role(
    iam: &IamClient,
    account: &str,
    region: &str,
    arn: &str,
) -> Option<(String, String)> {
    let name = arn.rsplit('/').next()?.to_owned();
    let ctx = RequestContext::internal("iam", "GetInstanceProfile", account, region);
    let input = GetInstanceProfileRequest {
        instance_profile_name: name,
    };
    let profile = iam.get_instance_profile(&ctx, input).await.ok()?.instance_profile;
    let role = profile.roles.into_iter().next()?;
    Some((role.role_name, role.arn))
}

/// A new session of `role_arn` for instance `instance`, through STS.
pub async fn assume(
    sts: &StsClient,
    account: &str,
    region: &str,
    role_arn: &str,
    instance: &str,
    now: i64,
) -> Option<Session> {
    let ctx = RequestContext::internal("sts", "AssumeRole", account, region);
    let input = AssumeRoleRequest {
        role_arn: role_arn.to_owned(),
        role_session_name: instance.to_owned(),
        duration_seconds: Some(SESSION_SECONDS),
        ..Default::default()
    };
    let credentials = match sts.assume_role(&ctx, input).await {
        Ok(assumed) => assumed.credentials?,
        Err(error) => {
            tracing::debug!(role_arn, %error, "no session for an instance's role");
            return None;
        }
    };
    Some(Session {
        access_key_id: credentials.access_key_id,
        secret_access_key: credentials.secret_access_key,
        token: credentials.session_token,
        issued: now,
        expires: credentials.expiration.as_epoch_millis(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_replaced_a_quarter_hour_before_they_expire() {
        let session = Session {
            access_key_id: "ASIA".into(),
            secret_access_key: "s".into(),
            token: "t".into(),
            issued: 0,
            expires: 3_600_000,
        };
        assert!(fresh(&session, 2_699_999));
        assert!(!fresh(&session, 2_700_000));
        let sessions = Sessions::default();
        sessions.keep("i-1", session.clone());
        assert_eq!(sessions.fresh("i-1", 0), Some(session));
        assert_eq!(sessions.fresh("i-1", 2_700_000), None);
        assert_eq!(sessions.fresh("i-2", 0), None);
    }
}
