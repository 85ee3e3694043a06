//! Listener rules: conditions and actions at a priority, tried in priority
//! order before the listener's default rule.

use std::collections::HashMap;

use nimbus_core::{AwsError, RequestContext};
use nimbus_elbv2_api::*;

use crate::listeners::listener_missing;
use crate::records::{self, ListenerRecord, RuleRecord};
use crate::{Elbv2, actions, arns, errors, paging, tags};

const FIELDS: &[&str] = &[
    "host-header",
    "path-pattern",
    "http-header",
    "http-request-method",
    "query-string",
    "source-ip",
];

fn rule_missing() -> AwsError {
    errors::rule_not_found("One or more rules not found")
}

/// How many values a condition counts for ELB's limit of five.
fn value_count(condition: &RuleCondition) -> usize {
    let nested = [
        condition
            .host_header_config
            .as_ref()
            .and_then(|c| c.values.as_ref())
            .map(Vec::len),
        condition
            .path_pattern_config
            .as_ref()
            .and_then(|c| c.values.as_ref())
            .map(Vec::len),
        condition
            .http_header_config
            .as_ref()
            .and_then(|c| c.values.as_ref())
            .map(Vec::len),
        condition
            .http_request_method_config
            .as_ref()
            .and_then(|c| c.values.as_ref())
            .map(Vec::len),
        condition
            .query_string_config
            .as_ref()
            .and_then(|c| c.values.as_ref())
            .map(Vec::len),
        condition
            .source_ip_config
            .as_ref()
            .and_then(|c| c.values.as_ref())
            .map(Vec::len),
    ];
    nested
        .into_iter()
        .flatten()
        .sum::<usize>()
        .max(condition.values.as_ref().map_or(0, Vec::len))
}

/// Checks conditions and gives each both its `Values` and its config, as
/// ELB describes them.
fn conditions(mut conditions: Vec<RuleCondition>) -> Result<Vec<RuleCondition>, AwsError> {
    if conditions.is_empty() {
        return Err(errors::validation("A rule must have at least one condition"));
    }
    if conditions.iter().map(value_count).sum::<usize>() > 5 {
        return Err(errors::validation("A rule can only have '5' condition values"));
    }
    for condition in &mut conditions {
        let field = condition.field.clone().unwrap_or_default();
        if !FIELDS.contains(&field.as_str()) {
            return Err(errors::validation(format!(
                "Condition field '{field}' must be one of '[{}]'",
                FIELDS.join(", ")
            )));
        }
        match field.as_str() {
            "host-header" => {
                let config = condition.host_header_config.get_or_insert_with(Default::default);
                mirror(&mut condition.values, &mut config.values);
            }
            "path-pattern" => {
                let config = condition.path_pattern_config.get_or_insert_with(Default::default);
                mirror(&mut condition.values, &mut config.values);
            }
            _ => {}
        }
    }
    Ok(conditions)
}

fn mirror(values: &mut Option<Vec<String>>, config: &mut Option<Vec<String>>) {
    match (values.is_some(), config.is_some()) {
        (true, false) => config.clone_from(values),
        (false, true) => values.clone_from(config),
        _ => {}
    }
}

fn check_priority(priority: i32) -> Result<(), AwsError> {
    if (1..=50_000).contains(&priority) {
        return Ok(());
    }
    Err(errors::validation(format!(
        "1 validation error detected: Value '{priority}' at 'priority' failed to satisfy constraint: Member must have value between 1 and 50000"
    )))
}

fn taken(listener: &ListenerRecord, priority: i32, except: &[String]) -> bool {
    let wanted = priority.to_string();
    listener.rules.iter().any(|r| {
        r.rule.priority.as_deref() == Some(wanted.as_str())
            && !except.iter().any(|arn| r.rule.rule_arn.as_ref() == Some(arn))
    })
}

/// A listener's rules as DescribeRules lists them: by priority, default last.
fn ordered(listener: &ListenerRecord) -> Vec<Rule> {
    let mut rules: Vec<Rule> = listener.rules.iter().map(|r| r.rule.clone()).collect();
    rules.sort_by_key(|r| {
        r.priority
            .as_deref()
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(u32::MAX)
    });
    rules.push(listener.default_rule());
    rules
}

impl Elbv2 {
    pub(crate) async fn create_rule(
        &self,
        ctx: &RequestContext,
        input: CreateRuleInput,
    ) -> Result<CreateRuleOutput, AwsError> {
        check_priority(input.priority)?;
        tags::check(input.tags.as_deref().unwrap_or_default())?;
        let checked = conditions(input.conditions.clone())?;
        let listener_arn = input.listener_arn.clone();
        let rule = records::update_lb(&self.store, ctx, &listener_arn, move |table, lb| {
            let protocol = lb
                .listener(&input.listener_arn)
                .ok_or_else(listener_missing)?
                .listener
                .protocol
                .clone()
                .unwrap_or_default();
            actions::check(table, &protocol, &input.actions)?;
            let listener = lb
                .listener_mut(&input.listener_arn)
                .ok_or_else(listener_missing)?;
            if taken(listener, input.priority, &[]) {
                return Err(errors::priority_in_use(format!(
                    "Priority '{}' is currently in use",
                    input.priority
                )));
            }
            let rule = Rule {
                rule_arn: Some(arns::rule(&input.listener_arn, &arns::new_id())),
                priority: Some(input.priority.to_string()),
                conditions: Some(checked),
                actions: Some(input.actions.clone()),
                is_default: Some(false),
                transforms: input.transforms.clone(),
            };
            listener.rules.push(RuleRecord {
                rule: rule.clone(),
                tags: input.tags.clone().unwrap_or_default(),
            });
            Ok(rule)
        })
        .await
        .map_err(records::inside(listener_missing))?;
        self.apply(ctx).await;
        Ok(CreateRuleOutput {
            rules: Some(vec![rule]),
        })
    }

    pub(crate) async fn describe_rules(
        &self,
        ctx: &RequestContext,
        input: DescribeRulesInput,
    ) -> Result<DescribeRulesOutput, AwsError> {
        let rules = match (&input.listener_arn, &input.rule_arns) {
            (Some(arn), _) => {
                let lb = records::read_lb(&self.store, ctx, arn)
                    .await
                    .map_err(|_| listener_missing())?;
                ordered(lb.listener(arn).ok_or_else(listener_missing)?)
            }
            (None, Some(arns)) if !arns.is_empty() => {
                let mut found = Vec::new();
                for arn in arns {
                    let lb = records::read_lb(&self.store, ctx, arn)
                        .await
                        .map_err(|_| rule_missing())?;
                    let listener_arn = arns::listener_of(arn).ok_or_else(rule_missing)?;
                    let listener = lb.listener(&listener_arn).ok_or_else(rule_missing)?;
                    let rule = ordered(listener)
                        .into_iter()
                        .find(|r| r.rule_arn.as_ref() == Some(arn))
                        .ok_or_else(rule_missing)?;
                    found.push(rule);
                }
                found
            }
            _ => {
                return Err(errors::validation(
                    "You must specify either listener ARNs or rule ARNs",
                ));
            }
        };
        let (rules, next_marker) = paging::page(rules, input.marker.as_deref(), input.page_size)?;
        Ok(DescribeRulesOutput {
            rules: Some(rules),
            next_marker,
        })
    }

    /// Runs `change` on one rule of the record, refusing the default rule.
    async fn change_rule<R: Send + 'static>(
        &self,
        ctx: &RequestContext,
        arn: &str,
        verb: &'static str,
        change: impl FnOnce(&mut ListenerRecord, usize, &str) -> Result<R, AwsError> + Send + 'static,
    ) -> Result<R, AwsError> {
        let owned = arn.to_owned();
        records::update_lb(&self.store, ctx, arn, move |table, lb| {
            let lb_type = lb.lb_type().to_owned();
            let listener_arn = arns::listener_of(&owned).ok_or_else(rule_missing)?;
            let listener = lb.listener_mut(&listener_arn).ok_or_else(rule_missing)?;
            if arns::rule(&listener_arn, &listener.default_rule_id) == owned {
                return Err(errors::operation_not_permitted(format!(
                    "Default rule '{owned}' cannot be {verb}"
                )));
            }
            let index = listener
                .rules
                .iter()
                .position(|r| r.rule.rule_arn.as_deref() == Some(owned.as_str()))
                .ok_or_else(rule_missing)?;
            let _ = table;
            change(listener, index, &lb_type)
        })
        .await
        .map_err(records::inside(rule_missing))
    }

    pub(crate) async fn modify_rule(
        &self,
        ctx: &RequestContext,
        input: ModifyRuleInput,
    ) -> Result<ModifyRuleOutput, AwsError> {
        let checked = input.conditions.clone().map(conditions).transpose()?;
        let lb = records::read_lb(&self.store, ctx, &input.rule_arn)
            .await
            .map_err(|_| rule_missing())?;
        if let Some(actions) = &input.actions {
            let table = self.store.begin_read()?.open(&records::namespace(ctx)?)?;
            let protocol = arns::listener_of(&input.rule_arn)
                .and_then(|arn| lb.listener(&arn).and_then(|l| l.listener.protocol.clone()))
                .ok_or_else(rule_missing)?;
            actions::check(&table, &protocol, actions)?;
        }
        let rule = self
            .change_rule(ctx, &input.rule_arn, "modified", move |listener, index, _| {
                let rule = &mut listener.rules[index].rule;
                if checked.is_some() {
                    rule.conditions = checked;
                }
                if input.actions.is_some() {
                    rule.actions = input.actions;
                }
                if input.reset_transforms == Some(true) {
                    rule.transforms = None;
                } else if input.transforms.is_some() {
                    rule.transforms = input.transforms;
                }
                Ok(rule.clone())
            })
            .await?;
        self.apply(ctx).await;
        Ok(ModifyRuleOutput {
            rules: Some(vec![rule]),
        })
    }

    pub(crate) async fn delete_rule(
        &self,
        ctx: &RequestContext,
        input: DeleteRuleInput,
    ) -> Result<DeleteRuleOutput, AwsError> {
        self.change_rule(ctx, &input.rule_arn, "deleted", |listener, index, _| {
            listener.rules.remove(index);
            Ok(())
        })
        .await?;
        self.apply(ctx).await;
        Ok(DeleteRuleOutput {})
    }

    pub(crate) async fn set_rule_priorities(
        &self,
        ctx: &RequestContext,
        input: SetRulePrioritiesInput,
    ) -> Result<SetRulePrioritiesOutput, AwsError> {
        let mut wanted: HashMap<String, i32> = HashMap::new();
        for pair in &input.rule_priorities {
            let arn = pair.rule_arn.clone().ok_or_else(rule_missing)?;
            let priority = pair
                .priority
                .ok_or_else(|| errors::validation("A priority must be specified"))?;
            check_priority(priority)?;
            wanted.insert(arn, priority);
        }
        let Some(first) = wanted.keys().next().cloned() else {
            return Ok(SetRulePrioritiesOutput {
                rules: Some(Vec::new()),
            });
        };
        let changed = records::update_lb(&self.store, ctx, &first, move |_, lb| {
            let mut changed = Vec::new();
            let arns: Vec<String> = wanted.keys().cloned().collect();
            for (arn, priority) in &wanted {
                let listener_arn = arns::listener_of(arn).ok_or_else(rule_missing)?;
                let listener = lb.listener_mut(&listener_arn).ok_or_else(rule_missing)?;
                if arns::rule(&listener_arn, &listener.default_rule_id) == *arn {
                    return Err(errors::operation_not_permitted(format!(
                        "Default rule '{arn}' cannot be modified"
                    )));
                }
                if taken(listener, *priority, &arns) || wanted.iter().any(|(a, p)| a != arn && p == priority)
                {
                    return Err(errors::priority_in_use(format!(
                        "Priority '{priority}' is currently in use"
                    )));
                }
                let rule = listener
                    .rules
                    .iter_mut()
                    .find(|r| r.rule.rule_arn.as_ref() == Some(arn))
                    .ok_or_else(rule_missing)?;
                rule.rule.priority = Some(priority.to_string());
                changed.push(rule.rule.clone());
            }
            Ok(changed)
        })
        .await
        .map_err(records::inside(rule_missing))?;
        self.apply(ctx).await;
        Ok(SetRulePrioritiesOutput { rules: Some(changed) })
    }
}
