//! Resource ids as EC2 makes them: a prefix, a dash and 17 hex digits.

/// A new id with `prefix` (`vpc`, `subnet`, `vpc-cidr-assoc`).
pub fn new_id(prefix: &str) -> String {
    let random = uuid::Uuid::new_v4().as_u128();
    format!("{prefix}-{:017x}", random & ((1u128 << 68) - 1))
}

/// A stable id with `prefix`, made of `seed` (what nimbus derives rather
/// than keeps: built-in images, default network ACLs).
pub fn derived(prefix: &str, seed: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(seed.as_bytes());
    let hex: String = digest.iter().take(9).map(|b| format!("{b:02x}")).collect();
    format!("{prefix}-{}", &hex[..17])
}

/// The kind of resource an id names, by its prefix (`vpc-0a…` is `vpc`).
pub fn kind_of(id: &str) -> Option<&'static str> {
    let prefix = id.rsplit_once('-')?.0;
    Some(match prefix {
        "vpc" => "vpc",
        "subnet" => "subnet",
        "sg" => "security-group",
        "igw" => "internet-gateway",
        "rtb" => "route-table",
        "eipalloc" => "elastic-ip",
        "dopt" => "dhcp-options",
        "nat" => "natgateway",
        "i" => "instance",
        "vol" => "volume",
        "snap" => "snapshot",
        "lt" => "launch-template",
        "ami" => "image",
        "acl" => "network-acl",
        "pcx" => "vpc-peering-connection",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_seventeen_hex_digits() {
        let id = new_id("vpc");
        let digits = id.strip_prefix("vpc-").unwrap();
        assert_eq!(digits.len(), 17);
        assert!(
            digits
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_eq!(kind_of(&id), Some("vpc"));
        assert_eq!(kind_of("subnet-0123"), Some("subnet"));
        assert_eq!(kind_of("i-0123"), Some("instance"));
        assert_eq!(kind_of("eni-0123"), None);
    }
}
