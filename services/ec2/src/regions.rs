//! DescribeRegions and DescribeAvailabilityZones: the regions nimbus
//! answers for, and the zones of the caller's region, with filters.

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;

use crate::filters::{self, Values};
use crate::{Ec2, errors, zones};

fn region(name: &str) -> Region {
    Region {
        opt_in_status: Some("opt-in-not-required".to_owned()),
        region_name: Some(name.to_owned()),
        endpoint: Some(format!("ec2.{name}.amazonaws.com")),
        ..Default::default()
    }
}

fn availability_zone(region: &str, zone: &zones::Zone) -> AvailabilityZone {
    AvailabilityZone {
        opt_in_status: Some("opt-in-not-required".to_owned()),
        messages: Some(Vec::new()),
        region_name: Some(region.to_owned()),
        zone_name: Some(zone.name.clone()),
        zone_id: Some(zone.id.clone()),
        group_name: Some(region.to_owned()),
        network_border_group: Some(region.to_owned()),
        zone_type: Some("availability-zone".to_owned()),
        state: Some("available".to_owned()),
        ..Default::default()
    }
}

impl Ec2 {
    pub(crate) async fn describe_regions(
        &self,
        _ctx: &RequestContext,
        input: DescribeRegionsRequest,
    ) -> Result<DescribeRegionsResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let named = input.region_names.unwrap_or_default();
        if let Some(unknown) = named.iter().find(|n| !zones::REGIONS.contains(&n.as_str())) {
            return Err(errors::client(
                "InvalidParameterValue",
                format!("Invalid region: {unknown}"),
            ));
        }
        let filters = input.filters.unwrap_or_default();
        let mut regions = Vec::new();
        for name in zones::REGIONS
            .iter()
            .filter(|n| named.is_empty() || named.iter().any(|w| w == *n))
        {
            let found = region(name);
            let values: Values<'_> = Box::new(|filter| match filter {
                "region-name" => Some(vec![(*name).to_owned()]),
                "endpoint" => Some(found.endpoint.clone().into_iter().collect()),
                "opt-in-status" => Some(vec!["opt-in-not-required".to_owned()]),
                _ => None,
            });
            if filters::matches(&filters, &values)? {
                regions.push(found.clone());
            }
        }
        Ok(DescribeRegionsResult {
            regions: Some(regions),
        })
    }

    pub(crate) async fn describe_availability_zones(
        &self,
        ctx: &RequestContext,
        input: DescribeAvailabilityZonesRequest,
    ) -> Result<DescribeAvailabilityZonesResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let all = zones::zones(&ctx.region);
        let (names, ids) = (
            input.zone_names.unwrap_or_default(),
            input.zone_ids.unwrap_or_default(),
        );
        let unknown = names.iter().find(|n| !all.iter().any(|z| &z.name == *n));
        let unknown = unknown.or_else(|| ids.iter().find(|i| !all.iter().any(|z| &z.id == *i)));
        if let Some(unknown) = unknown {
            return Err(errors::invalid_parameter(format!(
                "The zone '{unknown}' does not exist."
            )));
        }
        let filters = input.filters.unwrap_or_default();
        let down = self.zones_down().await?;
        let mut zones = Vec::new();
        for zone in &all {
            let asked =
                (names.is_empty() && ids.is_empty()) || names.contains(&zone.name) || ids.contains(&zone.id);
            let mut described = availability_zone(&ctx.region, zone);
            if down.contains_key(&zone.name) {
                // A failure drill took it down.
                described.state = Some("impaired".to_owned());
                described.messages = Some(vec![AvailabilityZoneMessage {
                    message: Some("This zone is failed (nimbus failure drill).".to_owned()),
                }]);
            }
            let values: Values<'_> = Box::new(|filter| {
                let one = |v: &Option<String>| Some(v.iter().cloned().collect());
                match filter {
                    "zone-name" => one(&described.zone_name),
                    "zone-id" => one(&described.zone_id),
                    "region-name" => one(&described.region_name),
                    "state" => one(&described.state),
                    "group-name" => one(&described.group_name),
                    "zone-type" => one(&described.zone_type),
                    "opt-in-status" => one(&described.opt_in_status),
                    "network-border-group" => one(&described.network_border_group),
                    _ => None,
                }
            });
            if asked && filters::matches(&filters, &values)? {
                zones.push(described.clone());
            }
        }
        Ok(DescribeAvailabilityZonesResult {
            availability_zones: Some(zones),
        })
    }
}
