//! EBS volumes: made in a zone (empty, or from a snapshot), each a folder
//! under `<data dir>/ec2/volumes/<id>`; attached to an instance of the same
//! zone (`volume_attachments`), the folder appears in the instance's own at
//! `mnt/<device>` (a volume at `/dev/sdf` is `<root>/mnt/sdf`); deleted. Every
//! instance has its root volume (its own folder), attached at its root
//! device and deleted with it. States move on the nimbus clock.

use std::path::{Path, PathBuf};

use nimbus_core::{AwsError, RequestContext, Timestamp};
use nimbus_ec2_api::*;
use nimbus_store::TableMut;
use serde::{Deserialize, Serialize};

use crate::filters::{self, Values};
use crate::records::namespace_of;
use crate::{Ec2, errors, ids, tags};

pub const PREFIX: &[u8] = b"vol/";
/// How long creating, attaching and detaching take.
pub const SETTLE_MS: i64 = 250;

pub fn key(id: &str) -> Vec<u8> {
    [PREFIX, id.as_bytes()].concat()
}

/// A volume and when its state began.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VolumeRecord {
    pub volume: Volume,
    pub since: i64,
    /// An instance's root volume: its data is the instance's own folder.
    #[serde(default)]
    pub root_of: Option<String>,
}

impl VolumeRecord {
    /// As it stands at `now`: creating turns available, attaching attached.
    pub fn settled(mut self, now: i64) -> VolumeRecord {
        if now - self.since < SETTLE_MS {
            return self;
        }
        if self.volume.state.as_deref() == Some("creating") {
            self.volume.state = Some("available".to_owned());
        }
        for attachment in self.volume.attachments.iter_mut().flatten() {
            if attachment.state.as_deref() == Some("attaching") {
                attachment.state = Some("attached".to_owned());
            }
        }
        self
    }
}

pub fn volume_missing(id: &str) -> AwsError {
    errors::client(
        "InvalidVolume.NotFound",
        format!("The volume '{id}' does not exist."),
    )
}

/// The folder that holds a volume's data.
pub fn folder(data_dir: &Path, id: &str) -> PathBuf {
    data_dir.join("ec2").join("volumes").join(id)
}

fn values(volume: &Volume) -> Values<'_> {
    Box::new(move |name| {
        let one = |value: &Option<String>| Some(value.iter().cloned().collect());
        let attachments = volume.attachments.iter().flatten();
        let of = |field: fn(&VolumeAttachment) -> Option<String>| {
            Some(attachments.clone().filter_map(field).collect())
        };
        match name {
            "volume-id" => one(&volume.volume_id),
            "status" => one(&volume.state),
            "availability-zone" => one(&volume.availability_zone),
            "volume-type" => one(&volume.volume_type),
            "snapshot-id" => one(&volume.snapshot_id),
            "size" => Some(volume.size.map(|s| s.to_string()).into_iter().collect()),
            "encrypted" => Some(vec![volume.encrypted.unwrap_or(false).to_string()]),
            "attachment.instance-id" => of(|a| a.instance_id.clone()),
            "attachment.device" => of(|a| a.device.clone()),
            "attachment.status" => of(|a| a.state.clone()),
            "attachment.delete-on-termination" => of(|a| a.delete_on_termination.map(|d| d.to_string())),
            other => filters::tag_values(volume.tags.as_ref(), other),
        }
    })
}

/// An instance's root volume, attached at its root device.
pub fn root_volume(instance: &Instance, now: i64, launch: Timestamp) -> VolumeRecord {
    let id = ids::new_id("vol");
    let zone = instance
        .placement
        .as_ref()
        .and_then(|p| p.availability_zone.clone());
    VolumeRecord {
        volume: Volume {
            volume_id: Some(id.clone()),
            size: Some(8),
            snapshot_id: Some(String::new()),
            availability_zone: zone,
            state: Some("in-use".to_owned()),
            create_time: Some(launch),
            volume_type: Some("gp3".to_owned()),
            iops: Some(3000),
            throughput: Some(125),
            encrypted: Some(false),
            multi_attach_enabled: Some(false),
            attachments: Some(vec![VolumeAttachment {
                attach_time: Some(launch),
                device: instance.root_device_name.clone(),
                instance_id: instance.instance_id.clone(),
                state: Some("attached".to_owned()),
                volume_id: Some(id),
                delete_on_termination: Some(true),
                ..Default::default()
            }]),
            ..Default::default()
        },
        since: now,
        root_of: instance.instance_id.clone(),
    }
}

/// The instance's block device mapping entry for an attachment.
pub fn mapping(attachment: &VolumeAttachment) -> InstanceBlockDeviceMapping {
    InstanceBlockDeviceMapping {
        device_name: attachment.device.clone(),
        ebs: Some(EbsInstanceBlockDevice {
            attach_time: attachment.attach_time,
            delete_on_termination: attachment.delete_on_termination,
            status: Some("attached".to_owned()),
            volume_id: attachment.volume_id.clone(),
            ..Default::default()
        }),
    }
}

fn size_for(input: &CreateVolumeRequest, snapshot: Option<&Snapshot>) -> Result<i32, AwsError> {
    let size = input.size.or_else(|| snapshot.and_then(|s| s.volume_size));
    let Some(size) = size else {
        return Err(errors::client(
            "MissingParameter",
            "The request must contain the parameter size or snapshotId",
        ));
    };
    let most = match input.volume_type.as_deref().unwrap_or("gp2") {
        "standard" => 1_024,
        _ => 16_384,
    };
    if !(1..=most).contains(&size) {
        return Err(errors::invalid_parameter(format!(
            "Volume of {size}GiB is too large for volume type {}; maximum is {most}GiB",
            input.volume_type.as_deref().unwrap_or("gp2")
        )));
    }
    Ok(size)
}

impl Ec2 {
    async fn volume_records(&self, ctx: &RequestContext) -> Result<Vec<VolumeRecord>, AwsError> {
        let now = self.now_millis();
        let stored = self.store.values_under(&namespace_of(ctx)?, PREFIX).await?;
        Ok(stored
            .iter()
            .filter_map(|b| serde_json::from_slice::<VolumeRecord>(b).ok())
            .map(|r| r.settled(now))
            .collect())
    }

    pub(crate) async fn create_volume(
        &self,
        ctx: &RequestContext,
        input: CreateVolumeRequest,
    ) -> Result<Volume, AwsError> {
        self.ensure_defaults(ctx).await?;
        let zone = input.availability_zone.clone().or_else(|| {
            let id = input.availability_zone_id.as_deref()?;
            crate::zones::zones(&ctx.region)
                .into_iter()
                .find(|z| z.id == id)
                .map(|z| z.name)
        });
        let Some(zone) = zone.filter(|z| {
            crate::zones::zones(&ctx.region)
                .iter()
                .any(|known| &known.name == z)
        }) else {
            return Err(errors::invalid_parameter(format!(
                "Invalid availability zone: [{}]",
                input.availability_zone.as_deref().unwrap_or_default()
            )));
        };
        let snapshot = match &input.snapshot_id {
            Some(id) => Some(self.snapshot(ctx, id).await?),
            None => None,
        };
        let size = size_for(&input, snapshot.as_ref())?;
        let volume_tags = tags::from_specifications(input.tag_specifications.as_deref(), "volume")?;
        errors::check_dry_run(input.dry_run)?;
        let gp3 = input.volume_type.as_deref() == Some("gp3");
        let record = VolumeRecord {
            volume: Volume {
                volume_id: Some(ids::new_id("vol")),
                size: Some(size),
                snapshot_id: Some(input.snapshot_id.clone().unwrap_or_default()),
                availability_zone: Some(zone.clone()),
                availability_zone_id: crate::zones::zones(&ctx.region)
                    .into_iter()
                    .find(|z| z.name == zone)
                    .map(|z| z.id),
                state: Some("creating".to_owned()),
                create_time: Some(crate::records::now(&self.clock)),
                volume_type: Some(input.volume_type.clone().unwrap_or_else(|| "gp2".to_owned())),
                iops: input
                    .iops
                    .or(Some(if gp3 { 3000 } else { (size * 3).clamp(100, 16_000) })),
                throughput: input.throughput.or(gp3.then_some(125)),
                encrypted: Some(input.encrypted.unwrap_or(false)),
                kms_key_id: input.kms_key_id.clone(),
                multi_attach_enabled: Some(input.multi_attach_enabled.unwrap_or(false)),
                attachments: Some(vec![]),
                tags: volume_tags,
                ..Default::default()
            },
            since: self.now_millis(),
            root_of: None,
        };
        let id = record.volume.volume_id.clone().unwrap_or_default();
        let target = folder(self.store.data_dir(), &id);
        let made = match &snapshot {
            Some(snapshot) => crate::snapshots::copy_tree(
                &crate::snapshots::folder(
                    self.store.data_dir(),
                    snapshot.snapshot_id.as_deref().unwrap_or_default(),
                ),
                &target,
            ),
            None => std::fs::create_dir_all(&target),
        };
        made.map_err(|e| {
            AwsError::new(
                "InternalError",
                format!("cannot make the volume's folder: {e}"),
                500,
            )
        })?;
        let ns = namespace_of(ctx)?;
        let stored = record.clone();
        self.store
            .write(move |txn| txn.open(&ns)?.put_json(&key(&id), &stored))
            .await?;
        Ok(record.volume)
    }

    pub(crate) async fn describe_volumes(
        &self,
        ctx: &RequestContext,
        input: DescribeVolumesRequest,
    ) -> Result<DescribeVolumesResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let all: Vec<Volume> = self
            .volume_records(ctx)
            .await?
            .into_iter()
            .map(|r| r.volume)
            .collect();
        let ids = input.volume_ids.unwrap_or_default();
        let chosen = filters::select(
            all,
            &ids,
            |v| v.volume_id.as_ref(),
            input.filters.as_deref().unwrap_or_default(),
            values,
            volume_missing,
        )?;
        let (page, next_token) = crate::paging::page(chosen, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeVolumesResult {
            volumes: Some(page),
            next_token,
        })
    }

    pub(crate) async fn delete_volume(
        &self,
        ctx: &RequestContext,
        input: DeleteVolumeRequest,
    ) -> Result<(), AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let (ns, id, now) = (namespace_of(ctx)?, input.volume_id, self.now_millis());
        let gone = id.clone();
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let record: VolumeRecord = table.get_json(&key(&id))?.ok_or_else(|| volume_missing(&id))?;
                let record = record.settled(now);
                if let Some(attached) = record
                    .volume
                    .attachments
                    .iter()
                    .flatten()
                    .find_map(|a| a.instance_id.clone())
                {
                    return Err(errors::client(
                        "VolumeInUse",
                        format!("Volume {id} is currently attached to {attached}"),
                    ));
                }
                table.delete(&key(&id))?;
                Ok(())
            })
            .await?;
        let _ = std::fs::remove_dir_all(folder(self.store.data_dir(), &gone));
        Ok(())
    }
}

/// What a terminated instance's volumes become: its root volume and those
/// marked DeleteOnTermination are deleted, the rest detached (available).
pub fn release_volumes(table: &mut TableMut<'_>, instance_id: &str) -> Result<(), AwsError> {
    let mut records = Vec::new();
    for entry in table.scan(PREFIX)? {
        records.push(entry?.decode::<VolumeRecord>()?);
    }
    for mut record in records {
        let attached = record
            .volume
            .attachments
            .iter()
            .flatten()
            .find(|a| a.instance_id.as_deref() == Some(instance_id))
            .cloned();
        let Some(attachment) = attached else { continue };
        let id = record.volume.volume_id.clone().unwrap_or_default();
        if attachment.delete_on_termination == Some(true) {
            table.delete(&key(&id))?;
        } else {
            record.volume.state = Some("available".to_owned());
            record.volume.attachments = Some(vec![]);
            table.put_json(&key(&id), &record)?;
        }
    }
    Ok(())
}
