//! Table settings beside the definition: tags (by ARN), TTL settings,
//! and the account's limits and endpoints.

use nimbus_core::{AwsError, RequestContext};
use nimbus_dynamodb_api::*;

use crate::DynamoDb;
use crate::error::{table_not_found, validation};
use crate::schema::TableMeta;
use crate::storage::{self, load_table, load_table_mut, table_key};

impl DynamoDb {
    /// Runs `change` on the table an ARN names, and stores the result.
    async fn change_by_arn(
        &self,
        ctx: &RequestContext,
        arn: String,
        change: impl FnOnce(&mut TableMeta) -> Result<(), AwsError> + Send + 'static,
    ) -> Result<TableMeta, AwsError> {
        let ns = storage::namespace(ctx)?;
        let name = table_name_from_arn(&arn, ctx)?;
        let meta = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut meta = load_table_mut(&table, &name)?.ok_or_else(|| arn_not_found(&arn))?;
                change(&mut meta)?;
                table.put_json(&table_key(&name), &meta)?;
                Ok::<_, AwsError>(meta)
            })
            .await?;
        Ok(meta)
    }

    pub async fn tag_resource(&self, ctx: &RequestContext, input: TagResourceInput) -> Result<(), AwsError> {
        let tags = input.tags;
        self.change_by_arn(ctx, input.resource_arn, move |meta| {
            for tag in tags {
                match meta.tags.iter_mut().find(|(k, _)| *k == tag.key) {
                    Some(existing) => existing.1 = tag.value,
                    None => meta.tags.push((tag.key, tag.value)),
                }
            }
            if meta.tags.len() > 50 {
                return Err(validation(
                    "One or more parameter values were invalid: The number of tags exceeds the limit of 50",
                ));
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    pub async fn untag_resource(
        &self,
        ctx: &RequestContext,
        input: UntagResourceInput,
    ) -> Result<(), AwsError> {
        let keys = input.tag_keys;
        self.change_by_arn(ctx, input.resource_arn, move |meta| {
            meta.tags.retain(|(k, _)| !keys.contains(k));
            Ok(())
        })
        .await?;
        Ok(())
    }

    pub async fn list_tags_of_resource(
        &self,
        ctx: &RequestContext,
        input: ListTagsOfResourceInput,
    ) -> Result<ListTagsOfResourceOutput, AwsError> {
        let meta = self.change_by_arn(ctx, input.resource_arn, |_| Ok(())).await?;
        Ok(ListTagsOfResourceOutput {
            tags: Some(
                meta.tags
                    .into_iter()
                    .map(|(key, value)| Tag { key, value })
                    .collect(),
            ),
            next_token: None,
        })
    }

    pub async fn update_time_to_live(
        &self,
        ctx: &RequestContext,
        input: UpdateTimeToLiveInput,
    ) -> Result<UpdateTimeToLiveOutput, AwsError> {
        let ns = storage::namespace(ctx)?;
        let spec = input.time_to_live_specification.clone();
        let name = input.table_name.clone();
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut meta = load_table_mut(&table, &name)?.ok_or_else(|| table_not_found(&name))?;
                match (spec.enabled, &meta.ttl_attribute) {
                    (true, Some(_)) => return Err(validation("TimeToLive is already enabled")),
                    (false, None) => return Err(validation("TimeToLive is already disabled")),
                    (false, Some(current)) if *current != spec.attribute_name => {
                        return Err(validation(format!(
                            "TimeToLive is active on a different AttributeName: current AttributeName is {current}"
                        )));
                    }
                    _ => {}
                }
                meta.ttl_attribute = spec.enabled.then(|| spec.attribute_name.clone());
                if spec.enabled {
                    crate::ttl::backfill(&mut table, &meta)?;
                } else {
                    table.delete_prefix(&crate::ttl::expiry_prefix(&name))?;
                }
                table.put_json(&table_key(&name), &meta)?;
                Ok(())
            })
            .await?;
        let enabled = input.time_to_live_specification.enabled;
        crate::ttl::register(
            &self.store,
            &ctx.account_id,
            &ctx.region,
            &input.table_name,
            enabled,
        )
        .await?;
        Ok(UpdateTimeToLiveOutput {
            time_to_live_specification: Some(input.time_to_live_specification),
        })
    }

    pub async fn describe_time_to_live(
        &self,
        ctx: &RequestContext,
        input: DescribeTimeToLiveInput,
    ) -> Result<DescribeTimeToLiveOutput, AwsError> {
        let ns = storage::namespace(ctx)?;
        let name = input.table_name;
        let meta = self
            .store
            .read(move |txn| load_table(&txn.open(&ns)?, &name)?.ok_or_else(|| table_not_found(&name)))
            .await?;
        Ok(DescribeTimeToLiveOutput {
            time_to_live_description: Some(TimeToLiveDescription {
                time_to_live_status: Some(
                    if meta.ttl_attribute.is_some() {
                        "ENABLED"
                    } else {
                        "DISABLED"
                    }
                    .to_owned(),
                ),
                attribute_name: meta.ttl_attribute.clone(),
            }),
        })
    }

    pub fn describe_limits(&self) -> DescribeLimitsOutput {
        DescribeLimitsOutput {
            account_max_read_capacity_units: Some(80_000),
            account_max_write_capacity_units: Some(80_000),
            table_max_read_capacity_units: Some(40_000),
            table_max_write_capacity_units: Some(40_000),
        }
    }

    pub fn describe_endpoints(&self, ctx: &RequestContext) -> DescribeEndpointsResponse {
        DescribeEndpointsResponse {
            endpoints: vec![Endpoint {
                address: format!("dynamodb.{}.amazonaws.com", ctx.region),
                cache_period_in_minutes: 1440,
            }],
        }
    }
}

fn arn_not_found(arn: &str) -> AwsError {
    // DynamoDB's own spelling, "ResourcArn", kept word for word.
    nimbus_dynamodb_api::errors::resource_not_found(format!(
        "Requested resource not found: ResourcArn: {arn} not found"
    ))
}

/// `arn:aws:dynamodb:<region>:<account>:table/<name>` → name.
fn table_name_from_arn(arn: &str, ctx: &RequestContext) -> Result<String, AwsError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let invalid = || {
        validation(format!(
            "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
        ))
    };
    if parts.len() != 6 || parts[0] != "arn" || parts[2] != "dynamodb" {
        return Err(invalid());
    }
    let name = parts[5].strip_prefix("table/").ok_or_else(invalid)?;
    if name.contains('/') || name.is_empty() {
        return Err(invalid());
    }
    if parts[3] != ctx.region || parts[4] != ctx.account_id {
        return Err(arn_not_found(arn));
    }
    Ok(name.to_owned())
}
