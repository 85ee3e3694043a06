//! Whom a resource or trust policy's `Principal` names, and how directly
//! it names the caller: the evaluation logic treats a grant to the caller's
//! own ARN apart from a grant to its role or its account.

use crate::context::{Principal, PrincipalType};
use crate::document::{Listed, Principals};
use crate::wildcard::matches_text;

/// How a `Principal` element covers the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Naming {
    /// It does not.
    No,
    /// Through the caller's account (`"111122223333"`, `...:root`): the
    /// account delegates to its identity policies.
    Account,
    /// Through the role of a role session, or the user of a federated
    /// session: still limited by boundaries and session policies.
    Parent,
    /// The caller itself (its ARN, `"*"`, a service name).
    Direct,
}

/// How the element (or its negation) covers the caller.
pub(crate) fn naming(element: &Listed<Principals>, caller: &Principal) -> Naming {
    if element.negated {
        // NotPrincipal: everyone but those named, directly.
        return if excluded(element, caller) {
            Naming::No
        } else {
            Naming::Direct
        };
    }
    element
        .items
        .iter()
        .map(|principals| naming_of(principals, caller))
        .max()
        .unwrap_or(Naming::No)
}

/// Whether a NotPrincipal leaves the caller out. As the IAM guide says of
/// NotPrincipal, the caller is excluded only when every level of it is
/// named: its own ARN, its account, and a session's role as well; naming
/// the account alone excludes only the account's root user.
fn excluded(element: &Listed<Principals>, caller: &Principal) -> bool {
    let mut named_levels = [false; 4];
    for principals in &element.items {
        match principals {
            Principals::Everyone => return true,
            Principals::Named(list) => {
                for (kind, value) in list {
                    named_levels[named(kind, value, caller) as usize] = true;
                }
            }
        }
    }
    let [_, account, parent, direct] = named_levels;
    match caller.kind {
        PrincipalType::Root | PrincipalType::Service | PrincipalType::Anonymous => direct,
        PrincipalType::User => direct && account,
        PrincipalType::RoleSession { .. } | PrincipalType::FederatedUser { .. } => {
            direct && account && parent
        }
    }
}

fn naming_of(principals: &Principals, caller: &Principal) -> Naming {
    match principals {
        Principals::Everyone => Naming::Direct,
        Principals::Named(list) => list
            .iter()
            .map(|(kind, value)| named(kind, value, caller))
            .max()
            .unwrap_or(Naming::No),
    }
}

fn named(kind: &str, value: &str, caller: &Principal) -> Naming {
    match kind {
        "AWS" => aws_principal(value, caller),
        "Service" if caller.kind == PrincipalType::Service && value.eq_ignore_ascii_case(&caller.arn) => {
            Naming::Direct
        }
        "Federated" | "CanonicalUser" if value == caller.arn => Naming::Direct,
        _ => Naming::No,
    }
}

/// An `"AWS"` principal: `*`, an account id, an account root, a user, a
/// role, or a session ARN.
fn aws_principal(value: &str, caller: &Principal) -> Naming {
    if value == "*" {
        return if caller.kind == PrincipalType::Service {
            Naming::No
        } else {
            Naming::Direct
        };
    }
    if caller.account.is_empty() {
        return Naming::No;
    }
    let root = format!("arn:aws:iam::{}:root", caller.account);
    if value == caller.account || value == root {
        return if caller.kind == PrincipalType::Root {
            Naming::Direct
        } else {
            Naming::Account
        };
    }
    if value == caller.arn || (value.contains('*') && matches_text(value, &caller.arn, false)) {
        return Naming::Direct;
    }
    match &caller.kind {
        PrincipalType::RoleSession { role } if value == role => Naming::Parent,
        PrincipalType::FederatedUser { user } if value == user => Naming::Parent,
        _ => Naming::No,
    }
}
