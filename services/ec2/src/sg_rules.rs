//! Security group rules: what Authorize* and Revoke* give (IpPermissions,
//! or the old top-level CidrIp/IpProtocol/ports/source group) made into one
//! rule per peer, each with its `sgr-` id; the rules of a direction
//! grouped back into IpPermissions as DescribeSecurityGroups shows them.

use nimbus_core::AwsError;
use nimbus_ec2_api::*;

use crate::{cidr, errors, ids};

/// The protocol as EC2 keeps it: `tcp`, `udp`, `icmp`, `icmpv6`, `-1`
/// for all, or a number for the others.
pub fn protocol(given: Option<&str>) -> Result<String, AwsError> {
    let given = given.unwrap_or("-1").to_ascii_lowercase();
    let known = match given.as_str() {
        "-1" | "all" => "-1",
        "tcp" | "6" => "tcp",
        "udp" | "17" => "udp",
        "icmp" | "1" => "icmp",
        "icmpv6" | "58" => "icmpv6",
        other if other.parse::<u8>().is_ok() => other,
        other => {
            return Err(errors::invalid_parameter(format!(
                "Invalid value '{other}' for IP protocol. Unknown protocol."
            )));
        }
    };
    Ok(known.to_owned())
}

/// The port range of a rule: none for every protocol, both for TCP and
/// UDP (0 to 65535, from ≤ to).
fn ports(protocol: &str, from: Option<i32>, to: Option<i32>) -> Result<(Option<i32>, Option<i32>), AwsError> {
    match protocol {
        "-1" => Ok((None, None)),
        "tcp" | "udp" => {
            let (Some(from), Some(to)) = (from, to) else {
                return Err(errors::invalid_parameter(
                    "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange.",
                ));
            };
            if let Some(port) = [from, to].into_iter().find(|p| !(0..=65535).contains(p)) {
                return Err(errors::client(
                    "InvalidPermission.Malformed",
                    format!("TCP/UDP port ({port}) out of range"),
                ));
            }
            if from > to {
                return Err(errors::invalid_parameter(format!(
                    "Invalid TCP/UDP port range: {from} to {to}."
                )));
            }
            Ok((Some(from), Some(to)))
        }
        _ => Ok((from.or(Some(-1)), to.or(Some(-1)))),
    }
}

/// One rule per peer of `permission`, for group `group` (`egress` or not).
fn expand(
    group: &str,
    owner: &str,
    egress: bool,
    permission: &IpPermission,
) -> Result<Vec<SecurityGroupRule>, AwsError> {
    let protocol = protocol(permission.ip_protocol.as_deref())?;
    let (from, to) = ports(&protocol, permission.from_port, permission.to_port)?;
    let rule = |description: Option<String>| SecurityGroupRule {
        security_group_rule_id: Some(ids::new_id("sgr")),
        group_id: Some(group.to_owned()),
        group_owner_id: Some(owner.to_owned()),
        is_egress: Some(egress),
        ip_protocol: Some(protocol.clone()),
        from_port: from,
        to_port: to,
        description,
        ..Default::default()
    };
    let mut rules = Vec::new();
    for range in permission.ip_ranges.iter().flatten() {
        let text = range.cidr_ip.clone().unwrap_or_default();
        let block = cidr::parse(&text)
            .ok_or_else(|| errors::invalid_parameter(format!("CIDR block {text} is malformed")))?;
        rules.push(SecurityGroupRule {
            cidr_ipv4: Some(block.to_string()),
            ..rule(range.description.clone())
        });
    }
    for range in permission.ipv6_ranges.iter().flatten() {
        rules.push(SecurityGroupRule {
            cidr_ipv6: range.cidr_ipv6.clone(),
            ..rule(range.description.clone())
        });
    }
    for list in permission.prefix_list_ids.iter().flatten() {
        rules.push(SecurityGroupRule {
            prefix_list_id: list.prefix_list_id.clone(),
            ..rule(list.description.clone())
        });
    }
    for pair in permission.user_id_group_pairs.iter().flatten() {
        rules.push(SecurityGroupRule {
            referenced_group_info: Some(ReferencedSecurityGroup {
                group_id: pair.group_id.clone(),
                user_id: Some(pair.user_id.clone().unwrap_or_else(|| owner.to_owned())),
                ..Default::default()
            }),
            ..rule(pair.description.clone())
        });
    }
    Ok(rules)
}

/// What an Authorize* or Revoke* request names, as rules.
pub struct Asked<'a> {
    pub permissions: &'a [IpPermission],
    /// The old single-rule members: CidrIp, IpProtocol, FromPort, ToPort.
    pub cidr_ip: Option<&'a str>,
    pub protocol: Option<&'a str>,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
}

pub fn rules_of(
    group: &str,
    owner: &str,
    egress: bool,
    asked: &Asked<'_>,
) -> Result<Vec<SecurityGroupRule>, AwsError> {
    let mut rules = Vec::new();
    for permission in asked.permissions {
        rules.extend(expand(group, owner, egress, permission)?);
    }
    if let Some(cidr_ip) = asked.cidr_ip {
        let single = IpPermission {
            ip_protocol: asked.protocol.map(str::to_owned),
            from_port: asked.from_port,
            to_port: asked.to_port,
            ip_ranges: Some(vec![IpRange {
                cidr_ip: Some(cidr_ip.to_owned()),
                description: None,
            }]),
            ..Default::default()
        };
        rules.extend(expand(group, owner, egress, &single)?);
    }
    if rules.is_empty() {
        return Err(errors::client("MissingParameter", "No rules specified."));
    }
    Ok(rules)
}

/// Whether two rules allow the same traffic (ids and descriptions aside).
pub fn same(a: &SecurityGroupRule, b: &SecurityGroupRule) -> bool {
    let peer = |r: &SecurityGroupRule| {
        (
            r.cidr_ipv4.clone(),
            r.cidr_ipv6.clone(),
            r.prefix_list_id.clone(),
            r.referenced_group_info.as_ref().and_then(|g| g.group_id.clone()),
        )
    };
    a.is_egress == b.is_egress
        && a.ip_protocol == b.ip_protocol
        && a.from_port == b.from_port
        && a.to_port == b.to_port
        && peer(a) == peer(b)
}

/// EC2's words for a rule that is already there.
pub fn duplicate(rule: &SecurityGroupRule) -> AwsError {
    let peer = rule
        .cidr_ipv4
        .clone()
        .or(rule.cidr_ipv6.clone())
        .or(rule.prefix_list_id.clone())
        .or(rule
            .referenced_group_info
            .as_ref()
            .and_then(|g| g.group_id.clone()))
        .unwrap_or_default();
    let protocol = rule.ip_protocol.as_deref().unwrap_or("-1").to_ascii_uppercase();
    let ports = match (rule.from_port, rule.to_port) {
        (Some(from), Some(to)) => format!(", from port: {from}, to port: {to}"),
        _ => String::new(),
    };
    let protocol = if protocol == "-1" {
        "ALL".to_owned()
    } else {
        protocol
    };
    errors::client(
        "InvalidPermission.Duplicate",
        format!("the specified rule \"peer: {peer}, {protocol}{ports}, ALLOW\" already exists"),
    )
}

/// The rules of one direction as IpPermissions: one per protocol and port
/// range, its peers listed by kind.
pub fn permissions(rules: &[SecurityGroupRule], egress: bool) -> Vec<IpPermission> {
    let mut grouped: Vec<IpPermission> = Vec::new();
    for rule in rules.iter().filter(|r| r.is_egress == Some(egress)) {
        let position = grouped.iter().position(|p| {
            p.ip_protocol == rule.ip_protocol && p.from_port == rule.from_port && p.to_port == rule.to_port
        });
        let index = position.unwrap_or_else(|| {
            grouped.push(IpPermission {
                ip_protocol: rule.ip_protocol.clone(),
                from_port: rule.from_port,
                to_port: rule.to_port,
                user_id_group_pairs: Some(Vec::new()),
                ip_ranges: Some(Vec::new()),
                ipv6_ranges: Some(Vec::new()),
                prefix_list_ids: Some(Vec::new()),
            });
            grouped.len() - 1
        });
        let permission = &mut grouped[index];
        let description = rule.description.clone();
        if let Some(cidr_ip) = &rule.cidr_ipv4 {
            let ranges = permission.ip_ranges.get_or_insert_default();
            ranges.push(IpRange {
                cidr_ip: Some(cidr_ip.clone()),
                description,
            });
        } else if let Some(cidr_ipv6) = &rule.cidr_ipv6 {
            let ranges = permission.ipv6_ranges.get_or_insert_default();
            ranges.push(Ipv6Range {
                cidr_ipv6: Some(cidr_ipv6.clone()),
                description,
            });
        } else if let Some(list) = &rule.prefix_list_id {
            let lists = permission.prefix_list_ids.get_or_insert_default();
            lists.push(PrefixListId {
                prefix_list_id: Some(list.clone()),
                description,
            });
        } else if let Some(group) = &rule.referenced_group_info {
            permission
                .user_id_group_pairs
                .get_or_insert_default()
                .push(UserIdGroupPair {
                    group_id: group.group_id.clone(),
                    user_id: group.user_id.clone(),
                    description,
                    ..Default::default()
                });
        }
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(permissions: &[IpPermission]) -> Asked<'_> {
        Asked {
            permissions,
            cidr_ip: None,
            protocol: None,
            from_port: None,
            to_port: None,
        }
    }

    #[test]
    fn permissions_become_rules_and_back() {
        let permission = IpPermission {
            ip_protocol: Some("6".into()),
            from_port: Some(22),
            to_port: Some(22),
            ip_ranges: Some(vec![
                IpRange {
                    cidr_ip: Some("10.0.0.5/16".into()),
                    description: None,
                },
                IpRange {
                    cidr_ip: Some("0.0.0.0/0".into()),
                    description: Some("all".into()),
                },
            ]),
            ..Default::default()
        };
        let rules = rules_of("sg-1", "000000000000", false, &asked(&[permission])).unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(
            (rules[0].ip_protocol.as_deref(), rules[0].cidr_ipv4.as_deref()),
            (Some("tcp"), Some("10.0.0.0/16"))
        );
        assert!(same(
            &rules[0],
            &SecurityGroupRule {
                security_group_rule_id: None,
                ..rules[0].clone()
            }
        ));
        let shown = permissions(&rules, false);
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].ip_ranges.as_ref().unwrap().len(), 2);
        assert!(permissions(&rules, true).is_empty());
        assert_eq!(
            duplicate(&rules[1]).message,
            "the specified rule \"peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW\" already exists"
        );
    }

    #[test]
    fn protocols_and_ports_are_checked() {
        assert_eq!(protocol(Some("TCP")).unwrap(), "tcp");
        assert_eq!(protocol(None).unwrap(), "-1");
        assert!(protocol(Some("carrier-pigeon")).is_err());
        assert_eq!(ports("-1", Some(1), Some(2)).unwrap(), (None, None));
        assert!(ports("tcp", Some(80), None).is_err());
        assert!(ports("tcp", Some(90), Some(80)).is_err());
        assert_eq!(ports("icmp", None, None).unwrap(), (Some(-1), Some(-1)));
    }
}
