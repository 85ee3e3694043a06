//! The tables IAM decisions are about: the `table` of operations.txt (a
//! name, or an ARN) made the table's ARN and owner; and a refusal in
//! DynamoDB's words (AccessDeniedException, HTTP 400).

use nimbus_core::authz::{Denial, Resource, ResourceRef};
use nimbus_core::{AwsError, RequestContext};

/// A table's ARN: the value when it is one, else the name's ARN in the
/// caller's account and region.
pub fn table_resource(ctx: &RequestContext, named: ResourceRef<'_>) -> Resource {
    let value = named.value;
    if value.starts_with("arn:") {
        let account = value.split(':').nth(4).unwrap_or(&ctx.account_id).to_owned();
        return Resource {
            arn: value.to_owned(),
            account,
            policy: None,
        };
    }
    Resource {
        arn: format!("arn:aws:dynamodb:{}:{}:table/{value}", ctx.region, ctx.account_id),
        account: ctx.account_id.clone(),
        policy: None,
    }
}

pub fn access_denied(denial: &Denial) -> AwsError {
    AwsError::new("AccessDeniedException", denial.message(), 400)
}
