//! Whether a statement, and a policy, speak about a request.

use crate::context::Request;
use crate::document::{Effect, Listed, Policy, Statement};
use crate::pattern::Pattern;
use crate::principal::{Naming, naming};

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
            let Some(naming) = statement.applies(request) else {
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
    fn applies(&self, request: &Request<'_>) -> Option<Naming> {
        let naming = match &self.principal {
            None => Naming::Direct,
            Some(principal) => match naming(principal, request.principal) {
                Naming::No => return None,
                naming => naming,
            },
        };
        let applies = covers_action(&self.action, request)
            && self
                .resource
                .as_ref()
                .is_none_or(|resource| covers_resource(resource, request))
            && self
                .conditions
                .iter()
                .all(|condition| condition.holds(request.context));
        applies.then_some(naming)
    }
}

/// Action names are case-insensitive.
fn covers_action(element: &Listed<Pattern>, request: &Request<'_>) -> bool {
    let named = element
        .items
        .iter()
        .any(|pattern| pattern.matches(request.action, true, request.context));
    named != element.negated
}

/// Resource ARNs are case-sensitive and may hold variables.
fn covers_resource(element: &Listed<Pattern>, request: &Request<'_>) -> bool {
    let named = element
        .items
        .iter()
        .any(|pattern| pattern.text() == "*" || pattern.matches(request.resource, false, request.context));
    named != element.negated
}
