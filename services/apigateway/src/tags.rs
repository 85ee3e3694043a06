//! Tags of REST APIs, stages, API keys and usage plans, named by ARNs
//! without an account (`arn:aws:apigateway:<region>::/restapis/<id>`,
//! `.../stages/<name>`, `::/apikeys/<id>`, `::/usageplans/<id>`), kept in
//! each one's own record (GetRestApi and the others show them).

use indexmap::IndexMap;
use nimbus_apigateway_api::*;
use nimbus_core::{AwsError, RequestContext};

use crate::ApiGateway;
use crate::apis::Missing;
use crate::errors;
use crate::records::stage_key;
use crate::{api_keys, usage_plans};

/// Tags a resource may have, at most.
const MOST_TAGS: usize = 50;

type TagMap = Option<IndexMap<String, String>>;

/// What an ARN names.
enum Tagged {
    Api(String),
    Stage(String, String),
    Key(String),
    Plan(String),
}

fn target(ctx: &RequestContext, arn: &str) -> Result<Tagged, AwsError> {
    let invalid = || errors::bad_request(format!("Invalid ARN specified in the request: {arn}"));
    let prefix = format!("arn:aws:apigateway:{}::/", ctx.region);
    let path = arn.strip_prefix(&prefix).ok_or_else(invalid)?;
    let parts: Vec<&str> = path.split('/').collect();
    Ok(match parts.as_slice() {
        ["restapis", id] => Tagged::Api((*id).to_owned()),
        ["restapis", id, "stages", name] => Tagged::Stage((*id).to_owned(), (*name).to_owned()),
        ["apikeys", id] => Tagged::Key((*id).to_owned()),
        ["usageplans", id] => Tagged::Plan((*id).to_owned()),
        _ => return Err(invalid()),
    })
}

fn check_tags(tags: &IndexMap<String, String>) -> Result<(), AwsError> {
    for (key, value) in tags {
        if key.is_empty() || key.len() > 128 || key.starts_with("aws:") {
            return Err(errors::bad_request(format!("Invalid tag key: {key}")));
        }
        if value.len() > 256 {
            return Err(errors::bad_request(format!("Invalid tag value for key: {key}")));
        }
    }
    Ok(())
}

impl ApiGateway {
    /// Changes the tags of what `arn` names, in one transaction.
    async fn change_tags(
        &self,
        ctx: &RequestContext,
        arn: &str,
        change: impl FnOnce(&mut TagMap) -> Result<(), AwsError> + Send + 'static,
    ) -> Result<(), AwsError> {
        match target(ctx, arn)? {
            Tagged::Api(id) => {
                self.change_api(ctx, (&id, Missing::Api), move |record| {
                    change(&mut record.api.tags)
                })
                .await
            }
            Tagged::Stage(api, name) => {
                let changed = self
                    .change_stored::<Stage>(
                        ctx,
                        stage_key(&api, &name),
                        errors::stage_missing(),
                        move |stage| change(&mut stage.tags),
                    )
                    .await;
                self.forget_stages(ctx, &api);
                changed.map(drop)
            }
            Tagged::Key(id) => self
                .change_stored::<ApiKey>(ctx, api_keys::key_key(&id), api_keys::key_missing(), move |key| {
                    change(&mut key.tags)
                })
                .await
                .map(drop),
            Tagged::Plan(id) => self
                .change_stored::<UsagePlan>(
                    ctx,
                    usage_plans::plan_key(&id),
                    usage_plans::plan_missing(),
                    move |plan| change(&mut plan.tags),
                )
                .await
                .map(drop),
        }
    }

    pub(crate) async fn tag_resource(
        &self,
        ctx: &RequestContext,
        input: TagResourceRequest,
    ) -> Result<(), AwsError> {
        check_tags(&input.tags)?;
        let added = input.tags;
        self.change_tags(ctx, &input.resource_arn, move |tags| {
            let tags = tags.get_or_insert_default();
            tags.extend(added);
            match tags.len() > MOST_TAGS {
                true => Err(errors::bad_request(format!(
                    "A resource may have at most {MOST_TAGS} tags"
                ))),
                false => Ok(()),
            }
        })
        .await
    }

    pub(crate) async fn untag_resource(
        &self,
        ctx: &RequestContext,
        input: UntagResourceRequest,
    ) -> Result<(), AwsError> {
        let removed = input.tag_keys;
        self.change_tags(ctx, &input.resource_arn, move |tags| {
            if let Some(tags) = tags.as_mut() {
                tags.retain(|key, _| !removed.contains(key));
            }
            if tags.as_ref().is_some_and(IndexMap::is_empty) {
                *tags = None;
            }
            Ok(())
        })
        .await
    }

    pub(crate) async fn get_tags(
        &self,
        ctx: &RequestContext,
        input: GetTagsRequest,
    ) -> Result<Tags, AwsError> {
        let tags = match target(ctx, &input.resource_arn)? {
            Tagged::Api(id) => self.load_api(ctx, &id, Missing::Api).await?.api.tags,
            Tagged::Stage(api, name) => self.stage(ctx, &api, &name).await?.tags,
            Tagged::Key(id) => self.api_key(ctx, &id).await?.tags,
            Tagged::Plan(id) => self.usage_plan(ctx, &id).await?.tags,
        };
        Ok(Tags {
            tags: Some(tags.unwrap_or_default()),
        })
    }
}
