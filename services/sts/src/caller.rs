//! The principal behind the credentials a request was signed with.

use nimbus_core::RequestContext;
use nimbus_core::identity::Identity;

use crate::Sts;

/// Who is calling, and whether with temporary credentials.
pub struct Caller {
    pub identity: Identity,
    /// Signed with credentials STS issued (an `ASIA...` key): such callers
    /// may not get session tokens and are limited to one-hour role chains.
    pub temporary: bool,
}

impl Sts {
    pub(crate) fn caller(&self, ctx: &RequestContext) -> Caller {
        let key = ctx.access_key_id.as_deref().unwrap_or_default();
        match self.registry.lookup(key) {
            Some(identity) => Caller {
                identity,
                temporary: key.starts_with("ASIA"),
            },
            None => Caller {
                identity: root_identity(&ctx.account_id),
                temporary: false,
            },
        }
    }
}

/// Long-term keys without a registered user (`test`, a 12-digit key) act as
/// the account's root user, which AWS reports with the account id as user id.
pub fn root_identity(account_id: &str) -> Identity {
    Identity {
        account_id: account_id.to_owned(),
        arn: format!("arn:aws:iam::{account_id}:root"),
        user_id: account_id.to_owned(),
        session: None,
    }
}

/// The partition of an ARN (`aws`, `aws-cn`, ...).
pub fn partition_of(arn: &str) -> &str {
    arn.split(':').nth(1).filter(|p| !p.is_empty()).unwrap_or("aws")
}
