//! AWS Identity and Access Management: users, groups, roles, managed and
//! inline policies, access keys, instance profiles, permission boundaries
//! and tags, persisted per account.
//!
//! Policy documents are checked by nimbus-policy, the engine every
//! authorisation decision goes through. Access keys created here are put in
//! the shared [`CredentialRegistry`], so requests they sign act as their
//! user (the gateway finds the account, STS's GetCallerIdentity the user).
//!
//! One module per concern: `users`, `groups`, `roles`, `policies` (managed
//! policies and versions; `managed` holds the AWS managed ones), `inline`,
//! `attachments`, `boundaries`, `access_keys`, `profiles`, `tags`; records
//! and keys in `records`, store access in `entities`.

// Tests unwrap what they just built.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod access;
mod access_keys;
mod account;
mod api;
mod attachments;
mod authorization_details;
mod authorizer;
mod boundaries;
mod common;
mod directory;
mod entities;
mod errors;
mod groups;
mod holders;
mod identities;
mod ids;
mod inline;
mod managed;
mod mfa;
mod passwords;
mod policies;
mod profiles;
mod records;
mod report;
mod roles;
mod service_linked;
mod simulate;
mod tags;
mod usage;
mod users;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use nimbus_core::identity::CredentialRegistry;
use nimbus_runtime::Clock;
use nimbus_store::Store;

/// The IAM service. State lives in the store; active access keys are also
/// in the credential registry.
pub struct Iam {
    store: Arc<Store>,
    clock: Clock,
    registry: Arc<CredentialRegistry>,
    /// Bumped by every write, so the authorizer's cached policies follow.
    generation: Arc<AtomicU64>,
}

impl Iam {
    pub fn new(store: Arc<Store>, clock: Clock, registry: Arc<CredentialRegistry>) -> Self {
        let iam = Iam {
            store,
            clock,
            registry,
            generation: Arc::new(AtomicU64::new(0)),
        };
        if let Err(error) = iam.register_stored_keys() {
            tracing::warn!(%error, "IAM access keys could not be read from the store");
        }
        iam
    }

    /// The authorizer `--enforce-iam` holds every request to, reading this
    /// service's users, groups, roles and policies.
    pub fn authorizer(&self) -> Arc<dyn nimbus_core::authz::Authorizer> {
        Arc::new(authorizer::IamAuthorizer::new(
            Arc::clone(&self.store),
            self.clock.clone(),
            Arc::clone(&self.registry),
            Arc::clone(&self.generation),
        ))
    }

    /// Roles and managed policies, as STS asks about them.
    pub fn role_directory(&self) -> Arc<dyn nimbus_core::identity::RoleDirectory> {
        Arc::new(directory::Directory {
            store: Arc::clone(&self.store),
            clock: self.clock.clone(),
        })
    }

    /// Marks cached policies stale (after every write).
    fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The server clock, in epoch milliseconds (how records keep time).
    fn now(&self) -> i64 {
        i64::try_from(self.clock.now_epoch_millis()).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests;
