//! IPv4 CIDR blocks as EC2 reads them: canonical (host bits cleared),
//! sized /16 to /28, checked for overlap, with the addresses a subnet
//! leaves its instances (AWS reserves five of each).

use std::net::Ipv4Addr;

pub use ipnet::Ipv4Net;

/// A CIDR block, canonical; `None` when it is not one.
pub fn parse(text: &str) -> Option<Ipv4Net> {
    let (address, prefix) = text.split_once('/')?;
    let address: Ipv4Addr = address.parse().ok()?;
    let prefix: u8 = prefix.parse().ok()?;
    Ipv4Net::new(address, prefix).ok().map(|net| net.trunc())
}

/// Whether EC2 takes a VPC or subnet of this size.
pub fn sized_for_vpc(net: &Ipv4Net) -> bool {
    (16..=28).contains(&net.prefix_len())
}

pub fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// The addresses a new subnet of `net` offers (all but AWS's five).
pub fn available_addresses(net: &Ipv4Net) -> i32 {
    (1i32 << (32 - u32::from(net.prefix_len()))) - 5
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_canonical_sized_and_counted() {
        assert_eq!(parse("100.68.0.18/18").unwrap().to_string(), "100.68.0.0/18");
        assert!(parse("10.0.0.0").is_none() && parse("10.0.0.0/33").is_none() && parse("nope/16").is_none());
        assert!(sized_for_vpc(&parse("10.0.0.0/16").unwrap()));
        assert!(
            !sized_for_vpc(&parse("10.0.0.0/8").unwrap()) && !sized_for_vpc(&parse("10.0.0.0/29").unwrap())
        );
        let vpc = parse("10.0.0.0/16").unwrap();
        assert!(overlaps(&vpc, &parse("10.0.5.0/24").unwrap()));
        assert!(!overlaps(
            &parse("10.0.0.0/24").unwrap(),
            &parse("10.0.1.0/24").unwrap()
        ));
        assert_eq!(available_addresses(&parse("172.31.0.0/20").unwrap()), 4091);
        assert_eq!(available_addresses(&parse("10.0.0.0/28").unwrap()), 11);
    }
}
