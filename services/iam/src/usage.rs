//! Where a managed policy is used: attached to users, groups and roles, or
//! set as their permissions boundary.

use nimbus_core::AwsError;

use crate::entities::Read;
use crate::records::{GroupRecord, Kind, RoleRecord, UserRecord};

/// How often a policy is used.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub attachments: i32,
    pub boundaries: i32,
}

pub fn usage(table: &impl Read, arn: &str) -> Result<Usage, AwsError> {
    let users: Vec<UserRecord> = table.all(Kind::User)?;
    let groups: Vec<GroupRecord> = table.all(Kind::Group)?;
    let roles: Vec<RoleRecord> = table.all(Kind::Role)?;
    let count = |found: usize| i32::try_from(found).unwrap_or(i32::MAX);
    let attached = |list: &[String]| list.iter().any(|a| a == arn);
    let attachments = users.iter().filter(|u| attached(&u.attached)).count()
        + groups.iter().filter(|g| attached(&g.attached)).count()
        + roles.iter().filter(|r| attached(&r.attached)).count();
    let boundaries = users
        .iter()
        .filter(|u| u.boundary.as_deref() == Some(arn))
        .count()
        + roles
            .iter()
            .filter(|r| r.boundary.as_deref() == Some(arn))
            .count();
    Ok(Usage {
        attachments: count(attachments),
        boundaries: count(boundaries),
    })
}
