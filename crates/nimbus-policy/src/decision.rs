//! The final decision across policy types, as the IAM user guide's "Policy
//! evaluation logic" and "Cross-account policy evaluation logic" describe:
//! an explicit deny anywhere wins; SCPs must allow; within one account an
//! allow in either the identity-based or the resource-based policy
//! suffices (subject to boundaries and session policies, depending on how
//! the resource policy names the caller); across accounts both must allow.

use crate::context::{PrincipalType, Request};
use crate::document::Policy;
use crate::principal::Naming;
use crate::statement::Verdict;

/// The kinds of policy a decision names in its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyType {
    ServiceControl,
    ResourceBased,
    IdentityBased,
    PermissionsBoundary,
    Session,
}

impl PolicyType {
    /// `identity-based policy`, as AWS's access denied messages say it.
    pub fn words(self) -> &'static str {
        match self {
            PolicyType::ServiceControl => "service control policy",
            PolicyType::ResourceBased => "resource-based policy",
            PolicyType::IdentityBased => "identity-based policy",
            PolicyType::PermissionsBoundary => "permissions boundary",
            PolicyType::Session => "session policy",
        }
    }
}

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// A Deny statement of that policy type applies.
    ExplicitDeny(PolicyType),
    /// No policy of that type allows it.
    ImplicitDeny(PolicyType),
}

/// Everything that speaks about one request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Policies<'a> {
    /// The caller's identity-based policies (inline, attached, via groups).
    pub identity: &'a [&'a Policy],
    /// The resource's policy (bucket, queue, topic, trust policy ...).
    pub resource: Option<&'a Policy>,
    /// The account owning the resource; `None` means the caller's own.
    pub resource_account: Option<&'a str>,
    /// The resource policy must allow on its own (role trust policies).
    pub resource_must_allow: bool,
    pub boundary: Option<&'a Policy>,
    /// Session policies of a role or federated session.
    pub session: &'a [&'a Policy],
    /// SCPs that apply to the caller's account (none: no organization).
    pub scps: &'a [&'a Policy],
}

/// What a list of policies says, each evaluated once.
#[derive(Debug, Clone, Copy, Default)]
struct Summary {
    deny: bool,
    allow: bool,
}

fn summary(list: &[&Policy], request: &Request<'_>) -> Summary {
    let mut found = Summary::default();
    for policy in list {
        match policy.evaluate(request) {
            Verdict::Deny => {
                found.deny = true;
                return found;
            }
            Verdict::Allow(_) => found.allow = true,
            Verdict::NotApplicable => {}
        }
    }
    found
}

/// Every policy's verdict, each policy evaluated once.
struct Verdicts {
    scps: Summary,
    resource: Verdict,
    identity: Summary,
    boundary: Option<Verdict>,
    session: Summary,
}

impl Verdicts {
    fn of(request: &Request<'_>, policies: &Policies<'_>) -> Verdicts {
        // Identity-side policies do not speak for anonymous callers and services.
        let identity_applies = request.principal.has_identity();
        let side = |list: &[&Policy]| {
            if identity_applies {
                summary(list, request)
            } else {
                Summary::default()
            }
        };
        Verdicts {
            scps: side(policies.scps),
            resource: policies
                .resource
                .map_or(Verdict::NotApplicable, |policy| policy.evaluate(request)),
            identity: side(policies.identity),
            boundary: policies
                .boundary
                .filter(|_| identity_applies)
                .map(|policy| policy.evaluate(request)),
            session: side(policies.session),
        }
    }

    /// The first policy type with a Deny that applies, in the order AWS's
    /// messages name them.
    fn explicit_deny(&self) -> Option<PolicyType> {
        if self.scps.deny {
            Some(PolicyType::ServiceControl)
        } else if self.resource == Verdict::Deny {
            Some(PolicyType::ResourceBased)
        } else if self.identity.deny {
            Some(PolicyType::IdentityBased)
        } else if self.boundary == Some(Verdict::Deny) {
            Some(PolicyType::PermissionsBoundary)
        } else if self.session.deny {
            Some(PolicyType::Session)
        } else {
            None
        }
    }
}

/// Decides whether the request is allowed.
pub fn authorize(request: &Request<'_>, policies: &Policies<'_>) -> Decision {
    let verdicts = Verdicts::of(request, policies);
    if let Some(deny) = verdicts.explicit_deny() {
        return Decision::ExplicitDeny(deny);
    }
    let caller = request.principal;
    let cross_account = policies
        .resource_account
        .is_some_and(|owner| owner != caller.account);
    let resource_naming = match verdicts.resource {
        Verdict::Allow(naming) => naming,
        _ => Naming::No,
    };
    if !caller.has_identity() {
        // Anonymous callers and services have only resource policies.
        return if resource_naming == Naming::Direct {
            Decision::Allow
        } else {
            Decision::ImplicitDeny(PolicyType::ResourceBased)
        };
    }
    if !policies.scps.is_empty() && !verdicts.scps.allow {
        return Decision::ImplicitDeny(PolicyType::ServiceControl);
    }
    if caller.kind == PrincipalType::Root && !cross_account && !policies.resource_must_allow {
        return Decision::Allow;
    }
    if cross_account || policies.resource_must_allow {
        if resource_naming == Naming::No {
            return Decision::ImplicitDeny(PolicyType::ResourceBased);
        }
        if cross_account || resource_naming == Naming::Account {
            return identity_side(request, policies, &verdicts);
        }
    }
    match resource_naming {
        // Granted to the caller itself: nothing else can take it away.
        Naming::Direct => Decision::Allow,
        // Granted to the session's role (or federating user): boundaries
        // and session policies still limit it.
        Naming::Parent => limits(request, policies, &verdicts),
        Naming::Account | Naming::No => identity_side(request, policies, &verdicts),
    }
}

/// The caller's own account's view: identity policies, then the limits.
fn identity_side(request: &Request<'_>, policies: &Policies<'_>, verdicts: &Verdicts) -> Decision {
    if request.principal.kind == PrincipalType::Root {
        return Decision::Allow;
    }
    if !verdicts.identity.allow {
        return Decision::ImplicitDeny(PolicyType::IdentityBased);
    }
    limits(request, policies, verdicts)
}

/// Permission boundaries and session policies.
fn limits(request: &Request<'_>, policies: &Policies<'_>, verdicts: &Verdicts) -> Decision {
    if verdicts
        .boundary
        .is_some_and(|verdict| !matches!(verdict, Verdict::Allow(_)))
    {
        return Decision::ImplicitDeny(PolicyType::PermissionsBoundary);
    }
    if request.principal.is_session() && !policies.session.is_empty() && !verdicts.session.allow {
        return Decision::ImplicitDeny(PolicyType::Session);
    }
    Decision::Allow
}
