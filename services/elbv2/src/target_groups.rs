//! Target groups: where listeners forward, with the health check that
//! decides which of their targets receive traffic.

use nimbus_core::{AwsError, RequestContext};
use nimbus_elbv2_api::*;

use crate::records::{self, LB_PREFIX, LoadBalancerRecord, TG_PREFIX, TargetGroupRecord, tg_key};
use crate::{Elbv2, arns, attributes, errors, paging, tags};

const HTTP_PROTOCOLS: &[&str] = &["HTTP", "HTTPS"];
const NETWORK_PROTOCOLS: &[&str] = &["TCP", "TLS", "UDP", "TCP_UDP"];

/// Checks what a create request must (and must not) give for its target
/// type and protocol; answers the target type.
fn check_group_input(input: &CreateTargetGroupInput) -> Result<String, AwsError> {
    arns::check_name(&input.name, "Target group")?;
    let target_type = input.target_type.clone().unwrap_or_else(|| "instance".to_owned());
    let required = [
        (input.protocol.is_some(), "A protocol must be specified"),
        (input.port.is_some(), "A port must be specified"),
        (input.vpc_id.is_some(), "A VPC ID must be specified"),
    ];
    if target_type == "lambda" {
        let forbidden = [
            (input.port.is_some(), "Port"),
            (input.vpc_id.is_some(), "VPC ID"),
            (input.protocol.is_some(), "Protocol"),
        ];
        if let Some((_, what)) = forbidden.iter().find(|(given, _)| *given) {
            return Err(errors::validation(format!(
                "{what} cannot be specified for target groups with target type 'lambda'"
            )));
        }
    } else if let Some((_, message)) = required.iter().find(|(given, _)| !*given) {
        return Err(errors::validation(*message));
    }
    if let Some(p) = input.protocol.as_deref()
        && !HTTP_PROTOCOLS.contains(&p)
        && !NETWORK_PROTOCOLS.contains(&p)
    {
        return Err(errors::validation(format!(
            "Value '{p}' at 'protocol' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP]"
        )));
    }
    Ok(target_type)
}

/// The target group a create request describes, with ELB's defaults.
fn new_group(ctx: &RequestContext, input: &CreateTargetGroupInput) -> Result<TargetGroup, AwsError> {
    let target_type = check_group_input(input)?;
    let protocol = input.protocol.clone();
    let http = protocol.as_deref().is_some_and(|p| HTTP_PROTOCOLS.contains(&p));
    let lambda = target_type == "lambda";
    let check_protocol = input
        .health_check_protocol
        .clone()
        .or_else(|| protocol.clone().map(|p| if http { p } else { "TCP".to_owned() }))
        .or_else(|| lambda.then(|| "HTTP".to_owned()));
    let checks_http = check_protocol
        .as_deref()
        .is_some_and(|p| HTTP_PROTOCOLS.contains(&p));
    let (interval, timeout, healthy, unhealthy) = match (lambda, http) {
        (true, _) => (35, 30, 5, 5),
        (false, true) => (30, 5, 5, 2),
        (false, false) => (30, if checks_http { 6 } else { 10 }, 5, 2),
    };
    let group = TargetGroup {
        target_group_arn: Some(arns::target_group(ctx, &input.name, &arns::new_id())),
        target_group_name: Some(input.name.clone()),
        protocol,
        port: input.port,
        vpc_id: input.vpc_id.clone(),
        health_check_protocol: check_protocol,
        health_check_port: (!lambda).then(|| {
            input
                .health_check_port
                .clone()
                .unwrap_or_else(|| "traffic-port".to_owned())
        }),
        health_check_enabled: Some(input.health_check_enabled.unwrap_or(!lambda)),
        health_check_interval_seconds: Some(input.health_check_interval_seconds.unwrap_or(interval)),
        health_check_timeout_seconds: Some(input.health_check_timeout_seconds.unwrap_or(timeout)),
        healthy_threshold_count: Some(input.healthy_threshold_count.unwrap_or(healthy)),
        unhealthy_threshold_count: Some(input.unhealthy_threshold_count.unwrap_or(unhealthy)),
        health_check_path: (checks_http || lambda)
            .then(|| input.health_check_path.clone().unwrap_or_else(|| "/".to_owned())),
        matcher: (checks_http || lambda).then(|| {
            input.matcher.clone().unwrap_or(Matcher {
                http_code: Some(if http || lambda { "200" } else { "200-399" }.to_owned()),
                grpc_code: None,
            })
        }),
        load_balancer_arns: None,
        target_type: Some(target_type),
        // Terraform sends an empty ProtocolVersion for "not given".
        protocol_version: http.then(|| {
            input
                .protocol_version
                .clone()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "HTTP1".to_owned())
        }),
        ip_address_type: (!lambda)
            .then(|| input.ip_address_type.clone().unwrap_or_else(|| "ipv4".to_owned())),
        target_control_port: None,
    };
    check_health_settings(&group)?;
    Ok(group)
}

/// The health check's numbers within ELB's bounds.
fn check_health_settings(group: &TargetGroup) -> Result<(), AwsError> {
    let interval = group.health_check_interval_seconds.unwrap_or(30);
    let timeout = group.health_check_timeout_seconds.unwrap_or(5);
    let bounds = [
        ("healthCheckIntervalSeconds", interval, 5, 300),
        ("healthCheckTimeoutSeconds", timeout, 2, 120),
        (
            "healthyThresholdCount",
            group.healthy_threshold_count.unwrap_or(5),
            2,
            10,
        ),
        (
            "unhealthyThresholdCount",
            group.unhealthy_threshold_count.unwrap_or(2),
            2,
            10,
        ),
    ];
    for (name, value, low, high) in bounds {
        if !(low..=high).contains(&value) {
            return Err(errors::validation(format!(
                "1 validation error detected: Value '{value}' at '{name}' failed to satisfy constraint: Member must have value between {low} and {high}"
            )));
        }
    }
    if timeout >= interval {
        return Err(errors::validation(format!(
            "Health check timeout '{timeout}' must be smaller than the interval '{interval}'"
        )));
    }
    Ok(())
}

/// A group as Describe shows it: with the load balancers that forward to it.
fn described(record: &TargetGroupRecord, lbs: &[LoadBalancerRecord]) -> TargetGroup {
    let mut group = record.tg.clone();
    group.load_balancer_arns = Some(
        lbs.iter()
            .filter(|lb| lb.target_groups().iter().any(|arn| arn == record.arn()))
            .map(|lb| lb.arn().to_owned())
            .collect(),
    );
    group
}

fn tg_attributes(record: &TargetGroupRecord) -> Vec<TargetGroupAttribute> {
    attributes::listed(&record.attributes, |key, value| TargetGroupAttribute {
        key,
        value,
    })
}

impl Elbv2 {
    pub(crate) async fn create_target_group(
        &self,
        ctx: &RequestContext,
        input: CreateTargetGroupInput,
    ) -> Result<CreateTargetGroupOutput, AwsError> {
        let group = new_group(ctx, &input)?;
        tags::check(input.tags.as_deref().unwrap_or_default())?;
        let record = TargetGroupRecord {
            attributes: attributes::tg_defaults(
                group.target_type.as_deref().unwrap_or("instance"),
                group.protocol.as_deref().unwrap_or(""),
            ),
            tg: group,
            tags: input.tags.clone().unwrap_or_default(),
            targets: Vec::new(),
        };
        let namespace = records::namespace(ctx)?;
        let stored = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&namespace)?;
                let name = record.tg.target_group_name.clone().unwrap_or_default();
                if let Some(existing) = table.get_json::<TargetGroupRecord>(&tg_key(&name))? {
                    let same = existing.tg.protocol == record.tg.protocol
                        && existing.tg.port == record.tg.port
                        && existing.tg.vpc_id == record.tg.vpc_id
                        && existing.tg.target_type == record.tg.target_type;
                    return if same {
                        Ok(existing)
                    } else {
                        Err(errors::duplicate_target_group_name(format!(
                            "A target group with the same name '{name}' exists, but with different settings"
                        )))
                    };
                }
                table.put_json(&tg_key(&name), &record)?;
                Ok(record)
            })
            .await?;
        Ok(CreateTargetGroupOutput {
            target_groups: Some(vec![described(&stored, &[])]),
        })
    }

    pub(crate) async fn describe_target_groups(
        &self,
        ctx: &RequestContext,
        input: DescribeTargetGroupsInput,
    ) -> Result<DescribeTargetGroupsOutput, AwsError> {
        let namespace = records::namespace(ctx)?;
        let groups: Vec<TargetGroupRecord> = records::all(&self.store, &namespace, TG_PREFIX).await?;
        let lbs: Vec<LoadBalancerRecord> = records::all(&self.store, &namespace, LB_PREFIX).await?;
        let missing = || errors::target_group_not_found("One or more target groups not found");
        let chosen: Vec<&TargetGroupRecord> =
            if let Some(arns) = input.target_group_arns.as_ref().filter(|a| !a.is_empty()) {
                arns.iter()
                    .map(|arn| groups.iter().find(|g| g.arn() == arn).ok_or_else(missing))
                    .collect::<Result<_, _>>()?
            } else if let Some(names) = input.names.as_ref().filter(|n| !n.is_empty()) {
                names
                    .iter()
                    .map(|name| {
                        groups
                            .iter()
                            .find(|g| g.tg.target_group_name.as_deref() == Some(name))
                            .ok_or_else(missing)
                    })
                    .collect::<Result<_, _>>()?
            } else if let Some(lb_arn) = &input.load_balancer_arn {
                let lb = lbs
                    .iter()
                    .find(|lb| lb.arn() == lb_arn)
                    .ok_or_else(|| errors::load_balancer_not_found("One or more load balancers not found"))?;
                let used = lb.target_groups();
                groups
                    .iter()
                    .filter(|g| used.iter().any(|arn| arn == g.arn()))
                    .collect()
            } else {
                groups.iter().collect()
            };
        let described: Vec<TargetGroup> = chosen.into_iter().map(|g| described(g, &lbs)).collect();
        let (target_groups, next_marker) = paging::page(described, input.marker.as_deref(), input.page_size)?;
        Ok(DescribeTargetGroupsOutput {
            target_groups: Some(target_groups),
            next_marker,
        })
    }

    pub(crate) async fn modify_target_group(
        &self,
        ctx: &RequestContext,
        input: ModifyTargetGroupInput,
    ) -> Result<ModifyTargetGroupOutput, AwsError> {
        let arn = input.target_group_arn.clone();
        let record = records::update_tg(&self.store, ctx, &arn, move |record| {
            let tg = &mut record.tg;
            macro_rules! set {
                ($($field:ident),*) => { $(if let Some(value) = input.$field.clone() { tg.$field = Some(value); })* };
            }
            set!(
                health_check_protocol,
                health_check_port,
                health_check_path,
                health_check_enabled,
                health_check_interval_seconds,
                health_check_timeout_seconds,
                healthy_threshold_count,
                unhealthy_threshold_count,
                matcher
            );
            check_health_settings(tg)?;
            Ok(record.clone())
        })
        .await
        .map_err(|e| tg_referenced(e, &input.target_group_arn))?;
        self.apply(ctx).await;
        let lbs: Vec<LoadBalancerRecord> =
            records::all(&self.store, &records::namespace(ctx)?, LB_PREFIX).await?;
        Ok(ModifyTargetGroupOutput {
            target_groups: Some(vec![described(&record, &lbs)]),
        })
    }

    pub(crate) async fn delete_target_group(
        &self,
        ctx: &RequestContext,
        input: DeleteTargetGroupInput,
    ) -> Result<DeleteTargetGroupOutput, AwsError> {
        let namespace = records::namespace(ctx)?;
        let arn = input.target_group_arn;
        self.store
            .write(move |txn| {
                let mut table = txn.open(&namespace)?;
                let Ok(record) = records::tg_by_arn(&table, &arn) else {
                    return Ok(());
                };
                let in_use = table.scan(LB_PREFIX)?.any(|entry| {
                    entry
                        .ok()
                        .and_then(|e| e.decode::<LoadBalancerRecord>().ok())
                        .is_some_and(|lb| lb.target_groups().contains(&arn))
                });
                if in_use {
                    return Err(errors::resource_in_use(format!(
                        "Target group '{arn}' is currently in use by a listener or a rule"
                    )));
                }
                table.delete(&tg_key(
                    record.tg.target_group_name.as_deref().unwrap_or_default(),
                ))?;
                Ok(())
            })
            .await?;
        self.apply(ctx).await;
        Ok(DeleteTargetGroupOutput {})
    }

    pub(crate) async fn describe_target_group_attributes(
        &self,
        ctx: &RequestContext,
        input: DescribeTargetGroupAttributesInput,
    ) -> Result<DescribeTargetGroupAttributesOutput, AwsError> {
        let record = records::read_tg(&self.store, ctx, &input.target_group_arn)
            .await
            .map_err(|e| tg_referenced(e, &input.target_group_arn))?;
        Ok(DescribeTargetGroupAttributesOutput {
            attributes: Some(tg_attributes(&record)),
        })
    }

    pub(crate) async fn modify_target_group_attributes(
        &self,
        ctx: &RequestContext,
        input: ModifyTargetGroupAttributesInput,
    ) -> Result<ModifyTargetGroupAttributesOutput, AwsError> {
        let changes = attributes::pairs(input.attributes.iter().map(|a| (&a.key, &a.value)));
        let record = records::update_tg(&self.store, ctx, &input.target_group_arn, move |record| {
            let target_type = record.target_type().to_owned();
            let protocol = record.tg.protocol.clone().unwrap_or_default();
            attributes::modify_tg(&target_type, &protocol, &mut record.attributes, &changes)?;
            Ok(record.clone())
        })
        .await
        .map_err(|e| tg_referenced(e, &input.target_group_arn))?;
        self.apply(ctx).await;
        Ok(ModifyTargetGroupAttributesOutput {
            attributes: Some(tg_attributes(&record)),
        })
    }
}

/// A group another operation names and that is not there: ELB names it.
pub fn tg_referenced(error: AwsError, arn: &str) -> AwsError {
    if error.code == "TargetGroupNotFound" {
        errors::target_group_not_found(format!("Target groups '{arn}' not found"))
    } else {
        error
    }
}
