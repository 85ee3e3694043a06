//! Managed policies: customer policies with up to five versions, and the
//! AWS managed policies, read-only.

use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_api::{
    CreatePolicyRequest, CreatePolicyResponse, CreatePolicyVersionRequest, CreatePolicyVersionResponse,
    DeletePolicyRequest, DeletePolicyVersionRequest, GetPolicyRequest, GetPolicyResponse,
    GetPolicyVersionRequest, GetPolicyVersionResponse, ListPoliciesRequest, ListPoliciesResponse,
    ListPolicyVersionsRequest, ListPolicyVersionsResponse, Policy, PolicyVersion,
    SetDefaultPolicyVersionRequest,
};
use nimbus_policy::PolicyKind;

use crate::Iam;
use crate::common::{arn, encode_document, page, page_in_order, path_or_root, timestamp, under_prefix};
use crate::entities::{Read, save};
use crate::errors::{
    delete_conflict, entity_already_exists, invalid_input, limit_exceeded, malformed_policy_document,
    no_such_entity, policy_not_found,
};
use crate::ids::{IdKind, new_id};
use crate::managed::{self, AwsPolicy};
use crate::records::{Kind, PolicyRecord, VersionRecord};
use crate::tags::{check_tags, tag_list};
use crate::usage::{Usage, usage};

/// IAM keeps at most five versions of a managed policy.
const MAX_VERSIONS: usize = 5;

/// Checks a policy document as IAM does before storing it.
pub fn check_document(document: &str, kind: PolicyKind) -> Result<(), AwsError> {
    nimbus_policy::Policy::parse(document, kind)
        .map(drop)
        .map_err(|e| malformed_policy_document(e.to_string()))
}

/// A policy ARN, read: the owner (an account or `aws`) and the name.
pub struct PolicyArn {
    pub owner: String,
    pub name: String,
}

impl PolicyArn {
    pub fn parse(text: &str) -> Result<PolicyArn, AwsError> {
        let invalid = || invalid_input(format!("ARN {text} is not valid."));
        let rest = text.strip_prefix("arn:aws:iam::").ok_or_else(invalid)?;
        let (owner, resource) = rest.split_once(':').ok_or_else(invalid)?;
        let path_and_name = resource.strip_prefix("policy/").ok_or_else(invalid)?;
        let name = path_and_name.rsplit('/').next().unwrap_or_default();
        if name.is_empty() || owner.is_empty() {
            return Err(invalid());
        }
        Ok(PolicyArn {
            owner: owner.to_owned(),
            name: name.to_owned(),
        })
    }
}

pub fn policy_arn(account: &str, policy: &PolicyRecord) -> String {
    arn(account, "policy", &policy.path, &policy.name)
}

/// A policy as GetPolicy answers it; `full: false` as ListPolicies lists it
/// (without description and tags).
fn policy_shape(account: &str, policy: &PolicyRecord, usage: Usage, full: bool) -> Policy {
    Policy {
        policy_name: Some(policy.name.clone()),
        policy_id: Some(policy.id.clone()),
        arn: Some(policy_arn(account, policy)),
        path: Some(policy.path.clone()),
        default_version_id: Some(policy.default_version.clone()),
        attachment_count: Some(usage.attachments),
        permissions_boundary_usage_count: Some(usage.boundaries),
        is_attachable: Some(true),
        description: policy.description.clone().filter(|_| full),
        create_date: Some(timestamp(policy.created)),
        update_date: Some(timestamp(policy.updated)),
        tags: if full { tag_list(&policy.tags) } else { None },
    }
}

fn aws_policy_shape(policy: &AwsPolicy, usage: Usage, full: bool) -> Policy {
    Policy {
        policy_name: Some(policy.name.clone()),
        policy_id: Some(policy.policy_id.clone()),
        arn: Some(policy.arn.clone()),
        path: Some(policy.path.clone()),
        default_version_id: Some(policy.default_version_id.clone()),
        attachment_count: Some(usage.attachments),
        permissions_boundary_usage_count: Some(usage.boundaries),
        is_attachable: Some(true),
        description: policy.description.clone().filter(|_| full),
        create_date: Some(timestamp(managed::millis(&policy.create_date))),
        update_date: Some(timestamp(managed::millis(&policy.update_date))),
        tags: None,
    }
}

fn version_shape(version: &VersionRecord, default: &str, with_document: bool) -> PolicyVersion {
    PolicyVersion {
        document: with_document.then(|| encode_document(&version.document)),
        version_id: Some(version.id.clone()),
        is_default_version: Some(version.id == default),
        create_date: Some(timestamp(version.created)),
    }
}

/// The customer policy the ARN names in the caller's account.
pub(crate) fn customer_policy(table: &impl Read, account: &str, arn: &str) -> Result<PolicyRecord, AwsError> {
    let parsed = PolicyArn::parse(arn)?;
    let found = if parsed.owner == account {
        table.load::<PolicyRecord>(Kind::Policy, &parsed.name)?
    } else {
        None
    };
    found
        .filter(|policy| policy_arn(account, policy) == arn)
        .ok_or_else(|| policy_not_found(arn))
}

/// An AWS managed policy as a record (one version), for the version calls.
fn aws_as_record(policy: &AwsPolicy) -> PolicyRecord {
    let created = managed::millis(&policy.create_date);
    PolicyRecord {
        name: policy.name.clone(),
        path: policy.path.clone(),
        id: policy.policy_id.clone(),
        created,
        updated: managed::millis(&policy.update_date),
        description: policy.description.clone(),
        default_version: policy.default_version_id.clone(),
        versions: vec![VersionRecord {
            id: policy.default_version_id.clone(),
            document: policy.document.to_string(),
            created: managed::millis(&policy.update_date),
        }],
        ..PolicyRecord::default()
    }
}

/// A customer policy of the account, or an AWS managed one.
fn any_policy(table: &impl Read, account: &str, arn: &str) -> Result<PolicyRecord, AwsError> {
    match managed::find(arn) {
        Some(policy) => Ok(aws_as_record(policy)),
        None => customer_policy(table, account, arn),
    }
}

impl Iam {
    pub(crate) async fn create_policy(
        &self,
        ctx: &RequestContext,
        input: CreatePolicyRequest,
    ) -> Result<CreatePolicyResponse, AwsError> {
        check_document(&input.policy_document, PolicyKind::Identity)?;
        let tags = check_tags(input.tags.unwrap_or_default())?;
        let now = self.now();
        let record = PolicyRecord {
            name: input.policy_name,
            path: path_or_root(input.path),
            id: new_id(IdKind::Policy),
            created: now,
            updated: now,
            description: input.description,
            tags,
            default_version: "v1".to_owned(),
            versions: vec![VersionRecord {
                id: "v1".to_owned(),
                document: input.policy_document,
                created: now,
            }],
            next_version: 2,
        };
        let account = ctx.account_id.clone();
        let shape = policy_shape(&account, &record, Usage::default(), true);
        self.write(&account, move |table| {
            if table.load::<PolicyRecord>(Kind::Policy, &record.name)?.is_some() {
                return Err(entity_already_exists(format!(
                    "A policy called {} already exists. Duplicate names are not allowed.",
                    record.name
                )));
            }
            save(table, Kind::Policy, &record.name, &record)
        })
        .await?;
        Ok(CreatePolicyResponse { policy: Some(shape) })
    }

    pub(crate) async fn get_policy(
        &self,
        ctx: &RequestContext,
        input: GetPolicyRequest,
    ) -> Result<GetPolicyResponse, AwsError> {
        let account = ctx.account_id.clone();
        let arn = input.policy_arn;
        let policy = self
            .read(&account.clone(), move |table| {
                let use_count = usage(table, &arn)?;
                Ok(match managed::find(&arn) {
                    Some(policy) => aws_policy_shape(policy, use_count, true),
                    None => policy_shape(
                        &account,
                        &customer_policy(table, &account, &arn)?,
                        use_count,
                        true,
                    ),
                })
            })
            .await?;
        Ok(GetPolicyResponse { policy: Some(policy) })
    }

    pub(crate) async fn list_policies(
        &self,
        ctx: &RequestContext,
        input: ListPoliciesRequest,
    ) -> Result<ListPoliciesResponse, AwsError> {
        let account = ctx.account_id.clone();
        let scope = input.scope.clone().unwrap_or_else(|| "All".to_owned());
        let listed = self
            .read(&account.clone(), move |table| {
                let mut listed = Vec::new();
                if scope != "Local" {
                    for policy in managed::all() {
                        listed.push(aws_policy_shape(policy, usage(table, &policy.arn)?, false));
                    }
                }
                if scope != "AWS" {
                    for policy in table.all::<PolicyRecord>(Kind::Policy)? {
                        let use_count = usage(table, &policy_arn(&account, &policy))?;
                        listed.push(policy_shape(&account, &policy, use_count, false));
                    }
                }
                Ok(listed)
            })
            .await?;
        let listed: Vec<Policy> = listed
            .into_iter()
            .filter(|p| under_prefix(p.path.as_deref().unwrap_or("/"), input.path_prefix.as_deref()))
            .filter(|p| !input.only_attached.unwrap_or(false) || p.attachment_count.unwrap_or(0) > 0)
            .collect();
        let (policies, marker) = page(
            listed,
            |p| p.policy_name.clone().unwrap_or_default(),
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListPoliciesResponse {
            policies: Some(policies),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) async fn delete_policy(
        &self,
        ctx: &RequestContext,
        input: DeletePolicyRequest,
    ) -> Result<(), AwsError> {
        let account = ctx.account_id.clone();
        self.write(&account.clone(), move |table| {
            let policy = customer_policy(table, &account, &input.policy_arn)?;
            let use_count = usage(table, &input.policy_arn)?;
            if use_count.attachments > 0 || use_count.boundaries > 0 {
                return Err(delete_conflict("Cannot delete a policy attached to entities."));
            }
            if policy.versions.len() > 1 {
                return Err(delete_conflict(
                    "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
                ));
            }
            table.delete(&Kind::Policy.key(&policy.name))?;
            Ok(())
        })
        .await
    }

    pub(crate) async fn create_policy_version(
        &self,
        ctx: &RequestContext,
        input: CreatePolicyVersionRequest,
    ) -> Result<CreatePolicyVersionResponse, AwsError> {
        check_document(&input.policy_document, PolicyKind::Identity)?;
        let account = ctx.account_id.clone();
        let now = self.now();
        let (version, default) = self
            .write(&account.clone(), move |table| {
                let mut policy = customer_policy(table, &account, &input.policy_arn)?;
                if policy.versions.len() >= MAX_VERSIONS {
                    return Err(limit_exceeded(
                        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
                    ));
                }
                let version = VersionRecord {
                    id: format!("v{}", policy.next_version),
                    document: input.policy_document,
                    created: now,
                };
                policy.next_version += 1;
                policy.updated = now;
                if input.set_as_default.unwrap_or(false) {
                    policy.default_version = version.id.clone();
                }
                policy.versions.push(version.clone());
                save(table, Kind::Policy, &policy.name.clone(), &policy)?;
                Ok((version, policy.default_version))
            })
            .await?;
        Ok(CreatePolicyVersionResponse {
            policy_version: Some(version_shape(&version, &default, false)),
        })
    }

    pub(crate) async fn get_policy_version(
        &self,
        ctx: &RequestContext,
        input: GetPolicyVersionRequest,
    ) -> Result<GetPolicyVersionResponse, AwsError> {
        let account = ctx.account_id.clone();
        let (policy, arn) = (input.policy_arn.clone(), input.policy_arn);
        let policy = self
            .read(&account.clone(), move |table| {
                any_policy(table, &account, &policy)
            })
            .await?;
        let version = policy
            .versions
            .iter()
            .find(|v| v.id == input.version_id)
            .ok_or_else(|| {
                no_such_entity(format!(
                    "Policy {arn} version {} does not exist.",
                    input.version_id
                ))
            })?;
        Ok(GetPolicyVersionResponse {
            policy_version: Some(version_shape(version, &policy.default_version, true)),
        })
    }

    pub(crate) async fn list_policy_versions(
        &self,
        ctx: &RequestContext,
        input: ListPolicyVersionsRequest,
    ) -> Result<ListPolicyVersionsResponse, AwsError> {
        let account = ctx.account_id.clone();
        let arn = input.policy_arn.clone();
        let policy = self
            .read(&account.clone(), move |table| any_policy(table, &account, &arn))
            .await?;
        // Newest first, as IAM lists them.
        let versions: Vec<PolicyVersion> = policy
            .versions
            .iter()
            .rev()
            .map(|v| version_shape(v, &policy.default_version, false))
            .collect();
        let (versions, marker) = page_in_order(
            versions,
            |v| v.version_id.clone().unwrap_or_default(),
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListPolicyVersionsResponse {
            versions: Some(versions),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) async fn delete_policy_version(
        &self,
        ctx: &RequestContext,
        input: DeletePolicyVersionRequest,
    ) -> Result<(), AwsError> {
        let account = ctx.account_id.clone();
        self.write(&account.clone(), move |table| {
            let mut policy = customer_policy(table, &account, &input.policy_arn)?;
            if !policy.versions.iter().any(|v| v.id == input.version_id) {
                return Err(no_such_entity(format!(
                    "Policy {} version {} does not exist.",
                    input.policy_arn, input.version_id
                )));
            }
            if policy.default_version == input.version_id {
                return Err(delete_conflict("Cannot delete the default version of a policy."));
            }
            policy.versions.retain(|v| v.id != input.version_id);
            save(table, Kind::Policy, &policy.name.clone(), &policy)
        })
        .await
    }

    pub(crate) async fn set_default_policy_version(
        &self,
        ctx: &RequestContext,
        input: SetDefaultPolicyVersionRequest,
    ) -> Result<(), AwsError> {
        let account = ctx.account_id.clone();
        let now = self.now();
        self.write(&account.clone(), move |table| {
            let mut policy = customer_policy(table, &account, &input.policy_arn)?;
            if !policy.versions.iter().any(|v| v.id == input.version_id) {
                return Err(no_such_entity(format!(
                    "Policy {} version {} does not exist.",
                    input.policy_arn, input.version_id
                )));
            }
            policy.default_version = input.version_id;
            policy.updated = now;
            save(table, Kind::Policy, &policy.name.clone(), &policy)
        })
        .await
    }
}
