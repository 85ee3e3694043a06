//! What an instance's metadata holds, as IMDS lays it out: every leaf path
//! under `/latest/` with its text; a path ending in `/` (or naming a
//! folder) lists what is under it, folders with a trailing slash.

use std::collections::BTreeMap;

use nimbus_ec2_api::Instance;

use crate::instances::InstanceRecord;

/// Where the role's credentials are: answered when asked (they come from STS).
pub const CREDENTIALS: &str = "meta-data/iam/security-credentials/";

/// What the tree is made of beyond the instance's record.
pub struct Facts<'a> {
    pub record: &'a InstanceRecord,
    pub account: &'a str,
    pub region: &'a str,
    /// The role of its instance profile, if it has one.
    pub role: Option<&'a str>,
    pub public_key: Option<&'a str>,
    pub user_data: Option<Vec<u8>>,
}

/// `2024-05-01T10:00:00Z`.
pub fn iso(millis: i64) -> String {
    crate::instances::utc(millis, "T") + "Z"
}

/// JSON as IMDS writes it: two-space indent, `"Key" : value`.
pub fn imds_json(pairs: &[(&str, serde_json::Value)]) -> String {
    let lines: Vec<String> = pairs.iter().map(|(k, v)| format!("  \"{k}\" : {v}")).collect();
    format!("{{\n{}\n}}", lines.join(",\n"))
}

fn text(value: &Option<String>) -> Vec<u8> {
    value.clone().unwrap_or_default().into_bytes()
}

/// Every leaf of the tree.
pub fn leaves(facts: &Facts<'_>) -> BTreeMap<String, Vec<u8>> {
    let instance = &facts.record.instance;
    let mut tree = BTreeMap::new();
    let mut put = |path: &str, value: Vec<u8>| {
        tree.insert(path.to_owned(), value);
    };
    let placement = instance.placement.clone().unwrap_or_default();
    put("meta-data/ami-id", text(&instance.image_id));
    put(
        "meta-data/ami-launch-index",
        instance.ami_launch_index.unwrap_or(0).to_string().into_bytes(),
    );
    put("meta-data/ami-manifest-path", b"(unknown)".to_vec());
    put(
        "meta-data/block-device-mapping/ami",
        text(&instance.root_device_name),
    );
    put(
        "meta-data/block-device-mapping/root",
        text(&instance.root_device_name),
    );
    put("meta-data/events/maintenance/history", b"[]".to_vec());
    put("meta-data/events/maintenance/scheduled", b"[]".to_vec());
    put("meta-data/hostname", text(&instance.private_dns_name));
    put("meta-data/instance-action", b"none".to_vec());
    put("meta-data/instance-id", text(&instance.instance_id));
    put("meta-data/instance-life-cycle", b"on-demand".to_vec());
    put("meta-data/instance-type", text(&instance.instance_type));
    put("meta-data/local-hostname", text(&instance.private_dns_name));
    put("meta-data/local-ipv4", text(&instance.private_ip_address));
    put(
        "meta-data/placement/availability-zone",
        text(&placement.availability_zone),
    );
    put(
        "meta-data/placement/availability-zone-id",
        text(&placement.availability_zone_id),
    );
    put("meta-data/placement/region", facts.region.as_bytes().to_vec());
    put("meta-data/profile", b"default-hvm".to_vec());
    put(
        "meta-data/reservation-id",
        facts.record.reservation_id.clone().into_bytes(),
    );
    let group_names: Vec<String> = instance
        .security_groups
        .iter()
        .flatten()
        .filter_map(|g| g.group_name.clone())
        .collect();
    put("meta-data/security-groups", group_names.join("\n").into_bytes());
    put("meta-data/services/domain", b"amazonaws.com".to_vec());
    put("meta-data/services/partition", b"aws".to_vec());
    put("meta-data/system", b"nitro".to_vec());
    if instance.public_ip_address.is_some() {
        put("meta-data/public-ipv4", text(&instance.public_ip_address));
        put("meta-data/public-hostname", text(&instance.public_dns_name));
    }
    if let (Some(name), Some(key)) = (&instance.key_name, facts.public_key) {
        put(&format!("meta-data/public-keys/0={name}"), Vec::new());
        put("meta-data/public-keys/0/openssh-key", key.as_bytes().to_vec());
    }
    network(instance, &mut put);
    if let (Some(role), Some(profile)) = (facts.role, &instance.iam_instance_profile) {
        let info = imds_json(&[
            ("Code", "Success".into()),
            ("LastUpdated", iso(facts.record.since).into()),
            (
                "InstanceProfileArn",
                profile.arn.clone().unwrap_or_default().into(),
            ),
            ("InstanceProfileId", profile.id.clone().unwrap_or_default().into()),
        ]);
        put("meta-data/iam/info", info.into_bytes());
        put(&format!("{CREDENTIALS}{role}"), Vec::new());
    }
    let tags_enabled = instance
        .metadata_options
        .as_ref()
        .and_then(|m| m.instance_metadata_tags.as_deref())
        == Some("enabled");
    if tags_enabled {
        for tag in instance.tags.iter().flatten() {
            put(
                &format!(
                    "meta-data/tags/instance/{}",
                    tag.key.as_deref().unwrap_or_default()
                ),
                text(&tag.value),
            );
        }
    }
    if let Some(data) = facts.user_data.clone() {
        put("user-data", data);
    }
    put(
        "dynamic/instance-identity/document",
        identity_document(facts).into_bytes(),
    );
    tree
}

/// `network/interfaces/macs/<mac>/...` of its primary interface.
fn network(instance: &Instance, put: &mut impl FnMut(&str, Vec<u8>)) {
    let Some(interface) = instance.network_interfaces.iter().flatten().next() else {
        return;
    };
    let mac = interface.mac_address.clone().unwrap_or_default();
    put("meta-data/mac", mac.clone().into_bytes());
    let at = |leaf: &str| format!("meta-data/network/interfaces/macs/{mac}/{leaf}");
    put(&at("device-number"), b"0".to_vec());
    put(&at("interface-id"), text(&interface.network_interface_id));
    put(&at("local-hostname"), text(&interface.private_dns_name));
    put(&at("local-ipv4s"), text(&interface.private_ip_address));
    put(&at("mac"), mac.clone().into_bytes());
    put(&at("owner-id"), text(&interface.owner_id));
    put(&at("subnet-id"), text(&interface.subnet_id));
    put(&at("vpc-id"), text(&interface.vpc_id));
    let groups = interface.groups.iter().flatten();
    put(
        &at("security-group-ids"),
        groups
            .clone()
            .filter_map(|g| g.group_id.clone())
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes(),
    );
    put(
        &at("security-groups"),
        groups
            .filter_map(|g| g.group_name.clone())
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes(),
    );
    if let Some(public) = interface.association.as_ref().and_then(|a| a.public_ip.clone()) {
        put(&at("public-ipv4s"), public.clone().into_bytes());
        put(
            &at(&format!("ipv4-associations/{public}")),
            text(&interface.private_ip_address),
        );
    }
}

fn identity_document(facts: &Facts<'_>) -> String {
    let instance = &facts.record.instance;
    let value = |v: &Option<String>| v.clone().map_or(serde_json::Value::Null, serde_json::Value::from);
    let zone = instance
        .placement
        .as_ref()
        .and_then(|p| p.availability_zone.clone());
    let pending = instance.launch_time.map_or(0, |t| t.as_epoch_millis());
    imds_json(&[
        ("accountId", facts.account.into()),
        ("architecture", value(&instance.architecture)),
        ("availabilityZone", value(&zone)),
        ("billingProducts", serde_json::Value::Null),
        ("devpayProductCodes", serde_json::Value::Null),
        ("marketplaceProductCodes", serde_json::Value::Null),
        ("imageId", value(&instance.image_id)),
        ("instanceId", value(&instance.instance_id)),
        ("instanceType", value(&instance.instance_type)),
        ("kernelId", serde_json::Value::Null),
        ("pendingTime", iso(pending).into()),
        ("privateIp", value(&instance.private_ip_address)),
        ("ramdiskId", serde_json::Value::Null),
        ("region", facts.region.into()),
        ("version", "2017-09-30".into()),
    ])
}

/// What `path` (under a version, without it) answers from `tree`: a leaf's
/// value, or a folder's listing; `None` when there is nothing there.
pub fn lookup(tree: &BTreeMap<String, Vec<u8>>, path: &str) -> Option<Vec<u8>> {
    let bare = path.trim_end_matches('/');
    if !path.ends_with('/')
        && let Some(value) = tree.get(bare)
    {
        return Some(value.clone());
    }
    let prefix = if bare.is_empty() {
        String::new()
    } else {
        format!("{bare}/")
    };
    let mut children: Vec<String> = Vec::new();
    for key in tree.keys().filter(|k| k.starts_with(&prefix)) {
        let rest = &key[prefix.len()..];
        let child = match rest.split_once('/') {
            Some((folder, _)) => format!("{folder}/"),
            None => rest.to_owned(),
        };
        if children.last() != Some(&child) && !children.contains(&child) {
            children.push(child);
        }
    }
    // `public-keys/` lists `0=my-key`, not also the `0/` it names.
    let named: Vec<String> = children
        .iter()
        .filter_map(|c| c.split_once('=').map(|(i, _)| format!("{i}/")))
        .collect();
    children.retain(|c| !named.contains(c));
    (!children.is_empty()).then(|| children.join("\n").into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> BTreeMap<String, Vec<u8>> {
        [
            ("meta-data/instance-id", "i-1"),
            ("meta-data/placement/region", "us-east-1"),
            ("meta-data/placement/availability-zone", "us-east-1a"),
            ("user-data", "x"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.as_bytes().to_vec()))
        .collect()
    }

    #[test]
    fn folders_list_their_children_and_leaves_give_values() {
        let tree = tree();
        assert_eq!(lookup(&tree, "meta-data/instance-id").unwrap(), b"i-1");
        assert_eq!(lookup(&tree, "meta-data/").unwrap(), b"instance-id\nplacement/");
        assert_eq!(
            lookup(&tree, "meta-data/placement").unwrap(),
            b"availability-zone\nregion"
        );
        assert_eq!(lookup(&tree, "").unwrap(), b"meta-data/\nuser-data");
        assert!(lookup(&tree, "meta-data/nothing").is_none());
    }

    #[test]
    fn json_is_written_as_imds_writes_it() {
        let json = imds_json(&[("Code", "Success".into()), ("Count", 2.into())]);
        assert_eq!(json, "{\n  \"Code\" : \"Success\",\n  \"Count\" : 2\n}");
        assert_eq!(iso(1_700_000_000_000), "2023-11-14T22:13:20Z");
    }
}
