//! The static website endpoint's rules: which object a website request is
//! answered with, or where it is redirected.
//!
//! The API crate's website endpoint asks [`nimbus_s3_api::S3Browser::website_route`]
//! and gets a redirect or the key to serve; it then fetches a served key
//! through GetObject/HeadObject, so object bodies take GetObject's response
//! path. Errors are S3's (NoSuchBucket, NoSuchWebsiteConfiguration,
//! NoSuchKey), which it renders as the website endpoint's HTML pages.
//!
//! Order, as S3 applies it: RedirectAllRequestsTo; routing rules without an
//! error-code condition; the key (index document for `/` and keys ending in
//! `/`); an object's website redirect location; `dir` → `dir/` when
//! `dir/<index>` exists; routing rules on the 404; the error document.
//!
//! Access, as S3 checks it for the anonymous browser: an object (or its
//! redirect location) is served only when anonymous `s3:GetObject` is
//! allowed, by a public bucket policy (unless RestrictPublicBuckets) or a
//! public-read object ACL (unless IgnorePublicAcls or BucketOwnerEnforced);
//! an explicit Deny wins. Otherwise 403 AccessDenied. A missing key is 404
//! only when anonymous `s3:ListBucket` is allowed (policy, or public-read
//! bucket ACL); otherwise S3 hides it behind the same 403. The error
//! document answers either error when it is itself readable, under the
//! error's status. RedirectAllRequestsTo and routing rules need no access.

use nimbus_core::AwsError;
use nimbus_s3_api::browser::{WebsiteAnswer, WebsiteRequest};
use nimbus_s3_api::{RoutingRule, WebsiteConfiguration};
use nimbus_store::TableRef;

use nimbus_policy::{Context, Decision, Policies, Policy, PolicyKind, Principal, Request, authorize};

use crate::access;
use crate::records::{BucketRecord, ObjectRecord};
use crate::{S3, errors, records};

/// The status S3 answers a missing key with, as routing rules compare it.
const NOT_FOUND: &str = "404";
/// The status S3 answers a request it refuses with.
const FORBIDDEN: &str = "403";

impl S3 {
    pub(crate) fn website_route(&self, query: &WebsiteRequest) -> Result<WebsiteAnswer, AwsError> {
        let txn = self.store.begin_read()?;
        let table = txn.open(&records::namespace()?)?;
        let bucket = records::bucket(&table, &query.bucket)?;
        let website = bucket.website.as_ref().ok_or_else(|| {
            errors::no_such_website_configuration(
                "The specified bucket does not have a website configuration",
            )
            .with_field("BucketName", query.bucket.clone())
        })?;
        let site = Site {
            table: &table,
            bucket: &query.bucket,
            host: &query.host,
            config: website,
            access: PublicAccess::of(&bucket),
        };
        site.answer(&query.key)
    }
}

/// One bucket's website, read inside one transaction.
struct Site<'a> {
    table: &'a TableRef,
    bucket: &'a str,
    host: &'a str,
    config: &'a WebsiteConfiguration,
    access: PublicAccess<'a>,
}

/// What lets an anonymous caller into a bucket: its policy and ACLs, as
/// its public access block and object ownership leave them, decided by
/// the IAM engine (see [`crate::access`]).
struct PublicAccess<'a> {
    bucket: &'a BucketRecord,
}

impl<'a> PublicAccess<'a> {
    fn of(bucket: &'a BucketRecord) -> Self {
        PublicAccess { bucket }
    }

    /// Whether the anonymous browser may do `action` on `resource`;
    /// `object_acl` when the resource is an object.
    fn allows(&self, action: &str, resource: &str, object_acl: Option<Option<&str>>) -> bool {
        let Some(text) = access::resource_policy(&access::BucketAccess::from(self.bucket), object_acl, true)
        else {
            return false;
        };
        let Ok(policy) = Policy::parse(&text, PolicyKind::Resource) else {
            return false;
        };
        let mut context = Context::new();
        context.set("aws:SecureTransport", "false");
        let principal = Principal::anonymous();
        let request = Request {
            principal: &principal,
            action,
            resource,
            context: &context,
        };
        let policies = Policies {
            identity: &[],
            resource: Some(&policy),
            resource_account: Some(&self.bucket.account),
            resource_must_allow: false,
            boundary: None,
            session: &[],
            scps: &[],
        };
        authorize(&request, &policies) == Decision::Allow
    }

    fn can_read(&self, object: &ObjectRecord) -> bool {
        let resource = format!("arn:aws:s3:::{}/{}", self.bucket.name, object.key);
        self.allows("s3:GetObject", &resource, Some(object.acl.as_deref()))
    }

    fn can_list(&self) -> bool {
        let resource = format!("arn:aws:s3:::{}", self.bucket.name);
        self.allows("s3:ListBucket", &resource, None)
    }
}

impl Site<'_> {
    fn answer(&self, key: &str) -> Result<WebsiteAnswer, AwsError> {
        if let Some(target) = &self.config.redirect_all_requests_to {
            let protocol = target.protocol.as_deref().unwrap_or("http");
            return Ok(WebsiteAnswer::Redirect {
                location: format!("{protocol}://{}/{key}", target.host_name),
                status: 301,
            });
        }
        if let Some(rule) = self.matching_rule(key, None) {
            return Ok(self.redirect(rule, key));
        }
        let index = self.config.index_document.as_ref().map(|doc| doc.suffix.as_str());
        let object_key = match index {
            Some(suffix) if key.is_empty() || key.ends_with('/') => format!("{key}{suffix}"),
            _ => key.to_owned(),
        };
        if let Some(object) = self.object(&object_key)? {
            if !self.access.can_read(&object) {
                return self.refuse(key);
            }
            if let Some(location) = object.website_redirect_location {
                return Ok(WebsiteAnswer::Redirect {
                    location,
                    status: 301,
                });
            }
            return Ok(WebsiteAnswer::Serve {
                key: object_key,
                status: 200,
            });
        }
        // `/dir` names the folder when `dir/<index>` exists.
        if let Some(suffix) = index
            && !key.is_empty()
            && !key.ends_with('/')
            && self.object(&format!("{key}/{suffix}"))?.is_some()
        {
            return Ok(WebsiteAnswer::Redirect {
                location: format!("/{key}/"),
                status: 302,
            });
        }
        // Without ListBucket a missing key is indistinguishable from a refused one.
        if !self.access.can_list() {
            return self.refuse(key);
        }
        if let Some(rule) = self.matching_rule(key, Some(NOT_FOUND)) {
            return Ok(self.redirect(rule, key));
        }
        self.error_document(errors::no_such_key(&object_key))
    }

    /// 403 AccessDenied, unless a routing rule on 403 redirects.
    fn refuse(&self, key: &str) -> Result<WebsiteAnswer, AwsError> {
        if let Some(rule) = self.matching_rule(key, Some(FORBIDDEN)) {
            return Ok(self.redirect(rule, key));
        }
        self.error_document(errors::access_denied())
    }

    /// The error document under `error`'s status when it is readable;
    /// otherwise `error`, whose page then also tells why the document
    /// could not be served.
    fn error_document(&self, error: AwsError) -> Result<WebsiteAnswer, AwsError> {
        let Some(document) = &self.config.error_document else {
            return Err(error);
        };
        let (code, message) = match self.object(&document.key)? {
            Some(object) if self.access.can_read(&object) => {
                return Ok(WebsiteAnswer::Serve {
                    key: document.key.clone(),
                    status: error.status,
                });
            }
            None if self.access.can_list() => ("NoSuchKey", "The specified key does not exist."),
            _ => ("AccessDenied", "Access Denied"),
        };
        Err(error
            .with_field("ErrorDocumentKey", document.key.clone())
            .with_field("ErrorDocumentCode", code)
            .with_field("ErrorDocumentMessage", message))
    }

    /// The current version of `key`, unless absent or a delete marker.
    fn object(&self, key: &str) -> Result<Option<ObjectRecord>, AwsError> {
        Ok(records::current(self.table, self.bucket, key)?.filter(|object| !object.delete_marker))
    }

    /// The first routing rule whose condition holds: its key prefix (if any)
    /// starts the key, and its error code (if any) is `error_code`. Before
    /// the lookup (`error_code` None) rules with an error code never match.
    fn matching_rule(&self, key: &str, error_code: Option<&str>) -> Option<&RoutingRule> {
        self.config.routing_rules.iter().flatten().find(|rule| {
            let condition = rule.condition.as_ref();
            let prefix_holds = condition
                .and_then(|c| c.key_prefix_equals.as_deref())
                .is_none_or(|prefix| key.starts_with(prefix));
            let code_holds = match condition.and_then(|c| c.http_error_code_returned_equals.as_deref()) {
                None => true,
                Some(code) => error_code == Some(code),
            };
            prefix_holds && code_holds
        })
    }

    fn redirect(&self, rule: &RoutingRule, key: &str) -> WebsiteAnswer {
        let redirect = &rule.redirect;
        let protocol = redirect.protocol.as_deref().unwrap_or("http");
        let host = redirect.host_name.as_deref().unwrap_or(self.host);
        let path = match (&redirect.replace_key_with, &redirect.replace_key_prefix_with) {
            (Some(replacement), _) => replacement.clone(),
            (None, Some(new_prefix)) => {
                let old_prefix = rule
                    .condition
                    .as_ref()
                    .and_then(|c| c.key_prefix_equals.as_deref())
                    .unwrap_or("");
                let rest = key.strip_prefix(old_prefix).unwrap_or(key);
                format!("{new_prefix}{rest}")
            }
            (None, None) => key.to_owned(),
        };
        let status = redirect
            .http_redirect_code
            .as_deref()
            .and_then(|code| code.parse().ok())
            .unwrap_or(301);
        WebsiteAnswer::Redirect {
            location: format!("{protocol}://{host}/{path}"),
            status,
        }
    }
}
