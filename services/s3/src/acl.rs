//! Owners and access control lists: S3 answers ACL calls from the canned
//! ACL a bucket or object was given (nimbus does not enforce them).

use sha2::{Digest, Sha256};

use crate::checksums::hex;
use crate::generated::{AccessControlPolicy, Grant, Grantee, Owner};

/// The canonical user id of an account: 64 hex digits, stable per account.
pub fn owner(account: &str) -> Owner {
    Owner {
        id: Some(hex(&Sha256::digest(format!("nimbus-s3-owner/{account}")))),
        display_name: Some("nimbus".to_owned()),
    }
}

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

fn group(uri: &str, permission: &str) -> Grant {
    Grant {
        grantee: Some(Grantee {
            uri: Some(uri.to_owned()),
            r#type: "Group".to_owned(),
            ..Grantee::default()
        }),
        permission: Some(permission.to_owned()),
    }
}

/// The policy a canned ACL stands for: the owner's FULL_CONTROL plus the
/// public grants the canned name adds.
pub fn policy(account: &str, canned: Option<&str>) -> AccessControlPolicy {
    let owner = owner(account);
    let mut grants = vec![Grant {
        grantee: Some(Grantee {
            id: owner.id.clone(),
            display_name: owner.display_name.clone(),
            r#type: "CanonicalUser".to_owned(),
            ..Grantee::default()
        }),
        permission: Some("FULL_CONTROL".to_owned()),
    }];
    match canned.unwrap_or("private") {
        "public-read" => grants.push(group(ALL_USERS, "READ")),
        "public-read-write" => {
            grants.push(group(ALL_USERS, "READ"));
            grants.push(group(ALL_USERS, "WRITE"));
        }
        "authenticated-read" => grants.push(group(AUTHENTICATED_USERS, "READ")),
        _ => {}
    }
    AccessControlPolicy {
        grants: Some(grants),
        owner: Some(owner),
    }
}

/// Canned ACLs S3 accepts.
pub fn is_canned(acl: &str) -> bool {
    matches!(
        acl,
        "private"
            | "public-read"
            | "public-read-write"
            | "authenticated-read"
            | "aws-exec-read"
            | "bucket-owner-read"
            | "bucket-owner-full-control"
            | "log-delivery-write"
    )
}
