//! Subnets: a block of their VPC's (/16 to /28, overlapping no other
//! subnet of it) in one zone of the region, described with filters,
//! deleted.

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;

use crate::cidr::{self, Ipv4Net};
use crate::filters::{self, Values};
use crate::records::{SUBNET_PREFIX, namespace_of, subnet_key, vpc_key};
use crate::zones::{self, Zone};
use crate::{Ec2, errors, ids, tags};

pub fn new_subnet(ctx: &RequestContext, vpc: &str, block: &Ipv4Net, zone: &Zone, default: bool) -> Subnet {
    let id = ids::new_id("subnet");
    Subnet {
        availability_zone_id: Some(zone.id.clone()),
        map_customer_owned_ip_on_launch: Some(false),
        owner_id: Some(ctx.account_id.clone()),
        assign_ipv6_address_on_creation: Some(false),
        ipv6_cidr_block_association_set: Some(Vec::new()),
        subnet_arn: Some(format!(
            "arn:aws:ec2:{}:{}:subnet/{id}",
            ctx.region, ctx.account_id
        )),
        enable_dns64: Some(false),
        ipv6_native: Some(false),
        private_dns_name_options_on_launch: Some(PrivateDnsNameOptionsOnLaunch {
            hostname_type: Some("ip-name".to_owned()),
            enable_resource_name_dns_a_record: Some(false),
            enable_resource_name_dns_aaaa_record: Some(false),
        }),
        subnet_id: Some(id),
        state: Some("available".to_owned()),
        vpc_id: Some(vpc.to_owned()),
        cidr_block: Some(block.to_string()),
        available_ip_address_count: Some(cidr::available_addresses(block)),
        availability_zone: Some(zone.name.clone()),
        default_for_az: Some(default),
        map_public_ip_on_launch: Some(default),
        ..Default::default()
    }
}

/// The values of `subnet` a DescribeSubnets filter reads.
fn values(subnet: &Subnet) -> Values<'_> {
    Box::new(move |name| {
        let one = |value: Option<String>| Some(value.into_iter().collect());
        match name {
            "subnet-id" => one(subnet.subnet_id.clone()),
            "vpc-id" => one(subnet.vpc_id.clone()),
            "cidr-block" | "cidr" | "cidrBlock" => one(subnet.cidr_block.clone()),
            "availability-zone" | "availabilityZone" => one(subnet.availability_zone.clone()),
            "availability-zone-id" | "availabilityZoneId" => one(subnet.availability_zone_id.clone()),
            "default-for-az" | "defaultForAz" => one(subnet.default_for_az.map(|d| d.to_string())),
            "map-public-ip-on-launch" => one(subnet.map_public_ip_on_launch.map(|m| m.to_string())),
            "available-ip-address-count" => one(subnet.available_ip_address_count.map(|c| c.to_string())),
            "state" => one(subnet.state.clone()),
            "owner-id" => one(subnet.owner_id.clone()),
            "subnet-arn" => one(subnet.subnet_arn.clone()),
            other => filters::tag_values(subnet.tags.as_ref(), other),
        }
    })
}

/// The zone a new subnet goes in: the one named (by name or id), else the
/// region's first.
fn zone_of(ctx: &RequestContext, input: &CreateSubnetRequest) -> Result<Zone, AwsError> {
    let all = zones::zones(&ctx.region);
    let named = |zone: &&Zone| {
        input
            .availability_zone
            .as_ref()
            .is_none_or(|name| &zone.name == name)
            && input
                .availability_zone_id
                .as_ref()
                .is_none_or(|id| &zone.id == id)
    };
    if let Some(zone) = all.iter().find(named) {
        return Ok(zone.clone());
    }
    let names: Vec<&str> = all.iter().map(|z| z.name.as_str()).collect();
    let (parameter, given) = match &input.availability_zone {
        Some(name) => ("availabilityZone", name.clone()),
        None => (
            "availabilityZoneId",
            input.availability_zone_id.clone().unwrap_or_default(),
        ),
    };
    Err(errors::invalid_parameter(format!(
        "Value ({given}) for parameter {parameter} is invalid. Subnets can currently only be created in the following availability zones: {}.",
        names.join(", ")
    )))
}

impl Ec2 {
    pub(crate) async fn create_subnet(
        &self,
        ctx: &RequestContext,
        input: CreateSubnetRequest,
    ) -> Result<CreateSubnetResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        let ns = namespace_of(ctx)?;
        let found: Option<Vpc> = self.store.get_json(&ns, &vpc_key(&input.vpc_id)).await?;
        let vpc = found.ok_or_else(|| errors::vpc_missing(&input.vpc_id))?;
        let text = input.cidr_block.clone().unwrap_or_default();
        let block = cidr::parse(&text).ok_or_else(|| {
            errors::invalid_parameter(format!(
                "Value ({text}) for parameter cidrBlock is invalid. This is not a valid CIDR block."
            ))
        })?;
        let vpc_block = cidr::parse(vpc.cidr_block.as_deref().unwrap_or_default()).unwrap_or_default();
        if !cidr::sized_for_vpc(&block) || !vpc_block.contains(&block) {
            return Err(errors::client(
                "InvalidSubnet.Range",
                format!("The CIDR '{text}' is invalid."),
            ));
        }
        let zone = zone_of(ctx, &input)?;
        let mut subnet = new_subnet(ctx, &input.vpc_id, &block, &zone, false);
        subnet.tags = tags::from_specifications(input.tag_specifications.as_deref(), "subnet")?;
        errors::check_dry_run(input.dry_run)?;
        let stored = subnet.clone();
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                for entry in table.scan(SUBNET_PREFIX)? {
                    let other: Subnet = entry?.decode()?;
                    let other_block = cidr::parse(other.cidr_block.as_deref().unwrap_or_default());
                    if other.vpc_id == stored.vpc_id
                        && other_block.is_some_and(|b| cidr::overlaps(&b, &block))
                    {
                        return Err(errors::client(
                            "InvalidSubnet.Conflict",
                            format!("The CIDR '{text}' conflicts with another subnet"),
                        ));
                    }
                }
                table.put_json(
                    &subnet_key(stored.subnet_id.as_deref().unwrap_or_default()),
                    &stored,
                )?;
                Ok(())
            })
            .await?;
        Ok(CreateSubnetResult { subnet: Some(subnet) })
    }

    pub(crate) async fn describe_subnets(
        &self,
        ctx: &RequestContext,
        input: DescribeSubnetsRequest,
    ) -> Result<DescribeSubnetsResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let stored = self
            .store
            .values_under(&namespace_of(ctx)?, SUBNET_PREFIX)
            .await?;
        let all: Vec<Subnet> = stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice(bytes).ok())
            .collect();
        let wanted = input.subnet_ids.unwrap_or_default();
        let filters = input.filters.unwrap_or_default();
        let subnets = filters::select(
            all,
            &wanted,
            |r| r.subnet_id.as_ref(),
            &filters,
            values,
            errors::subnet_missing,
        )?;
        let (subnets, next_token) =
            crate::paging::page(subnets, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeSubnetsResult {
            subnets: Some(subnets),
            next_token,
        })
    }

    pub(crate) async fn delete_subnet(
        &self,
        ctx: &RequestContext,
        input: DeleteSubnetRequest,
    ) -> Result<(), AwsError> {
        self.ensure_defaults(ctx).await?;
        let ns = namespace_of(ctx)?;
        let id = input.subnet_id;
        let found: Option<Subnet> = self.store.get_json(&ns, &subnet_key(&id)).await?;
        found.ok_or_else(|| errors::subnet_missing(&id))?;
        errors::check_dry_run(input.dry_run)?;
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                for entry in table.scan(crate::records::NAT_PREFIX)? {
                    let gateway: NatGateway = entry?.decode()?;
                    let live = !matches!(gateway.state.as_deref(), Some("deleting" | "deleted"));
                    if live && gateway.subnet_id.as_deref() == Some(id.as_str()) {
                        return Err(errors::client(
                            "DependencyViolation",
                            format!("The subnet '{id}' has dependencies and cannot be deleted."),
                        ));
                    }
                }
                if !table.delete(&subnet_key(&id))? {
                    return Err(errors::subnet_missing(&id));
                }
                // Its ACL association goes with it.
                table.delete(&crate::network_acls::association_key(&id))?;
                crate::route_tables::forget_subnet(&mut table, &id)
            })
            .await
    }
}
