//! Who may call a function URL: AuthType AWS_IAM needs a signed request
//! (verified when nimbus verifies signatures); under `--enforce-iam` the
//! caller (anonymous for AuthType NONE) is held to
//! `lambda:InvokeFunctionUrl` on the function, by its resource policy and,
//! for AWS_IAM, the caller's own policies, as AWS decides it.

use std::borrow::Cow;

use nimbus_core::RequestContext;
use nimbus_core::authz::{Access, ResourceRef};
use nimbus_lambda_api::LambdaApi;

use crate::Lambda;
use crate::function_urls::UrlTarget;

impl Lambda {
    /// Whether `caller` may invoke the URL of `target` whose AuthType is `auth`.
    pub(crate) async fn url_allowed(&self, caller: &RequestContext, target: &UrlTarget, auth: &str) -> bool {
        let iam = auth == "AWS_IAM";
        if iam && caller.access_key_id.is_none() {
            return false;
        }
        if caller.enforcement.0.is_none() {
            return true;
        }
        let mut asking = caller.clone();
        if !iam {
            // A URL open to everyone is called anonymously, signed or not.
            asking.access_key_id = None;
        }
        let arn = match &target.qualifier {
            Some(qualifier) => format!(
                "arn:aws:lambda:{}:{}:function:{}:{qualifier}",
                target.region, target.account, target.function
            ),
            None => format!(
                "arn:aws:lambda:{}:{}:function:{}",
                target.region, target.account, target.function
            ),
        };
        let named = ResourceRef {
            kind: "function",
            value: &arn,
            qualifier: None,
            detail: None,
        };
        let Ok(resource) = self.resource(&asking, named).await else {
            return false;
        };
        let access = Access {
            action: "lambda:InvokeFunctionUrl",
            resources: vec![resource],
            keys: vec![(Cow::Borrowed("lambda:FunctionUrlAuthType"), vec![auth.to_owned()])],
            input_keys: Default::default(),
        };
        asking.enforcement.check(&asking, &access).await.is_ok()
    }
}
