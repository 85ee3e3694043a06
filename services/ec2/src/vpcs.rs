//! VPCs: the region's default VPC (172.31.0.0/16 with a default subnet in
//! every zone, made when the account first asks EC2 anything there) and
//! the account's own (CreateVpc: /16 to /28, five per region), described
//! with filters and deleted when nothing is left in them.

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;
use nimbus_store::TableMut;

use crate::cidr::{self, Ipv4Net};
use crate::filters::{self, Values};
use crate::records::{
    self, DEFAULTS_KEY, IGW_PREFIX, SG_PREFIX, SUBNET_PREFIX, VPC_PREFIX, namespace_of, vpc_key,
};
use crate::{Ec2, dhcp, errors, ids, route_tables, security_groups, subnets, tags, zones};

/// VPCs per region, as AWS's default quota.
const VPC_LIMIT: usize = 5;

fn new_vpc(ctx: &RequestContext, block: &Ipv4Net, default: bool, tenancy: Option<String>) -> Vpc {
    Vpc {
        owner_id: Some(ctx.account_id.clone()),
        instance_tenancy: Some(tenancy.unwrap_or_else(|| "default".to_owned())),
        cidr_block_association_set: Some(vec![VpcCidrBlockAssociation {
            association_id: Some(ids::new_id("vpc-cidr-assoc")),
            cidr_block: Some(block.to_string()),
            cidr_block_state: Some(VpcCidrBlockState {
                state: Some("associated".to_owned()),
                status_message: None,
            }),
        }]),
        is_default: Some(default),
        block_public_access_states: Some(BlockPublicAccessStates {
            internet_gateway_block_mode: Some("off".to_owned()),
        }),
        vpc_id: Some(ids::new_id("vpc")),
        state: Some("available".to_owned()),
        cidr_block: Some(block.to_string()),
        dhcp_options_id: Some("default".to_owned()),
        ..Default::default()
    }
}

/// The values of `vpc` a DescribeVpcs filter reads.
fn values(vpc: &Vpc) -> Values<'_> {
    Box::new(move |name| {
        let one = |value: Option<String>| Some(value.into_iter().collect());
        match name {
            "vpc-id" => one(vpc.vpc_id.clone()),
            "cidr" | "cidr-block-association.cidr-block" | "cidrBlock" => one(vpc.cidr_block.clone()),
            "is-default" | "isDefault" => one(vpc.is_default.map(|d| d.to_string())),
            "state" => one(vpc.state.clone()),
            "owner-id" => one(vpc.owner_id.clone()),
            "dhcp-options-id" => one(vpc.dhcp_options_id.clone()),
            "cidr-block-association.association-id" => Some(
                vpc.cidr_block_association_set
                    .iter()
                    .flatten()
                    .filter_map(|a| a.association_id.clone())
                    .collect(),
            ),
            "cidr-block-association.state" => Some(vec!["associated".to_owned()]),
            other => filters::tag_values(vpc.tags.as_ref(), other),
        }
    })
}

impl Ec2 {
    /// Makes the region's default VPC and subnets, once per account.
    pub(crate) async fn ensure_defaults(&self, ctx: &RequestContext) -> Result<(), AwsError> {
        let ns = namespace_of(ctx)?;
        if self.store.get_json::<bool>(&ns, DEFAULTS_KEY).await?.is_some() {
            return Ok(());
        }
        let ctx = ctx.clone();
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                if table.get(DEFAULTS_KEY)?.is_some() {
                    return Ok(());
                }
                let block = cidr::parse("172.31.0.0/16").unwrap_or_default();
                let mut vpc = new_vpc(&ctx, &block, true, None);
                vpc.dhcp_options_id = Some(dhcp::default_set(&mut table, &ctx)?);
                let vpc_id = vpc.vpc_id.clone().unwrap_or_default();
                table.put_json(&vpc_key(&vpc_id), &vpc)?;
                let group = security_groups::default_group(&ctx, &vpc_id);
                table.put_json(
                    &records::sg_key(group.group.group_id.as_deref().unwrap_or_default()),
                    &group,
                )?;
                let (gateway, main) = route_tables::default_network(&ctx, &vpc_id, &block.to_string());
                let gateway_id = gateway.internet_gateway_id.clone().unwrap_or_default();
                table.put_json(&records::igw_key(&gateway_id), &gateway)?;
                let main_id = main.route_table_id.clone().unwrap_or_default();
                table.put_json(&records::rtb_key(&main_id), &main)?;
                for zone in zones::zones(&ctx.region) {
                    let block = cidr::parse(&zone.default_block).unwrap_or_default();
                    let subnet = subnets::new_subnet(&ctx, &vpc_id, &block, &zone, true);
                    let id = subnet.subnet_id.clone().unwrap_or_default();
                    table.put_json(&records::subnet_key(&id), &subnet)?;
                }
                table.put_json(DEFAULTS_KEY, &true)?;
                Ok::<_, AwsError>(())
            })
            .await
    }

    pub(crate) async fn create_vpc(
        &self,
        ctx: &RequestContext,
        input: CreateVpcRequest,
    ) -> Result<CreateVpcResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        let text = input.cidr_block.clone().unwrap_or_default();
        let block = cidr::parse(&text).ok_or_else(|| {
            errors::invalid_parameter(format!(
                "Value ({text}) for parameter cidrBlock is invalid. This is not a valid CIDR block."
            ))
        })?;
        if !cidr::sized_for_vpc(&block) {
            return Err(errors::client(
                "InvalidVpc.Range",
                format!("The CIDR '{text}' is invalid."),
            ));
        }
        let mut vpc = new_vpc(ctx, &block, false, input.instance_tenancy);
        vpc.tags = tags::from_specifications(input.tag_specifications.as_deref(), "vpc")?;
        errors::check_dry_run(input.dry_run)?;
        let ns = namespace_of(ctx)?;
        let owner = ctx.clone();
        let group = security_groups::default_group(ctx, vpc.vpc_id.as_deref().unwrap_or_default());
        let main = route_tables::new_table(
            ctx,
            vpc.vpc_id.as_deref().unwrap_or_default(),
            &block.to_string(),
            true,
        );
        let vpc = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                if table.scan(VPC_PREFIX)?.count() >= VPC_LIMIT {
                    return Err(errors::client(
                        "VpcLimitExceeded",
                        "The maximum number of VPCs has been reached.",
                    ));
                }
                vpc.dhcp_options_id = Some(dhcp::default_set(&mut table, &owner)?);
                table.put_json(&vpc_key(vpc.vpc_id.as_deref().unwrap_or_default()), &vpc)?;
                table.put_json(
                    &records::sg_key(group.group.group_id.as_deref().unwrap_or_default()),
                    &group,
                )?;
                table.put_json(
                    &records::rtb_key(main.route_table_id.as_deref().unwrap_or_default()),
                    &main,
                )?;
                Ok(vpc)
            })
            .await?;
        Ok(CreateVpcResult { vpc: Some(vpc) })
    }

    pub(crate) async fn describe_vpcs(
        &self,
        ctx: &RequestContext,
        input: DescribeVpcsRequest,
    ) -> Result<DescribeVpcsResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let stored = self.store.values_under(&namespace_of(ctx)?, VPC_PREFIX).await?;
        let all: Vec<Vpc> = stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice(bytes).ok())
            .collect();
        let wanted = input.vpc_ids.unwrap_or_default();
        let filters = input.filters.unwrap_or_default();
        let vpcs = filters::select(
            all,
            &wanted,
            |r| r.vpc_id.as_ref(),
            &filters,
            values,
            errors::vpc_missing,
        )?;
        let (vpcs, next_token) = crate::paging::page(vpcs, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeVpcsResult {
            vpcs: Some(vpcs),
            next_token,
        })
    }

    pub(crate) async fn delete_vpc(
        &self,
        ctx: &RequestContext,
        input: DeleteVpcRequest,
    ) -> Result<(), AwsError> {
        self.ensure_defaults(ctx).await?;
        let ns = namespace_of(ctx)?;
        let id = input.vpc_id;
        let found: Option<Vpc> = self.store.get_json(&ns, &vpc_key(&id)).await?;
        found.ok_or_else(|| errors::vpc_missing(&id))?;
        errors::check_dry_run(input.dry_run)?;
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let owned = dependents(&table, &id)?.map_err(|()| {
                    errors::client(
                        "DependencyViolation",
                        format!("The vpc '{id}' has dependencies and cannot be deleted."),
                    )
                })?;
                for key in owned {
                    table.delete(&key)?;
                }
                match table.delete(&vpc_key(&id))? {
                    true => Ok(()),
                    false => Err(errors::vpc_missing(&id)),
                }
            })
            .await
    }
}

/// What keeps VPC `id`: `Err` when a subnet, a group or a route table of
/// its own or an attached internet gateway remains, else the keys of
/// what goes with it (its default group and main route table).
fn dependents(table: &TableMut<'_>, id: &str) -> Result<Result<Vec<Vec<u8>>, ()>, AwsError> {
    let of_vpc = |vpc: Option<&str>| vpc == Some(id);
    for entry in table.scan(SUBNET_PREFIX)? {
        let subnet: Subnet = entry?.decode()?;
        if of_vpc(subnet.vpc_id.as_deref()) {
            return Ok(Err(()));
        }
    }
    for entry in table.scan(IGW_PREFIX)? {
        let gateway: InternetGateway = entry?.decode()?;
        if gateway
            .attachments
            .iter()
            .flatten()
            .any(|a| of_vpc(a.vpc_id.as_deref()))
        {
            return Ok(Err(()));
        }
    }
    // Its attributes go with it.
    let mut owned = vec![format!("vpcattr/{id}").into_bytes()];
    for entry in table.scan(SG_PREFIX)? {
        let group: security_groups::GroupRecord = entry?.decode()?;
        if !of_vpc(group.group.vpc_id.as_deref()) {
            continue;
        }
        match group.group.group_name.as_deref() {
            Some("default") => owned.push(records::sg_key(
                group.group.group_id.as_deref().unwrap_or_default(),
            )),
            _ => return Ok(Err(())),
        }
    }
    // Its default ACL (a record once its entries changed) goes with it; an
    // ACL of the account's own holds it.
    for entry in table.scan(crate::network_acls::ACL_PREFIX)? {
        let acl: NetworkAcl = entry?.decode()?;
        if !of_vpc(acl.vpc_id.as_deref()) {
            continue;
        }
        match acl.is_default {
            Some(true) => owned.push(crate::network_acls::acl_key(
                acl.network_acl_id.as_deref().unwrap_or_default(),
            )),
            _ => return Ok(Err(())),
        }
    }
    for route_table in route_tables::all_tables(table)? {
        if !of_vpc(route_table.vpc_id.as_deref()) {
            continue;
        }
        let main = route_table
            .associations
            .iter()
            .flatten()
            .any(|a| a.main == Some(true));
        match main {
            true => owned.push(records::rtb_key(
                route_table.route_table_id.as_deref().unwrap_or_default(),
            )),
            false => return Ok(Err(())),
        }
    }
    Ok(Ok(owned))
}
