//! Authorisation as services see it: what a request asks to do (an IAM
//! action on resources), and the authorizer that decides. The gateway puts
//! an authorizer in the request context when IAM is enforced; services
//! name their resources (ARN, owner, resource policy) and word a refusal
//! in their own error shape.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::{BoxFuture, RequestContext};

/// A resource as an input names it: its kind (the service's word), the
/// member's value (a name, URL or ARN), and the value of a member that
/// qualifies it, when operations.txt names one (`kind:Member+Qualifier`:
/// GetQueueUrl's owner account, CreateUser's path; `+Detail` after it: an
/// object's VersionId).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceRef<'a> {
    pub kind: &'static str,
    pub value: &'a str,
    pub qualifier: Option<&'a str>,
    /// A further member that narrows it (`+Detail` after the qualifier:
    /// an object's VersionId).
    pub detail: Option<&'a str>,
}

/// One resource an operation acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// `arn:aws:sqs:us-east-1:111111111111:orders`, or `*` for actions on no
    /// resource (ListQueues).
    pub arn: String,
    /// The account that owns it: a caller of another account needs its
    /// resource policy's consent.
    pub account: String,
    /// Its resource-based policy (a queue's or topic's Policy, a bucket
    /// policy), when it has one.
    pub policy: Option<String>,
    /// The condition keys it gives values to (`aws:ResourceTag/*`,
    /// `s3:ExistingObjectTag/*`), read only when a policy reads keys.
    pub keys: LazyKeys<'static>,
}

/// Condition keys read on demand (a resource's, or what a service reads of a
/// request): most decisions read none, and reading them may cost a store
/// read (an object's tags, a table's key schema). A request's keys may
/// borrow the request (`'a`): nothing is copied unless a policy reads them.
#[derive(Clone, Default)]
pub struct LazyKeys<'a>(Option<Arc<KeyReader<'a>>>);

type KeyReader<'a> = dyn Fn() -> Vec<(String, Vec<String>)> + Send + Sync + 'a;

impl<'a> LazyKeys<'a> {
    pub fn new(read: impl Fn() -> Vec<(String, Vec<String>)> + Send + Sync + 'a) -> Self {
        LazyKeys(Some(Arc::new(read)))
    }

    /// Keys known at once (tags already in hand).
    pub fn of(keys: Vec<(String, Vec<String>)>) -> Self {
        if keys.is_empty() {
            return LazyKeys(None);
        }
        LazyKeys::new(move || keys.clone())
    }

    /// `aws:ResourceTag/<key>` for each tag.
    pub fn tags<'t>(prefix: &str, tags: impl IntoIterator<Item = (&'t str, &'t str)>) -> Self {
        let keys = tags
            .into_iter()
            .map(|(key, value)| (format!("{prefix}{key}"), vec![value.to_owned()]))
            .collect();
        LazyKeys::of(keys)
    }

    pub fn read(&self) -> Vec<(String, Vec<String>)> {
        self.0.as_ref().map(|read| read()).unwrap_or_default()
    }
}

impl fmt::Debug for LazyKeys<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "LazyKeys(..)"
        } else {
            "LazyKeys(none)"
        })
    }
}

/// Keys are read from the resource itself: two resources with the same ARN,
/// owner and policy are the same resource.
impl PartialEq for LazyKeys<'_> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for LazyKeys<'_> {}

impl Resource {
    /// An action on no particular resource, in the caller's account.
    pub fn any(account: &str) -> Resource {
        Resource {
            arn: "*".to_owned(),
            account: account.to_owned(),
            policy: None,
            keys: LazyKeys::default(),
        }
    }
}

/// What a request asks to do (borrowing the request for its keys).
#[derive(Debug, Clone)]
pub struct Access<'a> {
    /// `sqs:SendMessage`.
    pub action: &'static str,
    pub resources: Vec<Resource>,
    /// Condition keys the request gives values to (`s3:prefix`,
    /// `aws:RequestTag/<key>`).
    pub keys: ConditionKeys,
    /// Condition keys the service reads from the request itself, on demand
    /// (DynamoDB's `dynamodb:LeadingKeys` needs the table's key schema).
    pub input_keys: LazyKeys<'a>,
}

/// Condition keys and their values; names are mostly fixed (`s3:prefix`),
/// some made of the request (`aws:RequestTag/team`).
pub type ConditionKeys = Vec<(Cow<'static, str>, Vec<String>)>;

/// A refusal, with what AWS's explanation names: who, what, on which
/// resource, and which kind of policy denied it or failed to allow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// The caller's ARN, or `anonymous`.
    pub principal: String,
    pub action: String,
    /// The resource's ARN (`*` when the action names none).
    pub resource: String,
    /// The account that owns the resource (S3 explains a refusal only to
    /// callers of that account).
    pub resource_account: String,
    /// A Deny statement applied (else nothing allowed it).
    pub explicit: bool,
    /// `identity-based policy`, `resource-based policy`, `permissions
    /// boundary`, `session policy`, `service control policy`.
    pub policy_type: &'static str,
}

impl Denial {
    /// AWS's wording, with the action spelled as the service spells it
    /// (SQS writes `sqs:sendmessage`, SNS `SNS:Publish`).
    pub fn message_with(&self, action: &str) -> String {
        let on = if self.resource == "*" {
            String::new()
        } else {
            format!(" on resource: {}", self.resource)
        };
        let why = if self.explicit {
            let article = if self.policy_type.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            format!("with an explicit deny in {article} {}", self.policy_type)
        } else {
            format!("because no {} allows the {action} action", self.policy_type)
        };
        format!(
            "User: {} is not authorized to perform: {action}{on} {why}",
            self.principal
        )
    }

    /// AWS's wording, the action as IAM spells it.
    pub fn message(&self) -> String {
        self.message_with(&self.action)
    }
}

/// Decides whether the caller may do what it asks.
pub trait Authorizer: Send + Sync {
    fn authorize<'a>(
        &'a self,
        ctx: &'a RequestContext,
        access: &'a Access<'_>,
    ) -> BoxFuture<'a, Result<(), Denial>>;
}

/// The authorizer a request is held to; none when IAM is not enforced.
#[derive(Clone, Default)]
pub struct Enforcement(pub Option<Arc<dyn Authorizer>>);

impl Enforcement {
    /// Holds a request to `access` when IAM is enforced: for handlers that
    /// decide item by item (S3's DeleteObjects) or ask a second action (a
    /// copy's source).
    pub async fn check(&self, ctx: &RequestContext, access: &Access<'_>) -> Result<(), Denial> {
        match &self.0 {
            Some(authorizer) => authorizer.authorize(ctx, access).await,
            None => Ok(()),
        }
    }
}

impl fmt::Debug for Enforcement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Enforcement(on)"
        } else {
            "Enforcement(off)"
        })
    }
}
