//! What RunInstances asks for, checked as EC2 checks it before anything is
//! made: counts, the image and instance type (and that their
//! architectures agree), the key pair, user data.

use base64::Engine;
use nimbus_core::AwsError;
use nimbus_ec2_api::{Image, InstanceTypeInfo, RunInstancesRequest};

use crate::{errors, images, instance_types};

/// User data's limit, before base64.
const USER_DATA_MOST: usize = 16 * 1024;
/// vCPUs of instances one region may run at once (the On-Demand standard limit).
pub const VCPU_LIMIT: i64 = 4096;

/// How many to launch: at least MinCount, at most MaxCount.
pub fn counts(input: &RunInstancesRequest) -> Result<(usize, usize), AwsError> {
    if input.max_count < 1 {
        return Err(errors::invalid_parameter(
            "Maximum instance count must be greater than zero",
        ));
    }
    if input.min_count < 1 {
        return Err(errors::invalid_parameter(
            "Minimum instance count must be greater than zero",
        ));
    }
    if input.min_count > input.max_count {
        return Err(errors::invalid_parameter(
            "Minimum instance count must be less than or equal to maximum instance count",
        ));
    }
    let as_count = |n: i32| usize::try_from(n).unwrap_or(1);
    Ok((as_count(input.min_count), as_count(input.max_count)))
}

/// The image named, from the region's built-in catalogue or the account's own.
pub fn image(region: &str, own: Vec<Image>, id: Option<&str>) -> Result<Image, AwsError> {
    let id = id.ok_or_else(|| {
        errors::client(
            "MissingParameter",
            "The request must contain the parameter ImageId",
        )
    })?;
    if !id.starts_with("ami-") {
        return Err(errors::client(
            "InvalidAMIID.Malformed",
            format!("Invalid id: \"{id}\" (expecting \"ami-...\")"),
        ));
    }
    images::catalogue(region)
        .into_iter()
        .chain(own)
        .find(|image| image.image_id.as_deref() == Some(id))
        .ok_or_else(|| {
            errors::client(
                "InvalidAMIID.NotFound",
                format!("The image id '[{id}]' does not exist"),
            )
        })
}

/// The instance type (m1.small when none is named, as EC2 defaults), whose
/// architecture must be the image's.
pub fn instance_type(name: Option<&str>, image: &Image) -> Result<InstanceTypeInfo, AwsError> {
    let name = name.unwrap_or("m1.small");
    let info = instance_types::find(name)
        .ok_or_else(|| errors::invalid_parameter(format!("Invalid value '{name}' for InstanceType.")))?;
    let image_arch = image.architecture.as_deref().unwrap_or("x86_64");
    let type_archs = info
        .processor_info
        .as_ref()
        .and_then(|p| p.supported_architectures.clone())
        .unwrap_or_default();
    if !type_archs.iter().any(|a| a == image_arch) {
        let type_arch = type_archs.last().cloned().unwrap_or_default();
        return Err(errors::invalid_parameter(format!(
            "The architecture '{type_arch}' of the specified instance type does not match the architecture \
             '{image_arch}' of the specified AMI. Specify an instance type and an AMI that have matching \
             architectures, and try again. You can use 'describe-instance-types' or 'describe-images' to \
             discover the architecture of the instance type or AMI."
        )));
    }
    Ok(info)
}

/// The instance type's vCPUs.
pub fn vcpus(info: &InstanceTypeInfo) -> i64 {
    info.v_cpu_info
        .as_ref()
        .and_then(|v| v.default_v_cpus)
        .map_or(1, i64::from)
}

pub fn vcpu_limit_exceeded() -> AwsError {
    errors::client(
        "VcpuLimitExceeded",
        format!(
            "You have requested more vCPU capacity than your current vCPU limit of {VCPU_LIMIT} allows for the \
             instance bucket that the specified instance type belongs to. Please visit \
             http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit."
        ),
    )
}

/// User data, checked: base64 of at most 16 KiB.
pub fn user_data(encoded: Option<&str>) -> Result<Option<String>, AwsError> {
    let Some(encoded) = encoded.filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    let decoded = decode_user_data(encoded)
        .ok_or_else(|| errors::invalid_parameter("Invalid BASE64 encoding of user data."))?;
    if decoded.len() > USER_DATA_MOST {
        return Err(errors::invalid_parameter("User data is limited to 16384 bytes"));
    }
    Ok(Some(encoded.to_owned()))
}

pub fn decode_user_data(encoded: &str) -> Option<Vec<u8>> {
    let compact: String = encoded.split_whitespace().collect();
    base64::engine::general_purpose::STANDARD.decode(compact).ok()
}

pub fn key_pair_missing(name: &str) -> AwsError {
    errors::client(
        "InvalidKeyPair.NotFound",
        format!("The key pair '{name}' does not exist"),
    )
}

/// InstanceInitiatedShutdownBehavior: `stop` unless `terminate`.
pub fn shutdown_behavior(given: Option<&str>) -> Result<String, AwsError> {
    match given.unwrap_or("stop") {
        behaviour @ ("stop" | "terminate") => Ok(behaviour.to_owned()),
        other => Err(errors::invalid_parameter(format!(
            "Value ({other}) for parameter instanceInitiatedShutdownBehavior is invalid. Valid values: stop, terminate"
        ))),
    }
}

/// What a launched instance's image says of it (for a change of type: its architecture).
pub fn image_of_instance(record: &super::lifecycle::InstanceRecord) -> Image {
    Image {
        architecture: record.instance.architecture.clone(),
        ..Default::default()
    }
}
