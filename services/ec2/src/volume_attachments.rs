//! Attaching volumes: AttachVolume to a running or stopped instance of the
//! volume's zone (EBS device names only), the volume's folder put in the
//! instance's at `mnt/<device>`; DetachVolume takes it away. Both change the
//! volume's record and the instance's block device mappings in one write.

use std::path::Path;

use nimbus_core::{AwsError, RequestContext, Timestamp};
use nimbus_ec2_api::*;
use nimbus_store::TableMut;

use crate::instances::InstanceRecord;
use crate::records::{instance_key, namespace_of};
use crate::volumes::{VolumeRecord, folder, key, mapping, volume_missing};
use crate::{Ec2, errors};

/// `/dev/sdf` as the name of its mount point in the instance (`sdf`).
fn mount_name(device: &str) -> String {
    device.rsplit('/').next().unwrap_or(device).to_owned()
}

impl Ec2 {
    pub(crate) async fn attach_volume(
        &self,
        ctx: &RequestContext,
        input: AttachVolumeRequest,
    ) -> Result<VolumeAttachment, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let (ns, now, at) = (
            namespace_of(ctx)?,
            self.now_millis(),
            crate::records::now(&self.clock),
        );
        let request = input.clone();
        let attachment = self
            .store
            .write(move |txn| attach(&mut txn.open(&ns)?, request, now, at))
            .await?;
        let link = self
            .host
            .layout(&input.instance_id)
            .root()
            .join("mnt")
            .join(mount_name(&input.device));
        let linked = link
            .parent()
            .map(std::fs::create_dir_all)
            .transpose()
            .and_then(|_| {
                let _ = std::fs::remove_file(&link);
                symlink(&folder(self.store.data_dir(), &input.volume_id), &link)
            });
        if let Err(error) = linked {
            tracing::warn!(volume = input.volume_id, %error, "cannot put the volume in the instance's folder");
        }
        Ok(attachment)
    }

    pub(crate) async fn detach_volume(
        &self,
        ctx: &RequestContext,
        input: DetachVolumeRequest,
    ) -> Result<VolumeAttachment, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let (ns, now) = (namespace_of(ctx)?, self.now_millis());
        let request = input.clone();
        let attachment = self
            .store
            .write(move |txn| detach(&mut txn.open(&ns)?, request, now))
            .await?;
        if let (Some(instance), Some(device)) = (&attachment.instance_id, &attachment.device) {
            let _ = std::fs::remove_file(
                self.host
                    .layout(instance)
                    .root()
                    .join("mnt")
                    .join(mount_name(device)),
            );
        }
        Ok(attachment)
    }
}

/// EBS device names: `/dev/sd[b-z]`, `/dev/xvd[b-z]` (a digit may follow),
/// or `/dev/xvd[b-z][a-z]`.
fn device_name_valid(device: &str) -> bool {
    let Some(name) = device.strip_prefix("/dev/") else {
        return false;
    };
    let rest = name
        .strip_prefix("xvd")
        .or_else(|| name.strip_prefix("sd"))
        .unwrap_or("");
    let mut chars = rest.chars();
    let letter = chars.next().is_some_and(|c| ('b'..='z').contains(&c));
    let tail: String = chars.collect();
    let tail_ok = tail.is_empty()
        || (tail.len() == 1 && tail.chars().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()));
    letter && tail_ok
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(_target: &Path, _link: &Path) -> std::io::Result<()> {
    Ok(())
}

/// AttachVolume's checks and records, in one write.
fn attach(
    table: &mut TableMut<'_>,
    input: AttachVolumeRequest,
    now: i64,
    at: Timestamp,
) -> Result<VolumeAttachment, AwsError> {
    let mut record: VolumeRecord = table
        .get_json(&key(&input.volume_id))?
        .ok_or_else(|| volume_missing(&input.volume_id))?;
    record = record.settled(now);
    let found: Option<InstanceRecord> = table.get_json(&instance_key(&input.instance_id))?;
    let mut instance = found
        .map(|r| r.settled(now))
        .filter(|r| r.visible(now))
        .ok_or_else(|| crate::instances::instance_missing(&input.instance_id))?;
    if !matches!(instance.state(), "running" | "stopped") {
        return Err(errors::client(
            "IncorrectState",
            format!("Instance '{}' is not 'running'.", input.instance_id),
        ));
    }
    match record.volume.state.as_deref() {
        Some("available") => {}
        Some("creating") => {
            return Err(errors::client(
                "IncorrectState",
                format!("Volume '{}' is in the 'creating' state.", input.volume_id),
            ));
        }
        _ => {
            return Err(errors::client(
                "VolumeInUse",
                format!("{} is already attached to an instance", input.volume_id),
            ));
        }
    }
    let zone = instance
        .instance
        .placement
        .as_ref()
        .and_then(|p| p.availability_zone.clone());
    if record.volume.availability_zone != zone {
        return Err(errors::client(
            "InvalidVolume.ZoneMismatch",
            format!(
                "The volume '{}' is not in the same availability zone as instance '{}'",
                input.volume_id, input.instance_id
            ),
        ));
    }
    if !device_name_valid(&input.device) {
        return Err(errors::invalid_parameter(format!(
            "Value ({}) for parameter device is invalid. {} is not a valid EBS device name.",
            input.device, input.device
        )));
    }
    let mappings = instance
        .instance
        .block_device_mappings
        .get_or_insert_with(Vec::new);
    let taken = |m: &InstanceBlockDeviceMapping| {
        m.device_name.as_deref().map(mount_name) == Some(mount_name(&input.device))
    };
    if mappings.iter().any(taken) {
        return Err(errors::invalid_parameter(format!(
            "Invalid value '{0}' for unixDevice. Attachment point {0} is already in use",
            input.device
        )));
    }
    let attachment = VolumeAttachment {
        attach_time: Some(at),
        device: Some(input.device.clone()),
        instance_id: Some(input.instance_id.clone()),
        state: Some("attaching".to_owned()),
        volume_id: Some(input.volume_id.clone()),
        delete_on_termination: Some(false),
        ..Default::default()
    };
    mappings.push(mapping(&attachment));
    record.volume.state = Some("in-use".to_owned());
    record.volume.attachments = Some(vec![attachment.clone()]);
    record.since = now;
    table.put_json(&key(&input.volume_id), &record)?;
    table.put_json(&instance_key(&input.instance_id), &instance)?;
    Ok(attachment)
}

/// DetachVolume's checks and records, in one write.
fn detach(
    table: &mut TableMut<'_>,
    input: DetachVolumeRequest,
    now: i64,
) -> Result<VolumeAttachment, AwsError> {
    let mut record: VolumeRecord = table
        .get_json(&key(&input.volume_id))?
        .ok_or_else(|| volume_missing(&input.volume_id))?;
    let Some(mut attachment) = record.volume.attachments.iter().flatten().next().cloned() else {
        return Err(errors::client(
            "IncorrectState",
            format!("Volume '{}' is in the 'available' state.", input.volume_id),
        ));
    };
    if record.root_of.is_some() {
        return Err(errors::client(
            "OperationNotPermitted",
            format!(
                "Cannot detach the root volume '{}' of a running or pending instance.",
                input.volume_id
            ),
        ));
    }
    if let Some(asked) = &input.instance_id
        && attachment.instance_id.as_ref() != Some(asked)
    {
        return Err(errors::client(
            "IncorrectInstanceState",
            format!(
                "Volume '{}' is not attached to instance '{asked}'.",
                input.volume_id
            ),
        ));
    }
    let instance_id = attachment.instance_id.clone().unwrap_or_default();
    if let Some(mut instance) = table.get_json::<InstanceRecord>(&instance_key(&instance_id))? {
        let mappings = instance
            .instance
            .block_device_mappings
            .get_or_insert_with(Vec::new);
        mappings.retain(|m| {
            m.ebs.as_ref().and_then(|e| e.volume_id.as_deref()) != Some(input.volume_id.as_str())
        });
        table.put_json(&instance_key(&instance_id), &instance)?;
    }
    record.volume.state = Some("available".to_owned());
    record.volume.attachments = Some(vec![]);
    record.since = now;
    table.put_json(&key(&input.volume_id), &record)?;
    attachment.state = Some("detaching".to_owned());
    Ok(attachment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_are_ebs_ones() {
        for good in ["/dev/sdf", "/dev/xvdf", "/dev/sdf1", "/dev/xvdba"] {
            assert!(device_name_valid(good), "{good}");
        }
        for bad in [
            "sdf",
            "/dev/sda",
            "/dev/..",
            "/dev/sdf/",
            "/dev/xvd",
            "/dev/nvme1n1",
        ] {
            assert!(!device_name_valid(bad), "{bad}");
        }
    }
}
