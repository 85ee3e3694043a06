//! Whether a statement, and a policy, speak about a request.

use crate::context::Request;
use crate::document::{Effect, Listed, Policy, Statement, Version};
use crate::principal::{Naming, naming};
use crate::variables::resolve;
use crate::wildcard::{matches, matches_text};

/// What one policy says about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A Deny statement applies.
    Deny,
    /// An Allow statement applies (and no Deny); with how directly the
    /// policy's principal names the caller (always `Direct` for identity
    /// policies, which name none).
    Allow(Naming),
    /// No statement applies.
    NotApplicable,
}

impl Policy {
    /// Evaluates every statement: a Deny wins over any Allow.
    pub fn evaluate(&self, request: &Request<'_>) -> Verdict {
        let mut verdict = Verdict::NotApplicable;
        for statement in &self.statements {
            let Some(naming) = statement.applies(self.version, request) else {
                continue;
            };
            match statement.effect {
                Effect::Deny => return Verdict::Deny,
                Effect::Allow => {
                    verdict = match verdict {
                        Verdict::Allow(best) => Verdict::Allow(best.max(naming)),
                        _ => Verdict::Allow(naming),
                    }
                }
            }
        }
        verdict
    }
}

impl Statement {
    /// Whether the statement applies; if so, how its principal names the
    /// caller.
    fn applies(&self, version: Version, request: &Request<'_>) -> Option<Naming> {
        let naming = match &self.principal {
            None => Naming::Direct,
            Some(principal) => match naming(principal, request.principal) {
                Naming::No => return None,
                naming => naming,
            },
        };
        let applies = covers_action(&self.action, request.action)
            && self
                .resource
                .as_ref()
                .is_none_or(|resource| covers_resource(resource, version, request))
            && self
                .conditions
                .iter()
                .all(|condition| condition.holds(version, request.context));
        applies.then_some(naming)
    }
}

/// Action names are case-insensitive.
fn covers_action(element: &Listed<String>, action: &str) -> bool {
    let named = element
        .items
        .iter()
        .any(|pattern| matches_text(pattern, action, true));
    named != element.negated
}

/// Resource ARNs are case-sensitive and may hold variables.
fn covers_resource(element: &Listed<String>, version: Version, request: &Request<'_>) -> bool {
    let named = element.items.iter().any(|pattern| {
        if pattern == "*" {
            return true;
        }
        resolve(pattern, version, request.context)
            .is_some_and(|tokens| matches(&tokens, request.resource, false))
    });
    named != element.negated
}
