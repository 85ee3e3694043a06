//! What a listener rule's actions come to once compiled: the answer the
//! proxy gives, with its target groups already resolved to the running ones.

use std::collections::HashMap;
use std::sync::Arc;

use nimbus_elbv2_api::{Action, FixedResponseActionConfig, RedirectActionConfig};

use super::groups::Group;

/// What a rule's actions come to, its target groups resolved.
pub enum Answer {
    /// To one of these groups, by weight.
    Forward(Vec<(Arc<Group>, u32)>),
    Redirect(RedirectActionConfig),
    Fixed(FixedResponseActionConfig),
    /// Nothing can answer (a group not running): ELB's 503.
    Unavailable,
}

impl Answer {
    pub fn of(actions: &[Action], groups: &HashMap<String, Arc<Group>>) -> Answer {
        let Some(action) = actions
            .iter()
            .find(|a| matches!(a.r#type.as_str(), "forward" | "redirect" | "fixed-response"))
        else {
            return Answer::Unavailable;
        };
        match action.r#type.as_str() {
            "redirect" => action
                .redirect_config
                .clone()
                .map_or(Answer::Unavailable, Answer::Redirect),
            "fixed-response" => action
                .fixed_response_config
                .clone()
                .map_or(Answer::Unavailable, Answer::Fixed),
            _ => {
                let weighted: Vec<(String, u32)> = match action
                    .forward_config
                    .as_ref()
                    .and_then(|c| c.target_groups.as_ref())
                {
                    Some(tuples) if !tuples.is_empty() => tuples
                        .iter()
                        .filter_map(|t| {
                            Some((
                                t.target_group_arn.clone()?,
                                u32::try_from(t.weight.unwrap_or(1)).unwrap_or(0),
                            ))
                        })
                        .collect(),
                    _ => action
                        .target_group_arn
                        .iter()
                        .map(|arn| (arn.clone(), 1))
                        .collect(),
                };
                let resolved: Vec<(Arc<Group>, u32)> = weighted
                    .into_iter()
                    .filter_map(|(arn, weight)| Some((Arc::clone(groups.get(&arn)?), weight)))
                    .collect();
                if resolved.is_empty() {
                    Answer::Unavailable
                } else {
                    Answer::Forward(resolved)
                }
            }
        }
    }
}
