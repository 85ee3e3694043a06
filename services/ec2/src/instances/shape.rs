//! An instance's Describe shape as EC2 fills it in at launch, and its
//! addresses (the primary network interface's too).

use nimbus_core::Timestamp;
use nimbus_ec2_api::*;

use crate::ids;

/// What an instance is made of, resolved.
pub struct Parts<'a> {
    pub account: &'a str,
    pub image: &'a Image,
    pub instance_type: &'a str,
    pub subnet: &'a Subnet,
    pub groups: &'a [GroupIdentifier],
    pub key_name: Option<&'a str>,
    pub index: usize,
    pub launch_time: Timestamp,
    pub tags: Option<Vec<Tag>>,
    pub client_token: Option<&'a str>,
    pub profile: Option<IamInstanceProfile>,
    pub metadata: InstanceMetadataOptionsResponse,
}

/// `ip-127-1-0-5.ec2.internal` (us-east-1) or `ip-....<region>.compute.internal`.
pub fn private_dns(address: &str, region: &str) -> String {
    let host = format!("ip-{}", address.replace('.', "-"));
    match region {
        "us-east-1" => format!("{host}.ec2.internal"),
        other => format!("{host}.{other}.compute.internal"),
    }
}

fn public_dns(address: &str, region: &str) -> String {
    let host = format!("ec2-{}", address.replace('.', "-"));
    match region {
        "us-east-1" => format!("{host}.compute-1.amazonaws.com"),
        other => format!("{host}.{other}.compute.amazonaws.com"),
    }
}

/// A MAC address for a new interface (locally administered, like EC2's `0e:`/`12:`).
fn new_mac() -> String {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let tail: Vec<String> = bytes[..5].iter().map(|b| format!("{b:02x}")).collect();
    format!("0e:{}", tail.join(":"))
}

pub fn new_instance(parts: Parts<'_>) -> Instance {
    let id = ids::new_id("i");
    let interface = InstanceNetworkInterface {
        network_interface_id: Some(ids::new_id("eni")),
        attachment: Some(InstanceNetworkInterfaceAttachment {
            attachment_id: Some(ids::new_id("eni-attach")),
            attach_time: Some(parts.launch_time),
            delete_on_termination: Some(true),
            device_index: Some(0),
            status: Some("attached".to_owned()),
            network_card_index: Some(0),
            ..Default::default()
        }),
        description: Some(String::new()),
        groups: Some(parts.groups.to_vec()),
        mac_address: Some(new_mac()),
        owner_id: Some(parts.account.to_owned()),
        source_dest_check: Some(true),
        status: Some("in-use".to_owned()),
        subnet_id: parts.subnet.subnet_id.clone(),
        vpc_id: parts.subnet.vpc_id.clone(),
        interface_type: Some("interface".to_owned()),
        ..Default::default()
    };
    let zone = parts.subnet.availability_zone.clone();
    Instance {
        instance_id: Some(id),
        image_id: parts.image.image_id.clone(),
        instance_type: Some(parts.instance_type.to_owned()),
        key_name: parts.key_name.map(str::to_owned),
        ami_launch_index: i32::try_from(parts.index).ok(),
        product_codes: Some(vec![]),
        launch_time: Some(parts.launch_time),
        placement: Some(Placement {
            availability_zone: zone,
            availability_zone_id: parts.subnet.availability_zone_id.clone(),
            group_name: Some(String::new()),
            tenancy: Some("default".to_owned()),
            ..Default::default()
        }),
        monitoring: Some(Monitoring {
            state: Some("disabled".to_owned()),
        }),
        subnet_id: parts.subnet.subnet_id.clone(),
        vpc_id: parts.subnet.vpc_id.clone(),
        architecture: parts.image.architecture.clone(),
        root_device_type: Some("ebs".to_owned()),
        root_device_name: parts.image.root_device_name.clone(),
        block_device_mappings: Some(vec![]),
        virtualization_type: Some("hvm".to_owned()),
        hypervisor: Some("xen".to_owned()),
        client_token: parts.client_token.map(str::to_owned),
        tags: parts.tags,
        security_groups: Some(parts.groups.to_vec()),
        source_dest_check: Some(true),
        network_interfaces: Some(vec![interface]),
        ebs_optimized: Some(false),
        ena_support: Some(true),
        iam_instance_profile: parts.profile,
        metadata_options: Some(parts.metadata),
        platform_details: parts.image.platform_details.clone(),
        usage_operation: parts.image.usage_operation.clone(),
        usage_operation_update_time: Some(parts.launch_time),
        boot_mode: Some("uefi-preferred".to_owned()),
        current_instance_boot_mode: Some("legacy-bios".to_owned()),
        private_dns_name_options: Some(PrivateDnsNameOptionsResponse {
            hostname_type: Some("ip-name".to_owned()),
            enable_resource_name_dns_a_record: Some(false),
            enable_resource_name_dns_aaaa_record: Some(false),
        }),
        maintenance_options: Some(InstanceMaintenanceOptions {
            auto_recovery: Some("default".to_owned()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn primary(instance: &mut Instance) -> Option<&mut InstanceNetworkInterface> {
    instance.network_interfaces.as_mut()?.first_mut()
}

/// Gives it its private address (and DNS name), on the instance and its interface.
pub fn set_private(instance: &mut Instance, address: &str, region: &str) {
    let dns = private_dns(address, region);
    instance.private_ip_address = Some(address.to_owned());
    instance.private_dns_name = Some(dns.clone());
    if let Some(interface) = primary(instance) {
        interface.private_ip_address = Some(address.to_owned());
        interface.private_dns_name = Some(dns.clone());
        interface.private_ip_addresses = Some(vec![InstancePrivateIpAddress {
            primary: Some(true),
            private_ip_address: Some(address.to_owned()),
            private_dns_name: Some(dns),
            ..Default::default()
        }]);
    }
}

/// Gives it a public address (or takes it away), with the owner EC2 names:
/// `amazon` for one of its pool, the account for an Elastic IP.
pub fn set_public(instance: &mut Instance, address: Option<&str>, region: &str, owner: &str) {
    instance.public_ip_address = address.map(str::to_owned);
    instance.public_dns_name = Some(address.map(|a| public_dns(a, region)).unwrap_or_default());
    let association = address.map(|a| InstanceNetworkInterfaceAssociation {
        public_ip: Some(a.to_owned()),
        public_dns_name: Some(public_dns(a, region)),
        ip_owner_id: Some(owner.to_owned()),
        ..Default::default()
    });
    if let Some(interface) = primary(instance) {
        interface.association = association.clone();
        for private in interface.private_ip_addresses.iter_mut().flatten() {
            private.association = association.clone();
        }
    }
}
