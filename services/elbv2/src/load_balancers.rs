//! Load balancers: created in subnets of several zones, each zone a node
//! with an address of its own on this machine; described, deleted (unless
//! protected), and their attributes, subnets and security groups changed.

use std::collections::BTreeSet;

use nimbus_core::{AwsError, RequestContext, Timestamp};
use nimbus_elbv2_api::*;

use crate::network::{self, Subnet};
use crate::records::{self, LB_PREFIX, LoadBalancerRecord, Node, lb_key};
use crate::{Elbv2, arns, attributes, errors, nodes, paging, tags};

/// The subnets a request names, by `Subnets` or `SubnetMappings`.
fn requested_subnets(subnets: Option<&Vec<String>>, mappings: Option<&Vec<SubnetMapping>>) -> Vec<String> {
    let mut ids: Vec<String> = subnets.cloned().unwrap_or_default();
    ids.extend(mappings.into_iter().flatten().filter_map(|m| m.subnet_id.clone()));
    ids
}

/// Checks the subnets' zones and VPC for a load balancer of `lb_type`.
fn check_placement(lb_type: &str, subnets: &[Subnet]) -> Result<String, AwsError> {
    let zones: BTreeSet<&str> = subnets.iter().map(|s| s.zone.as_str()).collect();
    if zones.len() < subnets.len() {
        return Err(errors::invalid_configuration_request(
            "A load balancer cannot be attached to multiple subnets in the same Availability Zone",
        ));
    }
    if lb_type == "application" && zones.len() < 2 {
        return Err(errors::validation(
            "At least two subnets in two different Availability Zones must be specified",
        ));
    }
    let vpc = subnets.first().map(|s| s.vpc.clone()).unwrap_or_default();
    if subnets.iter().any(|s| s.vpc != vpc) {
        return Err(errors::invalid_subnet(
            "The specified subnets must be in the same VPC",
        ));
    }
    Ok(vpc)
}

fn zones_of(subnets: &[Subnet], nodes: &[Node]) -> Vec<AvailabilityZone> {
    subnets
        .iter()
        .map(|s| AvailabilityZone {
            zone_name: Some(s.zone.clone()),
            subnet_id: Some(s.id.clone()),
            outpost_id: None,
            load_balancer_addresses: Some(
                nodes
                    .iter()
                    .filter(|n| n.subnet == s.id)
                    .map(|n| LoadBalancerAddress {
                        ip_address: Some(n.address.clone()),
                        ..Default::default()
                    })
                    .collect(),
            ),
            source_nat_ipv6_prefixes: None,
        })
        .collect()
}

impl Elbv2 {
    pub(crate) async fn create_load_balancer(
        &self,
        ctx: &RequestContext,
        input: CreateLoadBalancerInput,
    ) -> Result<CreateLoadBalancerOutput, AwsError> {
        arns::check_name(&input.name, "Load balancer")?;
        let lb_type = input.r#type.clone().unwrap_or_else(|| "application".to_owned());
        if !matches!(lb_type.as_str(), "application" | "network") {
            return Err(errors::validation(format!(
                "Load balancer type '{lb_type}' is not supported by nimbus yet (application and network are)"
            )));
        }
        let scheme = input
            .scheme
            .clone()
            .unwrap_or_else(|| "internet-facing".to_owned());
        let ids = requested_subnets(input.subnets.as_ref(), input.subnet_mappings.as_ref());
        if ids.is_empty() {
            return Err(errors::validation("At least one subnet must be specified"));
        }
        let ec2 = self.ec2()?;
        let subnets = network::subnets(ec2, ctx, &ids).await?;
        let vpc = check_placement(&lb_type, &subnets)?;
        let security_groups = match (&lb_type[..], input.security_groups.clone()) {
            (_, Some(groups)) if !groups.is_empty() => {
                network::check_security_groups(ec2, ctx, &vpc, &groups).await?;
                Some(groups)
            }
            ("application", _) => Some(
                network::default_security_group(ec2, ctx, &vpc)
                    .await?
                    .into_iter()
                    .collect(),
            ),
            _ => None,
        };
        tags::check(input.tags.as_deref().unwrap_or_default())?;
        let id = arns::new_id();
        let arn = arns::load_balancer(ctx, &lb_type, &input.name, &id);
        let lb = LoadBalancer {
            load_balancer_arn: Some(arn.clone()),
            dns_name: Some(arns::dns_name(&lb_type, &scheme, &input.name, &id, &ctx.region)),
            canonical_hosted_zone_id: Some(arns::canonical_hosted_zone(&lb_type, &ctx.region).to_owned()),
            created_time: Some(Timestamp::from_epoch_millis(
                i64::try_from(self.clock.now_epoch_millis()).unwrap_or(i64::MAX),
            )),
            load_balancer_name: Some(input.name.clone()),
            scheme: Some(scheme),
            vpc_id: Some(vpc),
            state: Some(LoadBalancerState {
                code: Some("provisioning".to_owned()),
                reason: None,
            }),
            r#type: Some(lb_type.clone()),
            availability_zones: None,
            security_groups,
            ip_address_type: Some(input.ip_address_type.clone().unwrap_or_else(|| "ipv4".to_owned())),
            ..Default::default()
        };
        let record = LoadBalancerRecord {
            lb,
            attributes: attributes::lb_defaults(&lb_type),
            tags: input.tags.clone().unwrap_or_default(),
            nodes: Vec::new(),
            listeners: Vec::new(),
        };
        let stored = self.store_new_load_balancer(ctx, record, subnets).await?;
        self.apply(ctx).await;
        Ok(CreateLoadBalancerOutput {
            load_balancers: Some(vec![settled(stored.lb, self.clock.now_epoch_millis())]),
        })
    }

    /// Stores a new load balancer with an address per node, or answers the
    /// one of that name when its settings are the same (as ELB does).
    async fn store_new_load_balancer(
        &self,
        ctx: &RequestContext,
        mut record: LoadBalancerRecord,
        subnets: Vec<Subnet>,
    ) -> Result<LoadBalancerRecord, AwsError> {
        let namespace = records::namespace(ctx)?;
        let (account, region) = (ctx.account_id.clone(), ctx.region.clone());
        self.store
            .write(move |txn| {
                let name = record.lb.load_balancer_name.clone().unwrap_or_default();
                {
                    let table = txn.open(&namespace)?;
                    if let Some(existing) = table.get_json::<LoadBalancerRecord>(&lb_key(&name))? {
                        let same = existing.lb.r#type == record.lb.r#type
                            && existing.lb.scheme == record.lb.scheme
                            && existing
                                .nodes
                                .iter()
                                .map(|n| &n.subnet)
                                .eq(subnets.iter().map(|s| &s.id));
                        if same {
                            return Ok(existing);
                        }
                        return Err(errors::duplicate_load_balancer_name(format!(
                            "A load balancer with the same name '{name}' exists, but with different settings"
                        )));
                    }
                }
                {
                    let mut global = txn.open(&nodes::namespace()?)?;
                    for subnet in &subnets {
                        let address = nodes::take_address(&mut global, record.arn())?;
                        record.nodes.push(Node {
                            zone: subnet.zone.clone(),
                            subnet: subnet.id.clone(),
                            address: address.to_string(),
                        });
                    }
                    global.put_json(
                        &nodes::home_key(&account, &region),
                        &nodes::Home { account, region },
                    )?;
                }
                record.lb.availability_zones = Some(zones_of(&subnets, &record.nodes));
                txn.open(&namespace)?.put_json(&lb_key(&name), &record)?;
                Ok(record)
            })
            .await
    }

    pub(crate) async fn describe_load_balancers(
        &self,
        ctx: &RequestContext,
        input: DescribeLoadBalancersInput,
    ) -> Result<DescribeLoadBalancersOutput, AwsError> {
        let all: Vec<LoadBalancerRecord> =
            records::all(&self.store, &records::namespace(ctx)?, LB_PREFIX).await?;
        let chosen: Vec<LoadBalancer> = match (&input.load_balancer_arns, &input.names) {
            (Some(arns), _) if !arns.is_empty() => pick(&all, arns, |r| r.arn())?,
            (_, Some(names)) if !names.is_empty() => pick(&all, names, |r| {
                r.lb.load_balancer_name.as_deref().unwrap_or_default()
            })
            .map_err(|_| {
                errors::load_balancer_not_found(format!("Load balancers '[{}]' not found", names.join(", ")))
            })?,
            _ => all.into_iter().map(|r| r.lb).collect(),
        };
        let now = self.clock.now_epoch_millis();
        let chosen: Vec<LoadBalancer> = chosen.into_iter().map(|lb| settled(lb, now)).collect();
        let (load_balancers, next_marker) = paging::page(chosen, input.marker.as_deref(), input.page_size)?;
        Ok(DescribeLoadBalancersOutput {
            load_balancers: Some(load_balancers),
            next_marker,
        })
    }

    pub(crate) async fn delete_load_balancer(
        &self,
        ctx: &RequestContext,
        input: DeleteLoadBalancerInput,
    ) -> Result<DeleteLoadBalancerOutput, AwsError> {
        let namespace = records::namespace(ctx)?;
        let arn = input.load_balancer_arn;
        self.store
            .write(move |txn| {
                let record = {
                    let table = txn.open(&namespace)?;
                    match records::lb_by_arn(&table, &arn) {
                        Ok(record) => record,
                        // Deleting what is already gone succeeds, as in ELB.
                        Err(_) if arns::load_balancer_name(&arn).is_some() => return Ok(()),
                        Err(error) => return Err(error),
                    }
                };
                if record
                    .attributes
                    .get("deletion_protection.enabled")
                    .map(String::as_str)
                    == Some("true")
                {
                    return Err(errors::operation_not_permitted(format!(
                        "Load balancer '{arn}' cannot be deleted because deletion protection is enabled"
                    )));
                }
                {
                    let mut global = txn.open(&nodes::namespace()?)?;
                    for node in &record.nodes {
                        nodes::release_address(&mut global, &node.address)?;
                    }
                }
                let name = record.lb.load_balancer_name.unwrap_or_default();
                txn.open(&namespace)?.delete(&lb_key(&name))?;
                Ok(())
            })
            .await?;
        self.apply(ctx).await;
        Ok(DeleteLoadBalancerOutput {})
    }

    pub(crate) async fn describe_load_balancer_attributes(
        &self,
        ctx: &RequestContext,
        input: DescribeLoadBalancerAttributesInput,
    ) -> Result<DescribeLoadBalancerAttributesOutput, AwsError> {
        let record = records::read_lb(&self.store, ctx, &input.load_balancer_arn).await?;
        Ok(DescribeLoadBalancerAttributesOutput {
            attributes: Some(lb_attributes(&record)),
        })
    }

    pub(crate) async fn modify_load_balancer_attributes(
        &self,
        ctx: &RequestContext,
        input: ModifyLoadBalancerAttributesInput,
    ) -> Result<ModifyLoadBalancerAttributesOutput, AwsError> {
        let changes = attributes::pairs(input.attributes.iter().map(|a| (&a.key, &a.value)));
        let record = records::update_lb(&self.store, ctx, &input.load_balancer_arn, move |_, record| {
            let lb_type = record.lb_type().to_owned();
            attributes::modify_lb(&lb_type, &mut record.attributes, &changes)?;
            Ok(record.clone())
        })
        .await?;
        self.apply(ctx).await;
        Ok(ModifyLoadBalancerAttributesOutput {
            attributes: Some(lb_attributes(&record)),
        })
    }

    pub(crate) async fn set_security_groups(
        &self,
        ctx: &RequestContext,
        input: SetSecurityGroupsInput,
    ) -> Result<SetSecurityGroupsOutput, AwsError> {
        let record = records::read_lb(&self.store, ctx, &input.load_balancer_arn).await?;
        let vpc = record.lb.vpc_id.clone().unwrap_or_default();
        network::check_security_groups(self.ec2()?, ctx, &vpc, &input.security_groups).await?;
        let groups = input.security_groups.clone();
        records::update_lb(&self.store, ctx, &input.load_balancer_arn, move |_, record| {
            record.lb.security_groups = Some(groups);
            Ok(())
        })
        .await?;
        Ok(SetSecurityGroupsOutput {
            security_group_ids: Some(input.security_groups),
            enforce_security_group_inbound_rules_on_private_link_traffic: None,
        })
    }

    pub(crate) async fn set_subnets(
        &self,
        ctx: &RequestContext,
        input: SetSubnetsInput,
    ) -> Result<SetSubnetsOutput, AwsError> {
        let record = records::read_lb(&self.store, ctx, &input.load_balancer_arn).await?;
        let ids = requested_subnets(input.subnets.as_ref(), input.subnet_mappings.as_ref());
        let subnets = network::subnets(self.ec2()?, ctx, &ids).await?;
        let vpc = check_placement(record.lb_type(), &subnets)?;
        if Some(&vpc) != record.lb.vpc_id.as_ref() {
            return Err(errors::invalid_subnet(
                "The specified subnets must be in the load balancer's VPC",
            ));
        }
        let namespace = records::namespace(ctx)?;
        let arn = input.load_balancer_arn.clone();
        let zones = self
            .store
            .write(move |txn| {
                let mut record = records::lb_by_arn(&txn.open(&namespace)?, &arn)?;
                {
                    let mut global = txn.open(&nodes::namespace()?)?;
                    let (kept, gone): (Vec<Node>, Vec<Node>) = record
                        .nodes
                        .drain(..)
                        .partition(|n| subnets.iter().any(|s| s.id == n.subnet));
                    for node in &gone {
                        nodes::release_address(&mut global, &node.address)?;
                    }
                    record.nodes = kept;
                    let new: Vec<&Subnet> = subnets
                        .iter()
                        .filter(|s| !record.nodes.iter().any(|n| n.subnet == s.id))
                        .collect();
                    for subnet in new {
                        let address = nodes::take_address(&mut global, &arn)?;
                        record.nodes.push(Node {
                            zone: subnet.zone.clone(),
                            subnet: subnet.id.clone(),
                            address: address.to_string(),
                        });
                    }
                }
                let zones = zones_of(&subnets, &record.nodes);
                record.lb.availability_zones = Some(zones.clone());
                let name = record.lb.load_balancer_name.clone().unwrap_or_default();
                txn.open(&namespace)?.put_json(&lb_key(&name), &record)?;
                Ok::<_, AwsError>(zones)
            })
            .await?;
        self.apply(ctx).await;
        Ok(SetSubnetsOutput {
            availability_zones: Some(zones),
            ip_address_type: record.lb.ip_address_type,
            enable_prefix_for_ipv6_source_nat: None,
        })
    }

    pub(crate) async fn set_ip_address_type(
        &self,
        ctx: &RequestContext,
        input: SetIpAddressTypeInput,
    ) -> Result<SetIpAddressTypeOutput, AwsError> {
        let kind = input.ip_address_type.clone();
        if !matches!(
            kind.as_str(),
            "ipv4" | "dualstack" | "dualstack-without-public-ipv4"
        ) {
            return Err(errors::validation(format!(
                "IP address type '{kind}' is not valid"
            )));
        }
        records::update_lb(&self.store, ctx, &input.load_balancer_arn, move |_, record| {
            record.lb.ip_address_type = Some(kind);
            Ok(())
        })
        .await?;
        Ok(SetIpAddressTypeOutput {
            ip_address_type: Some(input.ip_address_type),
        })
    }
}

/// How long a new load balancer provisions before it is active.
const PROVISIONING_MS: u64 = 500;

/// A load balancer's state as of `now` (epoch ms): provisioning becomes
/// active once its time is up, without a timer.
fn settled(mut lb: LoadBalancer, now: u64) -> LoadBalancer {
    let created = lb
        .created_time
        .as_ref()
        .map_or(0, |t| u64::try_from(t.as_epoch_millis()).unwrap_or(0));
    if let Some(state) = &mut lb.state
        && state.code.as_deref() == Some("provisioning")
        && now >= created + PROVISIONING_MS
    {
        state.code = Some("active".to_owned());
    }
    lb
}

fn lb_attributes(record: &LoadBalancerRecord) -> Vec<LoadBalancerAttribute> {
    attributes::listed(&record.attributes, |key, value| LoadBalancerAttribute {
        key,
        value,
    })
}

/// The records `wanted` names, in that order; any missing is LoadBalancerNotFound.
fn pick(
    all: &[LoadBalancerRecord],
    wanted: &[String],
    key: impl Fn(&LoadBalancerRecord) -> &str,
) -> Result<Vec<LoadBalancer>, AwsError> {
    wanted
        .iter()
        .map(|w| {
            all.iter()
                .find(|r| key(r) == w)
                .map(|r| r.lb.clone())
                .ok_or_else(|| errors::load_balancer_not_found("One or more load balancers not found"))
        })
        .collect()
}

impl Elbv2 {
    /// Capacity reservations: nimbus's load balancers have no capacity to
    /// reserve, so there is none, and nothing to decrease.
    pub(crate) async fn describe_capacity_reservation(
        &self,
        ctx: &RequestContext,
        input: DescribeCapacityReservationInput,
    ) -> Result<DescribeCapacityReservationOutput, AwsError> {
        let record = records::read_lb(&self.store, ctx, &input.load_balancer_arn).await?;
        Ok(DescribeCapacityReservationOutput {
            last_modified_time: None,
            decrease_requests_remaining: Some(0),
            minimum_load_balancer_capacity: None,
            capacity_reservation_state: Some(
                record
                    .nodes
                    .iter()
                    .map(|node| ZonalCapacityReservationState {
                        state: Some(CapacityReservationStatus {
                            code: Some("provisioned".to_owned()),
                            reason: None,
                        }),
                        availability_zone: Some(node.zone.clone()),
                        effective_capacity_units: Some(0.0),
                    })
                    .collect(),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_load_balancer_is_provisioning_for_a_moment() {
        let lb = LoadBalancer {
            created_time: Some(Timestamp::from_epoch_millis(10_000)),
            state: Some(LoadBalancerState {
                code: Some("provisioning".to_owned()),
                reason: None,
            }),
            ..Default::default()
        };
        let code = |now| settled(lb.clone(), now).state.unwrap().code.unwrap();
        assert_eq!(code(10_499), "provisioning");
        assert_eq!(code(10_500), "active");
    }
}
