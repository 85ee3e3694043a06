//! The account itself: its alias (one per account, unique across
//! accounts) and the summary of what it holds against IAM's quotas.

use indexmap::IndexMap;
use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_api::{
    CreateAccountAliasRequest, DeleteAccountAliasRequest, GetAccountSummaryResponse,
    ListAccountAliasesRequest, ListAccountAliasesResponse,
};
use nimbus_store::TableMut;

use crate::Iam;
use crate::entities::Read;
use crate::errors::{entity_already_exists, no_such_entity};
use crate::records::{
    AccountRecord, GroupRecord, Kind, MfaRecord, PolicyRecord, RoleRecord, UserRecord, account_key,
    keys_namespace,
};

/// The account's settings (defaults when it has none yet).
pub fn load_account(table: &impl Read) -> Result<AccountRecord, AwsError> {
    Ok(table.load_at(account_key())?.unwrap_or_default())
}

/// Where the account that holds an alias is recorded (aliases are unique
/// across accounts).
fn alias_key(alias: &str) -> Vec<u8> {
    format!("alias/{alias}").into_bytes()
}

/// `^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`: 3 to 63 lower-case letters,
/// digits and single dashes, neither first nor last.
fn valid_alias(alias: &str) -> bool {
    let bytes = alias.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.first() != Some(&b'-')
        && bytes.last() != Some(&b'-')
        && !alias.contains("--")
}

/// IAM's quotas, as GetAccountSummary reports them.
const QUOTAS: [(&str, i32); 19] = [
    ("UsersQuota", 5000),
    ("GroupsQuota", 300),
    ("RolesQuota", 1000),
    ("PoliciesQuota", 1500),
    ("InstanceProfilesQuota", 1000),
    ("ServerCertificatesQuota", 20),
    ("AccessKeysPerUserQuota", 2),
    ("SigningCertificatesPerUserQuota", 2),
    ("GroupsPerUserQuota", 10),
    ("AttachedPoliciesPerUserQuota", 10),
    ("AttachedPoliciesPerGroupQuota", 10),
    ("AttachedPoliciesPerRoleQuota", 10),
    ("PolicyVersionsInUseQuota", 10000),
    ("VersionsPerPolicyQuota", 5),
    ("UserPolicySizeQuota", 2048),
    ("GroupPolicySizeQuota", 5120),
    ("RolePolicySizeQuota", 10240),
    ("PolicySizeQuota", 6144),
    ("AssumeRolePolicySizeQuota", 2048),
];

impl Iam {
    pub(crate) async fn create_account_alias(
        &self,
        ctx: &RequestContext,
        input: CreateAccountAliasRequest,
    ) -> Result<(), AwsError> {
        let alias = input.account_alias;
        if !valid_alias(&alias) {
            return Err(AwsError::new(
                "ValidationError",
                format!(
                    "1 validation error detected: Value '{alias}' at 'accountAlias' failed to satisfy constraint: \
                     Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){{1,61}}[a-z0-9]$"
                ),
                400,
            ));
        }
        let account_id = ctx.account_id.clone();
        let global = keys_namespace()?;
        let ns = crate::records::namespace(&account_id)?;
        // The global and the account's namespaces share one store table:
        // opened one after the other, in one transaction.
        self.store
            .write(move |txn| {
                {
                    let holders = txn.open(&global)?;
                    let holder: Option<String> = holders.get_json(&alias_key(&alias))?;
                    if holder.as_ref().is_some_and(|holder| *holder != account_id) {
                        return Err(entity_already_exists(format!(
                            "The account alias {alias} already exists."
                        )));
                    }
                }
                let old = {
                    let mut table = txn.open(&ns)?;
                    let mut account = load_account(&table)?;
                    // One alias per account: a new one replaces the old.
                    let old = account.alias.replace(alias.clone());
                    save_account(&mut table, &account)?;
                    old
                };
                let mut holders = txn.open(&global)?;
                if let Some(old) = old {
                    holders.delete(&alias_key(&old))?;
                }
                holders.put_json(&alias_key(&alias), &account_id)?;
                Ok(())
            })
            .await
    }

    pub(crate) async fn delete_account_alias(
        &self,
        ctx: &RequestContext,
        input: DeleteAccountAliasRequest,
    ) -> Result<(), AwsError> {
        let alias = input.account_alias;
        let global = keys_namespace()?;
        let ns = crate::records::namespace(&ctx.account_id)?;
        self.store
            .write(move |txn| {
                {
                    let mut table = txn.open(&ns)?;
                    let mut account = load_account(&table)?;
                    if account.alias.as_deref() != Some(alias.as_str()) {
                        return Err(no_such_entity(format!(
                            "The account alias {alias} cannot be found."
                        )));
                    }
                    account.alias = None;
                    save_account(&mut table, &account)?;
                }
                txn.open(&global)?.delete(&alias_key(&alias))?;
                Ok(())
            })
            .await
    }

    pub(crate) async fn list_account_aliases(
        &self,
        ctx: &RequestContext,
        _input: ListAccountAliasesRequest,
    ) -> Result<ListAccountAliasesResponse, AwsError> {
        let account = self.read(&ctx.account_id, load_account).await?;
        Ok(ListAccountAliasesResponse {
            account_aliases: account.alias.into_iter().collect(),
            is_truncated: Some(false),
            marker: None,
        })
    }

    pub(crate) async fn get_account_summary(
        &self,
        ctx: &RequestContext,
    ) -> Result<GetAccountSummaryResponse, AwsError> {
        let counts = self.read(&ctx.account_id, summary).await?;
        let mut map: IndexMap<String, i32> = counts.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        map.extend(QUOTAS.iter().map(|(k, v)| ((*k).to_owned(), *v)));
        Ok(GetAccountSummaryResponse {
            summary_map: Some(map),
        })
    }
}

fn save_account(table: &mut TableMut<'_>, account: &AccountRecord) -> Result<(), AwsError> {
    Ok(table.put_json(account_key(), account)?)
}

/// What the account holds, counted.
fn summary(table: &impl Read) -> Result<Vec<(&'static str, i32)>, AwsError> {
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let users: Vec<UserRecord> = table.all(Kind::User)?;
    let groups: Vec<GroupRecord> = table.all(Kind::Group)?;
    let roles: Vec<RoleRecord> = table.all(Kind::Role)?;
    let policies: Vec<PolicyRecord> = table.all(Kind::Policy)?;
    let devices: Vec<MfaRecord> = table.all(Kind::Mfa)?;
    let profiles = table.count(Kind::Profile)?;
    let versions: usize = policies.iter().map(|p| p.versions.len()).sum();
    Ok(vec![
        ("Users", count(users.len())),
        ("Groups", count(groups.len())),
        ("Roles", count(roles.len())),
        ("Policies", count(policies.len())),
        ("InstanceProfiles", count(profiles)),
        ("PolicyVersionsInUse", count(versions)),
        ("MFADevices", count(devices.len())),
        (
            "MFADevicesInUse",
            count(devices.iter().filter(|d| d.user.is_some()).count()),
        ),
        ("AccountMFAEnabled", 0),
        ("AccountAccessKeysPresent", 0),
        ("AccountSigningCertificatesPresent", 0),
        ("AccountPasswordPresent", 1),
        ("ServerCertificates", 0),
        ("Providers", 0),
        ("GlobalEndpointTokenVersion", 1),
    ])
}

#[cfg(test)]
mod tests {
    use super::valid_alias;

    #[test]
    fn aliases_are_lower_case_with_single_inner_dashes() {
        for good in ["abc", "my-company", "a1-b2-c3"] {
            assert!(valid_alias(good), "{good}");
        }
        for bad in ["ab", "Abc", "-abc", "abc-", "a--b", "a_b", &"a".repeat(64)] {
            assert!(!valid_alias(bad), "{bad}");
        }
    }
}
