//! EC2, over the nimbus store: regions and zones, VPCs (with the
//! region's default VPC and its subnets), subnets, security groups,
//! gateways, route tables, addresses, key pairs and tags; instances that
//! run as local processes (`host`).
//!
//! The service implements the generated [`Ec2Api`]: one method per
//! operation listed in apis/ec2/operations.txt, each handled by a module
//! of its concern.

// Tests unwrap what they just built.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod addresses;
mod associations;
mod attributes;
mod cidr;
mod dhcp;
mod drills;
mod errors;
mod filters;
mod forwarding;
mod gateways;
mod host;
mod ids;
mod images;
mod imds;
mod instance_types;
mod instances;
mod interfaces;
mod key_pairs;
mod launch_templates;
mod nat_gateways;
mod network_acl_changes;
mod network_acls;
mod own_images;
mod paging;
mod peering;
mod records;
mod regions;
mod route_tables;
mod security_groups;
mod sg_operations;
mod sg_rules;
mod snapshots;
mod subnets;
mod tags;
mod volume_attachments;
mod volumes;
mod vpcs;
mod zones;

use std::sync::{Arc, Mutex};

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;
use nimbus_runtime::Clock;
use nimbus_store::Store;
use tokio::sync::mpsc;

use crate::host::{Exit, Host};

/// The EC2 service. State lives in the store; instances' processes on the host.
#[derive(Clone)]
pub struct Ec2 {
    store: Arc<Store>,
    clock: Clock,
    host: Arc<Host>,
    /// Inits that ended by themselves, until the background task takes them.
    exits: Arc<Mutex<Option<mpsc::UnboundedReceiver<Exit>>>>,
    /// Relays from public addresses to instances.
    forwards: Arc<forwarding::Forwards>,
    /// The instances' metadata services.
    imds: Arc<imds::Imds>,
    /// Instance records kept decoded for listings.
    decoded: Arc<instances::decoded::Decoded>,
}

/// Where instances reach nimbus unless told otherwise.
const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:4566";

impl Ec2 {
    pub fn new(store: Arc<Store>, clock: Clock) -> Self {
        let (host, exits) = Host::new(store.data_dir(), DEFAULT_ENDPOINT.to_owned(), clock.clone());
        Ec2 {
            store,
            clock,
            host,
            exits: Arc::new(Mutex::new(Some(exits))),
            forwards: Arc::default(),
            imds: Arc::default(),
            decoded: Arc::default(),
        }
    }

    /// The address instances' AWS SDKs and CLI call nimbus at.
    pub fn with_endpoint(self, endpoint: impl Into<String>) -> Self {
        let (host, exits) = Host::new(self.store.data_dir(), endpoint.into(), self.clock.clone());
        Ec2 {
            host,
            exits: Arc::new(Mutex::new(Some(exits))),
            ..self
        }
    }

    /// Starts the background work (in a Tokio runtime): instances a
    /// previous run left running come back, and inits that end by
    /// themselves are heard.
    pub fn start_background(&self) {
        let taken = self.exits.lock().ok().and_then(|mut e| e.take());
        let Some(mut exits) = taken else { return };
        let ec2 = self.clone();
        tokio::spawn(async move {
            ec2.resume_instances().await;
            while let Some(exit) = exits.recv().await {
                ec2.on_exit(exit).await;
            }
        });
    }

    /// Ends every instance's processes (nimbus is stopping).
    pub fn halt_instances(&self) {
        self.host.kill_all();
    }

    /// Instances' roles come from IAM's instance profiles (GetInstanceProfile),
    /// their sessions from STS's AssumeRole.
    pub fn with_roles(&self, iam: nimbus_iam_api::IamClient, sts: nimbus_sts_api::StsClient) {
        self.imds.wire(iam, sts);
    }
}

/// Hands each operation to the service's method of the same name.
macro_rules! delegate {
    ($($name:ident($input:ty) -> $output:ty;)*) => {
        $(async fn $name(&self, ctx: &RequestContext, input: $input) -> Result<$output, AwsError> {
            Ec2::$name(self, ctx, input).await
        })*
    };
}

/// The operations, served by the handlers of the modules.
impl Ec2Api for Ec2 {
    delegate! {
        describe_regions(DescribeRegionsRequest) -> DescribeRegionsResult;
        describe_availability_zones(DescribeAvailabilityZonesRequest) -> DescribeAvailabilityZonesResult;
        create_vpc(CreateVpcRequest) -> CreateVpcResult;
        delete_vpc(DeleteVpcRequest) -> ();
        describe_vpcs(DescribeVpcsRequest) -> DescribeVpcsResult;
        create_subnet(CreateSubnetRequest) -> CreateSubnetResult;
        delete_subnet(DeleteSubnetRequest) -> ();
        describe_subnets(DescribeSubnetsRequest) -> DescribeSubnetsResult;
        create_tags(CreateTagsRequest) -> ();
        delete_tags(DeleteTagsRequest) -> ();
        describe_tags(DescribeTagsRequest) -> DescribeTagsResult;
        create_security_group(CreateSecurityGroupRequest) -> CreateSecurityGroupResult;
        delete_security_group(DeleteSecurityGroupRequest) -> DeleteSecurityGroupResult;
        describe_security_groups(DescribeSecurityGroupsRequest) -> DescribeSecurityGroupsResult;
        describe_security_group_rules(DescribeSecurityGroupRulesRequest) -> DescribeSecurityGroupRulesResult;
        authorize_security_group_ingress(AuthorizeSecurityGroupIngressRequest) -> AuthorizeSecurityGroupIngressResult;
        authorize_security_group_egress(AuthorizeSecurityGroupEgressRequest) -> AuthorizeSecurityGroupEgressResult;
        revoke_security_group_ingress(RevokeSecurityGroupIngressRequest) -> RevokeSecurityGroupIngressResult;
        revoke_security_group_egress(RevokeSecurityGroupEgressRequest) -> RevokeSecurityGroupEgressResult;
        create_internet_gateway(CreateInternetGatewayRequest) -> CreateInternetGatewayResult;
        delete_internet_gateway(DeleteInternetGatewayRequest) -> ();
        describe_internet_gateways(DescribeInternetGatewaysRequest) -> DescribeInternetGatewaysResult;
        attach_internet_gateway(AttachInternetGatewayRequest) -> ();
        detach_internet_gateway(DetachInternetGatewayRequest) -> ();
        create_route_table(CreateRouteTableRequest) -> CreateRouteTableResult;
        delete_route_table(DeleteRouteTableRequest) -> ();
        describe_route_tables(DescribeRouteTablesRequest) -> DescribeRouteTablesResult;
        create_route(CreateRouteRequest) -> CreateRouteResult;
        delete_route(DeleteRouteRequest) -> ();
        replace_route(ReplaceRouteRequest) -> ();
        associate_route_table(AssociateRouteTableRequest) -> AssociateRouteTableResult;
        disassociate_route_table(DisassociateRouteTableRequest) -> ();
        describe_vpc_attribute(DescribeVpcAttributeRequest) -> DescribeVpcAttributeResult;
        modify_vpc_attribute(ModifyVpcAttributeRequest) -> ();
        modify_subnet_attribute(ModifySubnetAttributeRequest) -> ();
        describe_network_acls(DescribeNetworkAclsRequest) -> DescribeNetworkAclsResult;
        describe_network_interfaces(DescribeNetworkInterfacesRequest) -> DescribeNetworkInterfacesResult;
        describe_images(DescribeImagesRequest) -> DescribeImagesResult;
        describe_instance_types(DescribeInstanceTypesRequest) -> DescribeInstanceTypesResult;
        allocate_address(AllocateAddressRequest) -> AllocateAddressResult;
        release_address(ReleaseAddressRequest) -> ();
        describe_addresses(DescribeAddressesRequest) -> DescribeAddressesResult;
        describe_addresses_attribute(DescribeAddressesAttributeRequest) -> DescribeAddressesAttributeResult;
        disassociate_address(DisassociateAddressRequest) -> ();
        associate_address(AssociateAddressRequest) -> AssociateAddressResult;
        describe_account_attributes(DescribeAccountAttributesRequest) -> DescribeAccountAttributesResult;
        create_dhcp_options(CreateDhcpOptionsRequest) -> CreateDhcpOptionsResult;
        delete_dhcp_options(DeleteDhcpOptionsRequest) -> ();
        describe_dhcp_options(DescribeDhcpOptionsRequest) -> DescribeDhcpOptionsResult;
        associate_dhcp_options(AssociateDhcpOptionsRequest) -> ();
        create_key_pair(CreateKeyPairRequest) -> KeyPair;
        import_key_pair(ImportKeyPairRequest) -> ImportKeyPairResult;
        describe_key_pairs(DescribeKeyPairsRequest) -> DescribeKeyPairsResult;
        delete_key_pair(DeleteKeyPairRequest) -> DeleteKeyPairResult;
        create_nat_gateway(CreateNatGatewayRequest) -> CreateNatGatewayResult;
        delete_nat_gateway(DeleteNatGatewayRequest) -> DeleteNatGatewayResult;
        describe_nat_gateways(DescribeNatGatewaysRequest) -> DescribeNatGatewaysResult;
        run_instances(RunInstancesRequest) -> Reservation;
        describe_instances(DescribeInstancesRequest) -> DescribeInstancesResult;
        describe_instance_status(DescribeInstanceStatusRequest) -> DescribeInstanceStatusResult;
        start_instances(StartInstancesRequest) -> StartInstancesResult;
        stop_instances(StopInstancesRequest) -> StopInstancesResult;
        reboot_instances(RebootInstancesRequest) -> ();
        terminate_instances(TerminateInstancesRequest) -> TerminateInstancesResult;
        get_console_output(GetConsoleOutputRequest) -> GetConsoleOutputResult;
        modify_instance_attribute(ModifyInstanceAttributeRequest) -> ();
        describe_instance_attribute(DescribeInstanceAttributeRequest) -> InstanceAttribute;
        create_network_acl(CreateNetworkAclRequest) -> CreateNetworkAclResult;
        create_vpc_peering_connection(CreateVpcPeeringConnectionRequest) -> CreateVpcPeeringConnectionResult;
        accept_vpc_peering_connection(AcceptVpcPeeringConnectionRequest) -> AcceptVpcPeeringConnectionResult;
        reject_vpc_peering_connection(RejectVpcPeeringConnectionRequest) -> RejectVpcPeeringConnectionResult;
        delete_vpc_peering_connection(DeleteVpcPeeringConnectionRequest) -> DeleteVpcPeeringConnectionResult;
        describe_vpc_peering_connections(DescribeVpcPeeringConnectionsRequest) -> DescribeVpcPeeringConnectionsResult;
        delete_network_acl(DeleteNetworkAclRequest) -> ();
        create_network_acl_entry(CreateNetworkAclEntryRequest) -> ();
        replace_network_acl_entry(ReplaceNetworkAclEntryRequest) -> ();
        delete_network_acl_entry(DeleteNetworkAclEntryRequest) -> ();
        replace_network_acl_association(ReplaceNetworkAclAssociationRequest) -> ReplaceNetworkAclAssociationResult;
        modify_instance_metadata_options(ModifyInstanceMetadataOptionsRequest) -> ModifyInstanceMetadataOptionsResult;
        describe_instance_credit_specifications(DescribeInstanceCreditSpecificationsRequest) -> DescribeInstanceCreditSpecificationsResult;
        create_launch_template(CreateLaunchTemplateRequest) -> CreateLaunchTemplateResult;
        create_launch_template_version(CreateLaunchTemplateVersionRequest) -> CreateLaunchTemplateVersionResult;
        describe_launch_templates(DescribeLaunchTemplatesRequest) -> DescribeLaunchTemplatesResult;
        describe_launch_template_versions(DescribeLaunchTemplateVersionsRequest) -> DescribeLaunchTemplateVersionsResult;
        modify_launch_template(ModifyLaunchTemplateRequest) -> ModifyLaunchTemplateResult;
        delete_launch_template(DeleteLaunchTemplateRequest) -> DeleteLaunchTemplateResult;
        delete_launch_template_versions(DeleteLaunchTemplateVersionsRequest) -> DeleteLaunchTemplateVersionsResult;
        create_volume(CreateVolumeRequest) -> Volume;
        delete_volume(DeleteVolumeRequest) -> ();
        describe_volumes(DescribeVolumesRequest) -> DescribeVolumesResult;
        attach_volume(AttachVolumeRequest) -> VolumeAttachment;
        detach_volume(DetachVolumeRequest) -> VolumeAttachment;
        create_snapshot(CreateSnapshotRequest) -> Snapshot;
        describe_snapshots(DescribeSnapshotsRequest) -> DescribeSnapshotsResult;
        delete_snapshot(DeleteSnapshotRequest) -> ();
        create_image(CreateImageRequest) -> CreateImageResult;
        deregister_image(DeregisterImageRequest) -> DeregisterImageResult;
    }

    /// Instances' processes end with the state they ran for (reset, snapshot
    /// restore); what the restored state says runs comes back.
    fn reset(&self) {
        self.host.kill_all();
        self.forwards.clear();
        self.imds.clear();
        self.decoded.clear();
        let ec2 = self.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { ec2.resume_instances().await });
        }
    }
}

#[cfg(test)]
mod tests;
