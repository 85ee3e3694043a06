//! Load balancer and target group attributes: the keys each kind has, their
//! defaults, and the values a modification may give them.

use std::collections::BTreeMap;

use nimbus_core::AwsError;

use crate::errors;

/// An attribute's key, default and what values it takes.
struct Attribute {
    key: &'static str,
    default: &'static str,
    kind: Kind,
}

#[derive(Clone, Copy)]
enum Kind {
    Bool,
    /// Whole numbers within bounds.
    Range(i64, i64),
    /// One of a few words.
    Words(&'static [&'static str]),
    Text,
}

const fn attr(key: &'static str, default: &'static str, kind: Kind) -> Attribute {
    Attribute { key, default, kind }
}

const COMMON_LB: &[Attribute] = &[
    attr("access_logs.s3.enabled", "false", Kind::Bool),
    attr("access_logs.s3.bucket", "", Kind::Text),
    attr("access_logs.s3.prefix", "", Kind::Text),
    attr("deletion_protection.enabled", "false", Kind::Bool),
];

const APPLICATION: &[Attribute] = &[
    attr("idle_timeout.timeout_seconds", "60", Kind::Range(1, 4000)),
    attr("client_keep_alive.seconds", "3600", Kind::Range(60, 604_800)),
    attr("connection_logs.s3.enabled", "false", Kind::Bool),
    attr("connection_logs.s3.bucket", "", Kind::Text),
    attr("connection_logs.s3.prefix", "", Kind::Text),
    attr("routing.http2.enabled", "true", Kind::Bool),
    attr(
        "routing.http.drop_invalid_header_fields.enabled",
        "false",
        Kind::Bool,
    ),
    attr("routing.http.preserve_host_header.enabled", "false", Kind::Bool),
    attr(
        "routing.http.x_amzn_tls_version_and_cipher_suite.enabled",
        "false",
        Kind::Bool,
    ),
    attr("routing.http.xff_client_port.enabled", "false", Kind::Bool),
    attr(
        "routing.http.xff_header_processing.mode",
        "append",
        Kind::Words(&["append", "preserve", "remove"]),
    ),
    attr(
        "routing.http.desync_mitigation_mode",
        "defensive",
        Kind::Words(&["monitor", "defensive", "strictest"]),
    ),
    attr("waf.fail_open.enabled", "false", Kind::Bool),
    attr("load_balancing.cross_zone.enabled", "true", Kind::Bool),
    attr("zonal_shift.config.enabled", "false", Kind::Bool),
];

const NETWORK: &[Attribute] = &[
    attr("load_balancing.cross_zone.enabled", "false", Kind::Bool),
    attr(
        "dns_record.client_routing_policy",
        "any_availability_zone",
        Kind::Words(&[
            "availability_zone_affinity",
            "partial_availability_zone_affinity",
            "any_availability_zone",
        ]),
    ),
    attr("zonal_shift.config.enabled", "false", Kind::Bool),
];

const COMMON_TG: &[Attribute] = &[
    attr(
        "deregistration_delay.timeout_seconds",
        "300",
        Kind::Range(0, 3600),
    ),
    attr("stickiness.enabled", "false", Kind::Bool),
    attr(
        "load_balancing.cross_zone.enabled",
        "use_load_balancer_configuration",
        Kind::Words(&["true", "false", "use_load_balancer_configuration"]),
    ),
    attr(
        "target_group_health.dns_failover.minimum_healthy_targets.count",
        "1",
        Kind::Text,
    ),
    attr(
        "target_group_health.dns_failover.minimum_healthy_targets.percentage",
        "off",
        Kind::Text,
    ),
    attr(
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count",
        "1",
        Kind::Text,
    ),
    attr(
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage",
        "off",
        Kind::Text,
    ),
];

const HTTP_TG: &[Attribute] = &[
    attr(
        "stickiness.type",
        "lb_cookie",
        Kind::Words(&["lb_cookie", "app_cookie"]),
    ),
    attr(
        "stickiness.lb_cookie.duration_seconds",
        "86400",
        Kind::Range(1, 604_800),
    ),
    attr("stickiness.app_cookie.cookie_name", "", Kind::Text),
    attr(
        "stickiness.app_cookie.duration_seconds",
        "86400",
        Kind::Range(1, 604_800),
    ),
    attr("slow_start.duration_seconds", "0", Kind::Range(0, 900)),
    attr(
        "load_balancing.algorithm.type",
        "round_robin",
        Kind::Words(&["round_robin", "least_outstanding_requests", "weighted_random"]),
    ),
    attr(
        "load_balancing.algorithm.anomaly_mitigation",
        "off",
        Kind::Words(&["on", "off"]),
    ),
];

const TCP_TG: &[Attribute] = &[
    attr("stickiness.type", "source_ip", Kind::Words(&["source_ip"])),
    attr("proxy_protocol_v2.enabled", "false", Kind::Bool),
    attr("preserve_client_ip.enabled", "true", Kind::Bool),
    attr(
        "deregistration_delay.connection_termination.enabled",
        "false",
        Kind::Bool,
    ),
    attr(
        "target_health_state.unhealthy.connection_termination.enabled",
        "true",
        Kind::Bool,
    ),
    attr(
        "target_health_state.unhealthy.draining_interval_seconds",
        "0",
        Kind::Range(0, 360_000),
    ),
];

const ALB_LISTENER: &[Attribute] = &[
    attr("routing.http.response.server.enabled", "true", Kind::Bool),
    attr(
        "routing.http.response.strict_transport_security.header_value",
        "",
        Kind::Text,
    ),
    attr(
        "routing.http.response.access_control_allow_origin.header_value",
        "",
        Kind::Text,
    ),
    attr(
        "routing.http.response.access_control_allow_methods.header_value",
        "",
        Kind::Text,
    ),
    attr(
        "routing.http.response.access_control_allow_headers.header_value",
        "",
        Kind::Text,
    ),
    attr(
        "routing.http.response.access_control_allow_credentials.header_value",
        "",
        Kind::Text,
    ),
    attr(
        "routing.http.response.access_control_expose_headers.header_value",
        "",
        Kind::Text,
    ),
    attr(
        "routing.http.response.access_control_max_age.header_value",
        "",
        Kind::Text,
    ),
    attr(
        "routing.http.response.content_security_policy.header_value",
        "",
        Kind::Text,
    ),
    attr(
        "routing.http.response.x_content_type_options.header_value",
        "",
        Kind::Text,
    ),
    attr(
        "routing.http.response.x_frame_options.header_value",
        "",
        Kind::Text,
    ),
];

const NLB_LISTENER: &[Attribute] = &[attr("tcp.idle_timeout.seconds", "350", Kind::Range(60, 6000))];

const LAMBDA_TG: &[Attribute] = &[attr("lambda.multi_value_headers.enabled", "false", Kind::Bool)];

fn lb_table(lb_type: &str) -> [&'static [Attribute]; 2] {
    [
        COMMON_LB,
        if lb_type == "network" {
            NETWORK
        } else {
            APPLICATION
        },
    ]
}

fn tg_table(target_type: &str, protocol: &str) -> [&'static [Attribute]; 2] {
    match (target_type, protocol) {
        ("lambda", _) => [LAMBDA_TG, &[]],
        (_, "HTTP" | "HTTPS") => [COMMON_TG, HTTP_TG],
        _ => [COMMON_TG, TCP_TG],
    }
}

fn defaults(tables: [&'static [Attribute]; 2]) -> BTreeMap<String, String> {
    tables
        .iter()
        .flat_map(|t| t.iter())
        .map(|a| (a.key.to_owned(), a.default.to_owned()))
        .collect()
}

pub fn lb_defaults(lb_type: &str) -> BTreeMap<String, String> {
    defaults(lb_table(lb_type))
}

pub fn tg_defaults(target_type: &str, protocol: &str) -> BTreeMap<String, String> {
    defaults(tg_table(target_type, protocol))
}

/// "Load balancer" or "Target group", as the messages say.
fn listener_table(lb_type: &str) -> [&'static [Attribute]; 2] {
    [
        if lb_type == "network" {
            NLB_LISTENER
        } else {
            ALB_LISTENER
        },
        &[],
    ]
}

/// "Load balancer", "Listener" or "Target group", as the messages say.
fn what(tables: [&'static [Attribute]; 2]) -> &'static str {
    if std::ptr::eq(tables[0], COMMON_LB) {
        "Load balancer"
    } else if std::ptr::eq(tables[0], ALB_LISTENER) || std::ptr::eq(tables[0], NLB_LISTENER) {
        "Listener"
    } else {
        "Target group"
    }
}

pub fn listener_defaults(lb_type: &str) -> BTreeMap<String, String> {
    defaults(listener_table(lb_type))
}

pub fn modify_listener(
    lb_type: &str,
    current: &mut BTreeMap<String, String>,
    changes: &[(String, String)],
) -> Result<(), AwsError> {
    modify(listener_table(lb_type), current, changes)
}

fn check(tables: [&'static [Attribute]; 2], key: &str, value: &str) -> Result<(), AwsError> {
    let Some(attribute) = tables.iter().flat_map(|t| t.iter()).find(|a| a.key == key) else {
        return Err(errors::validation(format!(
            "{} attribute key '{key}' is not recognized",
            what(tables)
        )));
    };
    let fits = match attribute.kind {
        Kind::Bool => value == "true" || value == "false",
        Kind::Range(low, high) => value.parse::<i64>().is_ok_and(|n| (low..=high).contains(&n)),
        Kind::Words(words) => words.contains(&value),
        Kind::Text => true,
    };
    if fits {
        return Ok(());
    }
    Err(errors::validation(match attribute.kind {
        Kind::Range(low, high) => {
            format!("'{key}' must be a number between '{low}' and '{high}', not '{value}'")
        }
        Kind::Bool => format!("'{key}' must be 'true' or 'false', not '{value}'"),
        Kind::Words(words) => format!("'{key}' must be one of [{}], not '{value}'", words.join(", ")),
        Kind::Text => String::new(),
    }))
}

/// Applies `(key, value)` pairs to a load balancer's attributes, all or none.
pub fn modify_lb(
    lb_type: &str,
    current: &mut BTreeMap<String, String>,
    changes: &[(String, String)],
) -> Result<(), AwsError> {
    // A key of the other type is not "unknown" but unsupported here.
    let other = if lb_type == "network" {
        "application"
    } else {
        "network"
    };
    let own = lb_defaults(lb_type);
    if let Some((key, _)) = changes
        .iter()
        .find(|(key, _)| !own.contains_key(key) && lb_defaults(other).contains_key(key))
    {
        return Err(errors::invalid_configuration_request(format!(
            "Load balancer attribute key '{key}' is not supported on load balancers with type '{lb_type}'"
        )));
    }
    modify(lb_table(lb_type), current, changes)
}

pub fn modify_tg(
    target_type: &str,
    protocol: &str,
    current: &mut BTreeMap<String, String>,
    changes: &[(String, String)],
) -> Result<(), AwsError> {
    modify(tg_table(target_type, protocol), current, changes)
}

fn modify(
    tables: [&'static [Attribute]; 2],
    current: &mut BTreeMap<String, String>,
    changes: &[(String, String)],
) -> Result<(), AwsError> {
    for (key, value) in changes {
        check(tables, key, value)?;
    }
    for (key, value) in changes {
        current.insert(key.clone(), value.clone());
    }
    Ok(())
}

/// A request's (key, value) pairs, absent parts empty.
pub fn pairs<'a>(
    given: impl Iterator<Item = (&'a Option<String>, &'a Option<String>)>,
) -> Vec<(String, String)> {
    given
        .map(|(key, value)| (key.clone().unwrap_or_default(), value.clone().unwrap_or_default()))
        .collect()
}

/// Attributes as an answer lists them, each made by `make(key, value)`.
pub fn listed<T>(
    attributes: &BTreeMap<String, String>,
    make: impl Fn(Option<String>, Option<String>) -> T,
) -> Vec<T> {
    attributes
        .iter()
        .map(|(key, value)| make(Some(key.clone()), Some(value.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_differ_by_kind() {
        assert_eq!(lb_defaults("application")["idle_timeout.timeout_seconds"], "60");
        assert_eq!(
            lb_defaults("network")["load_balancing.cross_zone.enabled"],
            "false"
        );
        assert_eq!(tg_defaults("instance", "HTTP")["stickiness.type"], "lb_cookie");
        assert_eq!(tg_defaults("instance", "TCP")["stickiness.type"], "source_ip");
        assert!(tg_defaults("lambda", "").contains_key("lambda.multi_value_headers.enabled"));
    }

    #[test]
    fn modifications_are_checked_before_any_applies() {
        let mut current = lb_defaults("application");
        let changes = vec![
            ("idle_timeout.timeout_seconds".to_owned(), "30".to_owned()),
            ("nope".to_owned(), "1".to_owned()),
        ];
        assert!(modify_lb("application", &mut current, &changes).is_err());
        assert_eq!(current["idle_timeout.timeout_seconds"], "60");
        let bad = vec![("idle_timeout.timeout_seconds".to_owned(), "0".to_owned())];
        assert!(modify_lb("application", &mut current, &bad).is_err());
        modify_lb("application", &mut current, &changes[..1]).unwrap();
        assert_eq!(current["idle_timeout.timeout_seconds"], "30");
    }
}
