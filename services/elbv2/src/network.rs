//! What ELB asks of EC2, through its typed client: subnets' zones and VPC,
//! security groups, and where instances answer.

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::{
    DescribeInstancesRequest, DescribeSecurityGroupsRequest, DescribeSubnetsRequest, Ec2Client, Filter,
};

use crate::errors;

/// A subnet a load balancer is placed in.
#[derive(Debug, Clone)]
pub struct Subnet {
    pub id: String,
    pub zone: String,
    pub vpc: String,
}

/// An instance as a target sees it.
#[derive(Debug, Clone)]
pub struct InstanceTarget {
    pub id: String,
    pub state: String,
    pub address: Option<String>,
    pub zone: Option<String>,
    pub vpc: Option<String>,
}

fn internal(ctx: &RequestContext, operation: &str) -> RequestContext {
    RequestContext::internal("elbv2", operation, &ctx.account_id, &ctx.region)
}

/// The subnets by id, in the order given; a missing one is SubnetNotFound.
pub async fn subnets(ec2: &Ec2Client, ctx: &RequestContext, ids: &[String]) -> Result<Vec<Subnet>, AwsError> {
    let input = DescribeSubnetsRequest {
        subnet_ids: Some(ids.to_vec()),
        ..Default::default()
    };
    let found = ec2
        .describe_subnets(&internal(ctx, "DescribeSubnets"), input)
        .await
        .map_err(|error| match &*error.code {
            "InvalidSubnetID.NotFound" | "InvalidSubnetID.Malformed" => {
                errors::subnet_not_found("The specified subnet does not exist.")
            }
            _ => error,
        })?;
    Ok(found
        .subnets
        .unwrap_or_default()
        .into_iter()
        .map(|s| Subnet {
            id: s.subnet_id.unwrap_or_default(),
            zone: s.availability_zone.unwrap_or_default(),
            vpc: s.vpc_id.unwrap_or_default(),
        })
        .collect())
}

/// The VPC's default security group (what an ALB gets when given none).
pub async fn default_security_group(
    ec2: &Ec2Client,
    ctx: &RequestContext,
    vpc: &str,
) -> Result<Option<String>, AwsError> {
    let input = DescribeSecurityGroupsRequest {
        filters: Some(vec![filter("vpc-id", vpc), filter("group-name", "default")]),
        ..Default::default()
    };
    let found = ec2
        .describe_security_groups(&internal(ctx, "DescribeSecurityGroups"), input)
        .await?;
    Ok(found
        .security_groups
        .unwrap_or_default()
        .into_iter()
        .find_map(|g| g.group_id))
}

/// Checks that the groups exist in the VPC.
pub async fn check_security_groups(
    ec2: &Ec2Client,
    ctx: &RequestContext,
    vpc: &str,
    ids: &[String],
) -> Result<(), AwsError> {
    let input = DescribeSecurityGroupsRequest {
        group_ids: Some(ids.to_vec()),
        ..Default::default()
    };
    let invalid = || errors::invalid_security_group("One or more security groups are invalid");
    let found = ec2
        .describe_security_groups(&internal(ctx, "DescribeSecurityGroups"), input)
        .await
        .map_err(|_| invalid())?;
    let groups = found.security_groups.unwrap_or_default();
    let all_in_vpc = ids.iter().all(|id| {
        groups
            .iter()
            .any(|g| g.group_id.as_deref() == Some(id) && g.vpc_id.as_deref() == Some(vpc))
    });
    if all_in_vpc { Ok(()) } else { Err(invalid()) }
}

fn filter(name: &str, value: &str) -> Filter {
    Filter {
        name: Some(name.to_owned()),
        values: Some(vec![value.to_owned()]),
    }
}

/// The instances by id; ids EC2 does not know are left out.
pub async fn instances(
    ec2: &Ec2Client,
    ctx: &RequestContext,
    ids: &[String],
) -> Result<Vec<InstanceTarget>, AwsError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let input = DescribeInstancesRequest {
        filters: Some(vec![Filter {
            name: Some("instance-id".to_owned()),
            values: Some(ids.to_vec()),
        }]),
        ..Default::default()
    };
    let found = ec2
        .describe_instances(&internal(ctx, "DescribeInstances"), input)
        .await?;
    Ok(found
        .reservations
        .unwrap_or_default()
        .into_iter()
        .flat_map(|r| r.instances.unwrap_or_default())
        .map(|i| InstanceTarget {
            id: i.instance_id.unwrap_or_default(),
            state: i.state.and_then(|s| s.name).unwrap_or_default(),
            address: i.private_ip_address,
            zone: i.placement.and_then(|p| p.availability_zone),
            vpc: i.vpc_id,
        })
        .collect())
}
