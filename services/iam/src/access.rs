//! The entities IAM decisions are about: a resource kind of operations.txt
//! (`user`, `group`, `role`, `instance-profile` by name, `policy` by ARN)
//! made an ARN with the entity's path.

use nimbus_core::authz::Resource;
use nimbus_core::{AwsError, RequestContext};

use crate::Iam;
use crate::common::arn;
use crate::entities::Read;
use crate::records::{GroupRecord, Kind, ProfileRecord, RoleRecord, UserRecord};

impl Iam {
    pub(crate) async fn access_resource(
        &self,
        ctx: &RequestContext,
        kind: &'static str,
        value: &str,
    ) -> Result<Resource, AwsError> {
        let account = ctx.account_id.clone();
        if kind == "policy" {
            let owner = value.split(':').nth(4).unwrap_or_default();
            return Ok(Resource {
                arn: value.to_owned(),
                account: if owner == "aws" { account } else { owner.to_owned() },
                policy: None,
            });
        }
        let name = value.to_owned();
        let path = self
            .read(&account, move |table| {
                Ok(match kind {
                    "user" => table.load::<UserRecord>(Kind::User, &name)?.map(|u| u.path),
                    "group" => table.load::<GroupRecord>(Kind::Group, &name)?.map(|g| g.path),
                    "role" => table.load::<RoleRecord>(Kind::Role, &name)?.map(|r| r.path),
                    _ => table.load::<ProfileRecord>(Kind::Profile, &name)?.map(|p| p.path),
                })
            })
            .await?
            .unwrap_or_else(|| "/".to_owned());
        Ok(Resource {
            arn: arn(&account, kind, &path, value),
            account,
            policy: None,
        })
    }
}
