//! The topics IAM decisions are about: a resource kind of operations.txt
//! (`topic` by ARN, `topic-name` in the caller's account) made the topic's
//! ARN, owner and Policy attribute; and a refusal in SNS's words.

use nimbus_core::authz::{Denial, LazyKeys, Resource, ResourceRef};
use nimbus_core::{AwsError, RequestContext};

use crate::Sns;
use crate::arn::TopicArn;
use crate::records::{self, TopicRecord, topic_key};

impl Sns {
    pub(crate) async fn access_resource(
        &self,
        ctx: &RequestContext,
        named: ResourceRef<'_>,
    ) -> Result<Resource, AwsError> {
        let value = named.value;
        let topic = match named.kind {
            "topic-name" => TopicArn {
                region: ctx.region.clone(),
                account: ctx.account_id.clone(),
                name: value.to_owned(),
            },
            _ => match TopicArn::parse(value, "TopicArn") {
                Ok(topic) => topic,
                // Not a topic ARN: the handler words the error.
                Err(_) => return Ok(Resource::any(&ctx.account_id)),
            },
        };
        let ns = records::namespace(&topic.account, &topic.region)?;
        let key = topic_key(&topic.name);
        let record: Option<TopicRecord> = self
            .store
            .read(move |txn| Ok::<_, AwsError>(txn.open(&ns)?.get_json(&key)?))
            .await?;
        let keys = record.as_ref().map_or_else(LazyKeys::default, |r| {
            LazyKeys::tags(
                "aws:ResourceTag/",
                r.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            )
        });
        Ok(Resource {
            arn: topic.to_string(),
            account: topic.account.clone(),
            policy: record.and_then(|r| r.attributes.get("Policy").cloned()),
            keys,
        })
    }
}

/// SNS answers AuthorizationError and spells its actions `SNS:Publish`.
pub fn access_denied(denial: &Denial) -> AwsError {
    let action = match denial.action.split_once(':') {
        Some((_, name)) => format!("SNS:{name}"),
        None => denial.action.clone(),
    };
    nimbus_sns_api::errors::authorization_error(denial.message_with(&action))
}
