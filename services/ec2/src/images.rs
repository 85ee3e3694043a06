//! The images nimbus offers: the public ones scripts look up by name and
//! owner (Amazon Linux 2023 and 2 by `amazon`, Ubuntu by Canonical's
//! account, Debian by its own), each run on the host's own OS when
//! launched. Their ids are made of the region and name, so each region's
//! differ as AWS's do, and stay the same across runs.

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;

use crate::filters::{self, Values};
use crate::{Ec2, errors, ids};

/// The accounts that publish the built-in images.
const AMAZON: &str = "137112412989";
const CANONICAL: &str = "099720109477";
const DEBIAN: &str = "136693071363";

/// (name, owner, description, architecture, root device, creation date).
const CATALOGUE: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64",
        AMAZON,
        "Amazon Linux 2023 AMI 2023.6.20241212.0 x86_64 HVM kernel-6.1",
        "x86_64",
        "/dev/xvda",
        "2024-12-12T19:12:48.000Z",
    ),
    (
        "al2023-ami-2023.6.20241212.0-kernel-6.1-arm64",
        AMAZON,
        "Amazon Linux 2023 AMI 2023.6.20241212.0 arm64 HVM kernel-6.1",
        "arm64",
        "/dev/xvda",
        "2024-12-12T19:12:50.000Z",
    ),
    (
        "amzn2-ami-kernel-5.10-hvm-2.0.20241217.0-x86_64-gp2",
        AMAZON,
        "Amazon Linux 2 Kernel 5.10 AMI 2.0.20241217.0 x86_64 HVM gp2",
        "x86_64",
        "/dev/xvda",
        "2024-12-17T22:45:01.000Z",
    ),
    (
        "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20241206",
        CANONICAL,
        "Canonical, Ubuntu, 24.04, amd64 noble image",
        "x86_64",
        "/dev/sda1",
        "2024-12-06T04:29:30.000Z",
    ),
    (
        "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20241206",
        CANONICAL,
        "Canonical, Ubuntu, 22.04 LTS, amd64 jammy image",
        "x86_64",
        "/dev/sda1",
        "2024-12-06T04:12:11.000Z",
    ),
    (
        "debian-12-amd64-20241201-1948",
        DEBIAN,
        "Debian 12 (20241201-1948)",
        "x86_64",
        "/dev/xvda",
        "2024-12-01T20:48:07.000Z",
    ),
];

fn image(
    region: &str,
    (name, owner, description, architecture, root, created): (&str, &str, &str, &str, &str, &str),
) -> Image {
    let amazon = owner == AMAZON;
    Image {
        image_id: Some(ids::derived("ami", &format!("{region}/{name}"))),
        image_location: Some(format!("{}/{name}", if amazon { "amazon" } else { owner })),
        image_owner_alias: amazon.then(|| "amazon".to_owned()),
        owner_id: Some(owner.to_owned()),
        name: Some(name.to_owned()),
        description: Some(description.to_owned()),
        architecture: Some(architecture.to_owned()),
        state: Some("available".to_owned()),
        public: Some(true),
        image_type: Some("machine".to_owned()),
        creation_date: Some(created.to_owned()),
        root_device_name: Some(root.to_owned()),
        root_device_type: Some("ebs".to_owned()),
        virtualization_type: Some("hvm".to_owned()),
        hypervisor: Some("xen".to_owned()),
        ena_support: Some(true),
        sriov_net_support: Some("simple".to_owned()),
        boot_mode: Some("uefi-preferred".to_owned()),
        platform_details: Some("Linux/UNIX".to_owned()),
        usage_operation: Some("RunInstances".to_owned()),
        block_device_mappings: Some(vec![BlockDeviceMapping {
            device_name: Some(root.to_owned()),
            ebs: Some(EbsBlockDevice {
                delete_on_termination: Some(true),
                snapshot_id: Some(ids::derived("snap", &format!("{region}/{name}"))),
                volume_size: Some(8),
                volume_type: Some("gp3".to_owned()),
                encrypted: Some(false),
                ..Default::default()
            }),
            ..Default::default()
        }]),
        ..Default::default()
    }
}

/// The built-in images of `region`.
pub fn catalogue(region: &str) -> Vec<Image> {
    CATALOGUE.iter().map(|entry| image(region, *entry)).collect()
}

fn values(image: &Image) -> Values<'_> {
    Box::new(move |name| {
        let one = |value: &Option<String>| Some(value.iter().cloned().collect());
        match name {
            "image-id" => one(&image.image_id),
            "name" => one(&image.name),
            "description" => one(&image.description),
            "owner-id" => one(&image.owner_id),
            "owner-alias" => one(&image.image_owner_alias),
            "architecture" => one(&image.architecture),
            "state" => one(&image.state),
            "image-type" => one(&image.image_type),
            "is-public" => Some(vec![image.public.unwrap_or(false).to_string()]),
            "platform-details" => one(&image.platform_details),
            "root-device-type" => one(&image.root_device_type),
            "root-device-name" => one(&image.root_device_name),
            "virtualization-type" => one(&image.virtualization_type),
            "hypervisor" => one(&image.hypervisor),
            "ena-support" => Some(vec![image.ena_support.unwrap_or(false).to_string()]),
            other => filters::tag_values(image.tags.as_ref(), other),
        }
    })
}

/// Whether an image is one of `owners` (`amazon`, `self`, an account id).
fn owned_by(image: &Image, owners: &[String], caller: &str) -> bool {
    owners.is_empty()
        || owners.iter().any(|owner| match owner.as_str() {
            "self" => image.owner_id.as_deref() == Some(caller),
            "amazon" => image.image_owner_alias.as_deref() == Some("amazon"),
            account => image.owner_id.as_deref() == Some(account),
        })
}

impl Ec2 {
    pub(crate) async fn describe_images(
        &self,
        ctx: &RequestContext,
        input: DescribeImagesRequest,
    ) -> Result<DescribeImagesResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let mut all = catalogue(&ctx.region);
        all.extend(self.own_images(ctx).await?);
        let ids = input.image_ids.unwrap_or_default();
        if let Some(malformed) = ids.iter().find(|id| !id.starts_with("ami-")) {
            return Err(errors::client(
                "InvalidAMIID.Malformed",
                format!("Invalid id: \"{malformed}\" (expecting \"ami-...\")"),
            ));
        }
        let unknown: Vec<&String> = ids
            .iter()
            .filter(|id| !all.iter().any(|i| i.image_id.as_ref() == Some(*id)))
            .collect();
        if !unknown.is_empty() {
            let listed: Vec<&str> = unknown.iter().map(|id| id.as_str()).collect();
            return Err(errors::client(
                "InvalidAMIID.NotFound",
                format!("The image id '[{}]' does not exist", listed.join(", ")),
            ));
        }
        let owners = input.owners.unwrap_or_default();
        let filters = input.filters.unwrap_or_default();
        let mut images = Vec::new();
        for image in all {
            let named = ids.is_empty() || ids.iter().any(|id| image.image_id.as_ref() == Some(id));
            if named
                && owned_by(&image, &owners, &ctx.account_id)
                && filters::matches(&filters, &values(&image))?
            {
                images.push(image);
            }
        }
        let (images, next_token) =
            crate::paging::page(images, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeImagesResult {
            images: Some(images),
            next_token,
        })
    }
}
