//! CloudWatch Logs, over the nimbus store: log groups with their retention
//! and tags, streams, and events, read back by stream (GetLogEvents) or
//! across a group with a filter pattern (FilterLogEvents). Lambda writes
//! its functions' output here.
//!
//! The service implements the generated [`LogsApi`]: one method per
//! operation listed in apis/logs/operations.txt, each handled by a module
//! of its concern: [`groups`], [`streams`], [`events`], [`filter`] (with
//! [`pattern`]) and [`tags`].

// Tests unwrap what they just built.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod events;
mod filter;
mod groups;
mod pattern;
mod records;
mod streams;
mod tags;
mod tokens;

use std::sync::Arc;

use nimbus_core::{AwsError, RequestContext};
use nimbus_logs_api::*;
use nimbus_runtime::Clock;
use nimbus_store::Store;

/// The CloudWatch Logs service. State lives in the store.
pub struct Logs {
    store: Arc<Store>,
    clock: Clock,
}

impl Logs {
    pub fn new(store: Arc<Store>, clock: Clock) -> Self {
        Logs { store, clock }
    }

    fn now_ms(&self) -> i64 {
        i64::try_from(self.clock.now_epoch_millis()).unwrap_or(i64::MAX)
    }
}

/// The operations, served by the handlers of the modules.
impl LogsApi for Logs {
    async fn create_log_group(
        &self,
        ctx: &RequestContext,
        input: CreateLogGroupRequest,
    ) -> Result<(), AwsError> {
        Logs::create_log_group(self, ctx, input).await
    }

    async fn create_log_stream(
        &self,
        ctx: &RequestContext,
        input: CreateLogStreamRequest,
    ) -> Result<(), AwsError> {
        Logs::create_log_stream(self, ctx, input).await
    }

    async fn delete_log_group(
        &self,
        ctx: &RequestContext,
        input: DeleteLogGroupRequest,
    ) -> Result<(), AwsError> {
        Logs::delete_log_group(self, ctx, input).await
    }

    async fn delete_log_stream(
        &self,
        ctx: &RequestContext,
        input: DeleteLogStreamRequest,
    ) -> Result<(), AwsError> {
        Logs::delete_log_stream(self, ctx, input).await
    }

    async fn delete_retention_policy(
        &self,
        ctx: &RequestContext,
        input: DeleteRetentionPolicyRequest,
    ) -> Result<(), AwsError> {
        Logs::delete_retention_policy(self, ctx, input).await
    }

    async fn describe_log_groups(
        &self,
        ctx: &RequestContext,
        input: DescribeLogGroupsRequest,
    ) -> Result<DescribeLogGroupsResponse, AwsError> {
        Logs::describe_log_groups(self, ctx, input).await
    }

    async fn describe_log_streams(
        &self,
        ctx: &RequestContext,
        input: DescribeLogStreamsRequest,
    ) -> Result<DescribeLogStreamsResponse, AwsError> {
        Logs::describe_log_streams(self, ctx, input).await
    }

    async fn filter_log_events(
        &self,
        ctx: &RequestContext,
        input: FilterLogEventsRequest,
    ) -> Result<FilterLogEventsResponse, AwsError> {
        Logs::filter_log_events(self, ctx, input).await
    }

    async fn get_log_events(
        &self,
        ctx: &RequestContext,
        input: GetLogEventsRequest,
    ) -> Result<GetLogEventsResponse, AwsError> {
        Logs::get_log_events(self, ctx, input).await
    }

    async fn list_tags_for_resource(
        &self,
        ctx: &RequestContext,
        input: ListTagsForResourceRequest,
    ) -> Result<ListTagsForResourceResponse, AwsError> {
        Logs::list_tags_for_resource(self, ctx, input).await
    }

    async fn list_tags_log_group(
        &self,
        ctx: &RequestContext,
        input: ListTagsLogGroupRequest,
    ) -> Result<ListTagsLogGroupResponse, AwsError> {
        Logs::list_tags_log_group(self, ctx, input).await
    }

    async fn put_log_events(
        &self,
        ctx: &RequestContext,
        input: PutLogEventsRequest,
    ) -> Result<PutLogEventsResponse, AwsError> {
        Logs::put_log_events(self, ctx, input).await
    }

    async fn put_retention_policy(
        &self,
        ctx: &RequestContext,
        input: PutRetentionPolicyRequest,
    ) -> Result<(), AwsError> {
        Logs::put_retention_policy(self, ctx, input).await
    }

    async fn tag_log_group(&self, ctx: &RequestContext, input: TagLogGroupRequest) -> Result<(), AwsError> {
        Logs::tag_log_group(self, ctx, input).await
    }

    async fn tag_resource(&self, ctx: &RequestContext, input: TagResourceRequest) -> Result<(), AwsError> {
        Logs::tag_resource(self, ctx, input).await
    }

    async fn untag_log_group(
        &self,
        ctx: &RequestContext,
        input: UntagLogGroupRequest,
    ) -> Result<(), AwsError> {
        Logs::untag_log_group(self, ctx, input).await
    }

    async fn untag_resource(
        &self,
        ctx: &RequestContext,
        input: UntagResourceRequest,
    ) -> Result<(), AwsError> {
        Logs::untag_resource(self, ctx, input).await
    }

    /// A group's ARN (with `:*`, as IAM policies name groups) or a
    /// stream's, in the caller's account.
    async fn resource(
        &self,
        ctx: &RequestContext,
        named: nimbus_core::authz::ResourceRef<'_>,
    ) -> Result<nimbus_core::authz::Resource, AwsError> {
        let arn = match (named.kind, named.qualifier) {
            ("log-stream", Some(group)) => records::stream_arn(ctx, group, named.value),
            ("log-group-arn", _) => named.value.to_owned(),
            _ => format!("{}:*", records::group_arn(ctx, named.value)),
        };
        Ok(nimbus_core::authz::Resource {
            arn,
            account: ctx.account_id.clone(),
            policy: None,
            keys: Default::default(),
        })
    }

    fn access_denied(&self, denial: nimbus_core::authz::Denial) -> AwsError {
        AwsError::new("AccessDeniedException", denial.message(), 400)
    }
}

#[cfg(test)]
mod tests;
