//! Changing network ACLs: CreateNetworkAcl (deny-all both ways until
//! entries allow), DeleteNetworkAcl (not the default, not while a subnet
//! uses it), Create/Replace/DeleteNetworkAclEntry (rule numbers 1-32766;
//! a default ACL gets a record at its first change) and
//! ReplaceNetworkAclAssociation (a subnet moves to another ACL of its VPC).

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;
use nimbus_store::TableMut;

use crate::network_acls::{
    ASSOCIATION_PREFIX, Association, acl_key, acl_missing, association_key, default_acl, default_acl_id,
    default_association_id, entry,
};
use crate::records::{SUBNET_PREFIX, namespace_of, vpc_key};
use crate::{Ec2, errors, ids, tags};

/// The ACL `id` as stored, or a VPC's default ACL as made (its first change
/// gives it a record).
fn acl(table: &TableMut<'_>, id: &str) -> Result<NetworkAcl, AwsError> {
    if let Some(stored) = table.get_json::<NetworkAcl>(&acl_key(id))? {
        return Ok(stored);
    }
    for entry in table.scan(crate::records::VPC_PREFIX)? {
        let vpc: Vpc = entry?.decode()?;
        if default_acl_id(vpc.vpc_id.as_deref().unwrap_or_default()) == id {
            return Ok(default_acl(&vpc));
        }
    }
    Err(acl_missing(id))
}

/// One entry as asked (a rule number of 1 to 32766, a CIDR, ports for TCP/UDP).
fn new_entry(
    number: i32,
    protocol: &str,
    action: &str,
    egress: bool,
    cidr: Option<String>,
    ports: Option<PortRange>,
) -> Result<NetworkAclEntry, AwsError> {
    if !(1..=32766).contains(&number) {
        return Err(errors::invalid_parameter(format!(
            "Value ({number}) for parameter ruleNumber is invalid. Rule numbers must be between 1 and 32766."
        )));
    }
    if !matches!(action, "allow" | "deny") {
        return Err(errors::invalid_parameter(format!(
            "Value ({action}) for parameter ruleAction is invalid."
        )));
    }
    let protocol = match protocol {
        "tcp" => "6",
        "udp" => "17",
        "icmp" => "1",
        "all" => "-1",
        other => other,
    };
    if matches!(protocol, "6" | "17") && ports.is_none() {
        return Err(errors::client(
            "MissingParameter",
            "The request must contain the parameter portRange",
        ));
    }
    Ok(NetworkAclEntry {
        cidr_block: Some(cidr.ok_or_else(|| {
            errors::client(
                "MissingParameter",
                "The request must contain the parameter cidrBlock or ipv6CidrBlock",
            )
        })?),
        egress: Some(egress),
        protocol: Some(protocol.to_owned()),
        rule_action: Some(action.to_owned()),
        rule_number: Some(number),
        port_range: ports,
        ..Default::default()
    })
}

fn same_rule(e: &NetworkAclEntry, number: i32, egress: bool) -> bool {
    e.rule_number == Some(number) && e.egress == Some(egress)
}

/// Changes an ACL's entries in one write.
async fn change_entries(
    ec2: &Ec2,
    ctx: &RequestContext,
    id: String,
    change: impl FnOnce(&mut Vec<NetworkAclEntry>) -> Result<(), AwsError> + Send + 'static,
) -> Result<(), AwsError> {
    let ns = namespace_of(ctx)?;
    ec2.store
        .write(move |txn| {
            let mut table = txn.open(&ns)?;
            let mut found = acl(&table, &id)?;
            found.associations = Some(vec![]);
            change(found.entries.get_or_insert_with(Vec::new))?;
            table.put_json(&acl_key(&id), &found)?;
            Ok::<_, AwsError>(())
        })
        .await?;
    ec2.sync_forwards(ctx).await;
    Ok(())
}

impl Ec2 {
    pub(crate) async fn create_network_acl(
        &self,
        ctx: &RequestContext,
        input: CreateNetworkAclRequest,
    ) -> Result<CreateNetworkAclResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        let acl_tags = tags::from_specifications(input.tag_specifications.as_deref(), "network-acl")?;
        errors::check_dry_run(input.dry_run)?;
        let (ns, owner) = (namespace_of(ctx)?, ctx.account_id.clone());
        let made = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                if table.get(&vpc_key(&input.vpc_id))?.is_none() {
                    return Err(errors::vpc_missing(&input.vpc_id));
                }
                let made = NetworkAcl {
                    associations: Some(vec![]),
                    entries: Some(vec![entry(true, 32767, "deny"), entry(false, 32767, "deny")]),
                    is_default: Some(false),
                    network_acl_id: Some(ids::new_id("acl")),
                    tags: acl_tags,
                    vpc_id: Some(input.vpc_id),
                    owner_id: Some(owner),
                };
                table.put_json(
                    &acl_key(made.network_acl_id.as_deref().unwrap_or_default()),
                    &made,
                )?;
                Ok(made)
            })
            .await?;
        Ok(CreateNetworkAclResult {
            network_acl: Some(made),
            client_token: input.client_token,
        })
    }

    pub(crate) async fn delete_network_acl(
        &self,
        ctx: &RequestContext,
        input: DeleteNetworkAclRequest,
    ) -> Result<(), AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let (ns, id) = (namespace_of(ctx)?, input.network_acl_id);
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let found = acl(&table, &id)?;
                if found.is_default == Some(true) {
                    return Err(errors::client(
                        "InvalidParameterValue",
                        format!("cannot delete default network ACL {id}"),
                    ));
                }
                for entry in table.scan(ASSOCIATION_PREFIX)? {
                    if entry?.decode::<Association>()?.network_acl_id == id {
                        return Err(errors::client(
                            "DependencyViolation",
                            format!("The network ACL '{id}' has dependencies and cannot be deleted."),
                        ));
                    }
                }
                table.delete(&acl_key(&id))?;
                Ok(())
            })
            .await
    }

    pub(crate) async fn create_network_acl_entry(
        &self,
        ctx: &RequestContext,
        input: CreateNetworkAclEntryRequest,
    ) -> Result<(), AwsError> {
        self.put_entry(ctx, input, false).await
    }

    pub(crate) async fn replace_network_acl_entry(
        &self,
        ctx: &RequestContext,
        input: ReplaceNetworkAclEntryRequest,
    ) -> Result<(), AwsError> {
        // The same members as CreateNetworkAclEntry's.
        let input = CreateNetworkAclEntryRequest {
            dry_run: input.dry_run,
            network_acl_id: input.network_acl_id,
            rule_number: input.rule_number,
            protocol: input.protocol,
            rule_action: input.rule_action,
            egress: input.egress,
            cidr_block: input.cidr_block,
            ipv6_cidr_block: input.ipv6_cidr_block,
            icmp_type_code: input.icmp_type_code,
            port_range: input.port_range,
        };
        self.put_entry(ctx, input, true).await
    }

    /// Adds an entry (refused when its rule exists) or replaces one (refused
    /// when it does not).
    async fn put_entry(
        &self,
        ctx: &RequestContext,
        input: CreateNetworkAclEntryRequest,
        replace: bool,
    ) -> Result<(), AwsError> {
        let (number, egress) = (input.rule_number, input.egress);
        let made = new_entry(
            number,
            &input.protocol,
            &input.rule_action,
            egress,
            input.cidr_block,
            input.port_range,
        )?;
        errors::check_dry_run(input.dry_run)?;
        change_entries(self, ctx, input.network_acl_id, move |entries| {
            let existing = entries.iter().position(|e| same_rule(e, number, egress));
            match (existing, replace) {
                (Some(_), false) => Err(errors::client(
                    "NetworkAclEntryAlreadyExists",
                    format!("The network acl entry identified by {number} already exists."),
                )),
                (None, true) => Err(errors::client(
                    "InvalidNetworkAclEntry.NotFound",
                    format!("The network acl entry identified by {number} does not exist."),
                )),
                (Some(at), true) => {
                    entries[at] = made;
                    Ok(())
                }
                (None, false) => {
                    entries.push(made);
                    Ok(())
                }
            }
        })
        .await
    }

    pub(crate) async fn delete_network_acl_entry(
        &self,
        ctx: &RequestContext,
        input: DeleteNetworkAclEntryRequest,
    ) -> Result<(), AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let (number, egress) = (input.rule_number, input.egress);
        change_entries(self, ctx, input.network_acl_id, move |entries| {
            let before = entries.len();
            entries.retain(|e| !same_rule(e, number, egress) || number == 32767);
            if entries.len() == before {
                return Err(errors::client(
                    "InvalidNetworkAclEntry.NotFound",
                    format!("The network acl entry identified by {number} does not exist."),
                ));
            }
            Ok(())
        })
        .await
    }

    pub(crate) async fn replace_network_acl_association(
        &self,
        ctx: &RequestContext,
        input: ReplaceNetworkAclAssociationRequest,
    ) -> Result<ReplaceNetworkAclAssociationResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let ns = namespace_of(ctx)?;
        let (association, target) = (input.association_id, input.network_acl_id);
        let new_id = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let wanted = acl(&table, &target)?;
                let mut subnet_found = None;
                for entry in table.scan(SUBNET_PREFIX)? {
                    let subnet: Subnet = entry?.decode()?;
                    let id = subnet.subnet_id.clone().unwrap_or_default();
                    let current = table
                        .get_json::<Association>(&association_key(&id))?
                        .map(|a| a.association_id);
                    if current.unwrap_or_else(|| default_association_id(&id)) == association {
                        subnet_found = Some(subnet);
                    }
                }
                let Some(subnet) = subnet_found else {
                    return Err(errors::client(
                        "InvalidAssociationID.NotFound",
                        format!("The association ID '{association}' does not exist"),
                    ));
                };
                if subnet.vpc_id != wanted.vpc_id {
                    return Err(errors::invalid_parameter(
                        "Network ACL and subnet must belong to the same VPC",
                    ));
                }
                let subnet_id = subnet.subnet_id.unwrap_or_default();
                let new_id = ids::new_id("aclassoc");
                let record = Association {
                    association_id: new_id.clone(),
                    network_acl_id: target,
                };
                table.put_json(&association_key(&subnet_id), &record)?;
                Ok::<_, AwsError>(new_id)
            })
            .await?;
        self.sync_forwards(ctx).await;
        Ok(ReplaceNetworkAclAssociationResult {
            new_association_id: Some(new_id),
        })
    }
}
