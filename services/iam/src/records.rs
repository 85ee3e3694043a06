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
}

impl Kind {
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::User => "user/",
            Kind::Group => "group/",
            Kind::Role => "role/",
            Kind::Policy => "policy/",
            Kind::Profile => "profile/",
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
