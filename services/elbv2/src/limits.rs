//! Account limits and the TLS security policies ELB offers (as DescribeSSLPolicies names them).

use nimbus_core::{AwsError, RequestContext};
use nimbus_elbv2_api::*;

use crate::{Elbv2, paging};

const LIMITS: &[(&str, &str)] = &[
    ("application-load-balancers", "50"),
    ("condition-values-per-alb-rule", "5"),
    ("condition-wildcards-per-alb-rule", "5"),
    ("gateway-load-balancers", "100"),
    ("gateway-load-balancers-per-vpc", "100"),
    ("geneve-target-groups", "100"),
    ("listeners-per-application-load-balancer", "50"),
    ("listeners-per-network-load-balancer", "50"),
    ("network-load-balancers", "50"),
    ("rules-per-application-load-balancer", "100"),
    ("target-groups", "3000"),
    ("target-groups-per-action-on-application-load-balancer", "5"),
    ("target-groups-per-action-on-network-load-balancer", "1"),
    ("target-groups-per-application-load-balancer", "100"),
    ("targets-per-application-load-balancer", "1000"),
    ("targets-per-availability-zone-per-gateway-load-balancer", "300"),
    ("targets-per-availability-zone-per-network-load-balancer", "500"),
    ("targets-per-network-load-balancer", "3000"),
];

/// TLS 1.3's suites, first in every policy that allows it.
const TLS13: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];

/// The forward-secret GCM suites of TLS 1.2, ECDSA before RSA.
const GCM: &[&str] = &[
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
];

/// What ELBSecurityPolicy-2016-08 adds for older clients.
const LEGACY: &[&str] = &[
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA",
    "ECDHE-ECDSA-AES256-SHA",
    "AES128-GCM-SHA256",
    "AES128-SHA256",
    "AES128-SHA",
    "AES256-GCM-SHA384",
    "AES256-SHA256",
    "AES256-SHA",
];

/// A policy: its name, protocols and cipher lists in priority order.
type Policy = (
    &'static str,
    &'static [&'static str],
    &'static [&'static [&'static str]],
);

const POLICIES: &[Policy] = &[
    (
        "ELBSecurityPolicy-2016-08",
        &["TLSv1", "TLSv1.1", "TLSv1.2"],
        &[GCM, LEGACY],
    ),
    (
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        &["TLSv1.2", "TLSv1.3"],
        &[TLS13, GCM, LEGACY],
    ),
    (
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
        &["TLSv1.2", "TLSv1.3"],
        &[TLS13, GCM],
    ),
    ("ELBSecurityPolicy-TLS13-1-3-2021-06", &["TLSv1.3"], &[TLS13]),
    ("ELBSecurityPolicy-TLS-1-2-2017-01", &["TLSv1.2"], &[GCM, LEGACY]),
    ("ELBSecurityPolicy-FS-1-2-Res-2020-10", &["TLSv1.2"], &[GCM]),
];

fn ciphers(lists: &[&[&str]]) -> Vec<Cipher> {
    lists
        .iter()
        .flat_map(|list| list.iter())
        .zip(1..)
        .map(|(name, priority)| Cipher {
            name: Some((*name).to_owned()),
            priority: Some(priority),
        })
        .collect()
}

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
        if let Some(unknown) = names.iter().find(|n| !POLICIES.iter().any(|(p, _, _)| p == n)) {
            return Err(nimbus_elbv2_api::errors::ssl_policy_not_found(format!(
                "SSL policy '{unknown}' not found"
            )));
        }
        let policies = POLICIES
            .iter()
            .filter(|(name, _, _)| names.is_empty() || names.iter().any(|n| n == name))
            .map(|(name, protocols, lists)| SslPolicy {
                ssl_protocols: Some(protocols.iter().map(|p| (*p).to_owned()).collect()),
                ciphers: Some(ciphers(lists)),
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
