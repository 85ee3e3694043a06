//! Registering and deregistering targets, and their health as the data
//! plane measures it.

use nimbus_core::{AwsError, RequestContext};
use nimbus_elbv2_api::*;

use std::sync::Arc;

use crate::plane::groups::Target;
use crate::plane::health::State;
use crate::records::{self, LB_PREFIX, LoadBalancerRecord, Registration, TargetGroupRecord};
use crate::target_groups::tg_referenced;
use crate::{Elbv2, errors, network};

fn quoted(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Elbv2 {
    /// Instance targets: each must exist, run, and be in the group's VPC.
    async fn instance_registrations(
        &self,
        ctx: &RequestContext,
        group: &TargetGroupRecord,
        targets: &[TargetDescription],
    ) -> Result<Vec<Registration>, AwsError> {
        let default_port = group.tg.port.unwrap_or(0);
        let port_of = |t: &TargetDescription| t.port.unwrap_or(default_port);
        let ids: Vec<String> = targets.iter().map(|t| t.id.clone()).collect();
        let found = network::instances(self.ec2()?, ctx, &ids).await?;
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| !found.iter().any(|i| &i.id == *id))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(errors::invalid_target(format!(
                "The following instances do not exist: {}",
                quoted(&missing)
            )));
        }
        let stopped: Vec<String> = found
            .iter()
            .filter(|i| !matches!(i.state.as_str(), "running" | "pending"))
            .map(|i| i.id.clone())
            .collect();
        if !stopped.is_empty() {
            return Err(errors::invalid_target(format!(
                "The following targets are not in a running state and cannot be registered: {}",
                quoted(&stopped)
            )));
        }
        let vpc = group.tg.vpc_id.clone();
        let elsewhere: Vec<String> = found
            .iter()
            .filter(|i| i.vpc != vpc)
            .map(|i| i.id.clone())
            .collect();
        if !elsewhere.is_empty() {
            return Err(errors::invalid_target(format!(
                "The following targets are not in the target group VPC '{}': {}",
                vpc.unwrap_or_default(),
                quoted(&elsewhere)
            )));
        }
        Ok(targets
            .iter()
            .filter_map(|t| {
                let instance = found.iter().find(|i| i.id == t.id)?;
                Some(Registration {
                    id: t.id.clone(),
                    port: port_of(t),
                    zone: instance.zone.clone(),
                    address: instance.address.clone(),
                })
            })
            .collect())
    }

    /// Where each target answers, checked as ELB checks it.
    async fn registrations(
        &self,
        ctx: &RequestContext,
        group: &TargetGroupRecord,
        targets: &[TargetDescription],
    ) -> Result<Vec<Registration>, AwsError> {
        let default_port = group.tg.port.unwrap_or(0);
        let port_of = |t: &TargetDescription| t.port.unwrap_or(default_port);
        match group.target_type() {
            "instance" => self.instance_registrations(ctx, group, targets).await,
            "ip" => targets
                .iter()
                .map(|t| {
                    t.id.parse::<std::net::IpAddr>().map_err(|_| {
                        errors::validation(format!("The IP address '{}' is not a valid IPv4 address", t.id))
                    })?;
                    Ok(Registration {
                        id: t.id.clone(),
                        port: port_of(t),
                        zone: t.availability_zone.clone(),
                        address: Some(t.id.clone()),
                    })
                })
                .collect(),
            _ => Ok(targets
                .iter()
                .map(|t| Registration {
                    id: t.id.clone(),
                    port: 0,
                    zone: None,
                    address: None,
                })
                .collect()),
        }
    }

    pub(crate) async fn register_targets(
        &self,
        ctx: &RequestContext,
        input: RegisterTargetsInput,
    ) -> Result<RegisterTargetsOutput, AwsError> {
        let arn = input.target_group_arn.clone();
        let group = records::read_tg(&self.store, ctx, &arn)
            .await
            .map_err(|e| tg_referenced(e, &arn))?;
        if group.target_type() != "lambda"
            && let Some(bad) = input
                .targets
                .iter()
                .filter_map(|t| t.port)
                .find(|p| !(1..=65535).contains(p))
        {
            return Err(errors::validation(format!(
                "1 validation error detected: Value '{bad}' at 'targets.member.port' failed to satisfy constraint: Member must have value between 1 and 65535"
            )));
        }
        let added = self.registrations(ctx, &group, &input.targets).await?;
        records::update_tg(&self.store, ctx, &arn, move |record| {
            for registration in added {
                if !record
                    .targets
                    .iter()
                    .any(|r| r.id == registration.id && r.port == registration.port)
                {
                    record.targets.push(registration);
                }
            }
            Ok(())
        })
        .await
        .map_err(|e| tg_referenced(e, &input.target_group_arn))?;
        self.apply(ctx).await;
        Ok(RegisterTargetsOutput {})
    }

    pub(crate) async fn deregister_targets(
        &self,
        ctx: &RequestContext,
        input: DeregisterTargetsInput,
    ) -> Result<DeregisterTargetsOutput, AwsError> {
        let leaving = input.targets.clone();
        records::update_tg(&self.store, ctx, &input.target_group_arn, move |record| {
            let default_port = record.tg.port.unwrap_or(0);
            record.targets.retain(|r| {
                !leaving
                    .iter()
                    .any(|t| t.id == r.id && t.port.unwrap_or(default_port) == r.port)
            });
            Ok(())
        })
        .await
        .map_err(|e| tg_referenced(e, &input.target_group_arn))?;
        self.apply(ctx).await;
        Ok(DeregisterTargetsOutput {})
    }

    pub(crate) async fn describe_target_health(
        &self,
        ctx: &RequestContext,
        input: DescribeTargetHealthInput,
    ) -> Result<DescribeTargetHealthOutput, AwsError> {
        let arn = input.target_group_arn.clone();
        let group = records::read_tg(&self.store, ctx, &arn)
            .await
            .map_err(|e| tg_referenced(e, &arn))?;
        let running = self.plane.targets_of(&arn).await;
        let lbs: Vec<LoadBalancerRecord> =
            records::all(&self.store, &records::namespace(ctx)?, LB_PREFIX).await?;
        let in_use = lbs.iter().any(|lb| lb.target_groups().iter().any(|a| a == &arn));
        let running = running.unwrap_or_default();
        let described = wanted(&group, input.targets.as_deref(), &running)
            .into_iter()
            .map(|(id, port)| described(&group, &running, in_use, id, port))
            .collect();
        Ok(DescribeTargetHealthOutput {
            target_health_descriptions: Some(described),
        })
    }
}

/// The targets asked about: those named, or every registered and draining one.
fn wanted(
    group: &TargetGroupRecord,
    named: Option<&[TargetDescription]>,
    running: &[Arc<Target>],
) -> Vec<(String, i32)> {
    let default_port = group.tg.port.unwrap_or(0);
    if let Some(named) = named.filter(|n| !n.is_empty()) {
        return named
            .iter()
            .map(|t| (t.id.clone(), t.port.unwrap_or(default_port)))
            .collect();
    }
    let mut all: Vec<(String, i32)> = group.targets.iter().map(|r| (r.id.clone(), r.port)).collect();
    for target in running {
        let key = (target.id.clone(), i32::from(target.port));
        if !all.contains(&key) {
            all.push(key);
        }
    }
    all
}

/// One target's health as DescribeTargetHealth answers it.
fn described(
    group: &TargetGroupRecord,
    running: &[Arc<Target>],
    in_use: bool,
    id: String,
    port: i32,
) -> TargetHealthDescription {
    let registration = group.targets.iter().find(|r| r.id == id && r.port == port);
    let live = running.iter().find(|t| t.id == id && i32::from(t.port) == port);
    let health = match (live, registration) {
        (Some(target), _) if in_use => {
            let health = target.health();
            TargetHealth {
                state: Some(health.state.as_str().to_owned()),
                reason: health.reason.map(str::to_owned),
                description: health.description,
            }
        }
        (_, Some(_)) => unused(
            "Target.NotInUse",
            "Target group is not configured to receive traffic from the load balancer",
        ),
        _ => unused(
            "Target.NotRegistered",
            "Target is not registered to the target group",
        ),
    };
    let check_port = match group.tg.health_check_port.as_deref() {
        Some("traffic-port") | None => port.to_string(),
        Some(fixed) => fixed.to_owned(),
    };
    let function = group.target_type() == "lambda";
    TargetHealthDescription {
        target: Some(TargetDescription {
            id,
            port: (!function).then_some(port),
            availability_zone: registration.and_then(|r| r.zone.clone()),
            quic_server_id: None,
        }),
        health_check_port: (!function).then_some(check_port),
        target_health: Some(health),
        anomaly_detection: None,
        administrative_override: None,
    }
}

fn unused(reason: &str, description: &str) -> TargetHealth {
    TargetHealth {
        state: Some(State::Unused.as_str().to_owned()),
        reason: Some(reason.to_owned()),
        description: Some(description.to_owned()),
    }
}
