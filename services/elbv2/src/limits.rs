//! Account limits and the TLS security policies ELB offers (as DescribeSSLPolicies names them).

use nimbus_core::{AwsError, RequestContext};
use nimbus_elbv2_api::*;

use crate::{Elbv2, paging};

const LIMITS: &[(&str, &str)] = &[
    ("application-load-balancers", "50"),
    ("listeners-per-application-load-balancer", "50"),
    ("listeners-per-network-load-balancer", "50"),
    ("network-load-balancers", "50"),
    ("rules-per-application-load-balancer", "100"),
    ("target-groups", "3000"),
    ("targets-per-application-load-balancer", "1000"),
    ("targets-per-availability-zone-per-network-load-balancer", "500"),
    ("targets-per-network-load-balancer", "3000"),
];

const POLICIES: &[(&str, &[&str])] = &[
    ("ELBSecurityPolicy-2016-08", &["TLSv1", "TLSv1.1", "TLSv1.2"]),
    ("ELBSecurityPolicy-TLS13-1-2-2021-06", &["TLSv1.2", "TLSv1.3"]),
    ("ELBSecurityPolicy-TLS13-1-2-Res-2021-06", &["TLSv1.2", "TLSv1.3"]),
    ("ELBSecurityPolicy-TLS13-1-3-2021-06", &["TLSv1.3"]),
    ("ELBSecurityPolicy-TLS-1-2-2017-01", &["TLSv1.2"]),
    ("ELBSecurityPolicy-FS-1-2-Res-2020-10", &["TLSv1.2"]),
];

impl Elbv2 {
    pub(crate) async fn describe_account_limits(
        &self,
        _ctx: &RequestContext,
        input: DescribeAccountLimitsInput,
    ) -> Result<DescribeAccountLimitsOutput, AwsError> {
        let limits = LIMITS
            .iter()
            .map(|(name, max)| Limit {
                name: Some((*name).to_owned()),
                max: Some((*max).to_owned()),
            })
            .collect();
        let (limits, next_marker) = paging::page(limits, input.marker.as_deref(), input.page_size)?;
        Ok(DescribeAccountLimitsOutput {
            limits: Some(limits),
            next_marker,
        })
    }

    pub(crate) async fn describe_ssl_policies(
        &self,
        _ctx: &RequestContext,
        input: DescribeSSLPoliciesInput,
    ) -> Result<DescribeSSLPoliciesOutput, AwsError> {
        let names = input.names.unwrap_or_default();
        if let Some(unknown) = names.iter().find(|n| !POLICIES.iter().any(|(p, _)| p == n)) {
            return Err(nimbus_elbv2_api::errors::ssl_policy_not_found(format!(
                "SSL policy '{unknown}' not found"
            )));
        }
        let policies = POLICIES
            .iter()
            .filter(|(name, _)| names.is_empty() || names.iter().any(|n| n == name))
            .map(|(name, protocols)| SslPolicy {
                ssl_protocols: Some(protocols.iter().map(|p| (*p).to_owned()).collect()),
                ciphers: Some(Vec::new()),
                name: Some((*name).to_owned()),
                supported_load_balancer_types: Some(vec!["application".to_owned(), "network".to_owned()]),
            })
            .collect();
        let (ssl_policies, next_marker) = paging::page(policies, input.marker.as_deref(), input.page_size)?;
        Ok(DescribeSSLPoliciesOutput {
            ssl_policies: Some(ssl_policies),
            next_marker,
        })
    }
}
