//! Owners and access control lists: S3 answers ACL calls from the canned
//! ACL a bucket or object was given. ACLs grant anonymous reads on the
//! website endpoint only (see `website`); REST API calls are not checked.
//!
//! Requests that set ACLs are refused as S3 refuses them, in its order:
//! ACLs disabled by BucketOwnerEnforced (400 AccessControlListNotSupported,
//! unless the ACL only gives the owner full control), then public ACLs
//! while BlockPublicAcls is on (403 AccessDenied).

use nimbus_core::AwsError;
use sha2::{Digest, Sha256};

use crate::checksums::hex;
use crate::errors;
use crate::records::BucketRecord;
use nimbus_s3_api::{AccessControlPolicy, Grant, Grantee, Owner};

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

/// What a request says about the ACL it sets: a canned ACL (`x-amz-acl`),
/// grant headers (`x-amz-grant-*`) and an AccessControlPolicy document.
#[derive(Default)]
pub struct AclRequest<'a> {
    pub canned: Option<&'a str>,
    /// The values of the grant headers present.
    pub grant_headers: Vec<&'a str>,
    pub policy: Option<&'a AccessControlPolicy>,
}

impl<'a> AclRequest<'a> {
    /// A request's canned ACL and grant headers (those it has).
    pub fn new<const N: usize>(canned: &'a Option<String>, grant_headers: [&'a Option<String>; N]) -> Self {
        AclRequest {
            canned: canned.as_deref(),
            grant_headers: grant_headers.into_iter().filter_map(|h| h.as_deref()).collect(),
            policy: None,
        }
    }

    pub fn with_policy(mut self, policy: Option<&'a AccessControlPolicy>) -> Self {
        self.policy = policy;
        self
    }

    /// Whether the request sets an ACL at all.
    pub fn sets_acl(&self) -> bool {
        self.canned.is_some() || !self.grant_headers.is_empty() || self.policy.is_some()
    }

    fn policy_grants(&self) -> &'a [Grant] {
        self.policy.and_then(|p| p.grants.as_deref()).unwrap_or_default()
    }
}

/// CreateBucket with an ACL that grants anyone but the owner, for a bucket
/// whose ObjectOwnership (BucketOwnerEnforced unless given) disables ACLs.
pub fn check_create_bucket_acl(
    request: &AclRequest<'_>,
    object_ownership: Option<&str>,
) -> Result<(), AwsError> {
    let enforced = object_ownership.is_none_or(|ownership| ownership == "BucketOwnerEnforced");
    let grants_others = !matches!(
        request.canned,
        None | Some("private" | "bucket-owner-full-control")
    ) || !request.grant_headers.is_empty();
    if enforced && grants_others {
        return Err(errors::invalid_bucket_acl_with_object_ownership(
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
        ));
    }
    Ok(())
}

/// Refuses the ACL a request sets when `bucket` does not take it.
pub fn check_acl_request(bucket: &BucketRecord, request: &AclRequest<'_>) -> Result<(), AwsError> {
    let grants = request.policy_grants();
    let acls_disabled = bucket
        .ownership
        .as_ref()
        .and_then(|controls| controls.rules.first())
        .is_some_and(|rule| rule.object_ownership == "BucketOwnerEnforced");
    if acls_disabled {
        let owner_id = owner(&bucket.account).id;
        let owner_only = matches!(request.canned, None | Some("bucket-owner-full-control"))
            && request.grant_headers.is_empty()
            && grants.iter().all(|grant| {
                grant.permission.as_deref() == Some("FULL_CONTROL")
                    && grant.grantee.as_ref().and_then(|g| g.id.as_ref()) == owner_id.as_ref()
            });
        if !owner_only {
            return Err(errors::access_control_list_not_supported(
                "The bucket does not allow ACLs",
            ));
        }
    }
    let block_public_acls = bucket
        .public_access_block
        .as_ref()
        .is_some_and(|block| block.block_public_acls == Some(true));
    let public_canned = matches!(
        request.canned,
        Some("public-read" | "public-read-write" | "authenticated-read")
    );
    let names_public_group =
        |grantee: &str| grantee.contains(ALL_USERS) || grantee.contains(AUTHENTICATED_USERS);
    let public_grant = request.grant_headers.iter().any(|h| names_public_group(h))
        || grants.iter().any(|grant| {
            grant
                .grantee
                .as_ref()
                .and_then(|g| g.uri.as_deref())
                .is_some_and(names_public_group)
        });
    if block_public_acls && (public_canned || public_grant) {
        return Err(errors::access_denied());
    }
    Ok(())
}

impl crate::S3 {
    /// Refuses a request that sets an ACL `bucket` does not take (a request
    /// setting none is not checked, nor is the bucket read for it).
    pub(crate) fn check_acl(&self, bucket: &str, request: AclRequest<'_>) -> Result<(), AwsError> {
        if !request.sets_acl() {
            return Ok(());
        }
        check_acl_request(&self.load_bucket(bucket)?, &request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_s3_api::{OwnershipControls, OwnershipControlsRule, PublicAccessBlockConfiguration};

    /// A request with a canned ACL and grant headers, by member name.
    fn request<'a>(members: &[(&str, &'a str)]) -> AclRequest<'a> {
        let find = |name: &str| members.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        AclRequest {
            canned: find("ACL"),
            grant_headers: members
                .iter()
                .filter(|(name, _)| name.starts_with("Grant"))
                .map(|(_, value)| *value)
                .collect(),
            policy: None,
        }
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
            let ownership = members
                .iter()
                .find(|(n, _)| *n == "ObjectOwnership")
                .map(|(_, v)| *v);
            check_create_bucket_acl(&request(members), ownership)
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
        assert!(request(&[("ACL", "private")]).sets_acl());
        assert!(request(&[("GrantRead", "id=\"x\"")]).sets_acl());
        assert!(!request(&[]).sets_acl());
        let policy = AccessControlPolicy::default();
        assert!(request(&[]).with_policy(Some(&policy)).sets_acl());
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
