//! Network interfaces: each instance's primary interface, as
//! DescribeNetworkInterfaces shows it (attached, in-use, its addresses,
//! groups and public association), made from the instance's record; an
//! instance's interface goes with it. Interfaces of their own
//! (CreateNetworkInterface) are not served yet.

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;

use crate::filters::{self, Values};
use crate::instances::InstanceRecord;
use crate::{Ec2, errors};

fn missing(id: &str) -> AwsError {
    errors::client(
        "InvalidNetworkInterfaceID.NotFound",
        format!("The networkInterface ID '{id}' does not exist"),
    )
}

/// The primary interface of an instance that has one (not terminated).
fn interface_of(record: &InstanceRecord) -> Option<NetworkInterface> {
    let instance = &record.instance;
    let primary = instance.network_interfaces.as_ref()?.first()?;
    let association = primary.association.as_ref().map(|a| NetworkInterfaceAssociation {
        public_ip: a.public_ip.clone(),
        public_dns_name: a.public_dns_name.clone(),
        ip_owner_id: a.ip_owner_id.clone(),
        ..Default::default()
    });
    let attachment = primary.attachment.as_ref().map(|a| NetworkInterfaceAttachment {
        attach_time: a.attach_time,
        attachment_id: a.attachment_id.clone(),
        delete_on_termination: a.delete_on_termination,
        device_index: a.device_index,
        network_card_index: a.network_card_index,
        instance_id: instance.instance_id.clone(),
        instance_owner_id: primary.owner_id.clone(),
        status: a.status.clone(),
        ..Default::default()
    });
    let placement = instance.placement.as_ref();
    Some(NetworkInterface {
        network_interface_id: primary.network_interface_id.clone(),
        subnet_id: primary.subnet_id.clone(),
        vpc_id: primary.vpc_id.clone(),
        availability_zone: placement.and_then(|p| p.availability_zone.clone()),
        availability_zone_id: placement.and_then(|p| p.availability_zone_id.clone()),
        description: primary.description.clone(),
        groups: primary.groups.clone(),
        interface_type: primary.interface_type.clone(),
        mac_address: primary.mac_address.clone(),
        owner_id: primary.owner_id.clone(),
        private_dns_name: primary.private_dns_name.clone(),
        private_ip_address: primary.private_ip_address.clone(),
        private_ip_addresses: Some(
            primary
                .private_ip_addresses
                .iter()
                .flatten()
                .map(|p| NetworkInterfacePrivateIpAddress {
                    association: association.clone(),
                    primary: p.primary,
                    private_dns_name: p.private_dns_name.clone(),
                    private_ip_address: p.private_ip_address.clone(),
                })
                .collect(),
        ),
        association,
        attachment,
        requester_managed: Some(false),
        source_dest_check: primary.source_dest_check,
        status: Some("in-use".to_owned()),
        tag_set: Some(vec![]),
        ..Default::default()
    })
}

fn values(interface: &NetworkInterface) -> Values<'_> {
    Box::new(move |name| {
        let one = |value: &Option<String>| Some(value.iter().cloned().collect());
        let groups = interface.groups.iter().flatten();
        let attachment = interface.attachment.as_ref();
        match name {
            "network-interface-id" => one(&interface.network_interface_id),
            "subnet-id" => one(&interface.subnet_id),
            "vpc-id" => one(&interface.vpc_id),
            "availability-zone" => one(&interface.availability_zone),
            "description" => one(&interface.description),
            "interface-type" => one(&interface.interface_type),
            "mac-address" => one(&interface.mac_address),
            "owner-id" => one(&interface.owner_id),
            "status" => one(&interface.status),
            "private-ip-address" | "addresses.private-ip-address" => one(&interface.private_ip_address),
            "association.public-ip" => one(&interface.association.as_ref().and_then(|a| a.public_ip.clone())),
            "attachment.instance-id" => one(&attachment.and_then(|a| a.instance_id.clone())),
            "attachment.attachment-id" => one(&attachment.and_then(|a| a.attachment_id.clone())),
            "attachment.status" => one(&attachment.and_then(|a| a.status.clone())),
            "group-id" => Some(groups.clone().filter_map(|g| g.group_id.clone()).collect()),
            "group-name" => Some(groups.clone().filter_map(|g| g.group_name.clone()).collect()),
            "requester-managed" => Some(vec![interface.requester_managed.unwrap_or(false).to_string()]),
            other => filters::tag_values(interface.tag_set.as_ref(), other),
        }
    })
}

impl Ec2 {
    pub(crate) async fn describe_network_interfaces(
        &self,
        ctx: &RequestContext,
        input: DescribeNetworkInterfacesRequest,
    ) -> Result<DescribeNetworkInterfacesResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        // An unknown filter is refused even when there is nothing to match.
        let unknown = {
            let probe = NetworkInterface::default();
            let known = values(&probe);
            let given = input.filters.iter().flatten().filter_map(|f| f.name.clone());
            given.into_iter().find(|name| known(name).is_none())
        };
        if let Some(unknown) = unknown {
            return Err(errors::invalid_parameter(format!(
                "The filter '{unknown}' is invalid"
            )));
        }
        let all: Vec<NetworkInterface> = self
            .instances(ctx)
            .await?
            .iter()
            .filter_map(interface_of)
            .collect();
        let ids = input.network_interface_ids.unwrap_or_default();
        let chosen = filters::select(
            all,
            &ids,
            |i| i.network_interface_id.as_ref(),
            input.filters.as_deref().unwrap_or_default(),
            values,
            missing,
        )?;
        let (page, next_token) = crate::paging::page(chosen, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeNetworkInterfacesResult {
            network_interfaces: Some(page),
            next_token,
        })
    }
}
