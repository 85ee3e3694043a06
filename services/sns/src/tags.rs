//! Topic tags: TagResource, UntagResource, ListTagsForResource.

use nimbus_core::AwsError;

use crate::Sns;
use crate::arn::TopicArn;
use crate::errors::{invalid_parameter, resource_not_found};
use crate::records::{self, TopicRecord, topic_key};
use nimbus_sns_api::{
    ListTagsForResourceRequest, ListTagsForResourceResponse, Tag, TagResourceRequest, TagResourceResponse,
    UntagResourceRequest, UntagResourceResponse,
};

/// Tags one topic may carry.
const MAX_TAGS: usize = 50;

pub fn validate_tag(key: &str, value: &str) -> Result<(), AwsError> {
    if key.is_empty() || key.chars().count() > 128 {
        return Err(invalid_parameter(
            "Tags Reason: tag key must be between 1 and 128 characters",
        ));
    }
    if value.chars().count() > 256 {
        return Err(invalid_parameter(
            "Tags Reason: tag value must be at most 256 characters",
        ));
    }
    Ok(())
}

impl Sns {
    pub(crate) async fn tag_resource(
        &self,
        input: TagResourceRequest,
    ) -> Result<TagResourceResponse, AwsError> {
        let arn = TopicArn::parse(&input.resource_arn, "ResourceArn")?;
        for tag in &input.tags {
            validate_tag(&tag.key, &tag.value)?;
        }
        self.update_topic_tags(arn, move |topic| {
            for tag in input.tags {
                topic.tags.insert(tag.key, tag.value);
            }
            if topic.tags.len() > MAX_TAGS {
                return Err(nimbus_sns_api::errors::tag_limit_exceeded(
                    "Could not complete request: tag quota of per resource exceeded",
                ));
            }
            Ok(())
        })
        .await?;
        Ok(TagResourceResponse {})
    }

    pub(crate) async fn untag_resource(
        &self,
        input: UntagResourceRequest,
    ) -> Result<UntagResourceResponse, AwsError> {
        let arn = TopicArn::parse(&input.resource_arn, "ResourceArn")?;
        self.update_topic_tags(arn, move |topic| {
            for key in &input.tag_keys {
                topic.tags.shift_remove(key);
            }
            Ok(())
        })
        .await?;
        Ok(UntagResourceResponse {})
    }

    pub(crate) async fn list_tags_for_resource(
        &self,
        input: ListTagsForResourceRequest,
    ) -> Result<ListTagsForResourceResponse, AwsError> {
        let arn = TopicArn::parse(&input.resource_arn, "ResourceArn")?;
        let ns = records::namespace(&arn.account, &arn.region)?;
        let topic: TopicRecord = self
            .store
            .read(move |txn| {
                txn.open(&ns)?
                    .get_json(&topic_key(&arn.name))?
                    .ok_or_else(resource_not_found)
            })
            .await?;
        let tags = topic
            .tags
            .into_iter()
            .map(|(key, value)| Tag { key, value })
            .collect();
        Ok(ListTagsForResourceResponse { tags: Some(tags) })
    }

    async fn update_topic_tags(
        &self,
        arn: TopicArn,
        change: impl FnOnce(&mut TopicRecord) -> Result<(), AwsError> + Send + 'static,
    ) -> Result<(), AwsError> {
        let ns = records::namespace(&arn.account, &arn.region)?;
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let key = topic_key(&arn.name);
                let mut topic: TopicRecord = table.get_json(&key)?.ok_or_else(resource_not_found)?;
                change(&mut topic)?;
                table.put_json(&key, &topic)?;
                Ok(())
            })
            .await
    }
}
