//! Who is calling: the account (and principal) behind an access key.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The principal a set of credentials acts as.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub account_id: String,
    /// e.g. `arn:aws:sts::000000000000:assumed-role/role-name/session-name`.
    pub arn: String,
    /// e.g. `AROA...:session-name`.
    pub user_id: String,
    /// What a session started by STS carries; `None` for long-term keys.
    pub session: Option<Arc<Session>>,
}

/// What STS gave a session when it started it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Session {
    /// When its credentials stop working (seconds since the epoch).
    pub expires: u64,
    /// Session policies (the request's Policy and the documents of its
    /// PolicyArns): the session can do no more than they allow.
    pub policies: Vec<String>,
    /// Session tags, as `aws:PrincipalTag/<key>` reads them.
    pub tags: Vec<(String, String)>,
    /// The session was started with an MFA code.
    pub mfa: bool,
    /// The IAM user a federated user's session was started by (its
    /// policies are the session's, within its session policies).
    pub parent: Option<String>,
}

/// IAM's roles and managed policies, as STS asks about them when it
/// starts a session.
pub trait RoleDirectory: Send + Sync {
    /// The role's MaxSessionDuration, when the role exists.
    fn max_session_duration(&self, role_arn: &str) -> Option<i32>;
    /// A managed policy's default version document, when it exists.
    fn policy_document(&self, policy_arn: &str) -> Option<String>;
    /// Whether `code` is the current one-time code of the MFA device
    /// `serial`, enabled for the user named `user` (when one is named).
    fn verify_mfa(&self, serial: &str, user: Option<&str>, code: &str) -> bool;
}

/// Temporary credentials issued by STS, so the gateway can find the account
/// (and STS the principal) behind an `ASIA...` access key.
#[derive(Debug, Default)]
pub struct CredentialRegistry {
    issued: RwLock<HashMap<String, Identity>>,
    /// Secret keys of issued credentials, for signature verification.
    secrets: RwLock<HashMap<String, String>>,
}

impl CredentialRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the identity behind a newly issued access key id.
    pub fn insert(&self, access_key_id: String, identity: Identity) {
        if let Ok(mut issued) = self.issued.write() {
            issued.insert(access_key_id, identity);
        }
    }

    /// The identity behind an issued access key id, if STS issued it.
    pub fn lookup(&self, access_key_id: &str) -> Option<Identity> {
        self.issued.read().ok()?.get(access_key_id).cloned()
    }

    /// Records the secret key of an issued access key id (the gateway's
    /// optional signature verification needs it).
    pub fn insert_secret(&self, access_key_id: String, secret_access_key: String) {
        if let Ok(mut secrets) = self.secrets.write() {
            secrets.insert(access_key_id, secret_access_key);
        }
    }

    /// Whether an issued session's credentials have expired at `now`
    /// (seconds since the epoch).
    pub fn expired(&self, access_key_id: &str, now: u64) -> bool {
        self.issued
            .read()
            .ok()
            .and_then(|issued| {
                issued
                    .get(access_key_id)
                    .and_then(|i| i.session.as_ref().map(|s| s.expires))
            })
            .is_some_and(|expires| expires <= now)
    }

    /// The secret key of an issued access key id.
    pub fn secret(&self, access_key_id: &str) -> Option<String> {
        self.secrets.read().ok()?.get(access_key_id).cloned()
    }

    /// Forgets one access key (deleted or made inactive).
    pub fn remove(&self, access_key_id: &str) {
        if let Ok(mut issued) = self.issued.write() {
            issued.remove(access_key_id);
        }
        if let Ok(mut secrets) = self.secrets.write() {
            secrets.remove(access_key_id);
        }
    }

    /// Forgets every issued credential (for `/_nimbus/reset`).
    pub fn clear(&self) {
        if let Ok(mut issued) = self.issued.write() {
            issued.clear();
        }
        if let Ok(mut secrets) = self.secrets.write() {
            secrets.clear();
        }
    }
}
