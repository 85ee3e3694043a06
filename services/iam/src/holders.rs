//! Users, groups and roles alike hold inline policies and attached managed
//! policies; the handlers of both are written once, over [`Holder`].

use nimbus_core::AwsError;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::errors::{group_not_found, role_not_found, user_not_found};
use crate::records::{GroupRecord, Inline, Kind, RoleRecord, UserRecord};

/// An entity that policies are given to.
pub trait Holder: Serialize + DeserializeOwned + Send + 'static {
    const KIND: Kind;
    /// `user`, `group`, `role`: how IAM's messages name the kind.
    const WORD: &'static str;
    /// `PoliciesPerUser`: the quota name of attached policies.
    const QUOTA: &'static str;
    fn name(&self) -> &str;
    fn attached(&mut self) -> &mut Vec<String>;
    fn inline(&mut self) -> &mut Inline;
    fn missing(name: &str) -> AwsError;
    /// Refuses a change to an entity only AWS may change (service-linked roles).
    fn check_modifiable(&self) -> Result<(), AwsError> {
        Ok(())
    }
}

impl Holder for UserRecord {
    const KIND: Kind = Kind::User;
    const WORD: &'static str = "user";
    const QUOTA: &'static str = "PoliciesPerUser";
    fn name(&self) -> &str {
        &self.name
    }
    fn attached(&mut self) -> &mut Vec<String> {
        &mut self.attached
    }
    fn inline(&mut self) -> &mut Inline {
        &mut self.inline
    }
    fn missing(name: &str) -> AwsError {
        user_not_found(name)
    }
}

impl Holder for GroupRecord {
    const KIND: Kind = Kind::Group;
    const WORD: &'static str = "group";
    const QUOTA: &'static str = "PoliciesPerGroup";
    fn name(&self) -> &str {
        &self.name
    }
    fn attached(&mut self) -> &mut Vec<String> {
        &mut self.attached
    }
    fn inline(&mut self) -> &mut Inline {
        &mut self.inline
    }
    fn missing(name: &str) -> AwsError {
        group_not_found(name)
    }
}

impl Holder for RoleRecord {
    const KIND: Kind = Kind::Role;
    const WORD: &'static str = "role";
    const QUOTA: &'static str = "PoliciesPerRole";
    fn name(&self) -> &str {
        &self.name
    }
    fn attached(&mut self) -> &mut Vec<String> {
        &mut self.attached
    }
    fn inline(&mut self) -> &mut Inline {
        &mut self.inline
    }
    fn missing(name: &str) -> AwsError {
        role_not_found(name)
    }
    fn check_modifiable(&self) -> Result<(), AwsError> {
        crate::service_linked::refuse_protected(self)
    }
}
