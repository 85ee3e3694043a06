//! VPC and subnet attributes: a VPC's DNS support (on), DNS hostnames (on
//! in the default VPC, off in others) and address usage metrics (off),
//! kept apart from the VPC (`vpcattr/<id>`); a subnet's launch settings,
//! kept in the subnet.

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;
use serde::{Deserialize, Serialize};

use crate::records::{namespace_of, subnet_key, vpc_key};
use crate::{Ec2, errors};

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct VpcAttributes {
    dns_support: bool,
    dns_hostnames: bool,
    usage_metrics: bool,
}

fn attributes_key(vpc: &str) -> Vec<u8> {
    format!("vpcattr/{vpc}").into_bytes()
}

fn flag(value: bool) -> Option<AttributeBooleanValue> {
    Some(AttributeBooleanValue { value: Some(value) })
}

fn given(value: Option<&AttributeBooleanValue>) -> Option<bool> {
    value.and_then(|v| v.value)
}

impl Ec2 {
    async fn vpc_attributes(&self, ctx: &RequestContext, vpc: &str) -> Result<VpcAttributes, AwsError> {
        let ns = namespace_of(ctx)?;
        let found: Vpc = self
            .store
            .get_json(&ns, &vpc_key(vpc))
            .await?
            .ok_or_else(|| errors::vpc_missing(vpc))?;
        let stored: Option<VpcAttributes> = self.store.get_json(&ns, &attributes_key(vpc)).await?;
        Ok(stored.unwrap_or(VpcAttributes {
            dns_support: true,
            dns_hostnames: found.is_default == Some(true),
            usage_metrics: false,
        }))
    }

    pub(crate) async fn describe_vpc_attribute(
        &self,
        ctx: &RequestContext,
        input: DescribeVpcAttributeRequest,
    ) -> Result<DescribeVpcAttributeResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        let attributes = self.vpc_attributes(ctx, &input.vpc_id).await?;
        errors::check_dry_run(input.dry_run)?;
        let mut result = DescribeVpcAttributeResult {
            vpc_id: Some(input.vpc_id),
            ..Default::default()
        };
        match input.attribute.as_str() {
            "enableDnsSupport" => result.enable_dns_support = flag(attributes.dns_support),
            "enableDnsHostnames" => result.enable_dns_hostnames = flag(attributes.dns_hostnames),
            "enableNetworkAddressUsageMetrics" => {
                result.enable_network_address_usage_metrics = flag(attributes.usage_metrics);
            }
            other => {
                return Err(errors::invalid_parameter(format!(
                    "Value ({other}) for parameter attribute is invalid. Unknown attribute."
                )));
            }
        }
        Ok(result)
    }

    pub(crate) async fn modify_vpc_attribute(
        &self,
        ctx: &RequestContext,
        input: ModifyVpcAttributeRequest,
    ) -> Result<(), AwsError> {
        self.ensure_defaults(ctx).await?;
        let mut attributes = self.vpc_attributes(ctx, &input.vpc_id).await?;
        let changes = [
            given(input.enable_dns_support.as_ref()),
            given(input.enable_dns_hostnames.as_ref()),
            given(input.enable_network_address_usage_metrics.as_ref()),
        ];
        if changes.iter().flatten().count() != 1 {
            return Err(errors::client(
                "InvalidParameterCombination",
                "Exactly one attribute must be specified in a ModifyVpcAttribute request.",
            ));
        }
        let [support, hostnames, metrics] = changes;
        attributes.dns_support = support.unwrap_or(attributes.dns_support);
        attributes.dns_hostnames = hostnames.unwrap_or(attributes.dns_hostnames);
        attributes.usage_metrics = metrics.unwrap_or(attributes.usage_metrics);
        let key = attributes_key(&input.vpc_id);
        self.store.put_json(&namespace_of(ctx)?, &key, attributes).await?;
        Ok(())
    }

    pub(crate) async fn modify_subnet_attribute(
        &self,
        ctx: &RequestContext,
        input: ModifySubnetAttributeRequest,
    ) -> Result<(), AwsError> {
        self.ensure_defaults(ctx).await?;
        let (ns, id) = (namespace_of(ctx)?, input.subnet_id.clone());
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut subnet: Subnet = table
                    .get_json(&subnet_key(&id))?
                    .ok_or_else(|| errors::subnet_missing(&id))?;
                if let Some(map) = given(input.map_public_ip_on_launch.as_ref()) {
                    subnet.map_public_ip_on_launch = Some(map);
                }
                if let Some(assign) = given(input.assign_ipv6_address_on_creation.as_ref()) {
                    subnet.assign_ipv6_address_on_creation = Some(assign);
                }
                if let Some(dns64) = given(input.enable_dns64.as_ref()) {
                    subnet.enable_dns64 = Some(dns64);
                }
                let options = subnet.private_dns_name_options_on_launch.get_or_insert_default();
                if let Some(kind) = input.private_dns_hostname_type_on_launch {
                    options.hostname_type = Some(kind);
                }
                if let Some(a) = given(input.enable_resource_name_dns_a_record_on_launch.as_ref()) {
                    options.enable_resource_name_dns_a_record = Some(a);
                }
                if let Some(aaaa) = given(input.enable_resource_name_dns_aaaa_record_on_launch.as_ref()) {
                    options.enable_resource_name_dns_aaaa_record = Some(aaaa);
                }
                table.put_json(&subnet_key(&id), &subnet)?;
                Ok(())
            })
            .await
    }
}
