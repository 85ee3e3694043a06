//! ModifyInstanceAttribute and DescribeInstanceAttribute: the type and user
//! data of a stopped instance (the seeds' vertical scaling step), its
//! protections, shutdown behaviour, groups and source/destination check.

use base64::Engine;
use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;

use super::launch;
use super::lifecycle::InstanceRecord;
use crate::records::{SG_PREFIX, instance_key, namespace_of};
use crate::security_groups::GroupRecord;
use crate::{Ec2, errors};

/// One attribute's change.
enum Change {
    InstanceType(String),
    UserData(String),
    DisableApiTermination(bool),
    DisableApiStop(bool),
    ShutdownBehavior(String),
    Groups(Vec<String>),
    SourceDestCheck(bool),
    EbsOptimized(bool),
}

fn flag(value: &Option<AttributeBooleanValue>) -> Option<bool> {
    value.as_ref().and_then(|v| v.value)
}

fn text(value: &Option<AttributeValue>) -> Option<String> {
    value.as_ref().and_then(|v| v.value.clone())
}

/// The change asked for: a member of its own, or `Attribute` with `Value`.
fn change_of(input: &ModifyInstanceAttributeRequest) -> Result<Change, AwsError> {
    let bool_value = |v: &Option<String>| v.as_deref().map(|v| v.eq_ignore_ascii_case("true"));
    let named = input.attribute.as_deref();
    let found = if let Some(t) = text(&input.instance_type).or_else(|| {
        (named == Some("instanceType"))
            .then(|| input.value.clone())
            .flatten()
    }) {
        Change::InstanceType(t)
    } else if let Some(data) = input.user_data.as_ref().and_then(|d| d.value.as_ref()) {
        Change::UserData(base64::engine::general_purpose::STANDARD.encode(data))
    } else if let Some(v) = flag(&input.disable_api_termination).or_else(|| {
        (named == Some("disableApiTermination"))
            .then(|| bool_value(&input.value))
            .flatten()
    }) {
        Change::DisableApiTermination(v)
    } else if let Some(v) = flag(&input.disable_api_stop).or_else(|| {
        (named == Some("disableApiStop"))
            .then(|| bool_value(&input.value))
            .flatten()
    }) {
        Change::DisableApiStop(v)
    } else if let Some(b) = text(&input.instance_initiated_shutdown_behavior).or_else(|| {
        (named == Some("instanceInitiatedShutdownBehavior"))
            .then(|| input.value.clone())
            .flatten()
    }) {
        Change::ShutdownBehavior(launch::shutdown_behavior(Some(&b))?)
    } else if let Some(groups) = input.groups.clone().filter(|g| !g.is_empty()) {
        Change::Groups(groups)
    } else if let Some(v) = flag(&input.source_dest_check).or_else(|| {
        (named == Some("sourceDestCheck"))
            .then(|| bool_value(&input.value))
            .flatten()
    }) {
        Change::SourceDestCheck(v)
    } else if let Some(v) = flag(&input.ebs_optimized) {
        Change::EbsOptimized(v)
    } else {
        return Err(errors::client(
            "MissingParameter",
            "The request must contain the parameter attribute or a value to modify",
        ));
    };
    Ok(found)
}

fn must_be_stopped(record: &InstanceRecord) -> Result<(), AwsError> {
    match record.state() {
        "stopped" => Ok(()),
        _ => Err(errors::client(
            "IncorrectInstanceState",
            format!("The instance '{}' is not in the 'stopped' state.", record.id()),
        )),
    }
}

/// Applies a change to the record; groups come resolved from the VPC.
fn apply(record: &mut InstanceRecord, change: Change, groups: Vec<GroupIdentifier>) -> Result<(), AwsError> {
    match change {
        Change::InstanceType(name) => {
            must_be_stopped(record)?;
            let image = launch::image_of_instance(record);
            let info = launch::instance_type(Some(&name), &image)?;
            record.instance.instance_type = info.instance_type;
        }
        Change::UserData(data) => {
            must_be_stopped(record)?;
            record.user_data = launch::user_data(Some(&data))?;
        }
        Change::DisableApiTermination(v) => record.disable_api_termination = v,
        Change::DisableApiStop(v) => record.disable_api_stop = v,
        Change::ShutdownBehavior(b) => record.shutdown_behavior = b,
        Change::Groups(_) => {
            record.instance.security_groups = Some(groups.clone());
            for interface in record.instance.network_interfaces.iter_mut().flatten() {
                interface.groups = Some(groups.clone());
            }
        }
        Change::SourceDestCheck(v) => record.instance.source_dest_check = Some(v),
        Change::EbsOptimized(v) => record.instance.ebs_optimized = Some(v),
    }
    Ok(())
}

fn resolve_groups(
    table: &nimbus_store::TableMut<'_>,
    ids: &[String],
    vpc: &str,
) -> Result<Vec<GroupIdentifier>, AwsError> {
    let known: Vec<SecurityGroup> = table
        .scan(SG_PREFIX)?
        .filter_map(|e| e.ok()?.decode::<GroupRecord>().ok())
        .map(|r| r.group)
        .filter(|g| g.vpc_id.as_deref() == Some(vpc))
        .collect();
    ids.iter()
        .map(|id| {
            let group = known
                .iter()
                .find(|g| g.group_id.as_ref() == Some(id))
                .ok_or_else(|| crate::security_groups::group_missing(id))?;
            Ok(GroupIdentifier {
                group_id: group.group_id.clone(),
                group_name: group.group_name.clone(),
            })
        })
        .collect()
}

impl Ec2 {
    pub(crate) async fn modify_instance_attribute(
        &self,
        ctx: &RequestContext,
        input: ModifyInstanceAttributeRequest,
    ) -> Result<(), AwsError> {
        self.ensure_defaults(ctx).await?;
        let change = change_of(&input)?;
        errors::check_dry_run(input.dry_run)?;
        let (ns, now, id) = (namespace_of(ctx)?, self.now_millis(), input.instance_id);
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let found: Option<InstanceRecord> = table.get_json(&instance_key(&id))?;
                let mut record = found
                    .map(|r| r.settled(now))
                    .filter(|r| r.visible(now))
                    .ok_or_else(|| super::instance_missing(&id))?;
                let groups = match &change {
                    Change::Groups(ids) => {
                        resolve_groups(&table, ids, record.instance.vpc_id.as_deref().unwrap_or_default())?
                    }
                    _ => Vec::new(),
                };
                apply(&mut record, change, groups)?;
                table.put_json(&instance_key(&id), &record)?;
                Ok::<_, AwsError>(())
            })
            .await?;
        // Its groups decide what reaches its public address.
        self.sync_forwards(ctx).await;
        Ok(())
    }

    pub(crate) async fn describe_instance_attribute(
        &self,
        ctx: &RequestContext,
        input: DescribeInstanceAttributeRequest,
    ) -> Result<InstanceAttribute, AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let now = self.now_millis();
        let found: Option<InstanceRecord> = self
            .store
            .get_json(&namespace_of(ctx)?, &instance_key(&input.instance_id))
            .await?;
        let record = found
            .map(|r| r.settled(now))
            .filter(|r| r.visible(now))
            .ok_or_else(|| super::instance_missing(&input.instance_id))?;
        described_attribute(&record, &input.attribute)
    }
}

fn described_attribute(record: &InstanceRecord, attribute: &str) -> Result<InstanceAttribute, AwsError> {
    let instance = &record.instance;
    let value = |v: Option<String>| Some(AttributeValue { value: v });
    let boolean = |v: Option<bool>| Some(AttributeBooleanValue { value: v });
    let mut out = InstanceAttribute {
        instance_id: instance.instance_id.clone(),
        ..Default::default()
    };
    match attribute {
        "instanceType" => out.instance_type = value(instance.instance_type.clone()),
        "userData" => {
            out.user_data = Some(AttributeValue {
                value: record.user_data.clone(),
            })
        }
        "disableApiTermination" => {
            out.disable_api_termination = boolean(Some(record.disable_api_termination))
        }
        "disableApiStop" => out.disable_api_stop = boolean(Some(record.disable_api_stop)),
        "instanceInitiatedShutdownBehavior" => {
            out.instance_initiated_shutdown_behavior = value(Some(record.shutdown_behavior.clone()))
        }
        "groupSet" => out.groups = instance.security_groups.clone(),
        "sourceDestCheck" => out.source_dest_check = boolean(instance.source_dest_check),
        "rootDeviceName" => out.root_device_name = value(instance.root_device_name.clone()),
        "blockDeviceMapping" => out.block_device_mappings = instance.block_device_mappings.clone(),
        "ebsOptimized" => out.ebs_optimized = boolean(instance.ebs_optimized),
        "enaSupport" => out.ena_support = boolean(instance.ena_support),
        "productCodes" => out.product_codes = Some(vec![]),
        "kernel" => out.kernel_id = value(None),
        "ramdisk" => out.ramdisk_id = value(None),
        "sriovNetSupport" => out.sriov_net_support = value(None),
        other => {
            return Err(errors::invalid_parameter(format!(
                "Value ({other}) for parameter attribute is invalid. Unknown attribute."
            )));
        }
    }
    Ok(out)
}

impl Ec2 {
    /// ModifyInstanceMetadataOptions: what the instance's metadata service
    /// asks for (tokens, tags, on or off), applied to its next request.
    pub(crate) async fn modify_instance_metadata_options(
        &self,
        ctx: &RequestContext,
        input: ModifyInstanceMetadataOptionsRequest,
    ) -> Result<ModifyInstanceMetadataOptionsResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        if input
            .http_put_response_hop_limit
            .is_some_and(|hops| !(1..=64).contains(&hops))
        {
            return Err(errors::invalid_parameter(
                "The HttpPutResponseHopLimit must be between 1 and 64.",
            ));
        }
        errors::check_dry_run(input.dry_run)?;
        let (ns, now, id) = (namespace_of(ctx)?, self.now_millis(), input.instance_id.clone());
        let options = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let found: Option<InstanceRecord> = table.get_json(&instance_key(&id))?;
                let mut record = found
                    .map(|r| r.settled(now))
                    .filter(|r| r.visible(now) && r.state() != "terminated")
                    .ok_or_else(|| super::instance_missing(&id))?;
                let options = record
                    .instance
                    .metadata_options
                    .get_or_insert_with(Default::default);
                let set = |slot: &mut Option<String>, given: Option<String>| {
                    if given.is_some() {
                        *slot = given;
                    }
                };
                set(&mut options.http_tokens, input.http_tokens);
                set(&mut options.http_endpoint, input.http_endpoint);
                set(&mut options.http_protocol_ipv6, input.http_protocol_ipv6);
                set(&mut options.instance_metadata_tags, input.instance_metadata_tags);
                if input.http_put_response_hop_limit.is_some() {
                    options.http_put_response_hop_limit = input.http_put_response_hop_limit;
                }
                options.state = Some("applied".to_owned());
                let answer = InstanceMetadataOptionsResponse {
                    state: Some("pending".to_owned()),
                    ..options.clone()
                };
                table.put_json(&instance_key(&id), &record)?;
                Ok::<_, AwsError>(answer)
            })
            .await?;
        Ok(ModifyInstanceMetadataOptionsResult {
            instance_id: Some(input.instance_id),
            instance_metadata_options: Some(options),
        })
    }
}
