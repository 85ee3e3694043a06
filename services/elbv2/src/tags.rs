//! Tags of load balancers, target groups, listeners and rules, kept inside
//! their records.

use nimbus_core::{AwsError, RequestContext};
use nimbus_elbv2_api::*;

use crate::records::{self, LoadBalancerRecord};
use crate::{Elbv2, arns, errors};

/// Tags a create or AddTags request gives: no key twice, at most 50.
pub fn check(tags: &[Tag]) -> Result<(), AwsError> {
    for (i, tag) in tags.iter().enumerate() {
        if tags[..i].iter().any(|t| t.key == tag.key) {
            return Err(errors::duplicate_tag_keys(format!(
                "Tag key '{}' is duplicated",
                tag.key
            )));
        }
    }
    if tags.len() > 50 {
        return Err(errors::too_many_tags(
            "The quota for the number of tags per resource has been reached",
        ));
    }
    Ok(())
}

/// The tags of a listener or rule inside its load balancer's record.
fn nested_tags<'r>(record: &'r mut LoadBalancerRecord, arn: &str) -> Option<&'r mut Vec<Tag>> {
    if arns::resource_kind(arn) == Some("listener") {
        return record.listener_mut(arn).map(|l| &mut l.tags);
    }
    let listener = arns::listener_of(arn)?;
    let listener = record.listener_mut(&listener)?;
    listener
        .rules
        .iter_mut()
        .find(|r| r.rule.rule_arn.as_deref() == Some(arn))
        .map(|r| &mut r.tags)
}

fn not_found(arn: &str) -> AwsError {
    match arns::resource_kind(arn) {
        Some("targetgroup") => errors::target_group_not_found(format!("Target groups '{arn}' not found")),
        Some("listener") => errors::listener_not_found("One or more listeners not found"),
        Some("listener-rule") => errors::rule_not_found("One or more rules not found"),
        _ => errors::load_balancer_not_found("One or more load balancers not found"),
    }
}

impl Elbv2 {
    /// Runs `change` on the tags of the resource `arn` names, and stores them.
    async fn change_tags<R: Send + 'static>(
        &self,
        ctx: &RequestContext,
        arn: &str,
        change: impl FnOnce(&mut Vec<Tag>) -> Result<R, AwsError> + Send + 'static,
    ) -> Result<R, AwsError> {
        let missing = not_found(arn);
        match arns::resource_kind(arn) {
            Some("targetgroup") => {
                records::update_tg(&self.store, ctx, arn, |record| change(&mut record.tags))
                    .await
                    .map_err(|_| missing)
            }
            Some("loadbalancer") => {
                records::update_lb(&self.store, ctx, arn, |_, record| change(&mut record.tags))
                    .await
                    .map_err(|_| missing)
            }
            Some("listener" | "listener-rule") => {
                let owned = arn.to_owned();
                records::update_lb(&self.store, ctx, arn, move |_, record| {
                    let tags = nested_tags(record, &owned).ok_or_else(|| not_found(&owned))?;
                    change(tags)
                })
                .await
                .map_err(|_| missing)
            }
            _ => Err(errors::validation(format!("'{arn}' is not a valid resource ARN"))),
        }
    }

    pub(crate) async fn add_tags(
        &self,
        ctx: &RequestContext,
        input: AddTagsInput,
    ) -> Result<AddTagsOutput, AwsError> {
        check(&input.tags)?;
        for arn in &input.resource_arns {
            let added = input.tags.clone();
            self.change_tags(ctx, arn, move |tags| {
                for tag in added {
                    tags.retain(|t| t.key != tag.key);
                    tags.push(tag);
                }
                check(tags)
            })
            .await?;
        }
        Ok(AddTagsOutput {})
    }

    pub(crate) async fn remove_tags(
        &self,
        ctx: &RequestContext,
        input: RemoveTagsInput,
    ) -> Result<RemoveTagsOutput, AwsError> {
        for arn in &input.resource_arns {
            let keys = input.tag_keys.clone();
            self.change_tags(ctx, arn, move |tags| {
                tags.retain(|t| !keys.contains(&t.key));
                Ok(())
            })
            .await?;
        }
        Ok(RemoveTagsOutput {})
    }

    pub(crate) async fn describe_tags(
        &self,
        ctx: &RequestContext,
        input: DescribeTagsInput,
    ) -> Result<DescribeTagsOutput, AwsError> {
        let mut descriptions = Vec::new();
        for arn in &input.resource_arns {
            descriptions.push(TagDescription {
                resource_arn: Some(arn.clone()),
                tags: Some(self.tags_of(ctx, arn).await?),
            });
        }
        Ok(DescribeTagsOutput {
            tag_descriptions: Some(descriptions),
        })
    }

    /// The tags of the resource `arn` names, read without a write.
    async fn tags_of(&self, ctx: &RequestContext, arn: &str) -> Result<Vec<Tag>, AwsError> {
        let missing = || not_found(arn);
        match arns::resource_kind(arn) {
            Some("targetgroup") => Ok(records::read_tg(&self.store, ctx, arn)
                .await
                .map_err(|_| missing())?
                .tags),
            Some("loadbalancer" | "listener" | "listener-rule") => {
                let mut record = records::read_lb(&self.store, ctx, arn)
                    .await
                    .map_err(|_| missing())?;
                if arns::resource_kind(arn) == Some("loadbalancer") {
                    return Ok(record.tags);
                }
                nested_tags(&mut record, arn)
                    .map(|tags| tags.clone())
                    .ok_or_else(missing)
            }
            _ => Err(errors::validation(format!("'{arn}' is not a valid resource ARN"))),
        }
    }
}
