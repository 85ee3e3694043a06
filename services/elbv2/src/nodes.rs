//! Load balancer nodes' addresses, unique on the machine: ELB's global
//! namespace hands out 127.255.0.0/16 (EC2's pools end below it), and
//! remembers which accounts and regions have load balancers, so the data
//! plane comes back after a restart.

use std::net::Ipv4Addr;

use nimbus_core::AwsError;
use nimbus_store::{Namespace, TableMut};
use serde::{Deserialize, Serialize};

const ADDRESS_PREFIX: &[u8] = b"addr/";
pub const HOME_PREFIX: &[u8] = b"home/";
const CURSOR: &[u8] = b"next/node";
const FIRST: u32 = u32::from_be_bytes([127, 255, 0, 1]);
const LAST: u32 = u32::from_be_bytes([127, 255, 255, 254]);

/// An account and region with load balancers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub struct Home {
    pub account: String,
    pub region: String,
}

pub fn namespace() -> Result<Namespace, AwsError> {
    Namespace::global("elbv2").map_err(AwsError::from)
}

pub fn home_key(account: &str, region: &str) -> Vec<u8> {
    [HOME_PREFIX, account.as_bytes(), b"/", region.as_bytes()].concat()
}

fn address_key(address: Ipv4Addr) -> Vec<u8> {
    [ADDRESS_PREFIX, address.to_string().as_bytes()].concat()
}

/// Takes the next free node address for `holder` (a load balancer ARN).
pub fn take_address(table: &mut TableMut<'_>, holder: &str) -> Result<Ipv4Addr, AwsError> {
    // A random start: two nimbus on one machine rarely hand out the same address.
    let start = FIRST + u32::try_from(uuid::Uuid::new_v4().as_u128() % u128::from(LAST - FIRST)).unwrap_or(0);
    let mut next: u32 = table.get_json(CURSOR)?.unwrap_or(start);
    for _ in 0..=(LAST - FIRST) {
        let address = Ipv4Addr::from(next.clamp(FIRST, LAST));
        next = if next >= LAST { FIRST } else { next + 1 };
        let [.., low] = address.octets();
        if low == 0 || low == 255 || table.get(&address_key(address))?.is_some() {
            continue;
        }
        table.put(&address_key(address), holder.as_bytes())?;
        table.put_json(CURSOR, &next)?;
        return Ok(address);
    }
    Err(AwsError::new(
        "InsufficientCapacity",
        "There is no loopback address left for another load balancer node.",
        500,
    ))
}

pub fn release_address(table: &mut TableMut<'_>, address: &str) -> Result<(), AwsError> {
    if let Ok(address) = address.parse::<Ipv4Addr>() {
        table.delete(&address_key(address))?;
    }
    Ok(())
}
