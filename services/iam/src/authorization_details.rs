//! GetAccountAuthorizationDetails: every user, group, role and managed
//! policy of the account with their policies, in one paginated answer
//! (what auditing tools read). Entities come in the order users, groups,
//! roles, policies; a page is a run of them, of at most MaxItems.

use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_api::{
    AttachedPermissionsBoundary, AttachedPolicy, GetAccountAuthorizationDetailsRequest,
    GetAccountAuthorizationDetailsResponse, GroupDetail, ManagedPolicyDetail, PolicyDetail, PolicyVersion,
    RoleDetail, RoleLastUsed, Tag, UserDetail,
};

use crate::Iam;
use crate::common::{arn, encode_document, timestamp};
use crate::entities::Read;
/// What IAM answers a marker it did not give.
fn invalid_marker() -> AwsError {
    AwsError::new("ValidationError", "Invalid Marker.", 400)
}
use crate::managed;
use crate::policies::policy_arn;
use crate::profiles::profile_shape;
use crate::records::{GroupRecord, Inline, Kind, PolicyRecord, ProfileRecord, RoleRecord, Tags, UserRecord};
use crate::usage::usage;

/// One entity of the answer.
enum Detail {
    User(Box<UserDetail>),
    Group(Box<GroupDetail>),
    Role(Box<RoleDetail>),
    Policy(Box<ManagedPolicyDetail>),
}

fn inline_details(inline: &Inline) -> Vec<PolicyDetail> {
    inline
        .iter()
        .map(|(name, document)| PolicyDetail {
            policy_name: Some(name.clone()),
            policy_document: Some(encode_document(document)),
        })
        .collect()
}

fn attached(arns: &[String]) -> Vec<AttachedPolicy> {
    arns.iter()
        .map(|arn| AttachedPolicy {
            policy_name: arn.rsplit('/').next().map(str::to_owned),
            policy_arn: Some(arn.clone()),
        })
        .collect()
}

fn boundary(arn: Option<&String>) -> Option<AttachedPermissionsBoundary> {
    arn.map(|arn| AttachedPermissionsBoundary {
        permissions_boundary_type: Some("PermissionsBoundaryPolicy".to_owned()),
        permissions_boundary_arn: Some(arn.clone()),
    })
}

fn tags(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(key, value)| Tag {
            key: key.clone(),
            value: value.clone(),
        })
        .collect()
}

fn user_detail(account: &str, user: &UserRecord) -> Detail {
    Detail::User(Box::new(UserDetail {
        path: Some(user.path.clone()),
        user_name: Some(user.name.clone()),
        user_id: Some(user.id.clone()),
        arn: Some(arn(account, "user", &user.path, &user.name)),
        create_date: Some(timestamp(user.created)),
        user_policy_list: (!user.inline.is_empty()).then(|| inline_details(&user.inline)),
        group_list: Some(user.groups.clone()),
        attached_managed_policies: Some(attached(&user.attached)),
        permissions_boundary: boundary(user.boundary.as_ref()),
        tags: Some(tags(&user.tags)),
    }))
}

fn group_detail(account: &str, group: &GroupRecord) -> Detail {
    Detail::Group(Box::new(GroupDetail {
        path: Some(group.path.clone()),
        group_name: Some(group.name.clone()),
        group_id: Some(group.id.clone()),
        arn: Some(arn(account, "group", &group.path, &group.name)),
        create_date: Some(timestamp(group.created)),
        group_policy_list: Some(inline_details(&group.inline)),
        attached_managed_policies: Some(attached(&group.attached)),
    }))
}

fn role_detail(account: &str, role: &RoleRecord, profiles: &[ProfileRecord], roles: &[RoleRecord]) -> Detail {
    let holding = profiles
        .iter()
        .filter(|p| p.roles.iter().any(|r| r == &role.name))
        .map(|p| profile_shape(account, p, roles))
        .collect();
    Detail::Role(Box::new(RoleDetail {
        path: Some(role.path.clone()),
        role_name: Some(role.name.clone()),
        role_id: Some(role.id.clone()),
        arn: Some(arn(account, "role", &role.path, &role.name)),
        create_date: Some(timestamp(role.created)),
        assume_role_policy_document: Some(encode_document(&role.trust_policy)),
        instance_profile_list: Some(holding),
        role_policy_list: Some(inline_details(&role.inline)),
        attached_managed_policies: Some(attached(&role.attached)),
        permissions_boundary: boundary(role.boundary.as_ref()),
        tags: Some(tags(&role.tags)),
        role_last_used: Some(match &role.last_used {
            Some((at, region)) => RoleLastUsed {
                last_used_date: Some(timestamp(*at)),
                region: Some(region.clone()),
            },
            None => RoleLastUsed::default(),
        }),
    }))
}

fn customer_policy_detail(
    table: &impl Read,
    account: &str,
    policy: &PolicyRecord,
) -> Result<Detail, AwsError> {
    let arn = policy_arn(account, policy);
    let used = usage(table, &arn)?;
    let mut versions: Vec<PolicyVersion> = policy
        .versions
        .iter()
        .map(|v| PolicyVersion {
            document: Some(encode_document(&v.document)),
            version_id: Some(v.id.clone()),
            is_default_version: Some(v.id == policy.default_version),
            create_date: Some(timestamp(v.created)),
        })
        .collect();
    // The default version first, the others newest first.
    versions.sort_by_key(|v| {
        (
            v.is_default_version != Some(true),
            std::cmp::Reverse(v.create_date),
        )
    });
    Ok(Detail::Policy(Box::new(ManagedPolicyDetail {
        policy_name: Some(policy.name.clone()),
        policy_id: Some(policy.id.clone()),
        arn: Some(arn),
        path: Some(policy.path.clone()),
        default_version_id: Some(policy.default_version.clone()),
        attachment_count: Some(used.attachments),
        permissions_boundary_usage_count: Some(used.boundaries),
        is_attachable: Some(true),
        description: policy.description.clone(),
        create_date: Some(timestamp(policy.created)),
        update_date: Some(timestamp(policy.updated)),
        policy_version_list: Some(versions),
    })))
}

fn aws_policy_detail(table: &impl Read, policy: &managed::AwsPolicy) -> Result<Detail, AwsError> {
    let used = usage(table, &policy.arn)?;
    Ok(Detail::Policy(Box::new(ManagedPolicyDetail {
        policy_name: Some(policy.name.clone()),
        policy_id: Some(policy.policy_id.clone()),
        arn: Some(policy.arn.clone()),
        path: Some(policy.path.clone()),
        default_version_id: Some(policy.default_version_id.clone()),
        attachment_count: Some(used.attachments),
        permissions_boundary_usage_count: Some(used.boundaries),
        is_attachable: Some(true),
        description: policy.description.clone(),
        create_date: Some(timestamp(managed::millis(&policy.create_date))),
        update_date: Some(timestamp(managed::millis(&policy.update_date))),
        policy_version_list: Some(vec![PolicyVersion {
            document: Some(encode_document(&policy.document.to_string())),
            version_id: Some(policy.default_version_id.clone()),
            is_default_version: Some(true),
            create_date: Some(timestamp(managed::millis(&policy.update_date))),
        }]),
    })))
}

/// Every entity the filter asks for, in the answer's order.
fn details(table: &impl Read, account: &str, wants: impl Fn(&str) -> bool) -> Result<Vec<Detail>, AwsError> {
    let users: Vec<UserRecord> = table.all(Kind::User)?;
    let groups: Vec<GroupRecord> = table.all(Kind::Group)?;
    let roles: Vec<RoleRecord> = table.all(Kind::Role)?;
    let mut out = Vec::new();
    if wants("User") {
        out.extend(users.iter().map(|u| user_detail(account, u)));
    }
    if wants("Group") {
        out.extend(groups.iter().map(|g| group_detail(account, g)));
    }
    if wants("Role") {
        let profiles: Vec<ProfileRecord> = table.all(Kind::Profile)?;
        out.extend(roles.iter().map(|r| role_detail(account, r, &profiles, &roles)));
    }
    if wants("LocalManagedPolicy") {
        let policies: Vec<PolicyRecord> = table.all(Kind::Policy)?;
        for policy in &policies {
            out.push(customer_policy_detail(table, account, policy)?);
        }
    }
    if wants("AWSManagedPolicy") {
        // Those attached in the account (not the whole catalogue).
        let in_use = |arn: &str| {
            users.iter().any(|u| u.attached.iter().any(|a| a == arn))
                || groups.iter().any(|g| g.attached.iter().any(|a| a == arn))
                || roles.iter().any(|r| r.attached.iter().any(|a| a == arn))
        };
        for policy in managed::all().iter().filter(|p| in_use(&p.arn)) {
            out.push(aws_policy_detail(table, policy)?);
        }
    }
    Ok(out)
}

impl Iam {
    pub(crate) async fn get_account_authorization_details(
        &self,
        ctx: &RequestContext,
        input: GetAccountAuthorizationDetailsRequest,
    ) -> Result<GetAccountAuthorizationDetailsResponse, AwsError> {
        let filter = input.filter.unwrap_or_default();
        let start: usize = match input.marker.as_deref() {
            Some(marker) => marker.parse().map_err(|_| invalid_marker())?,
            None => 0,
        };
        let max = usize::try_from(input.max_items.unwrap_or(100).clamp(1, 1000)).unwrap_or(100);
        let account = ctx.account_id.clone();
        let all = self
            .read(&account.clone(), move |table| {
                details(table, &account, |kind| {
                    filter.is_empty() || filter.iter().any(|f| f == kind)
                })
            })
            .await?;
        let total = all.len();
        if start > total {
            return Err(invalid_marker());
        }
        let end = start.saturating_add(max);
        let mut answer = GetAccountAuthorizationDetailsResponse {
            user_detail_list: Some(Vec::new()),
            group_detail_list: Some(Vec::new()),
            role_detail_list: Some(Vec::new()),
            policies: Some(Vec::new()),
            is_truncated: Some(end < total),
            marker: (end < total).then(|| end.to_string()),
        };
        for detail in all.into_iter().skip(start).take(max) {
            match detail {
                Detail::User(d) => answer.user_detail_list.get_or_insert_default().push(*d),
                Detail::Group(d) => answer.group_detail_list.get_or_insert_default().push(*d),
                Detail::Role(d) => answer.role_detail_list.get_or_insert_default().push(*d),
                Detail::Policy(d) => answer.policies.get_or_insert_default().push(*d),
            }
        }
        Ok(answer)
    }
}
