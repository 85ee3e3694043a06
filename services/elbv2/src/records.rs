//! What ELB keeps, in its regional namespace: one record per load balancer
//! (`lb/<name>`, with its nodes, listeners and rules: they live and die with
//! it) and one per target group (`tg/<name>`, with its registrations). A
//! target group's load balancers are derived from the listeners' actions.

use std::collections::BTreeMap;
use std::sync::Arc;

use nimbus_core::{AwsError, RequestContext};
use nimbus_elbv2_api::*;
use nimbus_store::{Namespace, Store, TableMut};
use serde::{Deserialize, Serialize};

use crate::{arns, errors};

pub const LB_PREFIX: &[u8] = b"lb/";
pub const TG_PREFIX: &[u8] = b"tg/";

/// A load balancer node: its zone's address on this machine.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Node {
    pub zone: String,
    pub subnet: String,
    pub address: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadBalancerRecord {
    pub lb: LoadBalancer,
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub listeners: Vec<ListenerRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListenerRecord {
    pub listener: Listener,
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// The non-default rules, in no particular order.
    #[serde(default)]
    pub rules: Vec<RuleRecord>,
    /// The default rule's id (its ARN's last part).
    pub default_rule_id: String,
    /// Its attributes (none kept means the defaults).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleRecord {
    pub rule: Rule,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetGroupRecord {
    pub tg: TargetGroup,
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub targets: Vec<Registration>,
}

/// A registered target: what it is and where it answers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Registration {
    pub id: String,
    pub port: i32,
    #[serde(default)]
    pub zone: Option<String>,
    /// Its address (an instance's private address; an IP target's own).
    #[serde(default)]
    pub address: Option<String>,
}

impl LoadBalancerRecord {
    pub fn arn(&self) -> &str {
        self.lb.load_balancer_arn.as_deref().unwrap_or_default()
    }

    pub fn lb_type(&self) -> &str {
        self.lb.r#type.as_deref().unwrap_or("application")
    }

    pub fn listener(&self, arn: &str) -> Option<&ListenerRecord> {
        self.listeners
            .iter()
            .find(|l| l.listener.listener_arn.as_deref() == Some(arn))
    }

    pub fn listener_mut(&mut self, arn: &str) -> Option<&mut ListenerRecord> {
        self.listeners
            .iter_mut()
            .find(|l| l.listener.listener_arn.as_deref() == Some(arn))
    }

    /// Every target group an action of this load balancer forwards to.
    pub fn target_groups(&self) -> Vec<String> {
        let mut arns: Vec<String> = self
            .listeners
            .iter()
            .flat_map(|l| {
                let defaults = l.listener.default_actions.iter().flatten();
                let rules = l.rules.iter().flat_map(|r| r.rule.actions.iter().flatten());
                defaults.chain(rules).flat_map(forwarded_groups)
            })
            .collect();
        arns.sort();
        arns.dedup();
        arns
    }
}

impl ListenerRecord {
    pub fn arn(&self) -> &str {
        self.listener.listener_arn.as_deref().unwrap_or_default()
    }

    /// The default rule as DescribeRules shows it.
    pub fn default_rule(&self) -> Rule {
        Rule {
            rule_arn: Some(arns::rule(self.arn(), &self.default_rule_id)),
            priority: Some("default".to_owned()),
            conditions: Some(Vec::new()),
            actions: self.listener.default_actions.clone(),
            is_default: Some(true),
            transforms: None,
        }
    }
}

impl TargetGroupRecord {
    pub fn arn(&self) -> &str {
        self.tg.target_group_arn.as_deref().unwrap_or_default()
    }

    pub fn target_type(&self) -> &str {
        self.tg.target_type.as_deref().unwrap_or("instance")
    }
}

/// The target groups one action forwards to.
pub fn forwarded_groups(action: &Action) -> Vec<String> {
    let mut arns: Vec<String> = action.target_group_arn.iter().cloned().collect();
    if let Some(config) = &action.forward_config {
        arns.extend(
            config
                .target_groups
                .iter()
                .flatten()
                .filter_map(|t| t.target_group_arn.clone()),
        );
    }
    arns
}

pub fn namespace(ctx: &RequestContext) -> Result<Namespace, AwsError> {
    Namespace::regional("elbv2", &ctx.account_id, &ctx.region).map_err(AwsError::from)
}

pub fn lb_key(name: &str) -> Vec<u8> {
    [LB_PREFIX, name.as_bytes()].concat()
}

pub fn tg_key(name: &str) -> Vec<u8> {
    [TG_PREFIX, name.as_bytes()].concat()
}

/// What a missing load balancer means to an operation on something inside
/// it (a listener, a rule): that thing is not found.
pub fn inside(missing: fn() -> AwsError) -> impl Fn(AwsError) -> AwsError {
    move |error| {
        if error.code == "LoadBalancerNotFound" {
            missing()
        } else {
            error
        }
    }
}

fn lb_missing() -> AwsError {
    errors::load_balancer_not_found("One or more load balancers not found")
}

fn tg_missing() -> AwsError {
    errors::target_group_not_found("One or more target groups not found")
}

/// The load balancer an ARN (of it, a listener or a rule) names, if it is there.
pub fn lb_by_arn(table: &impl Lookup, arn: &str) -> Result<LoadBalancerRecord, AwsError> {
    let name = arns::load_balancer_name(arn).ok_or_else(lb_missing)?;
    let wanted = arns::load_balancer_of(arn).unwrap_or_else(|| arn.to_owned());
    table
        .record::<LoadBalancerRecord>(&lb_key(name))?
        .filter(|record| record.arn() == wanted)
        .ok_or_else(lb_missing)
}

pub fn tg_by_arn(table: &impl Lookup, arn: &str) -> Result<TargetGroupRecord, AwsError> {
    let name = arns::target_group_name(arn).ok_or_else(tg_missing)?;
    table
        .record::<TargetGroupRecord>(&tg_key(name))?
        .filter(|record| record.arn() == arn)
        .ok_or_else(tg_missing)
}

/// Reading a record by key, from a read or a write table.
pub trait Lookup {
    fn record<T: serde::de::DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, AwsError>;
}

impl Lookup for TableMut<'_> {
    fn record<T: serde::de::DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, AwsError> {
        self.get_json(key).map_err(AwsError::from)
    }
}

impl Lookup for nimbus_store::TableRef {
    fn record<T: serde::de::DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, AwsError> {
        self.get_json(key).map_err(AwsError::from)
    }
}

/// Every record under a prefix, decoded.
pub async fn all<T>(store: &Arc<Store>, namespace: &Namespace, prefix: &[u8]) -> Result<Vec<T>, AwsError>
where
    T: serde::de::DeserializeOwned,
{
    store
        .values_under(namespace, prefix)
        .await?
        .iter()
        .map(|bytes| nimbus_store::codec::decode(bytes).map_err(AwsError::from))
        .collect()
}

/// Runs `change` on one load balancer's record (named by any ARN under it)
/// and stores it, in one write.
pub async fn update_lb<R: Send + 'static>(
    store: &Arc<Store>,
    ctx: &RequestContext,
    arn: &str,
    change: impl FnOnce(&mut TableMut<'_>, &mut LoadBalancerRecord) -> Result<R, AwsError> + Send + 'static,
) -> Result<R, AwsError> {
    let namespace = namespace(ctx)?;
    let arn = arn.to_owned();
    store
        .write(move |txn| {
            let mut table = txn.open(&namespace)?;
            let mut record = lb_by_arn(&table, &arn)?;
            let answer = change(&mut table, &mut record)?;
            let name = record.lb.load_balancer_name.clone().unwrap_or_default();
            table.put_json(&lb_key(&name), &record)?;
            Ok(answer)
        })
        .await
}

/// Runs `change` on one target group's record and stores it, in one write.
pub async fn update_tg<R: Send + 'static>(
    store: &Arc<Store>,
    ctx: &RequestContext,
    arn: &str,
    change: impl FnOnce(&mut TargetGroupRecord) -> Result<R, AwsError> + Send + 'static,
) -> Result<R, AwsError> {
    let namespace = namespace(ctx)?;
    let arn = arn.to_owned();
    store
        .write(move |txn| {
            let mut table = txn.open(&namespace)?;
            let mut record = tg_by_arn(&table, &arn)?;
            let answer = change(&mut record)?;
            let name = record.tg.target_group_name.clone().unwrap_or_default();
            table.put_json(&tg_key(&name), &record)?;
            Ok(answer)
        })
        .await
}

/// One record read outside a write.
pub async fn read_lb(
    store: &Arc<Store>,
    ctx: &RequestContext,
    arn: &str,
) -> Result<LoadBalancerRecord, AwsError> {
    let table = store.begin_read()?.open(&namespace(ctx)?)?;
    lb_by_arn(&table, arn)
}

pub async fn read_tg(
    store: &Arc<Store>,
    ctx: &RequestContext,
    arn: &str,
) -> Result<TargetGroupRecord, AwsError> {
    let table = store.begin_read()?.open(&namespace(ctx)?)?;
    tg_by_arn(&table, arn)
}
