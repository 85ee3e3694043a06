//! The request as policies see it: who asks, for which action on which
//! resource, and the condition keys that describe it.

use std::collections::HashMap;

/// What kind of caller a principal is; decides how resource policies and
/// the policy types combine for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalType {
    /// An account's root user (the `test` keys, a 12-digit key id).
    Root,
    User,
    /// An assumed-role session; `role` is the role's ARN.
    RoleSession {
        role: String,
    },
    /// A federated user session; `user` is the ARN of the user who federated.
    FederatedUser {
        user: String,
    },
    /// An AWS service acting on its own (`sns.amazonaws.com`).
    Service,
    /// An unsigned request.
    Anonymous,
}

/// The caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// `arn:aws:iam::111122223333:user/alice`, the session ARN of a role
    /// session, the service name of a service, empty when anonymous.
    pub arn: String,
    /// The caller's account (empty for services and anonymous callers).
    pub account: String,
    pub kind: PrincipalType,
}

impl Principal {
    pub fn anonymous() -> Principal {
        Principal {
            arn: String::new(),
            account: String::new(),
            kind: PrincipalType::Anonymous,
        }
    }

    pub fn root(account: &str) -> Principal {
        Principal {
            arn: format!("arn:aws:iam::{account}:root"),
            account: account.to_owned(),
            kind: PrincipalType::Root,
        }
    }

    /// Whether identity-based policies can speak for this caller.
    pub fn has_identity(&self) -> bool {
        !matches!(self.kind, PrincipalType::Service | PrincipalType::Anonymous)
    }

    /// Whether the caller is a session (role or federated).
    pub fn is_session(&self) -> bool {
        matches!(
            self.kind,
            PrincipalType::RoleSession { .. } | PrincipalType::FederatedUser { .. }
        )
    }
}

/// Condition keys and their values; names are case-insensitive.
#[derive(Debug, Clone, Default)]
pub struct Context {
    values: HashMap<String, Vec<String>>,
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    /// Sets a single-valued key.
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.values.insert(key.to_ascii_lowercase(), vec![value.into()]);
        self
    }

    /// Sets a multi-valued key (`aws:TagKeys`).
    pub fn set_many(&mut self, key: &str, values: Vec<String>) -> &mut Self {
        self.values.insert(key.to_ascii_lowercase(), values);
        self
    }

    /// The key's values; `None` when the request does not carry it.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        match self.values.get(key) {
            Some(values) => Some(values),
            None if key.bytes().any(|b| b.is_ascii_uppercase()) => {
                self.values.get(&key.to_ascii_lowercase()).map(Vec::as_slice)
            }
            None => None,
        }
    }

    /// The key's first value.
    pub fn first(&self, key: &str) -> Option<&str> {
        self.get(key)
            .and_then(|values| values.first())
            .map(String::as_str)
    }
}

/// One request to authorise.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub principal: &'a Principal,
    /// `sqs:SendMessage`.
    pub action: &'a str,
    /// The resource's ARN (`*` for actions on no resource).
    pub resource: &'a str,
    pub context: &'a Context,
}
