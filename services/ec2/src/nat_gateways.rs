//! NAT gateways: made in a subnet (public ones with an Elastic IP, which
//! they then hold), pending for a moment on the nimbus clock before they
//! are available, deleting for a moment before deleted; deleted ones stay
//! visible for an hour, as EC2 shows them. Routes may go to them.

use std::net::Ipv4Addr;

use nimbus_core::{AwsError, RequestContext, Timestamp};
use nimbus_ec2_api::*;

use crate::filters::{self, Values};
use crate::records::{NAT_PREFIX, eip_key, namespace_of, nat_key, subnet_key};
use crate::{Ec2, cidr, errors, ids, tags};

/// How long a gateway is pending (or deleting), in milliseconds.
const SETTLING_MS: i64 = 1_000;
/// How long a deleted gateway stays visible.
const DELETED_VISIBLE_MS: i64 = 60 * 60 * 1_000;

pub fn nat_missing(id: &str) -> AwsError {
    errors::client("NatGatewayNotFound", format!("NAT gateway {id} was not found"))
}

/// The gateway as it stands at `now`: pending turns available, deleting
/// turns deleted, once settled.
pub fn settled(mut gateway: NatGateway, now: i64) -> NatGateway {
    let since = |t: Option<Timestamp>| t.map_or(0, |t| now - t.as_epoch_millis());
    match gateway.state.as_deref() {
        Some("pending") if since(gateway.create_time) >= SETTLING_MS => {
            gateway.state = Some("available".to_owned());
            for address in gateway.nat_gateway_addresses.iter_mut().flatten() {
                address.status = Some("succeeded".to_owned());
            }
        }
        Some("deleting") if since(gateway.delete_time) >= SETTLING_MS => {
            gateway.state = Some("deleted".to_owned())
        }
        _ => {}
    }
    gateway
}

/// Whether a gateway is still shown at `now`.
fn visible(gateway: &NatGateway, now: i64) -> bool {
    gateway.state.as_deref() != Some("deleted")
        || gateway
            .delete_time
            .is_none_or(|t| now - t.as_epoch_millis() < DELETED_VISIBLE_MS)
}

fn values(gateway: &NatGateway) -> Values<'_> {
    Box::new(move |name| {
        let one = |value: &Option<String>| Some(value.iter().cloned().collect());
        match name {
            "nat-gateway-id" => one(&gateway.nat_gateway_id),
            "state" => one(&gateway.state),
            "subnet-id" => one(&gateway.subnet_id),
            "vpc-id" => one(&gateway.vpc_id),
            other => filters::tag_values(gateway.tags.as_ref(), other),
        }
    })
}

/// An address of `block` for the gateway's interface, past AWS's reserved
/// four and the gateways already there.
fn private_address(block: &cidr::Ipv4Net, taken: usize) -> String {
    let offset = 4 + u32::try_from(taken).unwrap_or(0);
    Ipv4Addr::from(u32::from(block.network()) + offset).to_string()
}

impl Ec2 {
    pub(crate) async fn nat_gateways(&self, ctx: &RequestContext) -> Result<Vec<NatGateway>, AwsError> {
        let now = i64::try_from(self.clock.now_epoch_millis()).unwrap_or(i64::MAX);
        let stored = self.store.values_under(&namespace_of(ctx)?, NAT_PREFIX).await?;
        let all = stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice(bytes).ok());
        Ok(all.map(|g| settled(g, now)).filter(|g| visible(g, now)).collect())
    }

    pub(crate) async fn create_nat_gateway(
        &self,
        ctx: &RequestContext,
        input: CreateNatGatewayRequest,
    ) -> Result<CreateNatGatewayResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        let subnet_id = input.subnet_id.clone().ok_or_else(|| {
            errors::client(
                "MissingParameter",
                "The request must contain the parameter subnetId",
            )
        })?;
        let public = input.connectivity_type.as_deref().unwrap_or("public") == "public";
        if public && input.allocation_id.is_none() {
            return Err(errors::client(
                "MissingParameter",
                "The request must contain the parameter AllocationId for a public NAT gateway",
            ));
        }
        let gateway_tags = tags::from_specifications(input.tag_specifications.as_deref(), "natgateway")?;
        errors::check_dry_run(input.dry_run)?;
        let (ns, now) = (namespace_of(ctx)?, crate::records::now(&self.clock));
        let allocation = input.allocation_id.filter(|_| public);
        let connectivity = if public { "public" } else { "private" }.to_owned();
        let gateway = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let subnet: Subnet = table
                    .get_json(&subnet_key(&subnet_id))?
                    .ok_or_else(|| errors::subnet_missing(&subnet_id))?;
                let in_subnet = table
                    .scan(NAT_PREFIX)?
                    .filter_map(|e| e.ok()?.decode::<NatGateway>().ok())
                    .filter(|g| g.subnet_id.as_deref() == Some(subnet_id.as_str()))
                    .count();
                let block = cidr::parse(subnet.cidr_block.as_deref().unwrap_or_default()).unwrap_or_default();
                let interface = ids::new_id("eni");
                let mut address = NatGatewayAddress {
                    network_interface_id: Some(interface.clone()),
                    private_ip: Some(private_address(&block, in_subnet)),
                    is_primary: Some(true),
                    status: Some("assigning".to_owned()),
                    ..Default::default()
                };
                if let Some(id) = &allocation {
                    let mut eip: Address = table
                        .get_json(&eip_key(id))?
                        .ok_or_else(|| crate::addresses::allocation_missing(id))?;
                    if eip.association_id.is_some() {
                        return Err(errors::client(
                            "Resource.AlreadyAssociated",
                            format!("Elastic IP address [{id}] is already associated"),
                        ));
                    }
                    eip.association_id = Some(ids::new_id("eipassoc"));
                    eip.network_interface_id = Some(interface);
                    eip.private_ip_address = address.private_ip.clone();
                    address.allocation_id = Some(id.clone());
                    address.public_ip = eip.public_ip.clone();
                    address.association_id = eip.association_id.clone();
                    table.put_json(&eip_key(id), &eip)?;
                }
                let gateway = NatGateway {
                    create_time: Some(now),
                    nat_gateway_addresses: Some(vec![address]),
                    nat_gateway_id: Some(ids::new_id("nat")),
                    state: Some("pending".to_owned()),
                    subnet_id: Some(subnet_id),
                    vpc_id: subnet.vpc_id,
                    tags: gateway_tags,
                    connectivity_type: Some(connectivity),
                    ..Default::default()
                };
                table.put_json(
                    &nat_key(gateway.nat_gateway_id.as_deref().unwrap_or_default()),
                    &gateway,
                )?;
                Ok(gateway)
            })
            .await?;
        Ok(CreateNatGatewayResult {
            client_token: input.client_token,
            nat_gateway: Some(gateway),
        })
    }

    pub(crate) async fn describe_nat_gateways(
        &self,
        ctx: &RequestContext,
        input: DescribeNatGatewaysRequest,
    ) -> Result<DescribeNatGatewaysResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let all = self.nat_gateways(ctx).await?;
        let ids = input.nat_gateway_ids.unwrap_or_default();
        let filters = input.filter.unwrap_or_default();
        let gateways = filters::select(
            all,
            &ids,
            |r| r.nat_gateway_id.as_ref(),
            &filters,
            values,
            nat_missing,
        )?;
        let (gateways, next_token) =
            crate::paging::page(gateways, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeNatGatewaysResult {
            nat_gateways: Some(gateways),
            next_token,
        })
    }

    pub(crate) async fn delete_nat_gateway(
        &self,
        ctx: &RequestContext,
        input: DeleteNatGatewayRequest,
    ) -> Result<DeleteNatGatewayResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let (ns, id, now) = (
            namespace_of(ctx)?,
            input.nat_gateway_id,
            crate::records::now(&self.clock),
        );
        let clock_now = now.as_epoch_millis();
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let stored: NatGateway = table.get_json(&nat_key(&id))?.ok_or_else(|| nat_missing(&id))?;
                let mut gateway = settled(stored, clock_now);
                if matches!(gateway.state.as_deref(), Some("deleting" | "deleted")) {
                    return Ok(DeleteNatGatewayResult {
                        nat_gateway_id: Some(id),
                    });
                }
                // Its Elastic IP is let go.
                for address in gateway.nat_gateway_addresses.iter().flatten() {
                    if let Some(allocation) = &address.allocation_id
                        && let Some(mut eip) = table.get_json::<Address>(&eip_key(allocation))?
                    {
                        (
                            eip.association_id,
                            eip.network_interface_id,
                            eip.private_ip_address,
                        ) = (None, None, None);
                        table.put_json(&eip_key(allocation), &eip)?;
                    }
                }
                gateway.state = Some("deleting".to_owned());
                gateway.delete_time = Some(now);
                table.put_json(&nat_key(&id), &gateway)?;
                Ok(DeleteNatGatewayResult {
                    nat_gateway_id: Some(id),
                })
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use nimbus_runtime::TestClock;

    use super::*;

    #[test]
    fn a_gateway_settles_on_the_clock_and_fades_after_an_hour() {
        let clock = TestClock::new();
        let start = crate::records::now(&clock.clock());
        let gateway = NatGateway {
            create_time: Some(start),
            state: Some("pending".to_owned()),
            nat_gateway_addresses: Some(vec![NatGatewayAddress::default()]),
            ..Default::default()
        };
        let at = |ms: i64| start.as_epoch_millis() + ms;
        assert_eq!(
            settled(gateway.clone(), at(999)).state.as_deref(),
            Some("pending")
        );
        let available = settled(gateway, at(1_000));
        assert_eq!(available.state.as_deref(), Some("available"));
        assert_eq!(
            available.nat_gateway_addresses.unwrap()[0].status.as_deref(),
            Some("succeeded")
        );
        let deleting = NatGateway {
            state: Some("deleting".to_owned()),
            delete_time: Some(start),
            ..Default::default()
        };
        let deleted = settled(deleting, at(1_500));
        assert_eq!(deleted.state.as_deref(), Some("deleted"));
        assert!(visible(&deleted, at(59 * 60 * 1_000)));
        assert!(!visible(&deleted, at(61 * 60 * 1_000)));
    }

    #[test]
    fn interfaces_take_addresses_past_the_reserved_four() {
        let block = cidr::parse("10.0.1.0/24").unwrap();
        assert_eq!(private_address(&block, 0), "10.0.1.4");
        assert_eq!(private_address(&block, 2), "10.0.1.6");
    }
}
