//! The instance types nimbus knows: the common families with their vCPUs
//! and memory as AWS publishes them. An instance's type bounds what its
//! processes may use where the host lets nimbus say so.

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;

use crate::filters::{self, Values};
use crate::{Ec2, errors};

/// (type, vCPUs, memory MiB, architecture, burstable, network performance).
const CATALOGUE: &[(&str, i32, i64, &str, bool, &str)] = &[
    ("m1.small", 1, 1740, "x86_64", false, "Low"),
    ("t2.nano", 1, 512, "x86_64", true, "Low to Moderate"),
    ("t2.micro", 1, 1024, "x86_64", true, "Low to Moderate"),
    ("t2.small", 1, 2048, "x86_64", true, "Low to Moderate"),
    ("t2.medium", 2, 4096, "x86_64", true, "Low to Moderate"),
    ("t2.large", 2, 8192, "x86_64", true, "Low to Moderate"),
    ("t3.nano", 2, 512, "x86_64", true, "Up to 5 Gigabit"),
    ("t3.micro", 2, 1024, "x86_64", true, "Up to 5 Gigabit"),
    ("t3.small", 2, 2048, "x86_64", true, "Up to 5 Gigabit"),
    ("t3.medium", 2, 4096, "x86_64", true, "Up to 5 Gigabit"),
    ("t3.large", 2, 8192, "x86_64", true, "Up to 5 Gigabit"),
    ("t3.xlarge", 4, 16384, "x86_64", true, "Up to 5 Gigabit"),
    ("t3.2xlarge", 8, 32768, "x86_64", true, "Up to 5 Gigabit"),
    ("t4g.micro", 2, 1024, "arm64", true, "Up to 5 Gigabit"),
    ("t4g.small", 2, 2048, "arm64", true, "Up to 5 Gigabit"),
    ("t4g.medium", 2, 4096, "arm64", true, "Up to 5 Gigabit"),
    ("m5.large", 2, 8192, "x86_64", false, "Up to 10 Gigabit"),
    ("m5.xlarge", 4, 16384, "x86_64", false, "Up to 10 Gigabit"),
    ("m5.2xlarge", 8, 32768, "x86_64", false, "Up to 10 Gigabit"),
    ("m6i.large", 2, 8192, "x86_64", false, "Up to 12.5 Gigabit"),
    ("m7g.large", 2, 8192, "arm64", false, "Up to 12.5 Gigabit"),
    ("c5.large", 2, 4096, "x86_64", false, "Up to 10 Gigabit"),
    ("c5.xlarge", 4, 8192, "x86_64", false, "Up to 10 Gigabit"),
    ("r5.large", 2, 16384, "x86_64", false, "Up to 10 Gigabit"),
];

/// The types free-tier accounts may run.
const FREE_TIER: &[&str] = &["t2.micro", "t3.micro", "t4g.micro"];

fn info(
    (name, vcpus, memory, architecture, burstable, network): (&str, i32, i64, &str, bool, &str),
) -> InstanceTypeInfo {
    let architectures = match architecture {
        "x86_64" => vec!["i386".to_owned(), "x86_64".to_owned()],
        other => vec![other.to_owned()],
    };
    InstanceTypeInfo {
        instance_type: Some(name.to_owned()),
        current_generation: Some(!name.starts_with("t2.") && !name.starts_with("m1.")),
        free_tier_eligible: Some(FREE_TIER.contains(&name)),
        supported_usage_classes: Some(vec!["on-demand".to_owned(), "spot".to_owned()]),
        supported_root_device_types: Some(vec!["ebs".to_owned()]),
        supported_virtualization_types: Some(vec!["hvm".to_owned()]),
        bare_metal: Some(false),
        hypervisor: Some(
            if name.starts_with("t2.") || name.starts_with("m1.") {
                "xen"
            } else {
                "nitro"
            }
            .to_owned(),
        ),
        processor_info: Some(ProcessorInfo {
            supported_architectures: Some(architectures),
            ..Default::default()
        }),
        v_cpu_info: Some(VCpuInfo {
            default_v_cpus: Some(vcpus),
            default_cores: Some((vcpus / 2).max(1)),
            default_threads_per_core: Some(if vcpus > 1 { 2 } else { 1 }),
            ..Default::default()
        }),
        memory_info: Some(MemoryInfo {
            size_in_mi_b: Some(memory),
        }),
        instance_storage_supported: Some(false),
        network_info: Some(NetworkInfo {
            network_performance: Some(network.to_owned()),
            maximum_network_interfaces: Some(if vcpus > 2 { 4 } else { 3 }),
            ipv6_supported: Some(true),
            ..Default::default()
        }),
        burstable_performance_supported: Some(burstable),
        hibernation_supported: Some(true),
        ..Default::default()
    }
}

/// The type named `name`, if nimbus knows it.
pub fn find(name: &str) -> Option<InstanceTypeInfo> {
    CATALOGUE
        .iter()
        .find(|entry| entry.0 == name)
        .map(|entry| info(*entry))
}

fn values(info: &InstanceTypeInfo) -> Values<'_> {
    Box::new(move |name| {
        let flag = |value: Option<bool>| Some(vec![value.unwrap_or(false).to_string()]);
        match name {
            "instance-type" => Some(info.instance_type.iter().cloned().collect()),
            "current-generation" => flag(info.current_generation),
            "free-tier-eligible" => flag(info.free_tier_eligible),
            "burstable-performance-supported" => flag(info.burstable_performance_supported),
            "vcpu-info.default-vcpus" => Some(
                info.v_cpu_info
                    .iter()
                    .filter_map(|v| v.default_v_cpus)
                    .map(|v| v.to_string())
                    .collect(),
            ),
            "memory-info.size-in-mib" => Some(
                info.memory_info
                    .iter()
                    .filter_map(|m| m.size_in_mi_b)
                    .map(|m| m.to_string())
                    .collect(),
            ),
            "processor-info.supported-architecture" => Some(
                info.processor_info
                    .iter()
                    .flat_map(|p| p.supported_architectures.clone().unwrap_or_default())
                    .collect(),
            ),
            "hypervisor" => Some(info.hypervisor.iter().cloned().collect()),
            _ => None,
        }
    })
}

impl Ec2 {
    pub(crate) async fn describe_instance_types(
        &self,
        _ctx: &RequestContext,
        input: DescribeInstanceTypesRequest,
    ) -> Result<DescribeInstanceTypesResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let named = input.instance_types.unwrap_or_default();
        let unknown: Vec<&str> = named
            .iter()
            .map(String::as_str)
            .filter(|n| find(n).is_none())
            .collect();
        if !unknown.is_empty() {
            return Err(errors::client(
                "InvalidInstanceType",
                format!(
                    "The following supplied instance types do not exist: [{}]",
                    unknown.join(", ")
                ),
            ));
        }
        let filters = input.filters.unwrap_or_default();
        let mut types = Vec::new();
        for entry in CATALOGUE {
            let described = info(*entry);
            let asked = named.is_empty() || named.iter().any(|n| n == entry.0);
            if asked && filters::matches(&filters, &values(&described))? {
                types.push(described);
            }
        }
        let (types, next_token) = crate::paging::page(types, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeInstanceTypesResult {
            instance_types: Some(types),
            next_token,
        })
    }
}
