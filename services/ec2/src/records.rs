//! Where EC2 keeps what it has, in the regional `ec2` namespace: each VPC
//! (`vpc/<id>`), subnet, internet gateway and route table as its Describe
//! shape, tags included; security groups with their rules; and a marker
//! that the region's defaults exist.

use nimbus_core::{AwsError, RequestContext};
use nimbus_store::Namespace;

pub const VPC_PREFIX: &[u8] = b"vpc/";
pub const SUBNET_PREFIX: &[u8] = b"subnet/";
pub const SG_PREFIX: &[u8] = b"sg/";
pub const IGW_PREFIX: &[u8] = b"igw/";
pub const RTB_PREFIX: &[u8] = b"rtb/";
pub const EIP_PREFIX: &[u8] = b"eip/";
pub const DOPT_PREFIX: &[u8] = b"dopt/";
pub const KEYPAIR_PREFIX: &[u8] = b"keypair/";
pub const NAT_PREFIX: &[u8] = b"nat/";
pub const INSTANCE_PREFIX: &[u8] = b"inst/";
pub const DEFAULTS_KEY: &[u8] = b"defaults";

pub fn namespace_of(ctx: &RequestContext) -> Result<Namespace, AwsError> {
    Namespace::regional("ec2", &ctx.account_id, &ctx.region).map_err(AwsError::from)
}

pub fn vpc_key(id: &str) -> Vec<u8> {
    [VPC_PREFIX, id.as_bytes()].concat()
}

pub fn subnet_key(id: &str) -> Vec<u8> {
    [SUBNET_PREFIX, id.as_bytes()].concat()
}

pub fn sg_key(id: &str) -> Vec<u8> {
    [SG_PREFIX, id.as_bytes()].concat()
}

pub fn igw_key(id: &str) -> Vec<u8> {
    [IGW_PREFIX, id.as_bytes()].concat()
}

pub fn rtb_key(id: &str) -> Vec<u8> {
    [RTB_PREFIX, id.as_bytes()].concat()
}

pub fn eip_key(id: &str) -> Vec<u8> {
    [EIP_PREFIX, id.as_bytes()].concat()
}

pub fn dopt_key(id: &str) -> Vec<u8> {
    [DOPT_PREFIX, id.as_bytes()].concat()
}

pub fn keypair_key(name: &str) -> Vec<u8> {
    [KEYPAIR_PREFIX, name.as_bytes()].concat()
}

pub fn nat_key(id: &str) -> Vec<u8> {
    [NAT_PREFIX, id.as_bytes()].concat()
}

pub fn instance_key(id: &str) -> Vec<u8> {
    [INSTANCE_PREFIX, id.as_bytes()].concat()
}

/// Now, as EC2 stamps what it makes (whole seconds).
pub fn now(clock: &nimbus_runtime::Clock) -> nimbus_core::Timestamp {
    let millis = i64::try_from(clock.now_epoch_millis() / 1000 * 1000).unwrap_or(i64::MAX);
    nimbus_core::Timestamp::from_epoch_millis(millis)
}

/// The key of the resource an id names, if EC2 keeps such resources.
pub fn key_of(id: &str) -> Option<Vec<u8>> {
    match crate::ids::kind_of(id)? {
        "vpc" => Some(vpc_key(id)),
        "subnet" => Some(subnet_key(id)),
        "security-group" => Some(sg_key(id)),
        "internet-gateway" => Some(igw_key(id)),
        "route-table" => Some(rtb_key(id)),
        "elastic-ip" => Some(eip_key(id)),
        "dhcp-options" => Some(dopt_key(id)),
        "natgateway" => Some(nat_key(id)),
        "instance" => Some(instance_key(id)),
        "volume" => Some(crate::volumes::key(id)),
        "snapshot" => Some([b"snap/".as_slice(), id.as_bytes()].concat()),
        "launch-template" => Some([b"lt/".as_slice(), id.as_bytes()].concat()),
        "image" => Some([b"ami/".as_slice(), id.as_bytes()].concat()),
        "network-acl" => Some(crate::network_acls::acl_key(id)),
        "vpc-peering-connection" => Some(crate::peering::key(id)),
        _ => None,
    }
}
