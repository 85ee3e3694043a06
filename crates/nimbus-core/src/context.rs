//! What a service knows about the request it is handling.

use std::sync::Arc;

use crate::authz::Enforcement;

/// Per-request facts the gateway established before calling a service.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The id returned in `x-amzn-RequestId` / `x-amz-request-id`.
    pub request_id: String,
    /// The 12-digit account the caller acts in (from the access key).
    pub account_id: String,
    /// The region from the SigV4 credential scope, or the server default.
    pub region: String,
    /// The access key id the request was signed with, if it was signed.
    pub access_key_id: Option<String>,
    /// The model name of the service, e.g. `sts`, `s3`.
    pub service: &'static str,
    /// The operation name as the model spells it, e.g. `GetCallerIdentity`.
    pub operation: String,
    /// The `Host` header as the client sent it (for URLs such as SQS queue URLs).
    pub host: String,
    /// The authorizer the call is held to (none unless IAM is enforced).
    pub enforcement: crate::authz::Enforcement,
    /// The caller's address (`aws:SourceIp`); none for internal calls.
    pub source_ip: Option<std::net::IpAddr>,
    /// The service principal the call is made as, when a service acts on
    /// its own for one of its resources (S3 invoking a function for a
    /// bucket's notification); none for callers with credentials.
    pub service_caller: Option<Arc<ServiceCaller>>,
}

/// A service acting as its principal (`s3.amazonaws.com`) for one of its
/// resources: resource policies must let it in, by `aws:SourceArn` and
/// `aws:SourceAccount` when they say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCaller {
    pub principal: &'static str,
    /// The resource it acts for (the bucket, the topic).
    pub source_arn: String,
    /// The account that owns that resource.
    pub source_account: String,
}

/// The calls a service makes as its service principal, held to IAM's
/// policies when IAM is enforced (the authorizer given at start).
#[derive(Clone)]
pub struct ServicePrincipal {
    principal: &'static str,
    enforcement: Enforcement,
}

impl ServicePrincipal {
    pub fn new(principal: &'static str, enforcement: Enforcement) -> Self {
        ServicePrincipal {
            principal,
            enforcement,
        }
    }

    /// The context of `service`'s `operation` on a resource of `account` in
    /// `region`, called for `source_arn` (owned by `source_account`).
    pub fn call(
        &self,
        (service, operation): (&'static str, &str),
        (account, region): (&str, &str),
        source_arn: &str,
        source_account: &str,
    ) -> RequestContext {
        let mut ctx = RequestContext::internal(service, operation, account, region);
        ctx.enforcement = self.enforcement.clone();
        ctx.service_caller = Some(Arc::new(ServiceCaller {
            principal: self.principal,
            source_arn: source_arn.to_owned(),
            source_account: source_account.to_owned(),
        }));
        ctx
    }
}

impl Default for ServicePrincipal {
    /// Not enforced: the principal's calls pass as internal ones.
    fn default() -> Self {
        ServicePrincipal::new("", Enforcement::default())
    }
}

impl RequestContext {
    /// The context of a call one service makes to another on its own (an
    /// event delivery): a fresh request id, no access key and no host.
    pub fn internal(service: &'static str, operation: &str, account_id: &str, region: &str) -> Self {
        let request_id = uuid::Uuid::new_v4().to_string();
        Self::internal_with_id(service, operation, account_id, region, request_id)
    }

    /// [`internal`](Self::internal), for work that already has a request id.
    pub fn internal_with_id(
        service: &'static str,
        operation: &str,
        account_id: &str,
        region: &str,
        request_id: String,
    ) -> Self {
        RequestContext {
            request_id,
            account_id: account_id.to_owned(),
            region: region.to_owned(),
            access_key_id: None,
            service,
            operation: operation.to_owned(),
            host: String::new(),
            enforcement: Enforcement::default(),
            source_ip: None,
            service_caller: None,
        }
    }

    /// A context for tests.
    pub fn for_tests(service: &'static str, operation: &str) -> Self {
        RequestContext {
            request_id: "00000000-0000-0000-0000-000000000000".to_owned(),
            account_id: crate::account::DEFAULT_ACCOUNT_ID.to_owned(),
            region: "us-east-1".to_owned(),
            access_key_id: Some("test".to_owned()),
            service,
            operation: operation.to_owned(),
            host: "127.0.0.1:4566".to_owned(),
            enforcement: Enforcement::default(),
            source_ip: None,
            service_caller: None,
        }
    }
}
