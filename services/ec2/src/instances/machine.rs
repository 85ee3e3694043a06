//! What is unique on this machine rather than per account and region, in
//! EC2's global namespace: the loopback addresses instances hold (each
//! instance a private one, some a public one) and Elastic IPs are, and
//! which instances have processes to bring back after a restart.

use std::net::Ipv4Addr;

use nimbus_core::AwsError;
use nimbus_store::{Namespace, TableMut};
use serde::{Deserialize, Serialize};

pub const LIVE_PREFIX: &[u8] = b"live/";
const ADDRESS_PREFIX: &[u8] = b"addr/";

/// Where addresses of each kind come from (127.0.0.0/16 is the host's own,
/// 127.200.0.0/16 Elastic IPs').
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    Private,
    Public,
    Elastic,
}

impl Pool {
    fn range(self) -> (u32, u32) {
        match self {
            Pool::Private => (
                u32::from(Ipv4Addr::new(127, 1, 0, 1)),
                u32::from(Ipv4Addr::new(127, 199, 255, 254)),
            ),
            Pool::Public => (
                u32::from(Ipv4Addr::new(127, 201, 0, 1)),
                u32::from(Ipv4Addr::new(127, 254, 255, 254)),
            ),
            Pool::Elastic => (
                u32::from(Ipv4Addr::new(127, 200, 0, 1)),
                u32::from(Ipv4Addr::new(127, 200, 255, 254)),
            ),
        }
    }

    fn cursor(self) -> &'static [u8] {
        match self {
            Pool::Private => b"next/private",
            Pool::Public => b"next/public",
            Pool::Elastic => b"next/elastic",
        }
    }
}

/// Where an instance with processes lives.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Live {
    pub account: String,
    pub region: String,
}

pub fn namespace() -> Result<Namespace, AwsError> {
    Namespace::global("ec2").map_err(AwsError::from)
}

pub fn live_key(id: &str) -> Vec<u8> {
    [LIVE_PREFIX, id.as_bytes()].concat()
}

fn address_key(address: Ipv4Addr) -> Vec<u8> {
    [ADDRESS_PREFIX, address.to_string().as_bytes()].concat()
}

/// Takes the next free address of `pool` for `holder`.
pub fn take_address(table: &mut TableMut<'_>, pool: Pool, holder: &str) -> Result<Ipv4Addr, AwsError> {
    let (first, last) = pool.range();
    // A random start: two nimbus on one machine rarely hand out the same address.
    let start = first + u32::try_from(uuid::Uuid::new_v4().as_u128() % u128::from(last - first)).unwrap_or(0);
    let mut next: u32 = table.get_json(pool.cursor())?.unwrap_or(start);
    for _ in 0..=(last - first) {
        let address = Ipv4Addr::from(next.clamp(first, last));
        next = if next >= last { first } else { next + 1 };
        let [.., low] = address.octets();
        if low == 0 || low == 255 || table.get(&address_key(address))?.is_some() {
            continue;
        }
        table.put(&address_key(address), holder.as_bytes())?;
        table.put_json(pool.cursor(), &next)?;
        return Ok(address);
    }
    Err(match pool {
        Pool::Elastic => AwsError::new(
            "AddressLimitExceeded",
            "The maximum number of addresses has been reached.",
            400,
        ),
        _ => AwsError::new(
            "InsufficientInstanceCapacity",
            "There is no loopback address left for another instance.",
            500,
        ),
    })
}

/// Gives an address back (the holder is gone, or it moved).
pub fn release_address(table: &mut TableMut<'_>, address: &str) -> Result<(), AwsError> {
    if let Ok(address) = address.parse::<Ipv4Addr>() {
        table.delete(&address_key(address))?;
    }
    Ok(())
}
