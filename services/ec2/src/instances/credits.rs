//! Burstable instances' CPU credit option (T2 `standard` by default,
//! T3/T4g `unlimited`): set at launch (CreditSpecification), read with
//! DescribeInstanceCreditSpecifications. Recorded: nimbus does not meter CPU.

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;

use super::InstanceRecord;
use crate::filters::Values;
use crate::{Ec2, errors, instance_types};

/// The option an instance of `instance_type` has unless told (none for a
/// type that is not burstable).
pub fn default_credits(instance_type: &str) -> Option<String> {
    let info = instance_types::find(instance_type)?;
    if info.burstable_performance_supported != Some(true) {
        return None;
    }
    Some(
        if instance_type.starts_with("t2.") {
            "standard"
        } else {
            "unlimited"
        }
        .to_owned(),
    )
}

/// The option an instance has.
pub fn credits_of(record: &InstanceRecord) -> Option<String> {
    let instance_type = record.instance.instance_type.as_deref().unwrap_or_default();
    default_credits(instance_type)?;
    Some(
        record
            .cpu_credits
            .clone()
            .or_else(|| default_credits(instance_type))
            .unwrap_or_default(),
    )
}

impl Ec2 {
    pub(crate) async fn describe_instance_credit_specifications(
        &self,
        ctx: &RequestContext,
        input: DescribeInstanceCreditSpecificationsRequest,
    ) -> Result<DescribeInstanceCreditSpecificationsResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let ids = input.instance_ids.unwrap_or_default();
        let all = self.instances(ctx).await?;
        if let Some(unknown) = ids.iter().find(|id| !all.iter().any(|r| r.id() == id.as_str())) {
            return Err(super::instance_missing(unknown));
        }
        let mut found = Vec::new();
        for record in all
            .iter()
            .filter(|r| ids.is_empty() || ids.iter().any(|id| id == r.id()))
        {
            let Some(credits) = credits_of(record) else {
                continue;
            };
            let spec = InstanceCreditSpecification {
                instance_id: record.instance.instance_id.clone(),
                cpu_credits: Some(credits),
            };
            let id = spec.instance_id.clone();
            let values: Values<'_> = Box::new(move |name| match name {
                "instance-id" => Some(id.iter().cloned().collect()),
                _ => None,
            });
            if crate::filters::matches(input.filters.as_deref().unwrap_or_default(), &values)? {
                found.push(spec);
            }
        }
        let (page, next_token) = crate::paging::page(found, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeInstanceCreditSpecificationsResult {
            instance_credit_specifications: Some(page),
            next_token,
        })
    }
}
