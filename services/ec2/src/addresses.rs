//! Elastic IP addresses: allocated (five per region, as AWS's default
//! quota), described with filters, released. Each is a loopback address
//! of 127.200.0.0/16 no other account or region holds, so that nimbus can
//! answer on it for the instance it is associated with (`associations`).

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;

use crate::filters::{self, Values};
use crate::instances::machine::{self, Pool};
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
                let table = txn.open(&ns)?;
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
                drop(table);
                let allocation = ids::new_id("eipalloc");
                let ip = machine::take_address(
                    &mut txn.open(&machine::namespace()?)?,
                    Pool::Elastic,
                    &allocation,
                )?;
                let address = Address {
                    allocation_id: Some(allocation),
                    domain: Some("vpc".to_owned()),
                    public_ip: Some(ip.to_string()),
                    public_ipv4_pool: Some("amazon".to_owned()),
                    network_border_group: Some(ctx.region.clone()),
                    tags,
                    ..Default::default()
                };
                txn.open(&ns)?.put_json(
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
        let (ns, ip) = (namespace_of(ctx)?, found.public_ip.unwrap_or_default());
        self.store
            .write(move |txn| {
                txn.open(&ns)?.delete(&key)?;
                machine::release_address(&mut txn.open(&machine::namespace()?)?, &ip)
            })
            .await?;
        self.sync_forwards(ctx).await;
        Ok(())
    }
}
