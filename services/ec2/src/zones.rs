//! Regions and their availability zones. us-east-1 has six zones, named
//! and numbered as most accounts see them; the other regions three, a to
//! c. Each zone has the default subnet's block it is given in the default
//! VPC (172.31.0.0/16 cut into /20s by zone id, as AWS cuts it).

/// The regions nimbus answers as EC2's.
pub const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-south-1",
    "sa-east-1",
];

/// A zone of a region: its name, its id, and its default subnet's block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    pub name: String,
    pub id: String,
    pub default_block: String,
}

/// us-east-1's zones: letter, zone id number.
const US_EAST_1: [(char, u8); 6] = [('a', 6), ('b', 1), ('c', 2), ('d', 4), ('e', 3), ('f', 5)];

/// Which /20 of 172.31.0.0/16 each zone id's default subnet takes.
const BLOCK_BY_ZONE_NUMBER: [(u8, u8); 6] = [(1, 0), (4, 16), (6, 32), (3, 48), (5, 64), (2, 80)];

/// The zone id prefix of a region (`use1`, `euw2`, `apne1`).
fn zone_id_prefix(region: &str) -> String {
    let parts: Vec<&str> = region.split('-').collect();
    let [area, direction, number] = parts.as_slice() else {
        return region.to_owned();
    };
    let direction: String = match *direction {
        "northeast" => "ne".into(),
        "southeast" => "se".into(),
        "central" => "c".into(),
        other => other.chars().take(1).collect(),
    };
    format!("{area}{direction}{number}")
}

fn zone(region: &str, letter: char, number: u8) -> Zone {
    let third = BLOCK_BY_ZONE_NUMBER
        .iter()
        .find(|(n, _)| *n == number)
        .map_or(0, |(_, b)| *b);
    Zone {
        name: format!("{region}{letter}"),
        id: format!("{}-az{number}", zone_id_prefix(region)),
        default_block: format!("172.31.{third}.0/20"),
    }
}

/// The zones of `region`.
pub fn zones(region: &str) -> Vec<Zone> {
    match region {
        "us-east-1" => US_EAST_1
            .iter()
            .map(|(letter, number)| zone(region, *letter, *number))
            .collect(),
        _ => [('a', 1), ('b', 2), ('c', 3)]
            .iter()
            .map(|(letter, number)| zone(region, *letter, *number))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_have_names_ids_and_default_blocks() {
        let east = zones("us-east-1");
        assert_eq!(east.len(), 6);
        assert_eq!(
            (east[0].name.as_str(), east[0].id.as_str()),
            ("us-east-1a", "use1-az6")
        );
        assert_eq!(east[0].default_block, "172.31.32.0/20");
        assert_eq!(east[1].default_block, "172.31.0.0/20");
        let west = zones("eu-west-2");
        assert_eq!(
            west.iter().map(|z| z.id.as_str()).collect::<Vec<_>>(),
            ["euw2-az1", "euw2-az2", "euw2-az3"]
        );
        assert_eq!(zones("ap-northeast-1")[0].id, "apne1-az1");
        assert_eq!(zones("ca-central-1")[0].id, "cac1-az1");
    }
}
