//! A function's tags: TagResource, UntagResource and ListTags on its ARN
//! (Lambda's limits: 50 tags, keys up to 128 characters, values up to 256,
//! no `aws:` prefix).

use indexmap::IndexMap;
use nimbus_core::{AwsError, RequestContext};
use nimbus_lambda_api::*;

use crate::Lambda;
use crate::functions::namespace;
use crate::names::{self, FunctionRef};
use crate::records::{FunctionRecord, function_key};

const MAX_TAGS: usize = 50;

/// The function a tagging call names (its ARN, unqualified).
fn function_of(ctx: &RequestContext, resource: &str) -> Result<FunctionRef, AwsError> {
    if !resource.starts_with("arn:") || resource.contains(":event-source-mapping:") {
        return Err(errors::invalid_parameter_value(format!(
            "nimbus tags Lambda functions by their ARN; {resource} is not one"
        )));
    }
    let function = names::parse(ctx, resource, None)?;
    if function.qualifier.is_some() {
        return Err(errors::invalid_parameter_value(
            "Tags are not supported on function versions or aliases: use the unqualified function ARN.",
        ));
    }
    Ok(function)
}

pub fn check_tags(tags: &IndexMap<String, String>) -> Result<(), AwsError> {
    for (key, value) in tags {
        if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
            return Err(errors::invalid_parameter_value(format!(
                "The tag {key} is not valid: keys are 1 to 128 characters, values up to 256."
            )));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(errors::invalid_parameter_value(
                "Tag keys beginning with aws: are reserved for AWS use.",
            ));
        }
    }
    Ok(())
}

impl Lambda {
    pub(crate) async fn list_tags(
        &self,
        ctx: &RequestContext,
        input: ListTagsRequest,
    ) -> Result<ListTagsResponse, AwsError> {
        let function = function_of(ctx, &input.resource)?;
        let record = self.load(ctx, &function).await?;
        Ok(ListTagsResponse {
            tags: Some(record.tags),
        })
    }

    pub(crate) async fn tag_resource(
        &self,
        ctx: &RequestContext,
        input: TagResourceRequest,
    ) -> Result<(), AwsError> {
        let function = function_of(ctx, &input.resource)?;
        check_tags(&input.tags)?;
        self.change_tags(ctx, &function, move |tags| {
            tags.extend(input.tags);
            Ok(())
        })
        .await
    }

    pub(crate) async fn untag_resource(
        &self,
        ctx: &RequestContext,
        input: UntagResourceRequest,
    ) -> Result<(), AwsError> {
        let function = function_of(ctx, &input.resource)?;
        self.change_tags(ctx, &function, move |tags| {
            tags.retain(|key, _| !input.tag_keys.contains(key));
            Ok(())
        })
        .await
    }

    async fn change_tags(
        &self,
        ctx: &RequestContext,
        function: &FunctionRef,
        change: impl FnOnce(&mut IndexMap<String, String>) -> Result<(), AwsError> + Send + 'static,
    ) -> Result<(), AwsError> {
        let ns = namespace(ctx)?;
        let key = function_key(&function.name);
        let missing = names::not_found(ctx, function);
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut record: FunctionRecord = table.get_json(&key)?.ok_or(missing)?;
                change(&mut record.tags)?;
                if record.tags.len() > MAX_TAGS {
                    return Err(errors::invalid_parameter_value(format!(
                        "A function can have at most {MAX_TAGS} tags."
                    )));
                }
                table.put_json(&key, &record)?;
                Ok(())
            })
            .await
    }
}
