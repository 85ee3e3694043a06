//! Registering and deregistering targets, and their health as the data
//! plane measures it.

use nimbus_core::{AwsError, RequestContext};
use nimbus_elbv2_api::*;

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
            "instance" => {
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
        let default_port = group.tg.port.unwrap_or(0);
        let mut described = Vec::new();
        let wanted: Vec<(String, i32)> = match &input.targets {
            Some(targets) if !targets.is_empty() => targets
                .iter()
                .map(|t| (t.id.clone(), t.port.unwrap_or(default_port)))
                .collect(),
            _ => {
                let mut all: Vec<(String, i32)> =
                    group.targets.iter().map(|r| (r.id.clone(), r.port)).collect();
                for target in running.iter().flatten() {
                    let key = (target.id.clone(), i32::from(target.port));
                    if !all.contains(&key) {
                        all.push(key);
                    }
                }
                all
            }
        };
        for (id, port) in wanted {
            let registration = group.targets.iter().find(|r| r.id == id && r.port == port);
            let live = running
                .iter()
                .flatten()
                .find(|t| t.id == id && i32::from(t.port) == port);
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
            let zone = registration.and_then(|r| r.zone.clone());
            let check_port = match group.tg.health_check_port.as_deref() {
                Some("traffic-port") | None => port.to_string(),
                Some(fixed) => fixed.to_owned(),
            };
            described.push(TargetHealthDescription {
                target: Some(TargetDescription {
                    id,
                    port: (group.target_type() != "lambda").then_some(port),
                    availability_zone: zone,
                    quic_server_id: None,
                }),
                health_check_port: (group.target_type() != "lambda").then_some(check_port),
                target_health: Some(health),
                anomaly_detection: None,
                administrative_override: None,
            });
        }
        Ok(DescribeTargetHealthOutput {
            target_health_descriptions: Some(described),
        })
    }
}

fn unused(reason: &str, description: &str) -> TargetHealth {
    TargetHealth {
        state: Some(State::Unused.as_str().to_owned()),
        reason: Some(reason.to_owned()),
        description: Some(description.to_owned()),
    }
}
