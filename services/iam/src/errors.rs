//! IAM's errors, worded as IAM words them.

use nimbus_core::AwsError;
pub use nimbus_iam_api::errors::*;

/// What a kind of entity is called in NoSuchEntity messages.
pub fn user_not_found(name: &str) -> AwsError {
    no_such_entity(format!("The user with name {name} cannot be found."))
}

pub fn role_not_found(name: &str) -> AwsError {
    no_such_entity(format!("The role with name {name} cannot be found."))
}

pub fn group_not_found(name: &str) -> AwsError {
    no_such_entity(format!("The group with name {name} cannot be found."))
}

pub fn profile_not_found(name: &str) -> AwsError {
    no_such_entity(format!("Instance Profile {name} cannot be found."))
}

pub fn policy_not_found(arn: &str) -> AwsError {
    no_such_entity(format!("Policy {arn} was not found."))
}

pub fn not_attachable(arn: &str) -> AwsError {
    no_such_entity(format!("Policy {arn} does not exist or is not attachable."))
}

/// `kind` is `user`, `group` or `role`.
pub fn inline_not_found(kind: &str, policy: &str) -> AwsError {
    no_such_entity(format!("The {kind} policy with name {policy} cannot be found."))
}

pub fn access_key_not_found(id: &str) -> AwsError {
    no_such_entity(format!("The Access Key with id {id} cannot be found."))
}

pub fn already_exists(what: &str, name: &str) -> AwsError {
    entity_already_exists(format!("{what} with name {name} already exists."))
}
