//! The entities IAM decisions are about: a resource kind of operations.txt
//! (`user`, `group`, `role`, `instance-profile` by name, `policy` by ARN,
//! `policy-name` by name) made an ARN with the entity's path: the one the
//! request gives (`+Path`, when it creates the entity), else its own.

use nimbus_core::authz::{LazyKeys, Resource, ResourceRef};
use nimbus_core::{AwsError, RequestContext};

use crate::Iam;
use crate::common::arn;
use crate::entities::Read;
use crate::records::{GroupRecord, Kind, ProfileRecord, RoleRecord, Tags, UserRecord};

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
                keys: Default::default(),
            });
        }
        if let Some(path) = named.qualifier.or((kind == "policy-name").then_some("/")) {
            let kind = if kind == "policy-name" { "policy" } else { kind };
            return Ok(Resource {
                arn: arn(&account, kind, path, value),
                account,
                policy: None,
                keys: Default::default(),
            });
        }
        let name = value.to_owned();
        let (path, tags): (String, Tags) = self
            .read(&account, move |table| {
                Ok(match kind {
                    "user" => table
                        .load::<UserRecord>(Kind::User, &name)?
                        .map(|u| (u.path, u.tags)),
                    "group" => table
                        .load::<GroupRecord>(Kind::Group, &name)?
                        .map(|g| (g.path, Tags::new())),
                    "role" => table
                        .load::<RoleRecord>(Kind::Role, &name)?
                        .map(|r| (r.path, r.tags)),
                    "mfa" => None,
                    _ => table
                        .load::<ProfileRecord>(Kind::Profile, &name)?
                        .map(|p| (p.path, p.tags)),
                })
            })
            .await?
            .unwrap_or_else(|| ("/".to_owned(), Tags::new()));
        // A user's or role's tags, as aws:ResourceTag/* (and iam:ResourceTag/*).
        let pairs = || tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let mut keys = LazyKeys::tags("aws:ResourceTag/", pairs()).read();
        keys.extend(LazyKeys::tags("iam:ResourceTag/", pairs()).read());
        Ok(Resource {
            arn: arn(&account, kind, &path, value),
            account,
            policy: None,
            keys: LazyKeys::of(keys),
        })
    }
}
