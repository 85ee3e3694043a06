//! What IAM keeps in the store, and under which keys.
//!
//! One namespace per account (IAM is global, not regional). Names are
//! unique without regard to case, so keys hold the lower-cased name:
//! - `user/<name>` → [`UserRecord`]
//! - `group/<name>` → [`GroupRecord`]
//! - `role/<name>` → [`RoleRecord`]
//! - `policy/<name>` → [`PolicyRecord`] (customer managed policies)
//! - `profile/<name>` → [`ProfileRecord`] (instance profiles)
//!
//! Access keys are looked up by id from every account, so they live in the
//! global namespace: `key/<access key id>` → [`AccessKeyRecord`].

use std::collections::BTreeMap;

use nimbus_core::AwsError;
use nimbus_store::Namespace;
use serde::{Deserialize, Serialize};

const SERVICE: &str = "iam";

pub fn namespace(account: &str) -> Result<Namespace, AwsError> {
    Namespace::account(SERVICE, account).map_err(AwsError::from)
}

pub fn keys_namespace() -> Result<Namespace, AwsError> {
    Namespace::global(SERVICE).map_err(AwsError::from)
}

/// The kinds of entity, each under its own key prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Group,
    Role,
    Policy,
    Profile,
    /// Virtual MFA devices, by name.
    Mfa,
}

impl Kind {
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::User => "user/",
            Kind::Group => "group/",
            Kind::Role => "role/",
            Kind::Policy => "policy/",
            Kind::Profile => "profile/",
            Kind::Mfa => "mfa/",
        }
    }

    pub fn key(self, name: &str) -> Vec<u8> {
        format!("{}{}", self.prefix(), name.to_lowercase()).into_bytes()
    }
}

pub fn access_key_key(id: &str) -> Vec<u8> {
    format!("key/{id}").into_bytes()
}

/// Tags in the order they were given.
pub type Tags = Vec<(String, String)>;

/// Inline policies by name (documents as the client sent them).
pub type Inline = BTreeMap<String, String>;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UserRecord {
    pub name: String,
    pub path: String,
    pub id: String,
    pub created: i64,
    #[serde(default)]
    pub tags: Tags,
    #[serde(default)]
    pub boundary: Option<String>,
    #[serde(default)]
    pub inline: Inline,
    /// Managed policy ARNs, in attachment order.
    #[serde(default)]
    pub attached: Vec<String>,
    /// Group names (as created).
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub access_keys: Vec<String>,
    #[serde(default)]
    pub login_profile: Option<LoginProfile>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LoginProfile {
    pub created: i64,
    pub password_reset_required: bool,
    /// The password, salted and hashed (`salt$sha256hex`).
    #[serde(default)]
    pub password: String,
    /// When the password was last set (epoch millis).
    #[serde(default)]
    pub changed: i64,
    /// Earlier passwords, newest first (PasswordReusePrevention).
    #[serde(default)]
    pub previous: Vec<String>,
}

/// The account's own settings, under [`account_key`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AccountRecord {
    #[serde(default)]
    pub alias: Option<String>,
    #[serde(default)]
    pub password_policy: Option<PasswordPolicyRecord>,
    /// The last credential report: when it was generated, and its CSV.
    #[serde(default)]
    pub report: Option<(i64, String)>,
    /// Service-linked role deletion tasks, by id: done at once.
    #[serde(default)]
    pub deletion_tasks: Vec<String>,
}

/// UpdateAccountPasswordPolicy's settings (every one not given reverts to
/// its default).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PasswordPolicyRecord {
    pub minimum_length: i32,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub allow_users_to_change: bool,
    /// Days; 0 when passwords never expire.
    pub max_age: i32,
    /// 0 when reuse is not restricted.
    pub reuse_prevention: i32,
    pub hard_expiry: Option<bool>,
}

/// A virtual MFA device.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MfaRecord {
    pub name: String,
    pub path: String,
    /// The TOTP secret, base32.
    pub seed: String,
    pub created: i64,
    #[serde(default)]
    pub tags: Tags,
    /// The user it is enabled for, and when.
    #[serde(default)]
    pub user: Option<(String, i64)>,
}

/// Where an account's own settings are kept.
pub fn account_key() -> &'static [u8] {
    b"account"
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GroupRecord {
    pub name: String,
    pub path: String,
    pub id: String,
    pub created: i64,
    #[serde(default)]
    pub inline: Inline,
    #[serde(default)]
    pub attached: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RoleRecord {
    pub name: String,
    pub path: String,
    pub id: String,
    pub created: i64,
    pub trust_policy: String,
    #[serde(default)]
    pub description: Option<String>,
    pub max_session_duration: i32,
    #[serde(default)]
    pub tags: Tags,
    #[serde(default)]
    pub boundary: Option<String>,
    #[serde(default)]
    pub inline: Inline,
    #[serde(default)]
    pub attached: Vec<String>,
    /// When and where the role was last assumed (epoch millis, region).
    #[serde(default)]
    pub last_used: Option<(i64, String)>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PolicyRecord {
    pub name: String,
    pub path: String,
    pub id: String,
    pub created: i64,
    pub updated: i64,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Tags,
    /// `v3`.
    pub default_version: String,
    pub versions: Vec<VersionRecord>,
    /// The number the next version gets (versions are never renumbered).
    pub next_version: u32,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct VersionRecord {
    pub id: String,
    pub document: String,
    pub created: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProfileRecord {
    pub name: String,
    pub path: String,
    pub id: String,
    pub created: i64,
    /// Role names (an instance profile holds at most one).
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AccessKeyRecord {
    pub id: String,
    pub secret: String,
    pub account: String,
    pub user: String,
    /// `Active` or `Inactive`.
    pub status: String,
    pub created: i64,
    /// Last use: epoch millis, region, service.
    #[serde(default)]
    pub last_used: Option<(i64, String, String)>,
}
