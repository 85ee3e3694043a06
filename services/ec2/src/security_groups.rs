//! Security groups: every VPC's `default` group (all traffic in from its
//! own members, all out), the account's own (all out until told
//! otherwise), their rules (`sg_rules`), described with filters, deleted
//! when nothing refers to them.

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;
use serde::{Deserialize, Serialize};

use crate::filters::{self, Values};
use crate::records::{SG_PREFIX, VPC_PREFIX, namespace_of, sg_key};
use crate::sg_rules::{self, Asked};
use crate::{Ec2, errors, ids, tags};

/// A group and its rules, each with its id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupRecord {
    pub group: SecurityGroup,
    #[serde(default)]
    pub rules: Vec<SecurityGroupRule>,
}

pub fn group_missing(id: &str) -> AwsError {
    errors::client(
        "InvalidGroup.NotFound",
        format!("The security group '{id}' does not exist"),
    )
}

fn all_out(group: &str, owner: &str) -> SecurityGroupRule {
    SecurityGroupRule {
        security_group_rule_id: Some(ids::new_id("sgr")),
        group_id: Some(group.to_owned()),
        group_owner_id: Some(owner.to_owned()),
        is_egress: Some(true),
        ip_protocol: Some("-1".to_owned()),
        cidr_ipv4: Some("0.0.0.0/0".to_owned()),
        ..Default::default()
    }
}

fn new_group(ctx: &RequestContext, vpc: &str, name: &str, description: &str) -> GroupRecord {
    let id = ids::new_id("sg");
    let owner = ctx.account_id.clone();
    GroupRecord {
        rules: vec![all_out(&id, &owner)],
        group: SecurityGroup {
            security_group_arn: Some(format!("arn:aws:ec2:{}:{owner}:security-group/{id}", ctx.region)),
            group_id: Some(id),
            vpc_id: Some(vpc.to_owned()),
            owner_id: Some(owner),
            group_name: Some(name.to_owned()),
            description: Some(description.to_owned()),
            ..Default::default()
        },
    }
}

/// A VPC's `default` group: all traffic in from its members, all out.
pub fn default_group(ctx: &RequestContext, vpc: &str) -> GroupRecord {
    let mut record = new_group(ctx, vpc, "default", "default VPC security group");
    let id = record.group.group_id.clone().unwrap_or_default();
    record.rules.insert(
        0,
        SecurityGroupRule {
            security_group_rule_id: Some(ids::new_id("sgr")),
            group_id: Some(id.clone()),
            group_owner_id: Some(ctx.account_id.clone()),
            is_egress: Some(false),
            ip_protocol: Some("-1".to_owned()),
            referenced_group_info: Some(ReferencedSecurityGroup {
                group_id: Some(id),
                user_id: Some(ctx.account_id.clone()),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    record
}

/// The group as DescribeSecurityGroups shows it: its rules as permissions.
pub fn described(record: &GroupRecord) -> SecurityGroup {
    SecurityGroup {
        ip_permissions: Some(sg_rules::permissions(&record.rules, false)),
        ip_permissions_egress: Some(sg_rules::permissions(&record.rules, true)),
        ..record.group.clone()
    }
}

fn values(group: &SecurityGroup) -> Values<'_> {
    Box::new(move |name| {
        let one = |value: &Option<String>| Some(value.iter().cloned().collect());
        match name {
            "group-id" => one(&group.group_id),
            "group-name" => one(&group.group_name),
            "vpc-id" => one(&group.vpc_id),
            "description" => one(&group.description),
            "owner-id" => one(&group.owner_id),
            other => filters::tag_values(group.tags.as_ref(), other),
        }
    })
}

fn check_name(name: &str) -> Result<(), AwsError> {
    if name.to_ascii_lowercase().starts_with("sg-") {
        return Err(errors::invalid_parameter(format!(
            "Value ({name}) for parameter GroupName is invalid. Group names may not be in the format sg-*."
        )));
    }
    if name.is_empty() || name.chars().count() > 255 {
        return Err(errors::invalid_parameter(format!(
            "Invalid value '{name}' for groupName. Length of group name must be between 1 and 255."
        )));
    }
    Ok(())
}

impl Ec2 {
    /// Every security group of the region, with its rules.
    pub(crate) async fn groups(&self, ctx: &RequestContext) -> Result<Vec<GroupRecord>, AwsError> {
        let stored = self.store.values_under(&namespace_of(ctx)?, SG_PREFIX).await?;
        Ok(stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice(bytes).ok())
            .collect())
    }

    /// The region's default VPC's id.
    async fn default_vpc(&self, ctx: &RequestContext) -> Result<String, AwsError> {
        let stored = self.store.values_under(&namespace_of(ctx)?, VPC_PREFIX).await?;
        let vpcs = stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<Vpc>(bytes).ok());
        let default = vpcs
            .into_iter()
            .find(|v| v.is_default == Some(true))
            .and_then(|v| v.vpc_id);
        default.ok_or_else(|| errors::client("VPCIdNotSpecified", "No default VPC for this user"))
    }

    /// The group an id names, or a name names in the default VPC.
    pub(crate) async fn group_named(
        &self,
        ctx: &RequestContext,
        id: Option<&str>,
        name: Option<&str>,
    ) -> Result<GroupRecord, AwsError> {
        let groups = self.groups(ctx).await?;
        if let Some(id) = id {
            return groups
                .into_iter()
                .find(|g| g.group.group_id.as_deref() == Some(id))
                .ok_or_else(|| group_missing(id));
        }
        let name = name.unwrap_or_default();
        let vpc = self.default_vpc(ctx).await?;
        let found = groups.into_iter().find(|g| {
            g.group.group_name.as_deref() == Some(name) && g.group.vpc_id.as_deref() == Some(vpc.as_str())
        });
        found.ok_or_else(|| {
            errors::client(
                "InvalidGroup.NotFound",
                format!("The security group '{name}' does not exist in default VPC '{vpc}'"),
            )
        })
    }

    pub(crate) async fn create_security_group(
        &self,
        ctx: &RequestContext,
        input: CreateSecurityGroupRequest,
    ) -> Result<CreateSecurityGroupResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        check_name(&input.group_name)?;
        let vpc = match input.vpc_id {
            Some(vpc) => vpc,
            None => self.default_vpc(ctx).await?,
        };
        let ns = namespace_of(ctx)?;
        if self
            .store
            .get_json::<Vpc>(&ns, &crate::records::vpc_key(&vpc))
            .await?
            .is_none()
        {
            return Err(errors::vpc_missing(&vpc));
        }
        let mut record = new_group(ctx, &vpc, &input.group_name, &input.description);
        record.group.tags = tags::from_specifications(input.tag_specifications.as_deref(), "security-group")?;
        errors::check_dry_run(input.dry_run)?;
        let stored = record.clone();
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                for entry in table.scan(SG_PREFIX)? {
                    let other: GroupRecord = entry?.decode()?;
                    if other.group.vpc_id == stored.group.vpc_id
                        && other.group.group_name == stored.group.group_name
                    {
                        let name = stored.group.group_name.clone().unwrap_or_default();
                        return Err(errors::client(
                            "InvalidGroup.Duplicate",
                            format!("The security group '{name}' already exists for VPC '{vpc}'"),
                        ));
                    }
                }
                table.put_json(
                    &sg_key(stored.group.group_id.as_deref().unwrap_or_default()),
                    &stored,
                )?;
                Ok(())
            })
            .await?;
        Ok(CreateSecurityGroupResult {
            group_id: record.group.group_id,
            tags: record.group.tags,
            security_group_arn: record.group.security_group_arn,
        })
    }

    pub(crate) async fn describe_security_groups(
        &self,
        ctx: &RequestContext,
        input: DescribeSecurityGroupsRequest,
    ) -> Result<DescribeSecurityGroupsResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let all = self.groups(ctx).await?;
        let ids = input.group_ids.unwrap_or_default();
        if let Some(unknown) = ids
            .iter()
            .find(|id| !all.iter().any(|g| g.group.group_id.as_ref() == Some(*id)))
        {
            return Err(group_missing(unknown));
        }
        let names = input.group_names.unwrap_or_default();
        let filters = input.filters.unwrap_or_default();
        let mut groups = Vec::new();
        for record in &all {
            let group = &record.group;
            let by_id = ids.is_empty() || ids.iter().any(|id| group.group_id.as_ref() == Some(id));
            let by_name = names.is_empty() || names.iter().any(|n| group.group_name.as_ref() == Some(n));
            if by_id && by_name && filters::matches(&filters, &values(group))? {
                groups.push(described(record));
            }
        }
        let (groups, next_token) =
            crate::paging::page(groups, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeSecurityGroupsResult {
            security_groups: Some(groups),
            next_token,
        })
    }

    pub(crate) async fn delete_security_group(
        &self,
        ctx: &RequestContext,
        input: DeleteSecurityGroupRequest,
    ) -> Result<DeleteSecurityGroupResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        let record = self
            .group_named(ctx, input.group_id.as_deref(), input.group_name.as_deref())
            .await?;
        let id = record.group.group_id.clone().unwrap_or_default();
        if record.group.group_name.as_deref() == Some("default") {
            return Err(errors::client(
                "CannotDelete",
                format!("the specified group: \"{id}\" name: \"default\" cannot be deleted by a user"),
            ));
        }
        errors::check_dry_run(input.dry_run)?;
        let (ns, now) = (namespace_of(ctx)?, self.now_millis());
        let deleted = id.clone();
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                for entry in table.scan(SG_PREFIX)? {
                    let other: GroupRecord = entry?.decode()?;
                    let refers = other.rules.iter().any(|r| {
                        r.referenced_group_info
                            .as_ref()
                            .and_then(|g| g.group_id.as_deref())
                            == Some(id.as_str())
                    });
                    if refers && other.group.group_id.as_deref() != Some(id.as_str()) {
                        return Err(errors::client(
                            "DependencyViolation",
                            format!("resource {id} has a dependent object"),
                        ));
                    }
                }
                // An instance that is not terminated holds its groups.
                for entry in table.scan(crate::records::INSTANCE_PREFIX)? {
                    let record: crate::instances::InstanceRecord = entry?.decode()?;
                    let record = record.settled(now);
                    let holds = record
                        .instance
                        .security_groups
                        .iter()
                        .flatten()
                        .any(|g| g.group_id.as_deref() == Some(id.as_str()));
                    if holds && record.state() != "terminated" {
                        return Err(errors::client(
                            "DependencyViolation",
                            format!("resource {id} has a dependent object"),
                        ));
                    }
                }
                table.delete(&sg_key(&id))?;
                Ok(())
            })
            .await?;
        Ok(DeleteSecurityGroupResult {
            r#return: Some(true),
            group_id: Some(deleted),
        })
    }

    /// Adds the rules `asked` names to a group, refusing one it has.
    pub(crate) async fn authorize(
        &self,
        ctx: &RequestContext,
        (id, name): (Option<&str>, Option<&str>),
        egress: bool,
        asked: Asked<'_>,
    ) -> Result<Vec<SecurityGroupRule>, AwsError> {
        self.ensure_defaults(ctx).await?;
        let record = self.group_named(ctx, id, name).await?;
        let group = record.group.group_id.clone().unwrap_or_default();
        let added = sg_rules::rules_of(&group, &ctx.account_id, egress, &asked)?;
        let groups = self.groups(ctx).await?;
        for rule in &added {
            let named = rule
                .referenced_group_info
                .as_ref()
                .and_then(|g| g.group_id.clone());
            if let Some(other) =
                named.filter(|other| !groups.iter().any(|g| g.group.group_id.as_ref() == Some(other)))
            {
                return Err(group_missing(&other));
            }
        }
        let answer = added.clone();
        self.change_group(ctx, &group, move |record| {
            for rule in added {
                if record.rules.iter().any(|r| sg_rules::same(r, &rule)) {
                    return Err(sg_rules::duplicate(&rule));
                }
                record.rules.push(rule);
            }
            Ok(())
        })
        .await?;
        Ok(answer)
    }

    /// Removes the rules named by id or by what they allow; those not
    /// there are refused, except in the default VPC, where they are only
    /// reported (the rules it returns).
    pub(crate) async fn revoke(
        &self,
        ctx: &RequestContext,
        (id, name): (Option<&str>, Option<&str>),
        egress: bool,
        (rule_ids, asked): (Vec<String>, Asked<'_>),
    ) -> Result<Vec<SecurityGroupRule>, AwsError> {
        self.ensure_defaults(ctx).await?;
        let record = self.group_named(ctx, id, name).await?;
        let group = record.group.group_id.clone().unwrap_or_default();
        let lenient = record.group.vpc_id == self.default_vpc(ctx).await.ok();
        let named = match rule_ids.is_empty() {
            true => sg_rules::rules_of(&group, &ctx.account_id, egress, &asked)?,
            false => Vec::new(),
        };
        let not_found = || {
            errors::client(
                "InvalidPermission.NotFound",
                "The specified rule does not exist in this security group.",
            )
        };
        self.change_group(ctx, &group, move |record| {
            for id in &rule_ids {
                let at = record.rules.iter().position(|r| {
                    r.security_group_rule_id.as_ref() == Some(id) && r.is_egress == Some(egress)
                });
                record.rules.remove(at.ok_or_else(not_found)?);
            }
            let mut unknown = Vec::new();
            for rule in named {
                match record.rules.iter().position(|r| sg_rules::same(r, &rule)) {
                    Some(at) => drop(record.rules.remove(at)),
                    None if lenient => unknown.push(rule),
                    None => return Err(not_found()),
                }
            }
            Ok(unknown)
        })
        .await
    }

    async fn change_group<T: Send + 'static>(
        &self,
        ctx: &RequestContext,
        id: &str,
        change: impl FnOnce(&mut GroupRecord) -> Result<T, AwsError> + Send + 'static,
    ) -> Result<T, AwsError> {
        let (ns, key, id) = (namespace_of(ctx)?, sg_key(id), id.to_owned());
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut record: GroupRecord = table.get_json(&key)?.ok_or_else(|| group_missing(&id))?;
                let answer = change(&mut record)?;
                table.put_json(&key, &record)?;
                Ok(answer)
            })
            .await
    }
}
