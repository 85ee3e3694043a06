//! Names, ids, ARNs and DNS names as Elastic Load Balancing forms them:
//! `arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<16 hex>`,
//! `targetgroup/<name>/<16 hex>`, `listener/app/<name>/<lb id>/<16 hex>`,
//! `listener-rule/app/<name>/<lb id>/<listener id>/<16 hex>`.

use nimbus_core::{AwsError, RequestContext};

use crate::errors;

/// A fresh 16-hex-digit id.
pub fn new_id() -> String {
    let bits = uuid::Uuid::new_v4().as_u128();
    format!("{:016x}", bits as u64)
}

pub fn prefix(ctx: &RequestContext) -> String {
    format!("arn:aws:elasticloadbalancing:{}:{}:", ctx.region, ctx.account_id)
}

/// `app`, `net` or `gwy` for a load balancer type.
pub fn kind_of(lb_type: &str) -> &'static str {
    match lb_type {
        "network" => "net",
        "gateway" => "gwy",
        _ => "app",
    }
}

pub fn load_balancer(ctx: &RequestContext, lb_type: &str, name: &str, id: &str) -> String {
    format!("{}loadbalancer/{}/{name}/{id}", prefix(ctx), kind_of(lb_type))
}

pub fn target_group(ctx: &RequestContext, name: &str, id: &str) -> String {
    format!("{}targetgroup/{name}/{id}", prefix(ctx))
}

/// A listener's ARN under its load balancer's.
pub fn listener(lb_arn: &str, id: &str) -> String {
    format!("{}/{id}", lb_arn.replacen(":loadbalancer/", ":listener/", 1))
}

/// A rule's ARN under its listener's.
pub fn rule(listener_arn: &str, id: &str) -> String {
    format!(
        "{}/{id}",
        listener_arn.replacen(":listener/", ":listener-rule/", 1)
    )
}

/// The resource part after the account (`loadbalancer/app/web/0123...`).
fn resource(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:aws:elasticloadbalancing:")?;
    let mut parts = rest.splitn(3, ':');
    let (_region, _account, resource) = (parts.next()?, parts.next()?, parts.next()?);
    Some(resource)
}

/// The load balancer's name in a load balancer, listener or rule ARN.
pub fn load_balancer_name(arn: &str) -> Option<&str> {
    let resource = resource(arn)?;
    let mut parts = resource.split('/');
    match parts.next()? {
        "loadbalancer" | "listener" | "listener-rule" => {}
        _ => return None,
    }
    parts.next()?;
    parts.next().filter(|name| !name.is_empty())
}

/// The load balancer ARN a listener or rule ARN is under.
pub fn load_balancer_of(arn: &str) -> Option<String> {
    let resource = resource(arn)?;
    let head = &arn[..arn.len() - resource.len()];
    let parts: Vec<&str> = resource.split('/').collect();
    (parts.len() >= 4).then(|| format!("{head}loadbalancer/{}/{}/{}", parts[1], parts[2], parts[3]))
}

/// The listener ARN a rule ARN is under.
pub fn listener_of(rule_arn: &str) -> Option<String> {
    let resource = resource(rule_arn)?;
    let head = &rule_arn[..rule_arn.len() - resource.len()];
    let parts: Vec<&str> = resource.split('/').collect();
    (parts.len() == 6 && parts[0] == "listener-rule").then(|| {
        format!(
            "{head}listener/{}/{}/{}/{}",
            parts[1], parts[2], parts[3], parts[4]
        )
    })
}

/// The target group's name in its ARN.
pub fn target_group_name(arn: &str) -> Option<&str> {
    let mut parts = resource(arn)?.split('/');
    (parts.next()? == "targetgroup").then_some(())?;
    parts.next().filter(|name| !name.is_empty())
}

/// What kind of resource an ARN names, for tagging.
pub fn resource_kind(arn: &str) -> Option<&str> {
    resource(arn)?.split('/').next()
}

/// A load balancer's DNS name: ALBs `name-<digits>.<region>.elb.amazonaws.com`,
/// NLBs `name-<hex>.elb.<region>.amazonaws.com`; internal ALBs begin `internal-`.
pub fn dns_name(lb_type: &str, scheme: &str, name: &str, id: &str, region: &str) -> String {
    let internal = if scheme == "internal" { "internal-" } else { "" };
    if lb_type == "network" {
        // NLBs' names carry their ARN's id, and no `internal-`.
        format!("{name}-{id}.elb.{region}.amazonaws.com")
    } else {
        let digits = u64::from_str_radix(&id[..10.min(id.len())], 16).unwrap_or(0) % 10_000_000_000;
        format!("{internal}{name}-{digits}.{region}.elb.amazonaws.com")
    }
}

/// The Route 53 hosted zone of a region's load balancers.
pub fn canonical_hosted_zone(lb_type: &str, region: &str) -> &'static str {
    let network = lb_type == "network";
    match (region, network) {
        ("us-east-2", false) => "Z3AADJGX6KTTL2",
        ("us-east-2", true) => "ZLMOA37VPKANP",
        ("us-west-1", false) => "Z368ELLRRE2KJ0",
        ("us-west-1", true) => "Z24FKFUX50B4VW",
        ("us-west-2", false) => "Z1H1FL5HABSF5",
        ("us-west-2", true) => "Z18D5FSROUN65G",
        ("eu-west-1", false) => "Z32O12XQLNTSW2",
        ("eu-west-1", true) => "Z2IFOLAFXWLO4F",
        ("eu-central-1", false) => "Z215JYRZR1TBD5",
        ("eu-central-1", true) => "Z3F0SRJ5LGBH90",
        (_, true) => "Z26RNL4JYFTOTI",
        (_, false) => "Z35SXDOTRQ7X7K",
    }
}

/// Load balancer and target group names: 1 to 32 alphanumerics and hyphens,
/// not beginning or ending with a hyphen (ELB's words for each).
pub fn check_name(name: &str, what: &str) -> Result<(), AwsError> {
    let lb = what == "Load balancer";
    let subject = if lb {
        format!("The load balancer name '{name}'")
    } else {
        format!("Target group name '{name}'")
    };
    let message = if name.len() > 32 {
        format!("{subject} cannot be longer than '32' characters")
    } else if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        let joiner = if lb { "and" } else { "or" };
        format!("{subject} can only contain characters that are alphanumeric characters {joiner} hyphens(-)")
    } else if lb && name.starts_with('-') {
        format!("{subject} cannot begin with a hyphen(-)")
    } else if lb && name.ends_with('-') {
        format!("{subject} cannot end with a hyphen(-)")
    } else if name.starts_with('-') || name.ends_with('-') {
        format!("{subject} cannot begin or end with '-'")
    } else if lb && name.starts_with("internal-") {
        format!("{subject} cannot begin with 'internal-'")
    } else {
        return Ok(());
    };
    Err(errors::validation(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_nest_and_unnest() {
        let ctx = RequestContext::internal("elbv2", "t", "000000000000", "us-east-1");
        let lb = load_balancer(&ctx, "application", "web", "0123456789abcdef");
        assert_eq!(
            lb,
            "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/0123456789abcdef"
        );
        let listener = listener(&lb, "fedcba9876543210");
        assert!(listener.ends_with(":listener/app/web/0123456789abcdef/fedcba9876543210"));
        let rule = rule(&listener, "1111111111111111");
        assert_eq!(load_balancer_of(&listener).as_deref(), Some(lb.as_str()));
        assert_eq!(load_balancer_of(&rule).as_deref(), Some(lb.as_str()));
        assert_eq!(listener_of(&rule).as_deref(), Some(listener.as_str()));
        assert_eq!(load_balancer_name(&rule), Some("web"));
        let tg = target_group(&ctx, "blue", "0123456789abcdef");
        assert_eq!(target_group_name(&tg), Some("blue"));
        assert_eq!(resource_kind(&tg), Some("targetgroup"));
    }

    #[test]
    fn names_follow_the_rules() {
        assert!(check_name("web-1", "Load balancer").is_ok());
        assert!(check_name("-web", "Load balancer").is_err());
        assert!(check_name("internal-web", "Load balancer").is_err());
        assert!(check_name(&"a".repeat(33), "Target group").is_err());
        assert!(check_name("a_b", "Target group").is_err());
    }

    #[test]
    fn dns_names_take_the_shape_of_their_type() {
        let alb = dns_name(
            "application",
            "internet-facing",
            "web",
            "0123456789abcdef",
            "us-east-1",
        );
        assert!(alb.starts_with("web-") && alb.ends_with(".us-east-1.elb.amazonaws.com"));
        let nlb = dns_name("network", "internal", "tcp", "0123456789abcdef", "eu-west-1");
        assert_eq!(nlb, "tcp-0123456789abcdef.elb.eu-west-1.amazonaws.com");
    }
}
