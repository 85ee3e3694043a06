//! Owners and access control lists: S3 answers ACL calls from the canned
//! ACL a bucket or object was given. ACLs grant anonymous reads on the
//! website endpoint only (see `website`); REST API calls are not checked.
//!
//! Requests that set ACLs are refused as S3 refuses them, in its order:
//! ACLs disabled by BucketOwnerEnforced (400 AccessControlListNotSupported,
//! unless the ACL only gives the owner full control), then public ACLs
//! while BlockPublicAcls is on (403 AccessDenied).

use nimbus_core::{AwsError, Value};
use sha2::{Digest, Sha256};

use crate::checksums::hex;
use crate::errors;
use crate::generated::{AccessControlPolicy, Grant, Grantee, Owner};
use crate::records::BucketRecord;

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

/// Operations whose request may set an ACL.
const SETS_ACL: &[&str] = &[
    "PutObject",
    "CopyObject",
    "CreateMultipartUpload",
    "PutObjectAcl",
    "PutBucketAcl",
];

/// Grant headers (x-amz-grant-*), as request members.
const GRANT_MEMBERS: &[&str] = &[
    "GrantFullControl",
    "GrantRead",
    "GrantReadACP",
    "GrantWrite",
    "GrantWriteACP",
];

/// The bucket a request that sets an ACL writes to, if it sets one.
pub fn acl_target<'a>(operation: &str, input: &'a Value) -> Option<&'a str> {
    if !SETS_ACL.contains(&operation) {
        return None;
    }
    let sets_acl = ["ACL", "AccessControlPolicy"]
        .iter()
        .chain(GRANT_MEMBERS)
        .any(|member| input.get(member).is_some());
    sets_acl
        .then(|| input.get("Bucket").and_then(Value::as_str))
        .flatten()
}

/// CreateBucket with an ACL that grants anyone but the owner, for a bucket
/// whose ObjectOwnership (BucketOwnerEnforced unless given) disables ACLs.
pub fn check_create_bucket_acl(input: &Value) -> Result<(), AwsError> {
    let text = |member: &str| input.get(member).and_then(Value::as_str);
    let enforced = text("ObjectOwnership").is_none_or(|ownership| ownership == "BucketOwnerEnforced");
    let grants_others = !matches!(text("ACL"), None | Some("private" | "bucket-owner-full-control"))
        || GRANT_MEMBERS.iter().any(|member| input.get(member).is_some());
    if enforced && grants_others {
        return Err(AwsError::new(
            "InvalidBucketAclWithObjectOwnership",
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
            400,
        ));
    }
    Ok(())
}

/// Refuses the ACL a request sets when `bucket` does not take it.
pub fn check_acl_request(bucket: &BucketRecord, input: &Value) -> Result<(), AwsError> {
    let text = |member: &str| input.get(member).and_then(Value::as_str);
    let grants = input
        .get("AccessControlPolicy")
        .and_then(|policy| policy.get("Grants"))
        .and_then(Value::as_list)
        .unwrap_or_default();
    let acls_disabled = bucket
        .ownership
        .as_ref()
        .and_then(|controls| controls.rules.first())
        .is_some_and(|rule| rule.object_ownership == "BucketOwnerEnforced");
    if acls_disabled {
        let owner_id = owner(&bucket.account).id.unwrap_or_default();
        let owner_only = matches!(text("ACL"), None | Some("bucket-owner-full-control"))
            && GRANT_MEMBERS.iter().all(|member| input.get(member).is_none())
            && grants.iter().all(|grant| {
                grant.get("Permission").and_then(Value::as_str) == Some("FULL_CONTROL")
                    && grant
                        .get("Grantee")
                        .and_then(|g| g.get("ID"))
                        .and_then(Value::as_str)
                        == Some(owner_id.as_str())
            });
        if !owner_only {
            return Err(AwsError::new(
                "AccessControlListNotSupported",
                "The bucket does not allow ACLs",
                400,
            ));
        }
    }
    let block_public_acls = bucket
        .public_access_block
        .as_ref()
        .is_some_and(|block| block.block_public_acls == Some(true));
    let public_canned = matches!(
        text("ACL"),
        Some("public-read" | "public-read-write" | "authenticated-read")
    );
    let names_public_group =
        |grantee: &str| grantee.contains(ALL_USERS) || grantee.contains(AUTHENTICATED_USERS);
    let public_grant = GRANT_MEMBERS
        .iter()
        .filter_map(|member| text(member))
        .any(names_public_group)
        || grants.iter().any(|grant| {
            grant
                .get("Grantee")
                .and_then(|g| g.get("URI"))
                .and_then(Value::as_str)
                .is_some_and(names_public_group)
        });
    if block_public_acls && (public_canned || public_grant) {
        return Err(errors::access_denied());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use nimbus_core::Value;

    use super::*;
    use crate::generated::{OwnershipControls, OwnershipControlsRule, PublicAccessBlockConfiguration};

    fn request(members: &[(&str, &str)]) -> Value {
        let mut map = indexmap::IndexMap::new();
        map.insert("Bucket".to_owned(), Value::String("b".to_owned()));
        for (name, value) in members {
            map.insert((*name).to_owned(), Value::String((*value).to_owned()));
        }
        Value::Structure(map)
    }

    fn bucket(ownership: &str, block_public_acls: bool) -> BucketRecord {
        BucketRecord {
            account: "123456789012".to_owned(),
            ownership: Some(OwnershipControls {
                rules: vec![OwnershipControlsRule {
                    object_ownership: ownership.to_owned(),
                }],
            }),
            public_access_block: Some(PublicAccessBlockConfiguration {
                block_public_acls: Some(block_public_acls),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn code(bucket: &BucketRecord, members: &[(&str, &str)]) -> Option<String> {
        check_acl_request(bucket, &request(members))
            .err()
            .map(|e| e.code.to_string())
    }

    #[test]
    fn new_buckets_without_acls_refuse_granting_ones() {
        let code = |members: &[(&str, &str)]| {
            check_create_bucket_acl(&request(members))
                .err()
                .map(|e| e.code.to_string())
        };
        let invalid = Some("InvalidBucketAclWithObjectOwnership".to_owned());
        assert_eq!(code(&[("ACL", "public-read")]), invalid);
        assert_eq!(
            code(&[
                ("ACL", "log-delivery-write"),
                ("ObjectOwnership", "BucketOwnerEnforced")
            ]),
            invalid
        );
        assert_eq!(code(&[("GrantRead", "id=\"x\"")]), invalid);
        assert_eq!(code(&[("ACL", "private")]), None);
        assert_eq!(code(&[]), None);
        assert_eq!(
            code(&[("ACL", "public-read"), ("ObjectOwnership", "ObjectWriter")]),
            None
        );
    }

    #[test]
    fn only_requests_setting_acls_are_checked() {
        assert_eq!(
            acl_target("PutObject", &request(&[("ACL", "private")])),
            Some("b")
        );
        assert_eq!(acl_target("PutObject", &request(&[])), None);
        assert_eq!(acl_target("GetObject", &request(&[("ACL", "private")])), None);
    }

    #[test]
    fn owner_enforced_comes_before_the_public_block() {
        let enforced = bucket("BucketOwnerEnforced", true);
        let not_supported = Some("AccessControlListNotSupported".to_owned());
        assert_eq!(code(&enforced, &[("ACL", "public-read")]), not_supported);
        assert_eq!(code(&enforced, &[("GrantRead", "id=\"x\"")]), not_supported);
        assert_eq!(code(&enforced, &[("ACL", "bucket-owner-full-control")]), None);
        let writer = bucket("ObjectWriter", true);
        let denied = Some("AccessDenied".to_owned());
        for acl in ["public-read", "public-read-write", "authenticated-read"] {
            assert_eq!(code(&writer, &[("ACL", acl)]), denied, "{acl}");
        }
        assert_eq!(
            code(&writer, &[("GrantRead", &format!("uri=\"{ALL_USERS}\""))]),
            denied
        );
        assert_eq!(code(&writer, &[("ACL", "private")]), None);
        assert_eq!(
            code(&bucket("ObjectWriter", false), &[("ACL", "public-read")]),
            None
        );
    }
}
