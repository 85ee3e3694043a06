//! DynamoDB's legacy (pre-expression) parameters: Expected, AttributeUpdates,
//! KeyConditions, QueryFilter, ScanFilter, ConditionalOperator and
//! AttributesToGet.
//!
//! Each is checked with DynamoDB's messages, then translated into the
//! [`Condition`] and [`UpdateAction`] trees the expression parser builds, so
//! evaluation, key-range planning and update application are the expression
//! path's, not a second implementation. Legacy attribute names are literal
//! top-level names: no placeholders, no document paths, no reserved words.

use indexmap::IndexMap;
use nimbus_core::AwsError;
use nimbus_dynamodb_api::{AttributeValueUpdate, Condition as LegacyCondition, ExpectedAttributeValue};

use crate::attribute::AttributeValue;
use crate::error::validation;
use crate::expr::ast::{Comparator, Condition, Operand, Path, PathElement, SetValue, UpdateAction};

/// Legacy members, in the order DynamoDB lists them in its mixing message.
const LEGACY_MEMBERS: [&str; 6] = [
    "AttributeUpdates",
    "AttributesToGet",
    "Expected",
    "QueryFilter",
    "ScanFilter",
    "ConditionalOperator",
];

/// Expression members, in DynamoDB's order.
const EXPRESSION_MEMBERS: [&str; 5] = [
    "UpdateExpression",
    "ProjectionExpression",
    "ConditionExpression",
    "FilterExpression",
    "KeyConditionExpression",
];

/// The legacy and expression members a request carries (by their names in
/// the lists above, and `KeyConditions`), and its AttributesToGet.
#[derive(Default)]
pub struct Sent<'r> {
    members: Vec<&'static str>,
    pub attributes_to_get: Option<&'r [String]>,
}

impl Sent<'_> {
    /// The members whose flag is set.
    pub fn of(members: &[(&'static str, bool)]) -> Sent<'static> {
        Sent {
            members: members
                .iter()
                .filter(|(_, set)| *set)
                .map(|(name, _)| *name)
                .collect(),
            attributes_to_get: None,
        }
    }

    /// The request's AttributesToGet, checked for duplicates.
    pub fn with_attributes_to_get(self, names: Option<&[String]>) -> Sent<'_> {
        Sent {
            members: self.members,
            attributes_to_get: names,
        }
    }

    fn has(&self, member: &str) -> bool {
        self.members.contains(&member)
    }
}

/// The checks every request carrying legacy members passes first: legacy and
/// expression members are not mixed, and AttributesToGet names no attribute
/// twice.
pub fn check_request(sent: &Sent<'_>) -> Result<(), AwsError> {
    if !LEGACY_MEMBERS.iter().any(|m| sent.has(m)) && !sent.has("KeyConditions") {
        return Ok(());
    }
    let mut legacy: Vec<&str> = LEGACY_MEMBERS.into_iter().filter(|m| sent.has(m)).collect();
    let expressions: Vec<&str> = EXPRESSION_MEMBERS.into_iter().filter(|m| sent.has(m)).collect();
    // KeyConditions goes with FilterExpression or ProjectionExpression; only
    // KeyConditionExpression excludes it.
    if sent.has("KeyConditionExpression") && sent.has("KeyConditions") {
        legacy.push("KeyConditions");
    }
    if !legacy.is_empty() && !expressions.is_empty() {
        return Err(validation(format!(
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
            legacy.join(", "),
            expressions.join(", ")
        )));
    }
    if let Some(names) = sent.attributes_to_get {
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(invalid(format!("Duplicate value in attribute name: {name}")));
            }
        }
    }
    Ok(())
}

/// `Expected` (with `ConditionalOperator`) of PutItem, UpdateItem and
/// DeleteItem as a condition on the current item.
pub fn expected(
    entries: Option<&IndexMap<String, ExpectedAttributeValue>>,
    operator: Option<&str>,
) -> Result<Option<Condition>, AwsError> {
    if entries.is_none() && operator.is_none() {
        return Ok(None);
    }
    let mut conditions = Vec::with_capacity(entries.map_or(0, IndexMap::len));
    for (name, entry) in entries.into_iter().flatten() {
        conditions.push(expected_entry(name, entry)?);
    }
    combine(operator, conditions)
}

/// Which filter member a read carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterMember {
    Query,
    Scan,
}

impl FilterMember {
    fn name(self) -> &'static str {
        match self {
            FilterMember::Query => "QueryFilter",
            FilterMember::Scan => "ScanFilter",
        }
    }
}

/// `QueryFilter` or `ScanFilter` (with `ConditionalOperator`) as a filter.
pub fn filter(
    entries: Option<&IndexMap<String, LegacyCondition>>,
    member: FilterMember,
    operator: Option<&str>,
) -> Result<Option<Condition>, AwsError> {
    if entries.is_none() && operator.is_none() {
        return Ok(None);
    }
    let mut conditions = Vec::with_capacity(entries.map_or(0, IndexMap::len));
    for (name, entry) in entries.into_iter().flatten() {
        let comparison = Comparison::read(member.name(), name, entry)?;
        conditions.push(comparison.into_condition(name));
    }
    combine(operator, conditions)
}

/// `KeyConditions` of a Query as the key condition the expression path plans
/// its range scan from (which checks the key schema and value types).
pub fn key_conditions(
    entries: Option<&IndexMap<String, LegacyCondition>>,
) -> Result<Option<Condition>, AwsError> {
    let Some(entries) = entries else {
        return Ok(None);
    };
    let mut conditions = Vec::with_capacity(entries.len());
    for (name, entry) in entries {
        let comparison = Comparison::read("KeyConditions", name, entry)?;
        if !comparison.operator.is_indexable() {
            return Err(validation(
                "Attempted conditional constraint is not an indexable operation",
            ));
        }
        conditions.push(comparison.into_condition(name));
    }
    Ok(conditions
        .into_iter()
        .reduce(|a, b| Condition::And(Box::new(a), Box::new(b))))
}

/// `AttributeUpdates` of UpdateItem as update actions.
pub fn attribute_updates(
    entries: Option<&IndexMap<String, AttributeValueUpdate>>,
) -> Result<Option<Vec<UpdateAction>>, AwsError> {
    let Some(entries) = entries else {
        return Ok(None);
    };
    let mut actions = Vec::with_capacity(entries.len());
    for (name, update) in entries {
        actions.push(attribute_update(name, update)?);
    }
    Ok(Some(actions))
}

/// What a legacy update's type clash is called: the expression path's
/// messages name operators the request never used.
pub fn update_error(error: AwsError) -> AwsError {
    let clash = error
        .message
        .starts_with("Invalid UpdateExpression: Incorrect operand type")
        || error.message == "An operand in the update expression has an incorrect data type";
    if clash {
        validation("Type mismatch for attribute to update")
    } else {
        error
    }
}

/// What a QueryFilter naming a key attribute is told (the expression path
/// names FilterExpression).
pub fn query_filter_error(error: AwsError) -> AwsError {
    match error
        .message
        .strip_prefix("Filter Expression can only contain non-primary key attributes: ")
    {
        Some(detail) => validation(format!(
            "QueryFilter can only contain non-primary key attributes: {detail}"
        )),
        None => error,
    }
}

/// `One or more parameter values were invalid: <detail>`.
fn invalid(detail: impl std::fmt::Display) -> AwsError {
    validation(format!("One or more parameter values were invalid: {detail}"))
}

/// DynamoDB reports an Expected entry's own inconsistencies as a model
/// validation error, with its count prefix.
fn invalid_expected(detail: impl std::fmt::Display) -> AwsError {
    validation(format!(
        "1 validation error detected: One or more parameter values were invalid: {detail}"
    ))
}

fn path(name: &str) -> Path {
    Path(vec![PathElement::Name(name.to_owned())])
}

/// Joins conditions with `ConditionalOperator` (AND unless OR is asked for),
/// checking that there are at least two to join when it is given.
fn combine(operator: Option<&str>, conditions: Vec<Condition>) -> Result<Option<Condition>, AwsError> {
    if operator.is_some() {
        match conditions.len() {
            0 => {
                return Err(validation(
                    "ConditionalOperator cannot be used without Filter or Expected",
                ));
            }
            1 => {
                return Err(validation(
                    "ConditionalOperator can only be used when Filter or Expected has two or more elements",
                ));
            }
            _ => {}
        }
    }
    let or = operator == Some("OR");
    Ok(conditions.into_iter().reduce(|a, b| {
        if or {
            Condition::Or(Box::new(a), Box::new(b))
        } else {
            Condition::And(Box::new(a), Box::new(b))
        }
    }))
}

/// The legacy ComparisonOperator values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    Eq,
    Ne,
    Le,
    Lt,
    Ge,
    Gt,
    NotNull,
    Null,
    Contains,
    NotContains,
    BeginsWith,
    In,
    Between,
}

impl Operator {
    const ALL: [Operator; 13] = [
        Operator::Eq,
        Operator::Ne,
        Operator::Le,
        Operator::Lt,
        Operator::Ge,
        Operator::Gt,
        Operator::NotNull,
        Operator::Null,
        Operator::Contains,
        Operator::NotContains,
        Operator::BeginsWith,
        Operator::In,
        Operator::Between,
    ];

    fn name(self) -> &'static str {
        match self {
            Operator::Eq => "EQ",
            Operator::Ne => "NE",
            Operator::Le => "LE",
            Operator::Lt => "LT",
            Operator::Ge => "GE",
            Operator::Gt => "GT",
            Operator::NotNull => "NOT_NULL",
            Operator::Null => "NULL",
            Operator::Contains => "CONTAINS",
            Operator::NotContains => "NOT_CONTAINS",
            Operator::BeginsWith => "BEGINS_WITH",
            Operator::In => "IN",
            Operator::Between => "BETWEEN",
        }
    }

    fn parse(name: &str) -> Option<Operator> {
        Operator::ALL.into_iter().find(|op| op.name() == name)
    }

    fn takes_values(self) -> bool {
        !matches!(self, Operator::NotNull | Operator::Null)
    }

    fn accepts_count(self, count: usize) -> bool {
        match self {
            Operator::NotNull | Operator::Null => count == 0,
            Operator::In => count >= 1,
            Operator::Between => count == 2,
            _ => count == 1,
        }
    }

    /// EQ and NE compare any type; ordering and matching operators take
    /// scalars only, BEGINS_WITH strings and binaries.
    fn accepts_type(self, value: &AttributeValue) -> bool {
        match self {
            Operator::Eq | Operator::Ne | Operator::NotNull | Operator::Null => true,
            Operator::BeginsWith => matches!(value, AttributeValue::S(_) | AttributeValue::B(_)),
            _ => matches!(
                value,
                AttributeValue::S(_) | AttributeValue::N(_) | AttributeValue::B(_)
            ),
        }
    }

    /// What a Query's KeyConditions may use.
    fn is_indexable(self) -> bool {
        matches!(
            self,
            Operator::Eq
                | Operator::Le
                | Operator::Lt
                | Operator::Ge
                | Operator::Gt
                | Operator::BeginsWith
                | Operator::Between
        )
    }
}

/// One checked `ComparisonOperator` with its arguments.
#[derive(Debug)]
struct Comparison {
    operator: Operator,
    values: Vec<AttributeValue>,
}

impl Comparison {
    /// A `Condition` structure of QueryFilter, ScanFilter or KeyConditions.
    fn read(member: &str, name: &str, entry: &LegacyCondition) -> Result<Comparison, AwsError> {
        let operator = parse_operator(member, name, &entry.comparison_operator)?;
        let values = entry.attribute_value_list.clone().unwrap_or_default();
        Comparison::new(operator, values)
    }

    /// Checks the argument count, their types and BETWEEN's bounds.
    fn new(operator: Operator, values: Vec<AttributeValue>) -> Result<Comparison, AwsError> {
        if !operator.accepts_count(values.len()) {
            return Err(invalid(format!(
                "Invalid number of argument(s) for the {} ComparisonOperator",
                operator.name()
            )));
        }
        if let Some(first) = values.first()
            && values.iter().any(|v| v.type_name() != first.type_name())
        {
            return Err(invalid(
                "AttributeValues inside AttributeValueList must be of same type",
            ));
        }
        if let Some(wrong) = values.iter().find(|v| !operator.accepts_type(v)) {
            return Err(invalid(format!(
                "ComparisonOperator {} is not valid for {} AttributeValue type",
                operator.name(),
                wrong.type_name()
            )));
        }
        if let [low, high] = values.as_slice()
            && operator == Operator::Between
            && low.compare(high) == Some(std::cmp::Ordering::Greater)
        {
            return Err(validation(
                "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
            ));
        }
        Ok(Comparison { operator, values })
    }

    /// The expression-language condition with the same meaning.
    fn into_condition(self, name: &str) -> Condition {
        let attribute = Operand::Path(path(name));
        let mut values: std::collections::VecDeque<Operand> =
            self.values.into_iter().map(Operand::Value).collect();
        // Counts were checked in `new`, so a missing argument cannot occur.
        let mut next = || {
            values
                .pop_front()
                .unwrap_or(Operand::Value(AttributeValue::Null(true)))
        };
        let comparator = match self.operator {
            Operator::Eq => Comparator::Equal,
            Operator::Ne => Comparator::NotEqual,
            Operator::Le => Comparator::LessEqual,
            Operator::Lt => Comparator::Less,
            Operator::Ge => Comparator::GreaterEqual,
            Operator::Gt => Comparator::Greater,
            Operator::NotNull => return Condition::Exists(path(name)),
            Operator::Null => return Condition::NotExists(path(name)),
            Operator::Contains => return Condition::Contains(attribute, next()),
            Operator::NotContains => {
                return Condition::Not(Box::new(Condition::Contains(attribute, next())));
            }
            Operator::BeginsWith => return Condition::BeginsWith(attribute, next()),
            Operator::Between => {
                let low = next();
                return Condition::Between(attribute, low, next());
            }
            Operator::In => {
                let options = std::iter::from_fn(|| values.pop_front()).collect();
                return Condition::In(attribute, options);
            }
        };
        Condition::Compare(attribute, comparator, next())
    }
}

/// A `ComparisonOperator` of `member`'s entry for attribute `name`.
fn parse_operator(member: &str, name: &str, text: &str) -> Result<Operator, AwsError> {
    Operator::parse(text).ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value '{text}' at '{}.{name}.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]",
            lower_first(member)
        ))
    })
}

fn lower_first(member: &str) -> String {
    let mut chars = member.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// One `ExpectedAttributeValue`, checked in DynamoDB's order.
fn expected_entry(name: &str, entry: &ExpectedAttributeValue) -> Result<Condition, AwsError> {
    let exists = entry.exists;
    let value = entry.value.clone();
    let list = entry.attribute_value_list.clone();
    let operator = entry
        .comparison_operator
        .as_deref()
        .map(|text| parse_operator("Expected", name, text))
        .transpose()?;
    if exists.is_some() && operator.is_some() {
        return Err(invalid_expected(format!(
            "Exists and ComparisonOperator cannot be used together for Attribute: {name}"
        )));
    }
    if value.is_some() && list.is_some() {
        return Err(invalid_expected(format!(
            "Value and AttributeValueList cannot be used together for Attribute: {name}"
        )));
    }
    if operator.is_none() && list.is_some() {
        return Err(invalid_expected(format!(
            "AttributeValueList can only be used with a ComparisonOperator for Attribute: {name}"
        )));
    }
    if exists == Some(false) && value.is_some() {
        return Err(invalid_expected(format!(
            "Value cannot be used when Exists is false for Attribute: {name}"
        )));
    }
    if value.is_none() && list.is_none() {
        match (operator, exists) {
            (Some(op), _) if op.takes_values() => {
                return Err(invalid_expected(format!(
                    "Value or AttributeValueList must be used with ComparisonOperator: {} for Attribute: {name}",
                    op.name()
                )));
            }
            (None, None) => {
                return Err(invalid_expected(format!(
                    "Value must be provided when Exists is null for Attribute: {name}"
                )));
            }
            (None, Some(true)) => {
                return Err(invalid_expected(format!(
                    "Value must be provided when Exists is true for Attribute: {name}"
                )));
            }
            _ => {}
        }
    }
    Ok(match (operator, value) {
        // A ComparisonOperator takes Value as its one argument, or the list.
        (Some(op), value) => {
            let values = match value {
                Some(value) => vec![value],
                None => list.unwrap_or_default(),
            };
            Comparison::new(op, values)?.into_condition(name)
        }
        (None, Some(value)) => Condition::Compare(
            Operand::Path(path(name)),
            Comparator::Equal,
            Operand::Value(value),
        ),
        // Exists: false alone (every other shape was refused above).
        (None, None) => Condition::NotExists(path(name)),
    })
}

/// One `AttributeValueUpdate`, checked as DynamoDB checks it, as an action.
fn attribute_update(name: &str, update: &AttributeValueUpdate) -> Result<UpdateAction, AwsError> {
    let action = update.action.as_deref().unwrap_or("PUT");
    let value = update.value.clone();
    let target = path(name);
    let is_set = |v: &AttributeValue| {
        matches!(
            v,
            AttributeValue::SS(_) | AttributeValue::NS(_) | AttributeValue::BS(_)
        )
    };
    match (action, value) {
        ("DELETE", None) => Ok(UpdateAction::Remove(target)),
        (_, None) => Err(invalid(
            "Only DELETE action is allowed when no attribute value is specified",
        )),
        ("DELETE", Some(value)) if is_set(&value) => Ok(UpdateAction::Delete(target, value)),
        ("DELETE", Some(value)) => Err(invalid(format!(
            "DELETE action with value is not supported for the type {}",
            value.type_name()
        ))),
        // ADD appends to a list (creating it when absent), as list_append
        // over if_not_exists does.
        ("ADD", Some(AttributeValue::L(items))) => Ok(UpdateAction::Set(
            target.clone(),
            SetValue::ListAppend(
                Box::new(SetValue::IfNotExists(
                    target,
                    Box::new(SetValue::Operand(Operand::Value(AttributeValue::L(Vec::new())))),
                )),
                Box::new(SetValue::Operand(Operand::Value(AttributeValue::L(items)))),
            ),
        )),
        ("ADD", Some(value)) if is_set(&value) || matches!(value, AttributeValue::N(_)) => {
            Ok(UpdateAction::Add(target, value))
        }
        ("ADD", Some(value)) => Err(invalid(format!(
            "ADD action is not supported for the type {}",
            value.type_name()
        ))),
        ("PUT", Some(value)) => Ok(UpdateAction::Set(
            target,
            SetValue::Operand(Operand::Value(value)),
        )),
        (other, Some(_)) => Err(validation(format!(
            "1 validation error detected: Value '{other}' at 'attributeUpdates.{name}.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"
        ))),
    }
}

#[cfg(test)]
mod tests;
