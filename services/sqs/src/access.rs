//! The queues IAM decisions are about: a resource kind of operations.txt
//! (`queue`, `queue-name`, `queue-arn`) made the queue's ARN, owner and
//! Policy attribute; and a refusal in SQS's words.

use nimbus_core::authz::{Denial, LazyKeys, Resource, ResourceRef};
use nimbus_core::{AwsError, RequestContext};

use crate::Sqs;
use crate::names::{QueueAddress, parse_queue_arn, parse_queue_url};

impl Sqs {
    pub(crate) async fn access_resource(
        &self,
        ctx: &RequestContext,
        named: ResourceRef<'_>,
    ) -> Result<Resource, AwsError> {
        let value = named.value;
        let address = match named.kind {
            "queue" => parse_queue_url(ctx, value)?,
            "queue-arn" => match parse_queue_arn(value) {
                Some(address) => address,
                // Not a queue ARN: the handler words the error.
                None => return Ok(Resource::any(&ctx.account_id)),
            },
            // A name, in the owner's account when the request names one.
            _ => QueueAddress {
                account: named.qualifier.unwrap_or(&ctx.account_id).to_owned(),
                region: ctx.region.clone(),
                name: value.to_owned(),
            },
        };
        let (policy, keys) = match self.queues.find(&address).await {
            Ok(Some(queue)) => {
                let policy = queue.config().attributes.get("Policy").cloned();
                // aws:ResourceTag/<key>: the queue's tags as they are then.
                let keys = LazyKeys::new(move || {
                    let config = queue.config();
                    let tags = config.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                    LazyKeys::tags("aws:ResourceTag/", tags).read()
                });
                (policy, keys)
            }
            _ => (None, LazyKeys::default()),
        };
        Ok(Resource {
            arn: address.arn(),
            account: address.account,
            policy,
            keys,
        })
    }
}

/// SQS spells the action in lower case in its message (`sqs:sendmessage`).
pub fn access_denied(denial: &Denial) -> AwsError {
    AwsError::new(
        "AccessDenied",
        denial.message_with(&denial.action.to_lowercase()),
        403,
    )
}
