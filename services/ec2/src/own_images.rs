//! The account's own images: CreateImage copies an instance's folder (its
//! root volume) to `<data dir>/ec2/images/<ami-id>`, pending a moment on the
//! nimbus clock, then available; instances launched from it start from a
//! copy of that folder. DescribeImages lists them beside the built-in
//! catalogue; DeregisterImage removes them.

use std::path::{Path, PathBuf};

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;
use serde::{Deserialize, Serialize};

use crate::instances::InstanceRecord;
use crate::records::{instance_key, namespace_of};
use crate::volumes::SETTLE_MS;
use crate::{Ec2, errors, ids, tags};

const PREFIX: &[u8] = b"ami/";

fn key(id: &str) -> Vec<u8> {
    [PREFIX, id.as_bytes()].concat()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ImageRecord {
    image: Image,
    since: i64,
}

/// The folder an image's instances start from.
pub fn folder(data_dir: &Path, id: &str) -> PathBuf {
    data_dir.join("ec2").join("images").join(id)
}

fn check_name(name: &str) -> Result<(), AwsError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "()[] ./-'@_".contains(c);
    if (3..=128).contains(&name.len()) && name.chars().all(allowed) {
        return Ok(());
    }
    Err(errors::invalid_parameter(format!(
        "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', \
         '/' and '_' (got '{name}')"
    )))
}

impl Ec2 {
    /// The account's own images in the caller's region, as they stand.
    pub(crate) async fn own_images(&self, ctx: &RequestContext) -> Result<Vec<Image>, AwsError> {
        let now = self.now_millis();
        let stored = self.store.values_under(&namespace_of(ctx)?, PREFIX).await?;
        Ok(stored
            .iter()
            .filter_map(|b| serde_json::from_slice::<ImageRecord>(b).ok())
            .map(|mut r| {
                if now - r.since >= SETTLE_MS {
                    r.image.state = Some("available".to_owned());
                }
                r.image
            })
            .collect())
    }

    pub(crate) async fn create_image(
        &self,
        ctx: &RequestContext,
        input: CreateImageRequest,
    ) -> Result<CreateImageResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        check_name(&input.name)?;
        let image_tags = tags::from_specifications(input.tag_specifications.as_deref(), "image")?;
        errors::check_dry_run(input.dry_run)?;
        let ns = namespace_of(ctx)?;
        let now = self.now_millis();
        let found: Option<InstanceRecord> = self
            .store
            .get_json(&ns, &instance_key(&input.instance_id))
            .await?;
        let record = found
            .map(|r| r.settled(now))
            .filter(|r| matches!(r.state(), "running" | "stopped" | "stopping"))
            .ok_or_else(|| crate::instances::instance_missing(&input.instance_id))?;
        if let Some(taken) = self
            .own_images(ctx)
            .await?
            .into_iter()
            .find(|i| i.name.as_deref() == Some(input.name.as_str()))
        {
            return Err(errors::client(
                "InvalidAMIName.Duplicate",
                format!(
                    "AMI name {} is already in use by AMI {}",
                    input.name,
                    taken.image_id.unwrap_or_default()
                ),
            ));
        }
        let id = ids::new_id("ami");
        let instance = &record.instance;
        let root = instance.root_device_name.clone();
        let image = Image {
            image_id: Some(id.clone()),
            image_location: Some(format!("{}/{}", ctx.account_id, input.name)),
            owner_id: Some(ctx.account_id.clone()),
            name: Some(input.name.clone()),
            description: input.description.clone(),
            architecture: instance.architecture.clone(),
            state: Some("pending".to_owned()),
            public: Some(false),
            image_type: Some("machine".to_owned()),
            creation_date: Some(crate::instances::utc(now, "T") + ".000Z"),
            root_device_name: root.clone(),
            root_device_type: Some("ebs".to_owned()),
            virtualization_type: Some("hvm".to_owned()),
            hypervisor: Some("xen".to_owned()),
            ena_support: Some(true),
            platform_details: Some("Linux/UNIX".to_owned()),
            usage_operation: Some("RunInstances".to_owned()),
            source_instance_id: instance.instance_id.clone(),
            block_device_mappings: Some(vec![BlockDeviceMapping {
                device_name: root,
                ebs: Some(EbsBlockDevice {
                    delete_on_termination: Some(true),
                    snapshot_id: Some(ids::new_id("snap")),
                    volume_size: Some(8),
                    volume_type: Some("gp3".to_owned()),
                    encrypted: Some(false),
                    ..Default::default()
                }),
                ..Default::default()
            }]),
            tags: image_tags,
            ..Default::default()
        };
        crate::snapshots::copy_tree(
            &self.host.layout(&input.instance_id).root(),
            &folder(self.store.data_dir(), &id),
        )
        .map_err(|e| {
            AwsError::new(
                "InternalError",
                format!("cannot copy the instance's folder: {e}"),
                500,
            )
        })?;
        self.store
            .put_json(&ns, &key(&id), ImageRecord { image, since: now })
            .await?;
        Ok(CreateImageResult { image_id: Some(id) })
    }

    pub(crate) async fn deregister_image(
        &self,
        ctx: &RequestContext,
        input: DeregisterImageRequest,
    ) -> Result<DeregisterImageResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let ns = namespace_of(ctx)?;
        let found: Option<ImageRecord> = self.store.get_json(&ns, &key(&input.image_id)).await?;
        if found.is_none() {
            return Err(errors::client(
                "InvalidAMIID.NotFound",
                format!("The image id '[{}]' does not exist", input.image_id),
            ));
        }
        self.store.delete(&ns, &key(&input.image_id)).await?;
        let _ = std::fs::remove_dir_all(folder(self.store.data_dir(), &input.image_id));
        Ok(DeregisterImageResult {
            r#return: Some(true),
            delete_snapshot_results: None,
        })
    }
}
