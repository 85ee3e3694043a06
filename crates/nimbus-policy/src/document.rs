//! A policy document as IAM reads it: the JSON grammar of the "IAM JSON
//! policy elements reference", into statements the engine evaluates.

use serde_json::{Map, Value as Json};

use crate::condition::{Condition, parse_conditions};
use crate::errors::PolicyError;
use crate::pattern::Pattern;

/// Allow or Deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// The policy language version: `2008-10-17` (or none) knows no variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V2008,
    V2012,
}

/// Which element a statement uses: the listed names, or all but them
/// (`NotAction`, `NotResource`, `NotPrincipal`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub negated: bool,
}

/// A `Principal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principals {
    /// `"*"`: everyone, including anonymous callers.
    Everyone,
    /// `{"AWS": [...], "Service": [...], ...}`: kind and value, as written.
    Named(Vec<(String, String)>),
}

/// One statement.
#[derive(Debug, Clone)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<Listed<Principals>>,
    pub action: Listed<Pattern>,
    /// Absent in trust policies (and resource policies may leave it out).
    pub resource: Option<Listed<Pattern>>,
    pub conditions: Vec<Condition>,
}

/// A parsed policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub version: Version,
    pub statements: Vec<Statement>,
    /// Some statement reads condition keys (a condition, a variable).
    uses_context: bool,
}

/// What a policy is for: the elements each kind must and must not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Managed and inline policies, permission boundaries, session policies.
    Identity,
    /// Resource-based policies (bucket, queue, topic, ...).
    Resource,
    /// A role's trust policy (AssumeRolePolicyDocument).
    Trust,
}

impl Policy {
    /// Parses and checks `text` as IAM does for a policy of `kind`.
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let json: Json = serde_json::from_str(text).map_err(|_| PolicyError::InvalidJson)?;
        let Json::Object(document) = json else {
            return Err(PolicyError::Syntax);
        };
        let version = match document.get("Version") {
            None => Version::V2008,
            Some(Json::String(v)) if v == "2012-10-17" => Version::V2012,
            Some(Json::String(v)) if v == "2008-10-17" => Version::V2008,
            Some(_) => return Err(PolicyError::Version),
        };
        let statements = match document.get("Statement") {
            Some(Json::Array(list)) if !list.is_empty() => list.iter().collect(),
            Some(single @ Json::Object(_)) => vec![single],
            _ => return Err(PolicyError::Syntax),
        };
        let statements: Vec<Statement> = statements
            .into_iter()
            .map(|s| parse_statement(s, kind, version))
            .collect::<Result<_, _>>()?;
        let uses_context = statements.iter().any(Statement::uses_context);
        Ok(Policy {
            version,
            statements,
            uses_context,
        })
    }

    /// Whether deciding with this policy reads the request's condition
    /// keys; when no policy does, the caller need not gather them.
    pub fn uses_context(&self) -> bool {
        self.uses_context
    }
}

impl Statement {
    fn uses_context(&self) -> bool {
        !self.conditions.is_empty()
            || self
                .resource
                .as_ref()
                .is_some_and(|resource| resource.items.iter().any(Pattern::is_template))
    }
}

fn parse_statement(json: &Json, kind: PolicyKind, version: Version) -> Result<Statement, PolicyError> {
    let Json::Object(fields) = json else {
        return Err(PolicyError::Syntax);
    };
    let effect = match fields.get("Effect") {
        Some(Json::String(e)) if e == "Allow" => Effect::Allow,
        Some(Json::String(e)) if e == "Deny" => Effect::Deny,
        _ => return Err(PolicyError::Syntax),
    };
    let sid = match fields.get("Sid") {
        None => None,
        Some(Json::String(sid)) => Some(sid.clone()),
        Some(_) => return Err(PolicyError::Syntax),
    };
    let principal = either(fields, "Principal", "NotPrincipal", principals)?;
    let action = either(fields, "Action", "NotAction", actions)?.ok_or(PolicyError::NoActions)?;
    let resource = either(fields, "Resource", "NotResource", resources)?;
    check_elements(kind, principal.is_some(), resource.is_some())?;
    let variables = version == Version::V2012;
    let compile = |listed: Listed<String>, variables: bool| Listed {
        items: listed
            .items
            .iter()
            .map(|text| Pattern::new(text, variables))
            .collect(),
        negated: listed.negated,
    };
    let action = compile(action, false);
    let resource = resource.map(|listed| compile(listed, variables));
    let conditions = match fields.get("Condition") {
        None => Vec::new(),
        Some(block) => parse_conditions(block, variables)?,
    };
    Ok(Statement {
        sid,
        effect,
        principal,
        action,
        resource,
        conditions,
    })
}

/// The elements a policy of `kind` must have, or must not.
fn check_elements(kind: PolicyKind, has_principal: bool, has_resource: bool) -> Result<(), PolicyError> {
    match kind {
        PolicyKind::Identity if has_principal => Err(PolicyError::PrincipalInIdentityPolicy),
        PolicyKind::Identity if !has_resource => Err(PolicyError::NoResources),
        PolicyKind::Trust if has_resource => Err(PolicyError::ResourceInTrustPolicy),
        PolicyKind::Trust | PolicyKind::Resource if !has_principal => Err(PolicyError::NoPrincipals),
        _ => Ok(()),
    }
}

/// An element that comes as `name` or as its negation `not_name` (never both).
fn either<T>(
    fields: &Map<String, Json>,
    name: &str,
    not_name: &str,
    read: fn(&Json) -> Result<Vec<T>, PolicyError>,
) -> Result<Option<Listed<T>>, PolicyError> {
    match (fields.get(name), fields.get(not_name)) {
        (Some(_), Some(_)) => Err(PolicyError::Syntax),
        (Some(json), None) => Ok(Some(Listed {
            items: read(json)?,
            negated: false,
        })),
        (None, Some(json)) => Ok(Some(Listed {
            items: read(json)?,
            negated: true,
        })),
        (None, None) => Ok(None),
    }
}

/// A string or a non-empty list of strings.
fn strings(json: &Json) -> Result<Vec<String>, PolicyError> {
    match json {
        Json::String(s) => Ok(vec![s.clone()]),
        Json::Array(list) if !list.is_empty() => list
            .iter()
            .map(|item| item.as_str().map(str::to_owned).ok_or(PolicyError::Syntax))
            .collect(),
        _ => Err(PolicyError::Syntax),
    }
}

fn actions(json: &Json) -> Result<Vec<String>, PolicyError> {
    let list = strings(json)?;
    for action in &list {
        if action == "*" {
            continue;
        }
        match action.matches(':').count() {
            0 => return Err(PolicyError::ActionWithoutVendor),
            1 => {}
            _ => return Err(PolicyError::ActionColons),
        }
    }
    Ok(list)
}

fn resources(json: &Json) -> Result<Vec<String>, PolicyError> {
    let list = strings(json)?;
    for resource in &list {
        if resource != "*" && !resource.starts_with("arn:") {
            return Err(PolicyError::ResourceNotArn(resource.clone()));
        }
    }
    Ok(list)
}

fn principals(json: &Json) -> Result<Vec<Principals>, PolicyError> {
    match json {
        Json::String(s) if s == "*" => Ok(vec![Principals::Everyone]),
        Json::Object(kinds) if !kinds.is_empty() => {
            let mut named = Vec::new();
            for (kind, values) in kinds {
                for value in strings(values)? {
                    named.push((kind.clone(), value));
                }
            }
            Ok(vec![Principals::Named(named)])
        }
        _ => Err(PolicyError::Syntax),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_policies_refuse_principals_and_need_resources() {
        let with_principal = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#;
        assert_eq!(
            Policy::parse(with_principal, PolicyKind::Identity).unwrap_err(),
            PolicyError::PrincipalInIdentityPolicy
        );
        let without_resource = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#;
        assert_eq!(
            Policy::parse(without_resource, PolicyKind::Identity).unwrap_err(),
            PolicyError::NoResources
        );
    }

    #[test]
    fn trust_policies_refuse_resources_and_need_principals() {
        let with_resource = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}"#;
        assert_eq!(
            Policy::parse(with_resource, PolicyKind::Trust).unwrap_err(),
            PolicyError::ResourceInTrustPolicy
        );
        let without_principal =
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#;
        assert_eq!(
            Policy::parse(without_principal, PolicyKind::Trust).unwrap_err(),
            PolicyError::NoPrincipals
        );
    }

    #[test]
    fn grammar_errors() {
        assert_eq!(
            Policy::parse("{", PolicyKind::Identity).unwrap_err(),
            PolicyError::InvalidJson
        );
        assert_eq!(
            Policy::parse("null", PolicyKind::Identity).unwrap_err(),
            PolicyError::Syntax
        );
        let colons = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"arn:aws:s3:x","Resource":"*"}]}"#;
        assert_eq!(
            Policy::parse(colons, PolicyKind::Identity).unwrap_err(),
            PolicyError::ActionColons
        );
        let effect =
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}"#;
        assert_eq!(
            Policy::parse(effect, PolicyKind::Identity).unwrap_err(),
            PolicyError::Syntax
        );
    }
}
