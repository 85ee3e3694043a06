//! IAM's roles and managed policies as STS asks about them when it starts
//! a session: the role's MaxSessionDuration, the documents of PolicyArns.

use std::sync::Arc;

use nimbus_core::identity::RoleDirectory;
use nimbus_store::Store;

use crate::entities::Read;
use crate::identities::managed_document;
use crate::records::{Kind, RoleRecord, namespace};

/// Reads roles and policies straight from the store.
pub struct Directory {
    pub(crate) store: Arc<Store>,
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
}
