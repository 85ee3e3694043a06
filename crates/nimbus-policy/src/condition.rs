//! The Condition element: operators, the `ForAnyValue:`/`ForAllValues:`
//! set qualifiers, `...IfExists`, and `Null`. Operators and keys in one
//! block must all hold; the values of one key are alternatives.

use serde_json::Value as Json;

use crate::context::Context;
use crate::errors::PolicyError;
use crate::operators::{Compiled, Operator, value_matches};

/// How a condition reads a key with several values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    /// No qualifier: the key's value against the listed values.
    Single,
    ForAnyValue,
    ForAllValues,
}

/// One operator applied to one key.
#[derive(Debug, Clone)]
pub struct Condition {
    pub operator: Operator,
    pub qualifier: Qualifier,
    pub if_exists: bool,
    /// Lower-cased: keys are case-insensitive.
    pub key: String,
    /// The key as the policy writes it (what the simulator reports).
    pub name: String,
    /// The values as the operator reads them (numbers, dates and CIDR
    /// blocks parsed once, text compiled into patterns).
    pub values: Vec<Compiled>,
}

/// Parses `{"StringEquals": {"aws:username": "alice"}, ...}`.
pub(crate) fn parse_conditions(block: &Json, variables: bool) -> Result<Vec<Condition>, PolicyError> {
    let Json::Object(operators) = block else {
        return Err(PolicyError::Syntax);
    };
    let mut conditions = Vec::new();
    for (name, keys) in operators {
        let (qualifier, rest) = match name.split_once(':') {
            Some(("ForAnyValue", rest)) => (Qualifier::ForAnyValue, rest),
            Some(("ForAllValues", rest)) => (Qualifier::ForAllValues, rest),
            Some(_) => return Err(PolicyError::UnknownOperator(name.clone())),
            None => (Qualifier::Single, name.as_str()),
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(base) => (base, true),
            None => (rest, false),
        };
        let operator = Operator::from_name(base).ok_or_else(|| PolicyError::UnknownOperator(name.clone()))?;
        if operator == Operator::Null && if_exists {
            return Err(PolicyError::UnknownOperator(name.clone()));
        }
        let Json::Object(keys) = keys else {
            return Err(PolicyError::Syntax);
        };
        for (key, values) in keys {
            conditions.push(Condition {
                operator,
                qualifier,
                if_exists,
                key: key.to_ascii_lowercase(),
                name: key.clone(),
                values: condition_values(values)?
                    .iter()
                    .map(|text| Compiled::new(operator, text, variables))
                    .collect(),
            });
        }
    }
    Ok(conditions)
}

/// A value or list of values; numbers and booleans are read as their text.
fn condition_values(json: &Json) -> Result<Vec<String>, PolicyError> {
    let one = |value: &Json| match value {
        Json::String(s) => Ok(s.clone()),
        Json::Bool(b) => Ok(b.to_string()),
        Json::Number(n) => Ok(n.to_string()),
        _ => Err(PolicyError::Syntax),
    };
    match json {
        Json::Array(list) => list.iter().map(one).collect(),
        value => Ok(vec![one(value)?]),
    }
}

impl Condition {
    /// Whether the condition holds for the request.
    pub fn holds(&self, context: &Context) -> bool {
        let present = context.get(&self.key).filter(|values| !values.is_empty());
        if self.operator == Operator::Null {
            return self.null_holds(present.is_some());
        }
        let Some(request_values) = present else {
            return self.if_exists
                || match self.qualifier {
                    Qualifier::ForAllValues => true,
                    Qualifier::ForAnyValue => false,
                    Qualifier::Single => self.operator.is_negated(),
                };
        };
        // The positive test of one request value: any policy value fits.
        let fits = |request: &str| {
            self.values
                .iter()
                .any(|policy| value_matches(self.operator, policy, request, context))
        };
        // A negated operator fits a value no policy value matches.
        let satisfied = |request: &str| fits(request) != self.operator.is_negated();
        match self.qualifier {
            Qualifier::ForAllValues => request_values.iter().all(|v| satisfied(v)),
            Qualifier::ForAnyValue => request_values.iter().any(|v| satisfied(v)),
            Qualifier::Single if self.operator.is_negated() => request_values.iter().all(|v| satisfied(v)),
            Qualifier::Single => request_values.iter().any(|v| satisfied(v)),
        }
    }

    /// `Null: true` holds when the key is absent; `false` when present.
    fn null_holds(&self, present: bool) -> bool {
        self.values.iter().any(|value| match value {
            Compiled::Flag(Some(true)) => !present,
            Compiled::Flag(Some(false)) => present,
            _ => false,
        })
    }
}
