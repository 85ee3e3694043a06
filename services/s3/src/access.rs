//! Who may touch a bucket or an object, as S3 decides with IAM: the bucket
//! policy and the ACLs S3 honours become one resource-based policy, which
//! the enforcement engine holds requests to (`--enforce-iam`, and unsigned
//! requests whenever signatures are verified), and which the website
//! endpoint asks about its anonymous browsers.
//!
//! ACLs, as the S3 user guide maps their permissions to actions: a bucket's
//! READ lists it, its WRITE puts and deletes objects in it, an object's READ
//! gets it. They count only while the bucket's ObjectOwnership allows ACLs
//! (not BucketOwnerEnforced, the default since 2023) and IgnorePublicAcls is
//! off. Under RestrictPublicBuckets a public bucket policy grants nothing
//! to callers outside the owner's account (its Deny statements still apply).

use std::sync::Arc;

use nimbus_core::authz::{Access, Denial, LazyKeys, Resource, ResourceRef};
use nimbus_core::{AwsError, RequestContext};
use nimbus_s3_api::{OwnershipControls, PublicAccessBlockConfiguration, Tag};
use serde_json::{Value as Json, json};

use crate::records::{self, BucketGlance, BucketRecord};
use crate::{S3, errors, policy};

/// The actions an ACL permission grants, per level.
const BUCKET_READ: &[&str] = &[
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:ListBucketMultipartUploads",
];
const BUCKET_WRITE: &[&str] = &["s3:PutObject", "s3:DeleteObject"];
/// The ACL read is the requested version's (the current one's without a
/// VersionId), so its READ grants reading that version.
const OBJECT_READ: &[&str] = &["s3:GetObject", "s3:GetObjectVersion"];

/// The grantee groups canned ACLs name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    AllUsers,
    AuthenticatedUsers,
}

/// The public grants of a canned ACL: (group, grants WRITE as well as READ).
fn public_grants(canned: Option<&str>) -> Option<(Group, bool)> {
    match canned? {
        "public-read" => Some((Group::AllUsers, false)),
        "public-read-write" => Some((Group::AllUsers, true)),
        "authenticated-read" => Some((Group::AuthenticatedUsers, false)),
        _ => None,
    }
}

/// The statement an ACL grant stands for. Any authenticated caller has a
/// principal type; the anonymous one has none.
fn grant_statement(group: Group, actions: Vec<&str>) -> Json {
    let mut statement = json!({"Effect": "Allow", "Principal": "*", "Action": actions, "Resource": "*"});
    if group == Group::AuthenticatedUsers {
        statement["Condition"] = json!({"Null": {"aws:PrincipalType": "false"}});
    }
    statement
}

/// What IAM decisions read of a bucket: from its full record, or from the
/// glance object requests keep decoded.
pub struct BucketAccess<'a> {
    pub account: &'a str,
    pub acl: Option<&'a str>,
    pub policy: Option<&'a str>,
    pub ownership: Option<&'a OwnershipControls>,
    pub public_access_block: Option<&'a PublicAccessBlockConfiguration>,
    pub tags: &'a [Tag],
}

impl<'a> From<&'a BucketRecord> for BucketAccess<'a> {
    fn from(bucket: &'a BucketRecord) -> Self {
        BucketAccess {
            account: &bucket.account,
            acl: bucket.acl.as_deref(),
            policy: bucket.policy.as_deref(),
            ownership: bucket.ownership.as_ref(),
            public_access_block: bucket.public_access_block.as_ref(),
            tags: bucket.tags.as_deref().unwrap_or_default(),
        }
    }
}

impl<'a> From<&'a BucketGlance> for BucketAccess<'a> {
    fn from(bucket: &'a BucketGlance) -> Self {
        BucketAccess {
            account: &bucket.account,
            acl: bucket.acl.as_deref(),
            policy: bucket.policy.as_deref(),
            ownership: bucket.ownership.as_ref(),
            public_access_block: bucket.public_access_block.as_ref(),
            tags: bucket.tags.as_deref().unwrap_or_default(),
        }
    }
}

/// Whether the bucket's ACLs (and its objects') grant anything.
pub fn acls_honoured(bucket: &BucketAccess<'_>) -> bool {
    let enforced = bucket
        .ownership
        .and_then(|controls| controls.rules.first())
        .is_some_and(|rule| rule.object_ownership == "BucketOwnerEnforced");
    let ignored = bucket
        .public_access_block
        .is_some_and(|block| block.ignore_public_acls == Some(true));
    !enforced && !ignored
}

/// The statements ACLs add: the bucket's, and the object's when the
/// request is about one (`object_acl` is `Some`).
fn acl_statements(bucket: &BucketAccess<'_>, object_acl: Option<Option<&str>>) -> Vec<Json> {
    if !acls_honoured(bucket) {
        return Vec::new();
    }
    let mut statements = Vec::new();
    if let Some((group, write)) = public_grants(bucket.acl) {
        let mut actions = BUCKET_READ.to_vec();
        if write {
            actions.extend(BUCKET_WRITE);
        }
        statements.push(grant_statement(group, actions));
    }
    if let Some((group, _)) = object_acl.and_then(public_grants) {
        statements.push(grant_statement(group, OBJECT_READ.to_vec()));
    }
    statements
}

/// The resource-based policy a request is held to: the bucket policy (its
/// Allow statements dropped for an outsider under RestrictPublicBuckets)
/// and the ACLs' grants. `None` when nothing speaks.
pub fn resource_policy(
    bucket: &BucketAccess<'_>,
    object_acl: Option<Option<&str>>,
    outsider: bool,
) -> Option<String> {
    let acl = acl_statements(bucket, object_acl);
    let restrict = outsider
        && bucket
            .public_access_block
            .is_some_and(|block| block.restrict_public_buckets == Some(true))
        && bucket.policy.is_some_and(policy::is_public);
    if acl.is_empty() && !restrict {
        return bucket.policy.map(str::to_owned);
    }
    let mut document = bucket
        .policy
        .and_then(|text| serde_json::from_str::<Json>(text).ok())
        .filter(Json::is_object)
        .unwrap_or_else(|| json!({"Version": "2012-10-17"}));
    let mut statements = match document.get_mut("Statement").map(Json::take) {
        Some(Json::Array(list)) => list,
        Some(single @ Json::Object(_)) => vec![single],
        _ => Vec::new(),
    };
    if restrict {
        statements.retain(|statement| statement.get("Effect").and_then(Json::as_str) != Some("Allow"));
    }
    statements.extend(acl);
    if statements.is_empty() {
        return None;
    }
    document["Statement"] = Json::Array(statements);
    Some(document.to_string())
}

/// AWS's refusal: the explained message for callers of the bucket owner's
/// account (the resource ARN quoted, as S3 writes it), the bare "Access
/// Denied" for anonymous and other accounts' callers.
pub fn access_denied(denial: &Denial) -> AwsError {
    let caller_account = denial.principal.split(':').nth(4);
    if caller_account != Some(denial.resource_account.as_str()) {
        return errors::access_denied();
    }
    let mut message = denial.message();
    let plain = format!(" on resource: {}", denial.resource);
    if denial.resource != "*" {
        message = message.replacen(&plain, &format!(" on resource: \"{}\"", denial.resource), 1);
    }
    crate::errors::access_denied_because(message)
}

impl S3 {
    /// The bucket or object an input names, with its owner and the policy
    /// (bucket policy and ACLs) that speaks for it.
    pub(crate) fn access_resource(
        &self,
        ctx: &RequestContext,
        named: ResourceRef<'_>,
    ) -> Result<Resource, AwsError> {
        let (bucket_name, key) = match named.kind {
            "object" => (named.qualifier.unwrap_or_default(), Some(named.value)),
            _ => (named.value, None),
        };
        let arn = match key {
            Some(key) => format!("arn:aws:s3:::{bucket_name}/{key}"),
            None => format!("arn:aws:s3:::{bucket_name}"),
        };
        let unowned = || Resource {
            arn: arn.clone(),
            account: ctx.account_id.clone(),
            policy: None,
            keys: Default::default(),
        };
        // A bucket yet to be created is the caller's (another account's
        // bucket of that name is CreateBucket's own error).
        if named.kind == "new-bucket" {
            return Ok(unowned());
        }
        // The glance, remembered until a bucket record is written: most
        // decisions open no transaction.
        let glance = self.bucket_facts.current(bucket_name, || {
            let txn = self.store.begin_read()?;
            let table = txn.open(&records::namespace()?)?;
            match self.bucket_facts.read(&table, bucket_name) {
                Ok(glance) => Ok(Some(glance)),
                Err(error) if error.code == "NoSuchBucket" => Ok(None),
                Err(error) => Err(error),
            }
        })?;
        let Some(glance) = glance else {
            return Ok(unowned());
        };
        let bucket = BucketAccess::from(glance.as_ref());
        let object_acl = match key {
            Some(key) if acls_honoured(&bucket) => Some(self.object_acl(bucket_name, key, named.detail)?),
            _ => None,
        };
        let outsider = ctx.access_key_id.is_none() || ctx.account_id != bucket.account;
        let keys = match key {
            Some(key) => self.object_tag_keys(bucket_name, key),
            None => bucket_tag_keys(&bucket),
        };
        Ok(Resource {
            policy: resource_policy(&bucket, object_acl.as_ref().map(Option::as_deref), outsider),
            arn,
            account: bucket.account.to_owned(),
            keys,
        })
    }

    /// The ACL of an object's version (the current one without a VersionId).
    fn object_acl(&self, bucket: &str, key: &str, version: Option<&str>) -> Result<Option<String>, AwsError> {
        let txn = self.store.begin_read()?;
        let table = txn.open(&records::namespace()?)?;
        let record = match version {
            Some(version) => {
                let versions = table.scan(&records::key_versions_prefix(bucket, key))?;
                records::find_version(versions, version)?.map(|(_, record)| record)
            }
            None => records::current(&table, bucket, key)?,
        };
        Ok(record.and_then(|o| o.acl))
    }

    /// `s3:ExistingObjectTag/<key>`: the current version's tags, read from
    /// the store only when a policy reads condition keys.
    fn object_tag_keys(&self, bucket: &str, key: &str) -> LazyKeys<'static> {
        let store = Arc::clone(&self.store);
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        LazyKeys::new(move || {
            let read = || -> Result<Vec<Tag>, AwsError> {
                let txn = store.begin_read()?;
                let table = txn.open(&records::namespace()?)?;
                Ok(records::current(&table, &bucket, &key)?
                    .map(|o| o.tags)
                    .unwrap_or_default())
            };
            let tags = read().unwrap_or_default();
            let pairs = tags.iter().map(|t| (t.key.as_str(), t.value.as_str()));
            LazyKeys::tags("s3:ExistingObjectTag/", pairs).read()
        })
    }
}

/// `aws:ResourceTag/<key>`: a bucket's tags.
fn bucket_tag_keys(bucket: &BucketAccess<'_>) -> LazyKeys<'static> {
    let pairs = bucket.tags.iter().map(|t| (t.key.as_str(), t.value.as_str()));
    LazyKeys::tags("aws:ResourceTag/", pairs)
}

impl S3 {
    /// Holds a handler's own question to IAM: `action` on an object.
    pub(crate) async fn authorize_object(
        &self,
        ctx: &RequestContext,
        action: &'static str,
        bucket: &str,
        (key, version): (&str, Option<&str>),
    ) -> Result<(), AwsError> {
        let named = ResourceRef {
            kind: "object",
            value: key,
            qualifier: Some(bucket),
            detail: version,
        };
        self.authorize_named(ctx, action, named).await
    }

    /// A missing key is NoSuchKey only to callers who may list the bucket
    /// (s3:ListBucket); to others S3 answers AccessDenied, so keys cannot
    /// be probed.
    pub(crate) async fn hide_missing_key(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        error: AwsError,
    ) -> AwsError {
        if error.code != "NoSuchKey" || ctx.enforcement.0.is_none() {
            return error;
        }
        let named = ResourceRef {
            kind: "bucket",
            value: bucket,
            qualifier: None,
            detail: None,
        };
        match self.authorize_named(ctx, "s3:ListBucket", named).await {
            Ok(()) => error,
            Err(refused) => refused,
        }
    }

    /// Holds a handler's own question to IAM: `action` on what `named` names.
    async fn authorize_named(
        &self,
        ctx: &RequestContext,
        action: &'static str,
        named: ResourceRef<'_>,
    ) -> Result<(), AwsError> {
        if ctx.enforcement.0.is_none() {
            return Ok(());
        }
        let access = Access {
            action,
            resources: vec![self.access_resource(ctx, named)?],
            keys: Vec::new(),
            input_keys: Default::default(),
        };
        ctx.enforcement
            .check(ctx, &access)
            .await
            .map_err(|denial| access_denied(&denial))
    }

    /// A copy's source must be readable by the caller (s3:GetObject, or
    /// s3:GetObjectVersion for a version).
    pub(crate) async fn authorize_copy_source(
        &self,
        ctx: &RequestContext,
        header: &str,
    ) -> Result<(), AwsError> {
        if ctx.enforcement.0.is_none() {
            return Ok(());
        }
        let source = crate::copy::parse_copy_source(header)?;
        let action = match source.version_id {
            Some(_) => "s3:GetObjectVersion",
            None => "s3:GetObject",
        };
        self.authorize_object(
            ctx,
            action,
            &source.bucket,
            (&source.key, source.version_id.as_deref()),
        )
        .await
    }

    /// DeleteObjects asks s3:DeleteObject (or s3:DeleteObjectVersion) key
    /// by key: the keys refused are taken out of the request and answered
    /// as AccessDenied errors, as S3 answers them.
    pub(crate) async fn take_refused_deletions(
        &self,
        ctx: &RequestContext,
        input: &mut nimbus_s3_api::DeleteObjectsRequest,
    ) -> Result<Vec<nimbus_s3_api::Error>, AwsError> {
        if ctx.enforcement.0.is_none() {
            return Ok(Vec::new());
        }
        let mut refused = Vec::new();
        let mut allowed = Vec::new();
        for object in std::mem::take(&mut input.delete.objects) {
            let action = match object.version_id {
                Some(_) => "s3:DeleteObjectVersion",
                None => "s3:DeleteObject",
            };
            match self
                .authorize_object(
                    ctx,
                    action,
                    &input.bucket,
                    (&object.key, object.version_id.as_deref()),
                )
                .await
            {
                Ok(()) => allowed.push(object),
                Err(error) if error.code == "AccessDenied" => refused.push(nimbus_s3_api::Error {
                    key: Some(object.key),
                    version_id: object.version_id,
                    code: Some("AccessDenied".to_owned()),
                    message: Some(error.message),
                }),
                Err(error) => return Err(error),
            }
        }
        input.delete.objects = allowed;
        Ok(refused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_s3_api::OwnershipControlsRule;

    fn bucket(ownership: &str, acl: Option<&str>, policy: Option<&str>) -> BucketRecord {
        BucketRecord {
            name: "b".to_owned(),
            account: "111111111111".to_owned(),
            acl: acl.map(str::to_owned),
            policy: policy.map(str::to_owned),
            ownership: Some(OwnershipControls {
                rules: vec![OwnershipControlsRule {
                    object_ownership: ownership.to_owned(),
                }],
            }),
            ..Default::default()
        }
    }

    const PUBLIC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}]}"#;

    #[test]
    fn a_bucket_policy_alone_is_passed_through_verbatim() {
        let b = bucket("BucketOwnerEnforced", Some("public-read"), Some(PUBLIC));
        assert_eq!(
            resource_policy(&(&b).into(), Some(Some("public-read")), true).as_deref(),
            Some(PUBLIC)
        );
        assert_eq!(
            resource_policy(&(&bucket("ObjectWriter", None, None)).into(), None, true),
            None
        );
    }

    #[test]
    fn honoured_acls_become_statements() {
        let b = bucket("ObjectWriter", Some("public-read-write"), None);
        let text = resource_policy(&(&b).into(), Some(Some("authenticated-read")), true).expect("a policy");
        let document: Json = serde_json::from_str(&text).expect("json");
        let statements = document["Statement"].as_array().expect("statements");
        assert_eq!(statements.len(), 2);
        assert!(
            statements[0]["Action"]
                .as_array()
                .unwrap()
                .contains(&json!("s3:PutObject"))
        );
        assert_eq!(
            statements[1]["Condition"],
            json!({"Null": {"aws:PrincipalType": "false"}})
        );
    }

    #[test]
    fn ignore_public_acls_and_restrict_public_buckets_take_grants_away() {
        let mut b = bucket("ObjectWriter", Some("public-read"), Some(PUBLIC));
        b.public_access_block = Some(PublicAccessBlockConfiguration {
            ignore_public_acls: Some(true),
            restrict_public_buckets: Some(true),
            ..Default::default()
        });
        let text = resource_policy(&(&b).into(), None, true).expect("the deny stays");
        assert!(!text.contains("\"Allow\""), "{text}");
        assert!(text.contains("s3:DeleteObject"), "{text}");
        assert_eq!(
            resource_policy(&(&b).into(), None, false).as_deref(),
            Some(PUBLIC)
        );
    }

    #[test]
    fn refusals_explain_themselves_to_the_owner_account_only() {
        let denial = Denial {
            principal: "arn:aws:iam::111111111111:user/alice".to_owned(),
            action: "s3:GetObject".to_owned(),
            resource: "arn:aws:s3:::b/k".to_owned(),
            resource_account: "111111111111".to_owned(),
            explicit: false,
            policy_type: "identity-based policy",
        };
        assert_eq!(
            access_denied(&denial).message,
            "User: arn:aws:iam::111111111111:user/alice is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::b/k\" because no identity-based policy allows the s3:GetObject action"
        );
        let outsider = Denial {
            resource_account: "222222222222".to_owned(),
            ..denial.clone()
        };
        assert_eq!(access_denied(&outsider).message, "Access Denied");
        let anonymous = Denial {
            principal: "anonymous".to_owned(),
            ..denial
        };
        assert_eq!(access_denied(&anonymous).message, "Access Denied");
    }
}
