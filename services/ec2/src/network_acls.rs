//! Network ACLs: every VPC's default ACL (rule 100 allows all traffic
//! each way, `*` denies the rest), associated with each of its subnets.
//! Its ids are derived from the VPC's and the subnets', so it needs no
//! record of its own until ACLs of the account's own come.

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;

use crate::filters::{self, Values};
use crate::records::{SUBNET_PREFIX, VPC_PREFIX, namespace_of};
use crate::{Ec2, errors, ids};

fn entry(egress: bool, number: i32, action: &str) -> NetworkAclEntry {
    NetworkAclEntry {
        cidr_block: Some("0.0.0.0/0".to_owned()),
        egress: Some(egress),
        protocol: Some("-1".to_owned()),
        rule_action: Some(action.to_owned()),
        rule_number: Some(number),
        ..Default::default()
    }
}

fn default_acl(vpc: &Vpc, subnets: &[Subnet]) -> NetworkAcl {
    let vpc_id = vpc.vpc_id.clone().unwrap_or_default();
    let id = ids::derived("acl", &vpc_id);
    let associations = subnets
        .iter()
        .filter(|s| s.vpc_id.as_deref() == Some(vpc_id.as_str()))
        .map(|subnet| NetworkAclAssociation {
            network_acl_association_id: Some(ids::derived(
                "aclassoc",
                subnet.subnet_id.as_deref().unwrap_or_default(),
            )),
            network_acl_id: Some(id.clone()),
            subnet_id: subnet.subnet_id.clone(),
        })
        .collect();
    NetworkAcl {
        associations: Some(associations),
        entries: Some(vec![
            entry(true, 100, "allow"),
            entry(true, 32767, "deny"),
            entry(false, 100, "allow"),
            entry(false, 32767, "deny"),
        ]),
        is_default: Some(true),
        network_acl_id: Some(id),
        tags: None,
        vpc_id: Some(vpc_id),
        owner_id: vpc.owner_id.clone(),
    }
}

fn values(acl: &NetworkAcl) -> Values<'_> {
    Box::new(move |name| {
        let one = |value: &Option<String>| Some(value.iter().cloned().collect());
        let associations = acl.associations.iter().flatten();
        match name {
            "network-acl-id" => one(&acl.network_acl_id),
            "vpc-id" => one(&acl.vpc_id),
            "owner-id" => one(&acl.owner_id),
            "default" => Some(vec![acl.is_default.unwrap_or(false).to_string()]),
            "association.subnet-id" => Some(associations.filter_map(|a| a.subnet_id.clone()).collect()),
            "association.network-acl-id" => {
                Some(associations.filter_map(|a| a.network_acl_id.clone()).collect())
            }
            "association.association-id" => Some(
                associations
                    .filter_map(|a| a.network_acl_association_id.clone())
                    .collect(),
            ),
            other => filters::tag_values(acl.tags.as_ref(), other),
        }
    })
}

impl Ec2 {
    pub(crate) async fn describe_network_acls(
        &self,
        ctx: &RequestContext,
        input: DescribeNetworkAclsRequest,
    ) -> Result<DescribeNetworkAclsResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let ns = namespace_of(ctx)?;
        let vpcs = self.store.values_under(&ns, VPC_PREFIX).await?;
        let subnets: Vec<Subnet> = (self.store.values_under(&ns, SUBNET_PREFIX).await?.iter())
            .filter_map(|bytes| serde_json::from_slice(bytes).ok())
            .collect();
        let all: Vec<NetworkAcl> = vpcs
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<Vpc>(bytes).ok())
            .map(|vpc| default_acl(&vpc, &subnets))
            .collect();
        let ids = input.network_acl_ids.unwrap_or_default();
        if let Some(unknown) = ids
            .iter()
            .find(|id| !all.iter().any(|a| a.network_acl_id.as_ref() == Some(*id)))
        {
            return Err(errors::client(
                "InvalidNetworkAclID.NotFound",
                format!("The networkAcl ID '{unknown}' does not exist"),
            ));
        }
        let filters = input.filters.unwrap_or_default();
        let mut acls = Vec::new();
        for acl in all {
            let named = ids.is_empty() || ids.iter().any(|id| acl.network_acl_id.as_ref() == Some(id));
            if named && filters::matches(&filters, &values(&acl))? {
                acls.push(acl);
            }
        }
        let (acls, next_token) = crate::paging::page(acls, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeNetworkAclsResult {
            network_acls: Some(acls),
            next_token,
        })
    }
}
