//! Elastic IP addresses: allocated (five per region, as AWS's default
//! quota), described with filters, released. Each is a loopback address
//! of 127.200.0.0/16, so that nimbus can answer on it for the instance it
//! is later associated with (association comes with instances).

use std::net::Ipv4Addr;

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;

use crate::filters::{self, Values};
use crate::records::{EIP_PREFIX, eip_key, namespace_of};
use crate::{Ec2, errors, ids, tags};

/// Elastic IPs per region.
const MOST: usize = 5;

pub fn allocation_missing(id: &str) -> AwsError {
    errors::client(
        "InvalidAllocationID.NotFound",
        format!("The allocation ID '{id}' does not exist"),
    )
}

fn address_missing(ip: &str) -> AwsError {
    errors::client("InvalidAddress.NotFound", format!("Address '{ip}' not found."))
}

/// The first address of 127.200.0.0/16 no allocation of `taken` holds.
fn free_address(taken: &[Address]) -> Ipv4Addr {
    (1u32..65_535)
        .map(|n| Ipv4Addr::from(u32::from(Ipv4Addr::new(127, 200, 0, 0)) + n))
        .find(|ip| {
            !taken
                .iter()
                .any(|a| a.public_ip.as_deref() == Some(ip.to_string().as_str()))
        })
        .unwrap_or(Ipv4Addr::new(127, 200, 255, 254))
}

fn values(address: &Address) -> Values<'_> {
    Box::new(move |name| {
        let one = |value: &Option<String>| Some(value.iter().cloned().collect());
        match name {
            "allocation-id" => one(&address.allocation_id),
            "association-id" => one(&address.association_id),
            "domain" => one(&address.domain),
            "instance-id" => one(&address.instance_id),
            "network-border-group" => one(&address.network_border_group),
            "network-interface-id" => one(&address.network_interface_id),
            "private-ip-address" => one(&address.private_ip_address),
            "public-ip" => one(&address.public_ip),
            other => filters::tag_values(address.tags.as_ref(), other),
        }
    })
}

impl Ec2 {
    async fn addresses(&self, ctx: &RequestContext) -> Result<Vec<Address>, AwsError> {
        let stored = self.store.values_under(&namespace_of(ctx)?, EIP_PREFIX).await?;
        Ok(stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice(bytes).ok())
            .collect())
    }

    pub(crate) async fn allocate_address(
        &self,
        ctx: &RequestContext,
        input: AllocateAddressRequest,
    ) -> Result<AllocateAddressResult, AwsError> {
        let tags = tags::from_specifications(input.tag_specifications.as_deref(), "elastic-ip")?;
        errors::check_dry_run(input.dry_run)?;
        let (ns, ctx) = (namespace_of(ctx)?, ctx.clone());
        let address = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut taken = Vec::new();
                for entry in table.scan(EIP_PREFIX)? {
                    taken.push(entry?.decode::<Address>()?);
                }
                if taken.len() >= MOST {
                    return Err(errors::client(
                        "AddressLimitExceeded",
                        "The maximum number of addresses has been reached.",
                    ));
                }
                let address = Address {
                    allocation_id: Some(ids::new_id("eipalloc")),
                    domain: Some("vpc".to_owned()),
                    public_ip: Some(free_address(&taken).to_string()),
                    public_ipv4_pool: Some("amazon".to_owned()),
                    network_border_group: Some(ctx.region.clone()),
                    tags,
                    ..Default::default()
                };
                table.put_json(
                    &eip_key(address.allocation_id.as_deref().unwrap_or_default()),
                    &address,
                )?;
                Ok(address)
            })
            .await?;
        Ok(AllocateAddressResult {
            allocation_id: address.allocation_id,
            public_ip: address.public_ip,
            public_ipv4_pool: address.public_ipv4_pool,
            network_border_group: address.network_border_group,
            domain: address.domain,
            ..Default::default()
        })
    }

    pub(crate) async fn describe_addresses(
        &self,
        ctx: &RequestContext,
        input: DescribeAddressesRequest,
    ) -> Result<DescribeAddressesResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let all = self.addresses(ctx).await?;
        let ids = input.allocation_ids.unwrap_or_default();
        let ips = input.public_ips.unwrap_or_default();
        if let Some(unknown) = ids
            .iter()
            .find(|id| !all.iter().any(|a| a.allocation_id.as_ref() == Some(*id)))
        {
            return Err(allocation_missing(unknown));
        }
        if let Some(unknown) = ips
            .iter()
            .find(|ip| !all.iter().any(|a| a.public_ip.as_ref() == Some(*ip)))
        {
            return Err(address_missing(unknown));
        }
        let filters = input.filters.unwrap_or_default();
        let mut addresses = Vec::new();
        for address in all {
            let by_id = ids.is_empty() || ids.iter().any(|id| address.allocation_id.as_ref() == Some(id));
            let by_ip = ips.is_empty() || ips.iter().any(|ip| address.public_ip.as_ref() == Some(ip));
            if by_id && by_ip && filters::matches(&filters, &values(&address))? {
                addresses.push(address);
            }
        }
        Ok(DescribeAddressesResult {
            addresses: Some(addresses),
        })
    }

    /// Reverse DNS of Elastic IPs: none is set in nimbus, so each address
    /// is listed without a PTR record.
    pub(crate) async fn describe_addresses_attribute(
        &self,
        ctx: &RequestContext,
        input: DescribeAddressesAttributeRequest,
    ) -> Result<DescribeAddressesAttributeResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        if let Some(attribute) = input.attribute.as_deref().filter(|a| *a != "domain-name") {
            return Err(errors::invalid_parameter(format!(
                "Value ({attribute}) for parameter attribute is invalid."
            )));
        }
        let all = self.addresses(ctx).await?;
        let ids = input.allocation_ids.unwrap_or_default();
        if let Some(unknown) = ids
            .iter()
            .find(|id| !all.iter().any(|a| a.allocation_id.as_ref() == Some(*id)))
        {
            return Err(allocation_missing(unknown));
        }
        let addresses = all
            .into_iter()
            .filter(|a| ids.is_empty() || ids.iter().any(|id| a.allocation_id.as_ref() == Some(id)))
            .map(|a| AddressAttribute {
                public_ip: a.public_ip,
                allocation_id: a.allocation_id,
                ..Default::default()
            })
            .collect();
        Ok(DescribeAddressesAttributeResult {
            addresses: Some(addresses),
            next_token: None,
        })
    }

    /// Ends an address's association (by its id, or by the address); one
    /// already ended is not found, as EC2 words it.
    pub(crate) async fn disassociate_address(
        &self,
        ctx: &RequestContext,
        input: DisassociateAddressRequest,
    ) -> Result<(), AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let (ns, association, ip) = (namespace_of(ctx)?, input.association_id, input.public_ip);
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut found = None;
                for entry in table.scan(EIP_PREFIX)? {
                    let address: Address = entry?.decode()?;
                    let by_id = association.is_some() && address.association_id == association;
                    let by_ip = association.is_none() && ip.is_some() && address.public_ip == ip;
                    if by_id || by_ip {
                        found = Some(address);
                    }
                }
                let Some(mut address) = found.filter(|a| a.association_id.is_some()) else {
                    return Err(errors::client(
                        "InvalidAssociationID.NotFound",
                        format!(
                            "The association ID '{}' does not exist",
                            association.or(ip).unwrap_or_default()
                        ),
                    ));
                };
                (
                    address.association_id,
                    address.network_interface_id,
                    address.private_ip_address,
                    address.instance_id,
                ) = (None, None, None, None);
                table.put_json(
                    &eip_key(address.allocation_id.as_deref().unwrap_or_default()),
                    &address,
                )?;
                Ok(())
            })
            .await
    }

    pub(crate) async fn release_address(
        &self,
        ctx: &RequestContext,
        input: ReleaseAddressRequest,
    ) -> Result<(), AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let all = self.addresses(ctx).await?;
        let found = match (&input.allocation_id, &input.public_ip) {
            (Some(id), _) => all
                .into_iter()
                .find(|a| a.allocation_id.as_ref() == Some(id))
                .ok_or_else(|| allocation_missing(id))?,
            (None, Some(ip)) => all
                .into_iter()
                .find(|a| a.public_ip.as_ref() == Some(ip))
                .ok_or_else(|| address_missing(ip))?,
            (None, None) => {
                return Err(errors::client(
                    "MissingParameter",
                    "Either public IP or allocation id must be specified",
                ));
            }
        };
        if found.association_id.is_some() {
            return Err(errors::client(
                "InvalidIPAddress.InUse",
                format!(
                    "Address {} is in use.",
                    found.public_ip.as_deref().unwrap_or_default()
                ),
            ));
        }
        let key = eip_key(found.allocation_id.as_deref().unwrap_or_default());
        self.store.delete(&namespace_of(ctx)?, &key).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_the_first_free_of_the_range() {
        assert_eq!(free_address(&[]), Ipv4Addr::new(127, 200, 0, 1));
        let taken = vec![Address {
            public_ip: Some("127.200.0.1".into()),
            ..Default::default()
        }];
        assert_eq!(free_address(&taken), Ipv4Addr::new(127, 200, 0, 2));
    }
}
