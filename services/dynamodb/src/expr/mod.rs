//! DynamoDB's expression language: a lexer, a parser with an explicit depth
//! bound (hostile nesting gets a ValidationException, never a stack
//! overflow), an evaluator for conditions, and the update actions.

pub mod ast;
pub mod eval;
pub mod lexer;
pub mod parser;
pub mod update;

use std::cell::RefCell;
use std::collections::BTreeSet;

use indexmap::IndexMap;
use nimbus_core::AwsError;

use crate::attribute::{AttributeValue, ExpressionValues};
use crate::error::validation;

/// Which request member an expression came from: it names the expression in
/// every message about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpressionKind {
    Condition,
    Filter,
    KeyCondition,
    Projection,
    Update,
}

impl ExpressionKind {
    pub fn member(self) -> &'static str {
        match self {
            ExpressionKind::Condition => "ConditionExpression",
            ExpressionKind::Filter => "FilterExpression",
            ExpressionKind::KeyCondition => "KeyConditionExpression",
            ExpressionKind::Projection => "ProjectionExpression",
            ExpressionKind::Update => "UpdateExpression",
        }
    }

    /// `Invalid <member>: <detail>`, DynamoDB's form for expression errors.
    pub fn error(self, detail: impl std::fmt::Display) -> AwsError {
        validation(format!("Invalid {}: {detail}", self.member()))
    }
}

/// `#name` / `:value`: the sigil, then letters, digits and `_`.
fn valid_placeholder(key: &str, sigil: char) -> bool {
    key.strip_prefix(sigil)
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

/// ExpressionAttributeNames and ExpressionAttributeValues of one request, and
/// which of them its expressions used (every one must be used).
pub struct Substitutions {
    names: Option<IndexMap<String, String>>,
    values: Option<IndexMap<String, AttributeValue>>,
    used_names: RefCell<BTreeSet<String>>,
    used_values: RefCell<BTreeSet<String>>,
}

impl Substitutions {
    /// A request's ExpressionAttributeNames and ExpressionAttributeValues
    /// (each value already checked as it was read), checking the maps.
    pub fn new(
        names: Option<IndexMap<String, String>>,
        values: Option<ExpressionValues>,
    ) -> Result<Substitutions, AwsError> {
        let values = values.map(|ExpressionValues(values)| values);
        if values.as_ref().is_some_and(IndexMap::is_empty) {
            return Err(validation("ExpressionAttributeValues must not be empty"));
        }
        if let Some(bad) = names
            .as_ref()
            .and_then(|n| n.keys().find(|k| !valid_placeholder(k, '#')))
        {
            return Err(validation(format!(
                "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{bad}\""
            )));
        }
        if let Some(bad) = values
            .as_ref()
            .and_then(|v| v.keys().find(|k| !valid_placeholder(k, ':')))
        {
            return Err(validation(format!(
                "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{bad}\""
            )));
        }
        if names.as_ref().is_some_and(IndexMap::is_empty) {
            return Err(validation("ExpressionAttributeNames must not be empty"));
        }
        Ok(Substitutions {
            names,
            values,
            used_names: RefCell::default(),
            used_values: RefCell::default(),
        })
    }

    pub fn none() -> Substitutions {
        Substitutions {
            names: None,
            values: None,
            used_names: RefCell::default(),
            used_values: RefCell::default(),
        }
    }

    /// The member given (names first), for "can only be specified" errors.
    pub fn given_member(&self) -> Option<&'static str> {
        if self.names.is_some() {
            Some("ExpressionAttributeNames")
        } else if self.values.is_some() {
            Some("ExpressionAttributeValues")
        } else {
            None
        }
    }

    pub fn name(&self, alias: &str, kind: ExpressionKind) -> Result<String, AwsError> {
        match self.names.as_ref().and_then(|names| names.get(alias)) {
            Some(name) => {
                self.used_names.borrow_mut().insert(alias.to_owned());
                Ok(name.clone())
            }
            None => Err(kind.error(format!(
                "An expression attribute name used in the document path is not defined; attribute name: {alias}"
            ))),
        }
    }

    pub fn value(&self, placeholder: &str, kind: ExpressionKind) -> Result<AttributeValue, AwsError> {
        match self.values.as_ref().and_then(|values| values.get(placeholder)) {
            Some(value) => {
                self.used_values.borrow_mut().insert(placeholder.to_owned());
                Ok(value.clone())
            }
            None => Err(kind.error(format!(
                "An expression attribute value used in expression is not defined; attribute value: {placeholder}"
            ))),
        }
    }

    /// Called once every expression of the request is parsed.
    pub fn check_all_used(&self) -> Result<(), AwsError> {
        if let Some(names) = &self.names {
            let used = self.used_names.borrow();
            let unused: Vec<&str> = names
                .keys()
                .filter(|k| !used.contains(*k))
                .map(String::as_str)
                .collect();
            if !unused.is_empty() {
                return Err(validation(format!(
                    "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                    unused.join(", ")
                )));
            }
        }
        if let Some(values) = &self.values {
            let used = self.used_values.borrow();
            let unused: Vec<&str> = values
                .keys()
                .filter(|k| !used.contains(*k))
                .map(String::as_str)
                .collect();
            if !unused.is_empty() {
                return Err(validation(format!(
                    "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                    unused.join(", ")
                )));
            }
        }
        Ok(())
    }
}
