//! The rule operations of security groups as EC2 answers them:
//! Authorize*/Revoke* for ingress and egress, DescribeSecurityGroupRules.

use nimbus_core::{AwsError, RequestContext};
use nimbus_ec2_api::*;

use crate::filters::{self, Values};
use crate::sg_rules::{self, Asked};
use crate::{Ec2, errors};

/// What an Authorize* or Revoke* input names (all four have the same
/// members for it).
macro_rules! asked {
    ($input:ident) => {
        Asked {
            permissions: $input.ip_permissions.as_deref().unwrap_or_default(),
            cidr_ip: $input.cidr_ip.as_deref(),
            protocol: $input.ip_protocol.as_deref(),
            from_port: $input.from_port,
            to_port: $input.to_port,
        }
    };
}

fn rule_values(rule: &SecurityGroupRule) -> Values<'_> {
    Box::new(move |name| {
        let one = |value: &Option<String>| Some(value.iter().cloned().collect());
        match name {
            "group-id" => one(&rule.group_id),
            "security-group-rule-id" => one(&rule.security_group_rule_id),
            other => filters::tag_values(rule.tags.as_ref(), other),
        }
    })
}

impl Ec2 {
    pub(crate) async fn authorize_security_group_ingress(
        &self,
        ctx: &RequestContext,
        input: AuthorizeSecurityGroupIngressRequest,
    ) -> Result<AuthorizeSecurityGroupIngressResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let asked = asked!(input);
        let group = (input.group_id.as_deref(), input.group_name.as_deref());
        let rules = self.authorize(ctx, group, false, asked).await?;
        // What may now reach instances' public addresses changed.
        self.sync_forwards(ctx).await;
        Ok(AuthorizeSecurityGroupIngressResult {
            r#return: Some(true),
            security_group_rules: Some(rules),
        })
    }

    pub(crate) async fn authorize_security_group_egress(
        &self,
        ctx: &RequestContext,
        input: AuthorizeSecurityGroupEgressRequest,
    ) -> Result<AuthorizeSecurityGroupEgressResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let asked = asked!(input);
        let rules = self
            .authorize(ctx, (Some(&input.group_id), None), true, asked)
            .await?;
        Ok(AuthorizeSecurityGroupEgressResult {
            r#return: Some(true),
            security_group_rules: Some(rules),
        })
    }

    pub(crate) async fn revoke_security_group_ingress(
        &self,
        ctx: &RequestContext,
        input: RevokeSecurityGroupIngressRequest,
    ) -> Result<RevokeSecurityGroupIngressResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let asked = asked!(input);
        let group = (input.group_id.as_deref(), input.group_name.as_deref());
        let ids = input.security_group_rule_ids.unwrap_or_default();
        let unknown = self.revoke(ctx, group, false, (ids, asked)).await?;
        self.sync_forwards(ctx).await;
        Ok(RevokeSecurityGroupIngressResult {
            r#return: Some(true),
            unknown_ip_permissions: (!unknown.is_empty()).then(|| sg_rules::permissions(&unknown, false)),
            ..Default::default()
        })
    }

    pub(crate) async fn revoke_security_group_egress(
        &self,
        ctx: &RequestContext,
        input: RevokeSecurityGroupEgressRequest,
    ) -> Result<RevokeSecurityGroupEgressResult, AwsError> {
        errors::check_dry_run(input.dry_run)?;
        let asked = asked!(input);
        let ids = input.security_group_rule_ids.unwrap_or_default();
        self.revoke(ctx, (Some(&input.group_id), None), true, (ids, asked))
            .await?;
        Ok(RevokeSecurityGroupEgressResult {
            r#return: Some(true),
            ..Default::default()
        })
    }

    pub(crate) async fn describe_security_group_rules(
        &self,
        ctx: &RequestContext,
        input: DescribeSecurityGroupRulesRequest,
    ) -> Result<DescribeSecurityGroupRulesResult, AwsError> {
        self.ensure_defaults(ctx).await?;
        errors::check_dry_run(input.dry_run)?;
        let ids = input.security_group_rule_ids.unwrap_or_default();
        let filters = input.filters.unwrap_or_default();
        let mut rules = Vec::new();
        for record in self.groups(ctx).await? {
            for rule in record.rules {
                let named = ids.is_empty()
                    || ids
                        .iter()
                        .any(|id| rule.security_group_rule_id.as_ref() == Some(id));
                if named && filters::matches(&filters, &rule_values(&rule))? {
                    rules.push(rule);
                }
            }
        }
        let (rules, next_token) = crate::paging::page(rules, input.next_token.as_deref(), input.max_results)?;
        Ok(DescribeSecurityGroupRulesResult {
            security_group_rules: Some(rules),
            next_token,
        })
    }
}
