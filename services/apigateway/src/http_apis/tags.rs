//! Tags of HTTP APIs and their stages, by ARN
//! (`arn:aws:apigateway:<region>::/apis/<id>[/stages/<name>]`), kept in
//! the API's record.

use indexmap::IndexMap;
use nimbus_apigatewayv2_api::errors::{bad_request, not_found};
use nimbus_apigatewayv2_api::*;
use nimbus_core::{AwsError, RequestContext};

use crate::ApiGateway;

type Tags = Option<IndexMap<String, String>>;

fn stage_missing(name: &str) -> AwsError {
    not_found(format!("Invalid stage identifier specified {name}"))
}

/// The API and, if the ARN names one, the stage.
fn target(ctx: &RequestContext, arn: &str) -> Result<(String, Option<String>), AwsError> {
    let invalid = || bad_request(format!("Invalid ARN specified in the request: {arn}"));
    let path = arn
        .strip_prefix(&format!("arn:aws:apigateway:{}::/apis/", ctx.region))
        .ok_or_else(invalid)?;
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        [api] => Ok(((*api).to_owned(), None)),
        [api, "stages", stage] => Ok(((*api).to_owned(), Some((*stage).to_owned()))),
        _ => Err(invalid()),
    }
}

impl ApiGateway {
    /// Changes the tags `arn` names, in one transaction; the tags after.
    async fn change_tags_v2(
        &self,
        ctx: &RequestContext,
        arn: &str,
        change: impl FnOnce(&mut IndexMap<String, String>) -> Result<(), AwsError> + Send + 'static,
    ) -> Result<Tags, AwsError> {
        let (api, stage) = target(ctx, arn)?;
        self.change_http_api(ctx, &api, move |record| {
            let tags: &mut Tags = match stage {
                None => &mut record.api.tags,
                Some(name) => {
                    &mut record
                        .stages
                        .get_mut(&name)
                        .ok_or_else(|| stage_missing(&name))?
                        .tags
                }
            };
            let mut current = tags.take().unwrap_or_default();
            change(&mut current)?;
            *tags = (!current.is_empty()).then_some(current);
            Ok(tags.clone())
        })
        .await
    }

    pub(crate) async fn get_tags_v2(
        &self,
        ctx: &RequestContext,
        input: GetTagsRequest,
    ) -> Result<GetTagsResponse, AwsError> {
        let (api, stage) = target(ctx, &input.resource_arn)?;
        let record = self.http_api(ctx, &api).await?;
        let tags = match stage {
            None => record.api.tags,
            Some(name) => record
                .stages
                .get(&name)
                .ok_or_else(|| stage_missing(&name))?
                .tags
                .clone(),
        };
        Ok(GetTagsResponse {
            tags: Some(tags.unwrap_or_default()),
        })
    }

    pub(crate) async fn tag_resource_v2(
        &self,
        ctx: &RequestContext,
        input: TagResourceRequest,
    ) -> Result<TagResourceResponse, AwsError> {
        let added = input.tags.unwrap_or_default();
        if let Some(key) = added
            .keys()
            .find(|k| k.is_empty() || k.len() > 128 || k.starts_with("aws:"))
        {
            return Err(bad_request(format!("Invalid tag key: {key}")));
        }
        self.change_tags_v2(ctx, &input.resource_arn, move |tags| {
            tags.extend(added);
            Ok(())
        })
        .await?;
        Ok(TagResourceResponse {})
    }

    pub(crate) async fn untag_resource_v2(
        &self,
        ctx: &RequestContext,
        input: UntagResourceRequest,
    ) -> Result<(), AwsError> {
        let keys = input.tag_keys;
        self.change_tags_v2(ctx, &input.resource_arn, move |tags| {
            tags.retain(|key, _| !keys.contains(key));
            Ok(())
        })
        .await?;
        Ok(())
    }
}
