//! Managed policies attached to users, groups and roles.

use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_api::*;

use crate::Iam;
use crate::common::page;
use crate::entities::{Read, require, save};
use crate::errors::{limit_exceeded, not_attachable};
use crate::holders::Holder;
use crate::managed;
use crate::policies::{PolicyArn, policy_arn};
use crate::records::{GroupRecord, Kind, PolicyRecord, RoleRecord, UserRecord};

/// At most ten managed policies per user, group or role (IAM's default).
const MAX_ATTACHED: usize = 10;

/// Whether the ARN names an attachable policy: an AWS managed one, or a
/// customer policy of the account.
pub fn attachable(table: &impl Read, account: &str, arn: &str) -> Result<bool, AwsError> {
    if managed::find(arn).is_some() {
        return Ok(true);
    }
    let parsed = PolicyArn::parse(arn)?;
    if parsed.owner != account {
        return Ok(false);
    }
    Ok(table
        .load::<PolicyRecord>(Kind::Policy, &parsed.name)?
        .is_some_and(|p| policy_arn(account, &p) == arn))
}

/// The policy's name, as the ARN ends.
fn name_of(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or_default().to_owned()
}

impl Iam {
    async fn attach<H: Holder>(&self, account: &str, holder: String, arn: String) -> Result<(), AwsError> {
        let account_id = account.to_owned();
        self.write(account, move |table| {
            let mut entity: H = require(table, H::KIND, &holder, H::missing)?;
            entity.check_modifiable()?;
            if !attachable(table, &account_id, &arn)? {
                return Err(not_attachable(&arn));
            }
            if entity.attached().contains(&arn) {
                return Ok(());
            }
            if entity.attached().len() >= MAX_ATTACHED {
                return Err(limit_exceeded(format!(
                    "Cannot exceed quota for {}: {MAX_ATTACHED}",
                    H::QUOTA
                )));
            }
            entity.attached().push(arn);
            save(table, H::KIND, entity.name(), &entity)
        })
        .await
    }

    async fn detach<H: Holder>(&self, account: &str, holder: String, arn: String) -> Result<(), AwsError> {
        self.write(account, move |table| {
            let mut entity: H = require(table, H::KIND, &holder, H::missing)?;
            entity.check_modifiable()?;
            PolicyArn::parse(&arn)?;
            let before = entity.attached().len();
            entity.attached().retain(|a| *a != arn);
            if entity.attached().len() == before {
                return Err(crate::errors::no_such_entity(format!(
                    "Policy {arn} was not found."
                )));
            }
            save(table, H::KIND, entity.name(), &entity)
        })
        .await
    }

    async fn list_attached<H: Holder>(
        &self,
        account: &str,
        holder: String,
        path_prefix: Option<String>,
        marker: Option<String>,
        max_items: Option<i32>,
    ) -> Result<(Vec<AttachedPolicy>, Option<String>), AwsError> {
        let mut entity: H = self
            .read(account, move |table| require(table, H::KIND, &holder, H::missing))
            .await?;
        let listed: Vec<AttachedPolicy> = entity
            .attached()
            .iter()
            .filter(|arn| {
                path_prefix
                    .as_deref()
                    .is_none_or(|prefix| path_of(arn).starts_with(prefix))
            })
            .map(|arn| AttachedPolicy {
                policy_name: Some(name_of(arn)),
                policy_arn: Some(arn.clone()),
            })
            .collect();
        page(
            listed,
            |p| p.policy_name.clone().unwrap_or_default(),
            marker.as_deref(),
            max_items,
        )
    }

    pub(crate) async fn attach_user_policy(
        &self,
        ctx: &RequestContext,
        input: AttachUserPolicyRequest,
    ) -> Result<(), AwsError> {
        self.attach::<UserRecord>(&ctx.account_id, input.user_name, input.policy_arn)
            .await
    }

    pub(crate) async fn attach_group_policy(
        &self,
        ctx: &RequestContext,
        input: AttachGroupPolicyRequest,
    ) -> Result<(), AwsError> {
        self.attach::<GroupRecord>(&ctx.account_id, input.group_name, input.policy_arn)
            .await
    }

    pub(crate) async fn attach_role_policy(
        &self,
        ctx: &RequestContext,
        input: AttachRolePolicyRequest,
    ) -> Result<(), AwsError> {
        self.attach::<RoleRecord>(&ctx.account_id, input.role_name, input.policy_arn)
            .await
    }

    pub(crate) async fn detach_user_policy(
        &self,
        ctx: &RequestContext,
        input: DetachUserPolicyRequest,
    ) -> Result<(), AwsError> {
        self.detach::<UserRecord>(&ctx.account_id, input.user_name, input.policy_arn)
            .await
    }

    pub(crate) async fn detach_group_policy(
        &self,
        ctx: &RequestContext,
        input: DetachGroupPolicyRequest,
    ) -> Result<(), AwsError> {
        self.detach::<GroupRecord>(&ctx.account_id, input.group_name, input.policy_arn)
            .await
    }

    pub(crate) async fn detach_role_policy(
        &self,
        ctx: &RequestContext,
        input: DetachRolePolicyRequest,
    ) -> Result<(), AwsError> {
        self.detach::<RoleRecord>(&ctx.account_id, input.role_name, input.policy_arn)
            .await
    }

    pub(crate) async fn list_attached_user_policies(
        &self,
        ctx: &RequestContext,
        input: ListAttachedUserPoliciesRequest,
    ) -> Result<ListAttachedUserPoliciesResponse, AwsError> {
        let (attached, marker) = self
            .list_attached::<UserRecord>(
                &ctx.account_id,
                input.user_name,
                input.path_prefix,
                input.marker,
                input.max_items,
            )
            .await?;
        Ok(ListAttachedUserPoliciesResponse {
            attached_policies: Some(attached),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) async fn list_attached_group_policies(
        &self,
        ctx: &RequestContext,
        input: ListAttachedGroupPoliciesRequest,
    ) -> Result<ListAttachedGroupPoliciesResponse, AwsError> {
        let (attached, marker) = self
            .list_attached::<GroupRecord>(
                &ctx.account_id,
                input.group_name,
                input.path_prefix,
                input.marker,
                input.max_items,
            )
            .await?;
        Ok(ListAttachedGroupPoliciesResponse {
            attached_policies: Some(attached),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) async fn list_attached_role_policies(
        &self,
        ctx: &RequestContext,
        input: ListAttachedRolePoliciesRequest,
    ) -> Result<ListAttachedRolePoliciesResponse, AwsError> {
        let (attached, marker) = self
            .list_attached::<RoleRecord>(
                &ctx.account_id,
                input.role_name,
                input.path_prefix,
                input.marker,
                input.max_items,
            )
            .await?;
        Ok(ListAttachedRolePoliciesResponse {
            attached_policies: Some(attached),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) async fn list_entities_for_policy(
        &self,
        ctx: &RequestContext,
        input: ListEntitiesForPolicyRequest,
    ) -> Result<ListEntitiesForPolicyResponse, AwsError> {
        let account = ctx.account_id.clone();
        let arn = input.policy_arn.clone();
        let usage_filter = input.policy_usage_filter.clone();
        let (users, groups, roles) = self
            .read(&account.clone(), move |table| {
                if !attachable(table, &account, &arn)? {
                    return Err(crate::errors::policy_not_found(&arn));
                }
                let users: Vec<UserRecord> = table.all(Kind::User)?;
                let groups: Vec<GroupRecord> = table.all(Kind::Group)?;
                let roles: Vec<RoleRecord> = table.all(Kind::Role)?;
                // PermissionsPolicy: attached; PermissionsBoundary: set as boundary.
                let usage = usage_filter.as_deref();
                let attached = |list: &[String]| usage != Some("PermissionsBoundary") && list.contains(&arn);
                let bounds = |boundary: &Option<String>| {
                    usage != Some("PermissionsPolicy") && boundary.as_deref() == Some(arn.as_str())
                };
                Ok((
                    users
                        .into_iter()
                        .filter(|u| attached(&u.attached) || bounds(&u.boundary))
                        .collect::<Vec<_>>(),
                    groups
                        .into_iter()
                        .filter(|g| attached(&g.attached))
                        .collect::<Vec<_>>(),
                    roles
                        .into_iter()
                        .filter(|r| attached(&r.attached) || bounds(&r.boundary))
                        .collect::<Vec<_>>(),
                ))
            })
            .await?;
        let filter = input.entity_filter.as_deref();
        let wants = |kind: &str| filter.is_none_or(|f| f == kind);
        Ok(ListEntitiesForPolicyResponse {
            policy_users: Some(if wants("User") {
                users
                    .iter()
                    .map(|u| PolicyUser {
                        user_name: Some(u.name.clone()),
                        user_id: Some(u.id.clone()),
                    })
                    .collect()
            } else {
                Vec::new()
            }),
            policy_groups: Some(if wants("Group") {
                groups
                    .iter()
                    .map(|g| PolicyGroup {
                        group_name: Some(g.name.clone()),
                        group_id: Some(g.id.clone()),
                    })
                    .collect()
            } else {
                Vec::new()
            }),
            policy_roles: Some(if wants("Role") {
                roles
                    .iter()
                    .map(|r| PolicyRole {
                        role_name: Some(r.name.clone()),
                        role_id: Some(r.id.clone()),
                    })
                    .collect()
            } else {
                Vec::new()
            }),
            is_truncated: Some(false),
            marker: None,
        })
    }
}

/// The path part of a policy ARN (`/service-role/`).
fn path_of(arn: &str) -> String {
    let resource = arn.split_once(":policy").map_or("", |(_, rest)| rest);
    match resource.rfind('/') {
        Some(end) => resource[..=end].to_owned(),
        None => "/".to_owned(),
    }
}
