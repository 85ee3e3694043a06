//! RunInstances: the instances are recorded pending with their addresses
//! (one write), then booted as local processes.

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;
use nimbus_store::TableMut;

use super::launch::{self, VCPU_LIMIT};
use super::lifecycle::{InstanceRecord, Reason};
use super::machine::{self, Live, Pool};
use super::shape::{self, Parts};
use crate::drills::ZoneReader;
use crate::records::{
    INSTANCE_PREFIX, SG_PREFIX, SUBNET_PREFIX, instance_key, keypair_key, namespace_of, subnet_key,
};
use crate::security_groups::GroupRecord;
use crate::{Ec2, errors, tags};

/// What the request resolved to before the write.
struct Request {
    region: String,
    account: String,
    input: RunInstancesRequest,
    image: Image,
    instance_type: String,
    vcpus: i64,
    counts: (usize, usize),
    tags: Option<Vec<Tag>>,
    user_data: Option<String>,
    shutdown_behavior: String,
    now: nimbus_core::Timestamp,
    /// Now to the millisecond (`now` is in whole seconds, as EC2 shows it).
    now_ms: i64,
}

fn subnet_asked(input: &RunInstancesRequest) -> Option<String> {
    input.subnet_id.clone().or_else(|| {
        let interfaces = input.network_interfaces.as_deref().unwrap_or_default();
        interfaces.iter().find_map(|i| i.subnet_id.clone())
    })
}

/// The subnet named, or the default subnet of the zone asked for (or of
/// the first zone).
fn subnet(table: &TableMut<'_>, input: &RunInstancesRequest) -> Result<Subnet, AwsError> {
    if let Some(id) = subnet_asked(input) {
        return table
            .get_json(&subnet_key(&id))?
            .ok_or_else(|| errors::subnet_missing(&id));
    }
    // Terraform sends `Placement.AvailabilityZone=` when no zone is chosen.
    let zone = input
        .placement
        .as_ref()
        .and_then(|p| p.availability_zone.clone())
        .filter(|z| !z.is_empty());
    let mut defaults: Vec<Subnet> = table
        .scan(SUBNET_PREFIX)?
        .filter_map(|e| e.ok()?.decode::<Subnet>().ok())
        .filter(|s| s.default_for_az == Some(true))
        .filter(|s| zone.is_none() || s.availability_zone == zone)
        .collect();
    defaults.sort_by(|a, b| a.availability_zone.cmp(&b.availability_zone));
    defaults
        .into_iter()
        .next()
        .ok_or_else(|| errors::client("VPCIdNotSpecified", "No default VPC for this user"))
}

/// The groups asked for (by id or name) in the subnet's VPC, else its default group.
fn groups(
    table: &TableMut<'_>,
    input: &RunInstancesRequest,
    vpc: &str,
) -> Result<Vec<GroupIdentifier>, AwsError> {
    let in_vpc: Vec<SecurityGroup> = table
        .scan(SG_PREFIX)?
        .filter_map(|e| e.ok()?.decode::<GroupRecord>().ok())
        .map(|r| r.group)
        .filter(|g| g.vpc_id.as_deref() == Some(vpc))
        .collect();
    let interfaces = input.network_interfaces.as_deref().unwrap_or_default();
    let ids = input
        .security_group_ids
        .iter()
        .flatten()
        .chain(interfaces.iter().flat_map(|i| i.groups.iter().flatten()));
    let by_id = ids.map(|id| {
        in_vpc
            .iter()
            .find(|g| g.group_id.as_ref() == Some(id))
            .ok_or_else(|| {
                errors::client(
                    "InvalidGroup.NotFound",
                    format!("The security group '{id}' does not exist in VPC '{vpc}'"),
                )
            })
    });
    let by_name = input.security_groups.iter().flatten().map(|name| {
        in_vpc
            .iter()
            .find(|g| g.group_name.as_ref() == Some(name))
            .ok_or_else(|| {
                errors::client(
                    "InvalidGroup.NotFound",
                    format!("The security group '{name}' does not exist in VPC '{vpc}'"),
                )
            })
    });
    let mut chosen: Vec<&SecurityGroup> = by_id.chain(by_name).collect::<Result<_, _>>()?;
    if chosen.is_empty() {
        chosen.extend(
            in_vpc
                .iter()
                .filter(|g| g.group_name.as_deref() == Some("default")),
        );
    }
    chosen.dedup_by(|a, b| a.group_id == b.group_id);
    Ok(chosen
        .into_iter()
        .map(|g| GroupIdentifier {
            group_id: g.group_id.clone(),
            group_name: g.group_name.clone(),
        })
        .collect())
}

/// Removes the records of instances terminated long enough ago that EC2
/// no longer lists them; their ids.
fn forget_terminated(table: &mut TableMut<'_>, now: i64) -> Result<Vec<String>, AwsError> {
    let gone: Vec<String> = table
        .scan(INSTANCE_PREFIX)?
        .filter_map(|e| e.ok()?.decode::<InstanceRecord>().ok())
        .map(|r| r.settled(now))
        .filter(|r| !r.visible(now))
        .map(|r| r.id().to_owned())
        .collect();
    for id in &gone {
        table.delete(&instance_key(id))?;
    }
    Ok(gone)
}

/// vCPUs the region's instances hold now (all but the terminated).
fn vcpus_in_use(table: &TableMut<'_>, now: i64) -> Result<i64, AwsError> {
    let records = table
        .scan(INSTANCE_PREFIX)?
        .filter_map(|e| e.ok()?.decode::<InstanceRecord>().ok());
    Ok(records
        .map(|r| r.settled(now))
        .filter(|r| r.state() != "terminated")
        .filter_map(|r| {
            r.instance
                .instance_type
                .as_deref()
                .and_then(crate::instance_types::find)
        })
        .map(|info| launch::vcpus(&info))
        .sum())
}

fn metadata_options(asked: Option<&InstanceMetadataOptionsRequest>) -> InstanceMetadataOptionsResponse {
    let asked = asked.cloned().unwrap_or_default();
    InstanceMetadataOptionsResponse {
        state: Some("pending".to_owned()),
        http_tokens: Some(asked.http_tokens.unwrap_or_else(|| "optional".to_owned())),
        http_put_response_hop_limit: Some(asked.http_put_response_hop_limit.unwrap_or(1)),
        http_endpoint: Some(asked.http_endpoint.unwrap_or_else(|| "enabled".to_owned())),
        http_protocol_ipv6: Some("disabled".to_owned()),
        instance_metadata_tags: Some(
            asked
                .instance_metadata_tags
                .unwrap_or_else(|| "disabled".to_owned()),
        ),
    }
}

fn profile(account: &str, asked: Option<&IamInstanceProfileSpecification>) -> Option<IamInstanceProfile> {
    let asked = asked?;
    let arn = asked.arn.clone().or_else(|| {
        let name = asked.name.as_ref()?;
        Some(format!("arn:aws:iam::{account}:instance-profile/{name}"))
    })?;
    Some(IamInstanceProfile {
        id: Some(crate::ids::derived("AIPA", &arn).replace('-', "").to_uppercase()),
        arn: Some(arn),
    })
}

/// Makes the records (in the regional table) and takes their addresses
/// (in the machine's); returns them pending.
fn record(
    txn: &nimbus_store::WriteTxn,
    ns: &nimbus_store::Namespace,
    request: Request,
) -> Result<Launched, AwsError> {
    let now = request.now_ms;
    let mut regional = txn.open(ns)?;
    let forgotten = forget_terminated(&mut regional, now)?;
    let subnet = subnet(&regional, &request.input)?;
    let vpc = subnet.vpc_id.clone().unwrap_or_default();
    let groups = groups(&regional, &request.input, &vpc)?;
    if let Some(name) = &request.input.key_name
        && regional.get(&keypair_key(name))?.is_none()
    {
        return Err(launch::key_pair_missing(name));
    }
    let room = (VCPU_LIMIT - vcpus_in_use(&regional, now)?) / request.vcpus.max(1);
    let count = request.counts.1.min(usize::try_from(room).unwrap_or(0));
    if count < request.counts.0 {
        return Err(launch::vcpu_limit_exceeded());
    }
    drop(regional);
    let input = &request.input;
    let reservation = crate::ids::new_id("r");
    let mut made = Vec::with_capacity(count);
    // A public address when the first interface asks for one, else as the subnet says.
    let interfaces = input.network_interfaces.as_deref().unwrap_or_default();
    let asked_public = interfaces.iter().find_map(|i| i.associate_public_ip_address);
    let wants_public = asked_public.unwrap_or(subnet.map_public_ip_on_launch == Some(true));
    let mut host = txn.open(&machine::namespace()?)?;
    crate::drills::check_capacity(
        &host.down()?,
        subnet.availability_zone.as_deref(),
        &request.instance_type,
    )?;
    for index in 0..count {
        let mut instance = shape::new_instance(Parts {
            account: &request.account,
            image: &request.image,
            instance_type: &request.instance_type,
            subnet: &subnet,
            groups: &groups,
            key_name: input.key_name.as_deref(),
            index,
            launch_time: request.now,
            tags: request.tags.clone(),
            client_token: input.client_token.as_deref(),
            profile: profile(&request.account, input.iam_instance_profile.as_ref()),
            metadata: metadata_options(input.metadata_options.as_ref()),
        });
        let id = instance.instance_id.clone().unwrap_or_default();
        let private = machine::take_address(&mut host, Pool::Private, &id)?;
        shape::set_private(&mut instance, &private.to_string(), &request.region);
        if wants_public {
            let public = machine::take_address(&mut host, Pool::Public, &id)?;
            shape::set_public(
                &mut instance,
                Some(&public.to_string()),
                &request.region,
                "amazon",
            );
        }
        let live = Live {
            account: request.account.clone(),
            region: request.region.clone(),
        };
        host.put_json(&machine::live_key(&id), &live)?;
        let mut record = InstanceRecord {
            instance,
            reservation_id: reservation.clone(),
            requester_id: None,
            since: now,
            user_data: request.user_data.clone(),
            shutdown_behavior: request.shutdown_behavior.clone(),
            disable_api_termination: input.disable_api_termination.unwrap_or(false),
            disable_api_stop: input.disable_api_stop.unwrap_or(false),
            impaired_since: None,
            wants_public,
            cpu_credits: input.credit_specification.as_ref().map(|c| c.cpu_credits.clone()),
        };
        record.enter("pending", now, Some(Reason::Launching));
        made.push(record);
    }
    drop(host);
    let mut regional = txn.open(ns)?;
    for record in &mut made {
        // Its root volume is its own folder, attached at its root device.
        let root = crate::volumes::root_volume(&record.instance, now, request.now);
        let attachments = root.volume.attachments.iter().flatten();
        record.instance.block_device_mappings = Some(attachments.map(crate::volumes::mapping).collect());
        regional.put_json(
            &crate::volumes::key(root.volume.volume_id.as_deref().unwrap_or_default()),
            &root,
        )?;
        regional.put_json(&instance_key(record.id()), &*record)?;
    }
    Ok(Launched { made, forgotten })
}

/// What a launch made, and the terminated instances it forgot.
struct Launched {
    made: Vec<InstanceRecord>,
    forgotten: Vec<String>,
}

/// The instances' tags and EC2's own.
fn with_system_tags(given: Option<Vec<Tag>>, system: Vec<Tag>) -> Option<Vec<Tag>> {
    let mut all = given.unwrap_or_default();
    all.extend(system);
    (!all.is_empty()).then_some(all)
}

impl Ec2 {
    pub(crate) async fn run_instances(
        &self,
        ctx: &RequestContext,
        input: RunInstancesRequest,
    ) -> Result<Reservation, AwsError> {
        self.ensure_defaults(ctx).await?;
        let (input, system_tags) = self.with_template(ctx, input).await?;
        let counts = launch::counts(&input)?;
        let image = launch::image(
            &ctx.region,
            self.own_images(ctx).await?,
            input.image_id.as_deref(),
        )?;
        let info = launch::instance_type(input.instance_type.as_deref(), &image)?;
        let request = Request {
            region: ctx.region.clone(),
            account: ctx.account_id.clone(),
            tags: with_system_tags(
                tags::from_specifications(input.tag_specifications.as_deref(), "instance")?,
                system_tags,
            ),
            user_data: launch::user_data(input.user_data.as_deref())?,
            shutdown_behavior: launch::shutdown_behavior(
                input.instance_initiated_shutdown_behavior.as_deref(),
            )?,
            instance_type: info.instance_type.clone().unwrap_or_default(),
            vcpus: launch::vcpus(&info),
            image,
            counts,
            input,
            now: crate::records::now(&self.clock),
            now_ms: self.now_millis(),
        };
        errors::check_dry_run(request.input.dry_run)?;
        let ns = namespace_of(ctx)?;
        let Launched { made, forgotten } = self.store.write(move |txn| record(txn, &ns, request)).await?;
        for id in &forgotten {
            self.host.forget_folder(id);
        }
        for record in &made {
            self.boot(&ctx.account_id, &ctx.region, record, true);
        }
        self.sync_forwards(ctx).await;
        Ok(Reservation {
            reservation_id: made.first().map(|r| r.reservation_id.clone()),
            owner_id: Some(ctx.account_id.clone()),
            // Groups are the instances' own in a VPC.
            groups: Some(vec![]),
            instances: Some(made.into_iter().map(|r| r.instance).collect()),
            ..Default::default()
        })
    }
}
