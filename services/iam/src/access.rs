//! The entities IAM decisions are about: a resource kind of operations.txt
//! (`user`, `group`, `role`, `instance-profile` by name, `policy` by ARN,
//! `policy-name` by name) made an ARN with the entity's path: the one the
//! request gives (`+Path`, when it creates the entity), else its own.

use nimbus_core::authz::{Resource, ResourceRef};
use nimbus_core::{AwsError, RequestContext};

use crate::Iam;
use crate::common::arn;
use crate::entities::Read;
use crate::records::{GroupRecord, Kind, ProfileRecord, RoleRecord, UserRecord};

impl Iam {
    pub(crate) async fn access_resource(
        &self,
        ctx: &RequestContext,
        named: ResourceRef<'_>,
    ) -> Result<Resource, AwsError> {
        let (kind, value) = (named.kind, named.value);
        let account = ctx.account_id.clone();
        if kind == "policy" || kind == "arn" {
            let owner = value.split(':').nth(4).unwrap_or_default();
            return Ok(Resource {
                arn: value.to_owned(),
                account: if owner == "aws" { account } else { owner.to_owned() },
                policy: None,
            });
        }
        if let Some(path) = named.qualifier.or((kind == "policy-name").then_some("/")) {
            let kind = if kind == "policy-name" { "policy" } else { kind };
            return Ok(Resource {
                arn: arn(&account, kind, path, value),
                account,
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
