//! IAM's roles and managed policies as STS asks about them when it starts
//! a session: the role's MaxSessionDuration, the documents of PolicyArns.

use std::sync::Arc;

use nimbus_core::identity::RoleDirectory;
use nimbus_store::Store;

use crate::entities::Read;
use crate::identities::managed_document;
use crate::mfa::code_is_valid;
use crate::records::{Kind, MfaRecord, RoleRecord, namespace};
use nimbus_runtime::Clock;

/// Reads roles and policies straight from the store.
pub struct Directory {
    pub(crate) store: Arc<Store>,
    /// One-time codes are checked against it.
    pub(crate) clock: Clock,
}

impl Directory {
    /// The account and the last name of an ARN (`arn:aws:iam::1:role/a/b` → `1`, `b`).
    fn account_and_name(arn: &str) -> Option<(&str, &str)> {
        let account = arn.split(':').nth(4)?;
        let name = arn.rsplit('/').next()?;
        Some((account, name))
    }
}

impl RoleDirectory for Directory {
    fn max_session_duration(&self, role_arn: &str) -> Option<i32> {
        let (account, name) = Self::account_and_name(role_arn)?;
        let txn = self.store.begin_read().ok()?;
        let table = txn.open(&namespace(account).ok()?).ok()?;
        let role: RoleRecord = table.load(Kind::Role, name).ok()??;
        Some(role.max_session_duration)
    }

    fn policy_document(&self, policy_arn: &str) -> Option<String> {
        let account = policy_arn.split(':').nth(4)?;
        // AWS managed policies (account `aws`) live in no account's table.
        let owner = if account == "aws" { "000000000000" } else { account };
        let txn = self.store.begin_read().ok()?;
        let table = txn.open(&namespace(owner).ok()?).ok()?;
        managed_document(&table, account, policy_arn).ok()?
    }

    fn verify_mfa(&self, serial: &str, user: Option<&str>, code: &str) -> bool {
        let read = || -> Option<MfaRecord> {
            let (account, name) = Self::account_and_name(serial)?;
            let txn = self.store.begin_read().ok()?;
            let table = txn.open(&namespace(account).ok()?).ok()?;
            table.load(Kind::Mfa, name).ok()?
        };
        let Some(device) = read() else {
            return false;
        };
        let enabled_for = device.user.as_ref().map(|(name, _)| name.as_str());
        let now = self.clock.now_epoch_millis() / 1000;
        enabled_for.is_some()
            && (user.is_none() || user == enabled_for)
            && code_is_valid(&device.seed, code, now)
    }
}
