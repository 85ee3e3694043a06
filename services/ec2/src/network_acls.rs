//! Network ACLs: every VPC's default ACL (rule 100 allows all traffic
//! each way, `*` denies the rest) and the account's own (`acl/<id>`; a
//! default ACL gets a record once its entries change). A subnet is
//! associated with its VPC's default ACL unless `aclassoc/<subnet>` names
//! another. `acl_allows` evaluates entries as AWS does: by rule number,
//! the first that matches decides.

use std::net::Ipv4Addr;

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;
use serde::{Deserialize, Serialize};

use crate::filters::{self, Values};
use crate::records::{SUBNET_PREFIX, VPC_PREFIX};
use crate::{Ec2, errors, ids};

pub const ACL_PREFIX: &[u8] = b"acl/";
pub const ASSOCIATION_PREFIX: &[u8] = b"aclassoc/";

pub fn acl_key(id: &str) -> Vec<u8> {
    [ACL_PREFIX, id.as_bytes()].concat()
}

pub fn association_key(subnet: &str) -> Vec<u8> {
    [ASSOCIATION_PREFIX, subnet.as_bytes()].concat()
}

/// A subnet's ACL other than its VPC's default.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Association {
    pub association_id: String,
    pub network_acl_id: String,
}

pub fn acl_missing(id: &str) -> AwsError {
    errors::client(
        "InvalidNetworkAclID.NotFound",
        format!("The networkAcl ID '{id}' does not exist"),
    )
}

pub fn entry(egress: bool, number: i32, action: &str) -> NetworkAclEntry {
    NetworkAclEntry {
        cidr_block: Some("0.0.0.0/0".to_owned()),
        egress: Some(egress),
        protocol: Some("-1".to_owned()),
        rule_action: Some(action.to_owned()),
        rule_number: Some(number),
        ..Default::default()
    }
}

/// The id of a VPC's default ACL.
pub fn default_acl_id(vpc: &str) -> String {
    ids::derived("acl", vpc)
}

/// A subnet's association with its VPC's default ACL.
pub fn default_association_id(subnet: &str) -> String {
    ids::derived("aclassoc", subnet)
}

/// A VPC's default ACL as made (no associations).
pub fn default_acl(vpc: &Vpc) -> NetworkAcl {
    let vpc_id = vpc.vpc_id.clone().unwrap_or_default();
    NetworkAcl {
        associations: Some(vec![]),
        entries: Some(vec![
            entry(true, 100, "allow"),
            entry(true, 32767, "deny"),
            entry(false, 100, "allow"),
            entry(false, 32767, "deny"),
        ]),
        is_default: Some(true),
        network_acl_id: Some(default_acl_id(&vpc_id)),
        tags: None,
        vpc_id: Some(vpc_id),
        owner_id: vpc.owner_id.clone(),
    }
}

/// Every ACL of the region, with its subnets' associations.
pub fn assemble(
    vpcs: &[Vpc],
    stored: Vec<NetworkAcl>,
    subnets: &[Subnet],
    associations: &[(String, Association)],
) -> Vec<NetworkAcl> {
    let mut all = stored;
    for vpc in vpcs {
        let id = default_acl_id(vpc.vpc_id.as_deref().unwrap_or_default());
        if !all
            .iter()
            .any(|a| a.network_acl_id.as_deref() == Some(id.as_str()))
        {
            all.push(default_acl(vpc));
        }
    }
    for subnet in subnets {
        let subnet_id = subnet.subnet_id.clone().unwrap_or_default();
        let (association_id, acl_id) = match associations.iter().find(|(s, _)| *s == subnet_id) {
            Some((_, a)) => (a.association_id.clone(), a.network_acl_id.clone()),
            None => (
                default_association_id(&subnet_id),
                default_acl_id(subnet.vpc_id.as_deref().unwrap_or_default()),
            ),
        };
        if let Some(acl) = all
            .iter_mut()
            .find(|a| a.network_acl_id.as_deref() == Some(acl_id.as_str()))
        {
            acl.associations
                .get_or_insert_with(Vec::new)
                .push(NetworkAclAssociation {
                    network_acl_association_id: Some(association_id),
                    network_acl_id: Some(acl_id.clone()),
                    subnet_id: Some(subnet_id),
                });
        }
    }
    all
}

/// Whether an ACL's entries let TCP to `port` through (in, or out when
/// `egress`) for `peer`: the lowest-numbered matching rule decides.
pub fn acl_allows(entries: &[NetworkAclEntry], egress: bool, peer: Ipv4Addr, port: u16) -> bool {
    let mut rules: Vec<&NetworkAclEntry> = entries.iter().filter(|e| e.egress == Some(egress)).collect();
    rules.sort_by_key(|e| e.rule_number.unwrap_or(i32::MAX));
    let matches = |e: &NetworkAclEntry| {
        let protocol = matches!(e.protocol.as_deref(), Some("-1" | "6" | "tcp"));
        let cidr = e
            .cidr_block
            .as_deref()
            .and_then(|c| c.parse::<ipnet::Ipv4Net>().ok())
            .is_some_and(|n| n.contains(&peer));
        let ports = e.port_range.as_ref().is_none_or(|r| {
            let port = i32::from(port);
            r.from.is_none_or(|from| from <= port) && r.to.is_none_or(|to| port <= to)
        });
        protocol && cidr && (e.protocol.as_deref() == Some("-1") || ports)
    };
    rules
        .into_iter()
        .find(|e| matches(e))
        .is_some_and(|e| e.rule_action.as_deref() == Some("allow"))
}

fn decoded<T: serde::de::DeserializeOwned>(all: Vec<Vec<u8>>) -> Vec<T> {
    all.iter()
        .filter_map(|b| serde_json::from_slice(b).ok())
        .collect()
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
    /// Every ACL of the caller's region, with associations.
    pub(crate) async fn network_acls(
        &self,
        account: &str,
        region: &str,
    ) -> Result<Vec<NetworkAcl>, AwsError> {
        let ns = nimbus_store::Namespace::regional("ec2", account, region)?;
        let vpcs: Vec<Vpc> = decoded(self.store.values_under(&ns, VPC_PREFIX).await?);
        let subnets: Vec<Subnet> = decoded(self.store.values_under(&ns, SUBNET_PREFIX).await?);
        let stored: Vec<NetworkAcl> = decoded(self.store.values_under(&ns, ACL_PREFIX).await?);
        let associations: Vec<(String, Association)> = self
            .store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let mut all = Vec::new();
                for entry in table.scan(ASSOCIATION_PREFIX)? {
                    let entry = entry?;
                    let subnet = entry
                        .key_str()
                        .and_then(|k| k.strip_prefix("aclassoc/"))
                        .unwrap_or_default()
                        .to_owned();
                    all.push((subnet, entry.decode::<Association>()?));
                }
                Ok::<_, AwsError>(all)
            })
            .await?;
        Ok(assemble(&vpcs, stored, &subnets, &associations))
    }

    pub(crate) async fn describe_network_acls(
        &self,
        ctx: &RequestContext,
        input: DescribeNetworkAclsRequest,
    ) -> Result<DescribeNetworkAclsResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let all = self.network_acls(&ctx.account_id, &ctx.region).await?;
        let ids = input.network_acl_ids.unwrap_or_default();
        let chosen = filters::select(
            all,
            &ids,
            |a| a.network_acl_id.as_ref(),
            input.filters.as_deref().unwrap_or_default(),
            values,
            acl_missing,
        )?;
        let (acls, next_token) = crate::paging::page(chosen, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeNetworkAclsResult {
            network_acls: Some(acls),
            next_token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(
        number: i32,
        egress: bool,
        action: &str,
        cidr: &str,
        ports: Option<(i32, i32)>,
    ) -> NetworkAclEntry {
        NetworkAclEntry {
            cidr_block: Some(cidr.into()),
            egress: Some(egress),
            protocol: Some(if ports.is_some() { "6" } else { "-1" }.into()),
            rule_action: Some(action.into()),
            rule_number: Some(number),
            port_range: ports.map(|(from, to)| PortRange {
                from: Some(from),
                to: Some(to),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_lowest_matching_rule_decides_each_way() {
        let caller = Ipv4Addr::LOCALHOST;
        let entries = vec![
            rule(32767, false, "deny", "0.0.0.0/0", None),
            rule(100, false, "allow", "0.0.0.0/0", Some((80, 80))),
            rule(50, false, "deny", "10.0.0.0/8", None),
            rule(100, true, "allow", "0.0.0.0/0", Some((1024, 65535))),
        ];
        assert!(acl_allows(&entries, false, caller, 80));
        assert!(
            !acl_allows(&entries, false, caller, 22),
            "only the catch-all deny matches"
        );
        assert!(
            !acl_allows(&entries, false, Ipv4Addr::new(10, 1, 2, 3), 80),
            "rule 50 first"
        );
        assert!(acl_allows(&entries, true, caller, 40_000));
        assert!(
            !acl_allows(&entries, true, caller, 80),
            "no outbound rule: denied"
        );
        let mut later = entries.clone();
        later.push(rule(10, false, "deny", "127.0.0.0/8", None));
        assert!(!acl_allows(&later, false, caller, 80));
    }
}
