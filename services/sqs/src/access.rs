//! The queues IAM decisions are about: a resource kind of operations.txt
//! (`queue`, `queue-name`, `queue-arn`) made the queue's ARN, owner and
//! Policy attribute; and a refusal in SQS's words.

use nimbus_core::authz::{Denial, Resource};
use nimbus_core::{AwsError, RequestContext};

use crate::Sqs;
use crate::names::{QueueAddress, parse_queue_arn, parse_queue_url};

impl Sqs {
    pub(crate) async fn access_resource(
        &self,
        ctx: &RequestContext,
        kind: &'static str,
        value: &str,
    ) -> Result<Resource, AwsError> {
        let address = match kind {
            "queue" => parse_queue_url(ctx, value)?,
            "queue-arn" => match parse_queue_arn(value) {
                Some(address) => address,
                // Not a queue ARN: the handler words the error.
                None => return Ok(Resource::any(&ctx.account_id)),
            },
            _ => QueueAddress {
                account: ctx.account_id.clone(),
                region: ctx.region.clone(),
                name: value.to_owned(),
            },
        };
        let policy = match self.queues.find(&address).await {
            Ok(Some(queue)) => queue.config().attributes.get("Policy").cloned(),
            _ => None,
        };
        Ok(Resource {
            arn: address.arn(),
            account: address.account,
            policy,
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
