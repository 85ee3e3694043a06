//! A log group's tags, by name (TagLogGroup, UntagLogGroup,
//! ListTagsLogGroup) and by ARN (TagResource, UntagResource,
//! ListTagsForResource): 50 at most, no `aws:` keys.

use indexmap::IndexMap;
use nimbus_core::{AwsError, RequestContext};
use nimbus_logs_api::*;

use crate::Logs;

const MAX_TAGS: usize = 50;

pub fn check_tags(tags: &IndexMap<String, String>) -> Result<(), AwsError> {
    if tags
        .keys()
        .any(|key| key.to_ascii_lowercase().starts_with("aws:"))
    {
        return Err(errors::invalid_parameter(
            "Tag keys beginning with aws: are reserved for AWS use.",
        ));
    }
    Ok(())
}

/// The group an ARN names: `arn:aws:logs:<region>:<account>:log-group:<name>`.
fn group_of_arn(ctx: &RequestContext, arn: &str) -> Result<String, AwsError> {
    let prefix = format!("arn:aws:logs:{}:{}:log-group:", ctx.region, ctx.account_id);
    match arn.strip_prefix(prefix.as_str()) {
        Some(name) if !name.is_empty() && !name.ends_with(":*") => Ok(name.to_owned()),
        _ => Err(errors::invalid_parameter(format!(
            "nimbus tags log groups by their ARN without ':*'; {arn} is not one"
        ))),
    }
}

impl Logs {
    async fn tag_group(
        &self,
        ctx: &RequestContext,
        group: &str,
        tags: IndexMap<String, String>,
    ) -> Result<(), AwsError> {
        check_tags(&tags)?;
        self.change_group(ctx, group, move |record| {
            record.tags.extend(tags);
            if record.tags.len() > MAX_TAGS {
                return Err(errors::too_many_tags(format!(
                    "A resource can have no more than {MAX_TAGS} tags."
                )));
            }
            Ok(())
        })
        .await
    }

    async fn untag_group(
        &self,
        ctx: &RequestContext,
        group: &str,
        keys: Vec<String>,
    ) -> Result<(), AwsError> {
        self.change_group(ctx, group, move |record| {
            record.tags.retain(|key, _| !keys.contains(key));
            Ok(())
        })
        .await
    }

    pub(crate) async fn tag_log_group(
        &self,
        ctx: &RequestContext,
        input: TagLogGroupRequest,
    ) -> Result<(), AwsError> {
        self.tag_group(ctx, &input.log_group_name, input.tags).await
    }

    pub(crate) async fn untag_log_group(
        &self,
        ctx: &RequestContext,
        input: UntagLogGroupRequest,
    ) -> Result<(), AwsError> {
        self.untag_group(ctx, &input.log_group_name, input.tags).await
    }

    pub(crate) async fn list_tags_log_group(
        &self,
        ctx: &RequestContext,
        input: ListTagsLogGroupRequest,
    ) -> Result<ListTagsLogGroupResponse, AwsError> {
        Ok(ListTagsLogGroupResponse {
            tags: Some(self.group_tags(ctx, &input.log_group_name).await?),
        })
    }

    pub(crate) async fn tag_resource(
        &self,
        ctx: &RequestContext,
        input: TagResourceRequest,
    ) -> Result<(), AwsError> {
        let group = group_of_arn(ctx, &input.resource_arn)?;
        self.tag_group(ctx, &group, input.tags).await
    }

    pub(crate) async fn untag_resource(
        &self,
        ctx: &RequestContext,
        input: UntagResourceRequest,
    ) -> Result<(), AwsError> {
        let group = group_of_arn(ctx, &input.resource_arn)?;
        self.untag_group(ctx, &group, input.tag_keys).await
    }

    pub(crate) async fn list_tags_for_resource(
        &self,
        ctx: &RequestContext,
        input: ListTagsForResourceRequest,
    ) -> Result<ListTagsForResourceResponse, AwsError> {
        let group = group_of_arn(ctx, &input.resource_arn)?;
        Ok(ListTagsForResourceResponse {
            tags: Some(self.group_tags(ctx, &group).await?),
        })
    }
}
