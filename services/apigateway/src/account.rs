//! The account's API Gateway settings (GetAccount, UpdateAccount): the
//! CloudWatch Logs role, the account throttle and the features, per
//! region.

use nimbus_apigateway_api::*;
use nimbus_core::{AwsError, RequestContext};

use crate::ApiGateway;
use crate::errors;
use crate::invoke::throttle::{ACCOUNT_BURST, ACCOUNT_RATE};
use crate::patch::{self, Kind, Rule, Wording, replace, set};
use crate::records::namespace_of;

const ACCOUNT_KEY: &[u8] = b"account";

const ACCOUNT: &[Rule] = &[replace("/cloudwatchRoleArn", Kind::Text), set("/features")];

/// The settings of an account that changed none.
fn default_account() -> Account {
    Account {
        cloudwatch_role_arn: None,
        throttle_settings: Some(ThrottleSettings {
            burst_limit: Some(ACCOUNT_BURST as i32),
            rate_limit: Some(ACCOUNT_RATE),
        }),
        features: Some(vec!["UsagePlans".to_owned()]),
        api_key_version: Some("4".to_owned()),
    }
}

/// A role ARN API Gateway can take: an IAM role's.
fn check_role(arn: Option<&str>) -> Result<(), AwsError> {
    let Some(arn) = arn else {
        return Ok(());
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let valid = matches!(parts.as_slice(), ["arn", "aws", "iam", "", account, resource]
        if account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()) && resource.starts_with("role/"));
    match valid {
        true => Ok(()),
        false => Err(errors::bad_request(
            "The role ARN does not have required permissions configured. Please grant trust permission for API Gateway and add the required role policy.",
        )),
    }
}

impl ApiGateway {
    pub(crate) async fn get_account(&self, ctx: &RequestContext) -> Result<Account, AwsError> {
        let stored: Option<Account> = self.store.get_json(&namespace_of(ctx)?, ACCOUNT_KEY).await?;
        Ok(stored.unwrap_or_else(default_account))
    }

    pub(crate) async fn update_account(
        &self,
        ctx: &RequestContext,
        input: UpdateAccountRequest,
    ) -> Result<Account, AwsError> {
        let ops = input.patch_operations.unwrap_or_default();
        let dropping_usage_plans = ops.iter().any(|op| {
            op.op.as_deref() == Some("remove")
                && op.path.as_deref() == Some("/features")
                && op.value.as_deref() == Some("UsagePlans")
        });
        if dropping_usage_plans {
            return Err(errors::bad_request("Usage plans cannot be disabled"));
        }
        let ns = namespace_of(ctx)?;
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let current: Account = table.get_json(ACCOUNT_KEY)?.unwrap_or_else(default_account);
                let patched = patch::apply(&current, &ops, ACCOUNT, Wording::Listed)?;
                check_role(patched.cloudwatch_role_arn.as_deref())?;
                table.put_json(ACCOUNT_KEY, &patched)?;
                Ok(patched)
            })
            .await
    }
}
