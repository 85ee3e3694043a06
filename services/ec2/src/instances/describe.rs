//! DescribeInstances (grouped in their reservations, with filters and
//! pages), DescribeInstanceStatus (status checks: whether the instance's
//! processes live) and GetConsoleOutput.

use std::sync::Arc;

use base64::Engine;
use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;

use super::instance_missing_all;
use super::lifecycle::InstanceRecord;
use crate::filters::{self, Values};
use crate::records::namespace_of;
use crate::{Ec2, errors};

fn values<'r>(record: &'r InstanceRecord) -> Values<'r> {
    let instance = &record.instance;
    Box::new(move |name| {
        let one = |value: &Option<String>| Some(value.iter().cloned().collect());
        let state = instance.state.as_ref();
        let placement = instance.placement.as_ref();
        let groups = instance.security_groups.iter().flatten();
        match name {
            "instance-id" => one(&instance.instance_id),
            "instance-state-name" => one(&state.and_then(|s| s.name.clone())),
            "instance-state-code" => Some(
                state
                    .and_then(|s| s.code)
                    .map(|c| c.to_string())
                    .into_iter()
                    .collect(),
            ),
            "instance-type" => one(&instance.instance_type),
            "image-id" => one(&instance.image_id),
            "availability-zone" => one(&placement.and_then(|p| p.availability_zone.clone())),
            "subnet-id" => one(&instance.subnet_id),
            "vpc-id" => one(&instance.vpc_id),
            "private-ip-address" | "network-interface.addresses.private-ip-address" => {
                one(&instance.private_ip_address)
            }
            "ip-address" => one(&instance.public_ip_address),
            "private-dns-name" => one(&instance.private_dns_name),
            "dns-name" => one(&instance.public_dns_name),
            "key-name" => one(&instance.key_name),
            "reservation-id" => Some(vec![record.reservation_id.clone()]),
            "launch-index" => Some(
                instance
                    .ami_launch_index
                    .map(|i| i.to_string())
                    .into_iter()
                    .collect(),
            ),
            "architecture" => one(&instance.architecture),
            "root-device-type" => one(&instance.root_device_type),
            "iam-instance-profile.arn" => {
                one(&instance.iam_instance_profile.as_ref().and_then(|p| p.arn.clone()))
            }
            "instance.group-id" | "group-id" => {
                Some(groups.clone().filter_map(|g| g.group_id.clone()).collect())
            }
            "instance.group-name" | "group-name" => {
                Some(groups.clone().filter_map(|g| g.group_name.clone()).collect())
            }
            "network-interface.network-interface-id" => Some(
                instance
                    .network_interfaces
                    .iter()
                    .flatten()
                    .filter_map(|i| i.network_interface_id.clone())
                    .collect(),
            ),
            "owner-id" => Some(
                instance
                    .network_interfaces
                    .iter()
                    .flatten()
                    .filter_map(|i| i.owner_id.clone())
                    .collect(),
            ),
            other => filters::tag_values(instance.tags.as_ref(), other),
        }
    })
}

/// Instances in reservations, in the order they were made.
fn reservations(records: Vec<InstanceRecord>, owner: &str) -> Vec<Reservation> {
    let mut out: Vec<Reservation> = Vec::new();
    for record in records {
        match out.last_mut() {
            Some(last) if last.reservation_id.as_deref() == Some(record.reservation_id.as_str()) => {
                last.instances.get_or_insert_with(Vec::new).push(record.instance);
            }
            _ => out.push(Reservation {
                reservation_id: Some(record.reservation_id),
                owner_id: Some(owner.to_owned()),
                groups: Some(vec![]),
                instances: Some(vec![record.instance]),
                ..Default::default()
            }),
        }
    }
    out
}

fn check_listing(ids: &[String], max_results: Option<i32>) -> Result<(), AwsError> {
    if !ids.is_empty() && max_results.is_some() {
        return Err(errors::client(
            "InvalidParameterCombination",
            "The parameter instancesSet cannot be used with the parameter maxResults",
        ));
    }
    match ids.iter().find(|id| !id.starts_with("i-")) {
        Some(bad) => Err(errors::client(
            "InvalidInstanceID.Malformed",
            format!("Invalid id: \"{bad}\""),
        )),
        None => Ok(()),
    }
}

impl Ec2 {
    /// The region's instances as they stand now (the visible ones), in the
    /// order they were launched.
    pub(crate) async fn instances(&self, ctx: &RequestContext) -> Result<Vec<InstanceRecord>, AwsError> {
        let now = self.now_millis();
        let (ns, decoded) = (namespace_of(ctx)?, Arc::clone(&self.decoded));
        let scope = format!("{}/{}", ctx.account_id, ctx.region);
        let stored = self.store.read(move |txn| decoded.read(txn, &ns, &scope)).await?;
        let mut all: Vec<InstanceRecord> = stored
            .iter()
            .map(|r| InstanceRecord::clone(r).settled(now))
            .filter(|r| r.visible(now))
            .collect();
        all.sort_by_key(|r| {
            (
                r.instance.launch_time.map(|t| t.as_epoch_millis()),
                r.instance.ami_launch_index,
            )
        });
        Ok(all)
    }

    /// The visible instances `ids` names (all of them, else an error naming those missing).
    async fn chosen(
        &self,
        ctx: &RequestContext,
        ids: &[String],
        filters: &[Filter],
    ) -> Result<Vec<InstanceRecord>, AwsError> {
        let all = self.instances(ctx).await?;
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| !all.iter().any(|r| r.id() == id.as_str()))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(instance_missing_all(&missing));
        }
        filters::select(
            all,
            ids,
            |r| r.instance.instance_id.as_ref(),
            filters,
            values,
            super::instance_missing,
        )
    }

    pub(crate) async fn describe_instances(
        &self,
        ctx: &RequestContext,
        input: DescribeInstancesRequest,
    ) -> Result<DescribeInstancesResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        let ids = input.instance_ids.unwrap_or_default();
        check_listing(&ids, input.max_results)?;
        errors::check_dry_run(input.dry_run)?;
        let chosen = self
            .chosen(ctx, &ids, input.filters.as_deref().unwrap_or_default())
            .await?;
        let (page, next_token) = crate::paging::page(chosen, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeInstancesResult {
            reservations: Some(reservations(page, &ctx.account_id)),
            next_token,
        })
    }

    pub(crate) async fn describe_instance_status(
        &self,
        ctx: &RequestContext,
        input: DescribeInstanceStatusRequest,
    ) -> Result<DescribeInstanceStatusResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        let ids = input.instance_ids.unwrap_or_default();
        check_listing(&ids, input.max_results)?;
        errors::check_dry_run(input.dry_run)?;
        let all_states = input.include_all_instances.unwrap_or(false);
        let chosen = self.chosen(ctx, &ids, &[]).await?;
        let down = self.zones_down().await?;
        let mut statuses = Vec::new();
        for record in chosen.iter().filter(|r| all_states || r.state() == "running") {
            let zone = record
                .instance
                .placement
                .as_ref()
                .and_then(|p| p.availability_zone.as_ref());
            let zone_down = zone.and_then(|z| down.get(z)).copied();
            let status = self.status_of(record, zone_down);
            if filters::matches(
                input.filters.as_deref().unwrap_or_default(),
                &status_values(&status),
            )? {
                statuses.push(status);
            }
        }
        let (page, next_token) =
            crate::paging::page(statuses, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeInstanceStatusResult {
            instance_statuses: Some(page),
            next_token,
        })
    }

    /// Its status checks: the instance check fails when its processes are
    /// gone (or a fault was injected), both when its zone is down (since
    /// `zone_down`); both are not-applicable unless it runs.
    fn status_of(&self, record: &InstanceRecord, zone_down: Option<i64>) -> InstanceStatus {
        let running = record.state() == "running";
        let system_ok = record.impaired_since.is_none() && zone_down.is_none();
        let reachable = system_ok && self.host.is_running(record.id());
        let impaired_since = record
            .impaired_since
            .or(zone_down)
            .map(nimbus_core::Timestamp::from_epoch_millis);
        let summary = |ok: bool| match running {
            false => InstanceStatusSummary {
                status: Some("not-applicable".to_owned()),
                details: None,
            },
            true => InstanceStatusSummary {
                status: Some(if ok { "ok" } else { "impaired" }.to_owned()),
                details: Some(vec![InstanceStatusDetails {
                    name: Some("reachability".to_owned()),
                    status: Some(if ok { "passed" } else { "failed" }.to_owned()),
                    impaired_since: if ok {
                        None
                    } else {
                        impaired_since.or(Some(nimbus_core::Timestamp::from_epoch_millis(record.since)))
                    },
                }]),
            },
        };
        let placement = record.instance.placement.as_ref();
        InstanceStatus {
            instance_id: record.instance.instance_id.clone(),
            availability_zone: placement.and_then(|p| p.availability_zone.clone()),
            availability_zone_id: placement.and_then(|p| p.availability_zone_id.clone()),
            instance_state: record.instance.state.clone(),
            instance_status: Some(summary(reachable)),
            system_status: Some(summary(system_ok)),
            events: None,
            ..Default::default()
        }
    }

    pub(crate) async fn get_console_output(
        &self,
        ctx: &RequestContext,
        input: GetConsoleOutputRequest,
    ) -> Result<GetConsoleOutputResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        let ids = vec![input.instance_id.clone()];
        check_listing(&ids, None)?;
        errors::check_dry_run(input.dry_run)?;
        self.chosen(ctx, &ids, &[]).await?;
        let console = self.host.console(&input.instance_id);
        Ok(GetConsoleOutputResult {
            instance_id: Some(input.instance_id),
            timestamp: Some(crate::records::now(&self.clock)),
            output: (!console.is_empty()).then(|| base64::engine::general_purpose::STANDARD.encode(console)),
        })
    }
}

fn status_values(status: &InstanceStatus) -> Values<'_> {
    Box::new(move |name| {
        let one = |value: Option<String>| Some(value.into_iter().collect());
        let state = status.instance_state.as_ref();
        let reach = |s: &Option<InstanceStatusSummary>| {
            s.as_ref()
                .and_then(|s| s.details.as_ref())
                .and_then(|d| d.first())
                .and_then(|d| d.status.clone())
        };
        match name {
            "availability-zone" => one(status.availability_zone.clone()),
            "instance-state-name" => one(state.and_then(|s| s.name.clone())),
            "instance-state-code" => one(state.and_then(|s| s.code).map(|c| c.to_string())),
            "instance-status.status" => one(status.instance_status.as_ref().and_then(|s| s.status.clone())),
            "system-status.status" => one(status.system_status.as_ref().and_then(|s| s.status.clone())),
            "instance-status.reachability" => one(reach(&status.instance_status)),
            "system-status.reachability" => one(reach(&status.system_status)),
            _ => None,
        }
    })
}
