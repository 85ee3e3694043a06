//! Listener and rule actions, checked as ELB checks them: known types, the
//! configuration each needs, target groups that exist and speak a protocol
//! the load balancer can forward to.

use nimbus_core::AwsError;
use nimbus_elbv2_api::Action;

use crate::errors;
use crate::records::{self, Lookup, forwarded_groups};

const TYPES: &[&str] = &[
    "forward",
    "redirect",
    "fixed-response",
    "authenticate-oidc",
    "authenticate-cognito",
];

/// The target group protocols a listener's protocol can forward to.
fn forwards_to(listener: &str) -> &'static [&'static str] {
    match listener {
        "HTTP" | "HTTPS" => &["HTTP", "HTTPS"],
        "TCP" => &["TCP", "TCP_UDP"],
        "TLS" => &["TCP", "TLS"],
        "UDP" => &["UDP", "TCP_UDP"],
        "TCP_UDP" => &["TCP_UDP"],
        _ => &[],
    }
}

/// Checks `actions` of a listener (or its rule) of `protocol`.
pub fn check(table: &impl Lookup, protocol: &str, actions: &[Action]) -> Result<(), AwsError> {
    let lb_type = if matches!(protocol, "HTTP" | "HTTPS") {
        "application"
    } else {
        "network"
    };
    if actions.is_empty() {
        return Err(errors::validation("At least one action must be specified"));
    }
    for action in actions {
        let kind = action.r#type.as_str();
        if !TYPES.contains(&kind) {
            return Err(errors::validation(format!(
                "1 validation error detected: Value '{kind}' at 'actions.member.type' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                TYPES.join(", ")
            )));
        }
        if lb_type == "network" && kind != "forward" {
            return Err(errors::invalid_load_balancer_action(format!(
                "The action type '{kind}' is not valid with a network load balancer"
            )));
        }
        match kind {
            "forward" => check_forward(table, protocol, action)?,
            "redirect" if action.redirect_config.is_none() => {
                return Err(errors::validation(
                    "A redirect configuration must be specified for a redirect action",
                ));
            }
            "fixed-response" if action.fixed_response_config.is_none() => {
                return Err(errors::validation(
                    "A fixed response configuration must be specified for a fixed-response action",
                ));
            }
            _ => {}
        }
    }
    let terminal = actions
        .iter()
        .filter(|a| matches!(a.r#type.as_str(), "forward" | "redirect" | "fixed-response"))
        .count();
    if terminal != 1 {
        return Err(errors::invalid_load_balancer_action(
            "Exactly one forward, redirect or fixed-response action must be specified",
        ));
    }
    Ok(())
}

fn check_forward(table: &impl Lookup, listener_protocol: &str, action: &Action) -> Result<(), AwsError> {
    let arns = forwarded_groups(action);
    if arns.is_empty() {
        return Err(errors::validation(
            "A target group ARN must be specified for a forward action",
        ));
    }
    for arn in arns {
        let group = records::tg_by_arn(table, &arn)
            .map_err(|_| errors::target_group_not_found(format!("Target groups '{arn}' not found")))?;
        let protocol = group.tg.protocol.as_deref().unwrap_or_default();
        let lambda = group.target_type() == "lambda" && matches!(listener_protocol, "HTTP" | "HTTPS");
        if !lambda && !forwards_to(listener_protocol).contains(&protocol) {
            return Err(errors::incompatible_protocols(format!(
                "The listener and its associated target group '{arn}' have incompatible protocols"
            )));
        }
    }
    Ok(())
}
