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
use nimbus_core::{AwsError, Value};

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

/// The checks every request carrying legacy members passes first: legacy and
/// expression members are not mixed, and AttributesToGet names no attribute
/// twice.
pub fn check_request(input: &Value) -> Result<(), AwsError> {
    if !sends_any(input, &LEGACY_MEMBERS) && !sends_any(input, &["KeyConditions"]) {
        return Ok(());
    }
    let mut legacy: Vec<&str> = LEGACY_MEMBERS
        .into_iter()
        .filter(|m| input.get(m).is_some())
        .collect();
    let expressions: Vec<&str> = EXPRESSION_MEMBERS
        .into_iter()
        .filter(|m| input.get(m).is_some())
        .collect();
    // KeyConditions goes with FilterExpression or ProjectionExpression; only
    // KeyConditionExpression excludes it.
    if input.get("KeyConditionExpression").is_some() && input.get("KeyConditions").is_some() {
        legacy.push("KeyConditions");
    }
    if !legacy.is_empty() && !expressions.is_empty() {
        return Err(validation(format!(
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
            legacy.join(", "),
            expressions.join(", ")
        )));
    }
    if let Some(names) = input.get("AttributesToGet").and_then(Value::as_list) {
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(invalid(format!(
                    "Duplicate value in attribute name: {}",
                    name.as_str().unwrap_or_default()
                )));
            }
        }
    }
    Ok(())
}

/// `Expected` (with `ConditionalOperator`) of PutItem, UpdateItem and
/// DeleteItem as a condition on the current item.
pub fn expected(input: &Value) -> Result<Option<Condition>, AwsError> {
    if !sends_any(input, &["Expected", "ConditionalOperator"]) {
        return Ok(None);
    }
    let entries = map_member(input, "Expected")?;
    let mut conditions = Vec::with_capacity(entries.map_or(0, IndexMap::len));
    for (name, entry) in entries.into_iter().flatten() {
        conditions.push(expected_entry(name, entry)?);
    }
    combine(input, conditions)
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
pub fn filter(input: &Value, member: FilterMember) -> Result<Option<Condition>, AwsError> {
    if !sends_any(input, &[member.name(), "ConditionalOperator"]) {
        return Ok(None);
    }
    let entries = map_member(input, member.name())?;
    let mut conditions = Vec::with_capacity(entries.map_or(0, IndexMap::len));
    for (name, entry) in entries.into_iter().flatten() {
        let comparison = Comparison::read(member.name(), name, entry)?;
        conditions.push(comparison.into_condition(name));
    }
    combine(input, conditions)
}

/// `KeyConditions` of a Query as the key condition the expression path plans
/// its range scan from (which checks the key schema and value types).
pub fn key_conditions(input: &Value) -> Result<Option<Condition>, AwsError> {
    let Some(entries) = map_member(input, "KeyConditions")? else {
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
pub fn attribute_updates(input: &Value) -> Result<Option<Vec<UpdateAction>>, AwsError> {
    let Some(entries) = map_member(input, "AttributeUpdates")? else {
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

/// Whether the request carries any of `members`. Most requests carry no
/// legacy member, and one pass over the few members sent is several times
/// cheaper than a hash lookup per name.
fn sends_any(input: &Value, members: &[&str]) -> bool {
    match input {
        Value::Structure(sent) | Value::Map(sent) => sent.keys().any(|name| members.contains(&name.as_str())),
        _ => false,
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

fn map_member<'v>(input: &'v Value, member: &str) -> Result<Option<&'v IndexMap<String, Value>>, AwsError> {
    match input.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Map(entries) | Value::Structure(entries)) => Ok(Some(entries)),
        Some(_) => Err(crate::error::serialization("Unexpected value type in payload")),
    }
}

fn path(name: &str) -> Path {
    Path(vec![PathElement::Name(name.to_owned())])
}

/// Joins conditions with `ConditionalOperator` (AND unless OR is asked for),
/// checking that there are at least two to join when it is given.
fn combine(input: &Value, conditions: Vec<Condition>) -> Result<Option<Condition>, AwsError> {
    let operator = input.get("ConditionalOperator").and_then(Value::as_str);
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
    fn read(member: &str, name: &str, entry: &Value) -> Result<Comparison, AwsError> {
        let operator = operator_member(member, name, entry)?.ok_or_else(|| {
            validation(format!(
                "1 validation error detected: Value null at '{}.{name}.member.comparisonOperator' failed to satisfy constraint: Member must not be null",
                lower_first(member)
            ))
        })?;
        let values = value_list(entry)?.unwrap_or_default();
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

fn operator_member(member: &str, name: &str, entry: &Value) -> Result<Option<Operator>, AwsError> {
    let Some(text) = entry.get("ComparisonOperator").and_then(Value::as_str) else {
        return Ok(None);
    };
    Operator::parse(text).map(Some).ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value '{text}' at '{}.{name}.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]",
            lower_first(member)
        ))
    })
}

fn value_list(entry: &Value) -> Result<Option<Vec<AttributeValue>>, AwsError> {
    match entry.get("AttributeValueList") {
        None | Some(Value::Null) => Ok(None),
        Some(list) => list
            .as_list()
            .ok_or_else(|| crate::error::serialization("Unexpected value type in payload"))?
            .iter()
            .map(AttributeValue::from_value)
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
    }
}

fn lower_first(member: &str) -> String {
    let mut chars = member.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// One `ExpectedAttributeValue`, checked in DynamoDB's order.
fn expected_entry(name: &str, entry: &Value) -> Result<Condition, AwsError> {
    let exists = entry.get("Exists").and_then(Value::as_bool);
    let value = match entry.get("Value") {
        None | Some(Value::Null) => None,
        Some(value) => Some(AttributeValue::from_value(value)?),
    };
    let list = value_list(entry)?;
    let operator = operator_member("Expected", name, entry)?;
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
fn attribute_update(name: &str, update: &Value) -> Result<UpdateAction, AwsError> {
    let action = update.get("Action").and_then(Value::as_str).unwrap_or("PUT");
    let value = match update.get("Value") {
        None | Some(Value::Null) => None,
        Some(value) => Some(AttributeValue::from_value(value)?),
    };
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
mod tests {
    use serde_json::json;

    use super::*;
    use crate::attribute::{Item, item_from_value};
    use crate::expr::eval::evaluate;
    use crate::expr::update::apply;

    fn input(body: serde_json::Value) -> Value {
        nimbus_core::to_value(&body)
    }

    fn item(body: serde_json::Value) -> Item {
        item_from_value(&input(body)).expect("item")
    }

    fn expected_holds(expected: serde_json::Value, on: serde_json::Value) -> bool {
        let condition = super::expected(&input(json!({ "Expected": expected })))
            .expect("valid")
            .expect("a condition");
        evaluate(&condition, &item(on))
    }

    fn expected_error(body: serde_json::Value) -> String {
        super::expected(&input(body)).expect_err("refused").message
    }

    #[test]
    fn exists_and_value_forms() {
        let stored = json!({"pk": {"S": "k"}, "v": {"N": "5"}});
        assert!(expected_holds(
            json!({"v": {"Value": {"N": "5"}}}),
            stored.clone()
        ));
        assert!(expected_holds(
            json!({"v": {"Value": {"N": "5.0"}, "Exists": true}}),
            stored.clone()
        ));
        assert!(!expected_holds(
            json!({"v": {"Value": {"N": "6"}, "Exists": true}}),
            stored.clone()
        ));
        assert!(!expected_holds(
            json!({"v": {"Value": {"S": "5"}}}),
            stored.clone()
        ));
        assert!(expected_holds(json!({"gone": {"Exists": false}}), stored.clone()));
        assert!(!expected_holds(json!({"v": {"Exists": false}}), stored.clone()));
        // Value with a ComparisonOperator is its argument.
        assert!(expected_holds(
            json!({"v": {"Value": {"N": "4"}, "ComparisonOperator": "GT"}}),
            stored
        ));
    }

    #[test]
    fn every_comparison_operator() {
        let stored = json!({
            "n": {"N": "5"}, "s": {"S": "hello"}, "ss": {"SS": ["a", "b"]},
            "l": {"L": [{"S": "x"}, {"N": "1"}]}, "b": {"B": "AQID"}
        });
        let holds = |name: &str, op: &str, values: serde_json::Value| {
            expected_holds(
                json!({ name: {"ComparisonOperator": op, "AttributeValueList": values} }),
                stored.clone(),
            )
        };
        assert!(holds("n", "EQ", json!([{"N": "5"}])));
        assert!(holds("n", "NE", json!([{"N": "6"}])));
        assert!(holds("missing", "NE", json!([{"N": "6"}])));
        assert!(holds("n", "LE", json!([{"N": "5"}])));
        assert!(!holds("n", "LT", json!([{"N": "5"}])));
        assert!(holds("n", "GE", json!([{"N": "5"}])));
        assert!(holds("n", "GT", json!([{"N": "4"}])));
        assert!(holds("s", "GT", json!([{"S": "a"}])));
        assert!(!holds("n", "GT", json!([{"S": "4"}])));
        assert!(holds("s", "BEGINS_WITH", json!([{"S": "he"}])));
        assert!(holds("s", "CONTAINS", json!([{"S": "ell"}])));
        assert!(holds("ss", "CONTAINS", json!([{"S": "b"}])));
        assert!(holds("l", "CONTAINS", json!([{"N": "1"}])));
        assert!(holds("ss", "NOT_CONTAINS", json!([{"S": "c"}])));
        assert!(!holds("s", "NOT_CONTAINS", json!([{"S": "ell"}])));
        assert!(holds("n", "IN", json!([{"N": "1"}, {"N": "5"}])));
        assert!(!holds("n", "IN", json!([{"N": "1"}, {"N": "2"}])));
        assert!(holds("n", "BETWEEN", json!([{"N": "1"}, {"N": "5"}])));
        assert!(!holds("n", "BETWEEN", json!([{"N": "6"}, {"N": "9"}])));
        // Unit-test blobs are the raw text (the wire decodes base64).
        assert!(holds("b", "BEGINS_WITH", json!([{"B": "AQ"}])));
        assert!(holds("n", "NOT_NULL", json!([])));
        assert!(holds("missing", "NULL", json!([])));
        assert!(!holds("n", "NULL", json!([])));
    }

    #[test]
    fn conditional_operator_joins_entries() {
        let stored = json!({"a": {"N": "1"}, "b": {"N": "2"}});
        let both = json!({"a": {"Value": {"N": "1"}}, "b": {"Value": {"N": "9"}}});
        let condition = |operator: Option<&str>| {
            let mut body = json!({"Expected": both.clone()});
            if let Some(operator) = operator {
                body["ConditionalOperator"] = json!(operator);
            }
            let parsed = super::expected(&input(body)).expect("valid").expect("condition");
            evaluate(&parsed, &item(stored.clone()))
        };
        assert!(!condition(None));
        assert!(!condition(Some("AND")));
        assert!(condition(Some("OR")));
        let one = json!({"Expected": {"a": {"Exists": false}}, "ConditionalOperator": "OR"});
        assert_eq!(
            expected_error(one),
            "ConditionalOperator can only be used when Filter or Expected has two or more elements"
        );
        assert_eq!(
            expected_error(json!({"ConditionalOperator": "OR"})),
            "ConditionalOperator cannot be used without Filter or Expected"
        );
    }

    #[test]
    fn expected_shapes_are_checked_in_order() {
        let prefix = "1 validation error detected: One or more parameter values were invalid: ";
        let cases = [
            (
                json!({"Exists": true}),
                "Value must be provided when Exists is true for Attribute: a",
            ),
            (
                json!({}),
                "Value must be provided when Exists is null for Attribute: a",
            ),
            (
                json!({"Exists": false, "Value": {"S": "x"}}),
                "Value cannot be used when Exists is false for Attribute: a",
            ),
            (
                json!({"Exists": true, "ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}),
                "Exists and ComparisonOperator cannot be used together for Attribute: a",
            ),
            (
                json!({"Value": {"S": "x"}, "AttributeValueList": [{"S": "x"}]}),
                "Value and AttributeValueList cannot be used together for Attribute: a",
            ),
            (
                json!({"Exists": false, "AttributeValueList": [{"S": "x"}]}),
                "AttributeValueList can only be used with a ComparisonOperator for Attribute: a",
            ),
            (
                json!({"ComparisonOperator": "EQ"}),
                "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a",
            ),
        ];
        for (entry, message) in cases {
            assert_eq!(
                expected_error(json!({"Expected": {"a": entry}})),
                format!("{prefix}{message}")
            );
        }
    }

    #[test]
    fn argument_lists_are_checked() {
        let error = |op: &str, values: serde_json::Value| {
            expected_error(
                json!({"Expected": {"a": {"ComparisonOperator": op, "AttributeValueList": values}}}),
            )
        };
        assert_eq!(
            error("EQ", json!([])),
            "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"
        );
        assert_eq!(
            error("NULL", json!([{"S": "x"}])),
            "One or more parameter values were invalid: Invalid number of argument(s) for the NULL ComparisonOperator"
        );
        assert_eq!(
            error("BETWEEN", json!([{"N": "1"}])),
            "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator"
        );
        assert_eq!(
            error("IN", json!([{"N": "1"}, {"S": "1"}])),
            "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type"
        );
        assert_eq!(
            error("LT", json!([{"SS": ["a"]}])),
            "One or more parameter values were invalid: ComparisonOperator LT is not valid for SS AttributeValue type"
        );
        assert_eq!(
            error("BEGINS_WITH", json!([{"N": "1"}])),
            "One or more parameter values were invalid: ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"
        );
        assert_eq!(
            error("BETWEEN", json!([{"N": "9"}, {"N": "1"}])),
            "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"
        );
        assert!(error("FOO", json!([])).contains("Member must satisfy enum value set"));
        // EQ compares any type, lists and maps included.
        assert!(
            super::expected(&input(
                json!({"Expected": {"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"L": []}]}}})
            ))
            .is_ok()
        );
    }

    #[test]
    fn mixing_is_refused_with_dynamodb_lists() {
        let error = check_request(&input(json!({
            "Expected": {}, "ConditionalOperator": "AND",
            "ConditionExpression": "a = b", "UpdateExpression": "SET a = b"
        })))
        .expect_err("mixed");
        assert_eq!(
            error.message,
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected, ConditionalOperator} Expression parameters: {UpdateExpression, ConditionExpression}"
        );
        let error = check_request(&input(
            json!({"KeyConditions": {}, "KeyConditionExpression": "a = :a"}),
        ))
        .expect_err("mixed");
        assert!(error.message.ends_with(
            "Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}"
        ));
        assert!(check_request(&input(json!({"KeyConditions": {}, "FilterExpression": "a = :a"}))).is_ok());
        let error =
            check_request(&input(json!({"AttributesToGet": ["a", "b", "a"]}))).expect_err("duplicate");
        assert_eq!(
            error.message,
            "One or more parameter values were invalid: Duplicate value in attribute name: a"
        );
    }

    #[test]
    fn filters_and_key_conditions() {
        let body = json!({
            "ScanFilter": {
                "a": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "1"}]},
                "b": {"ComparisonOperator": "NULL"}
            },
            "ConditionalOperator": "OR"
        });
        let parsed = filter(&input(body), FilterMember::Scan)
            .expect("valid")
            .expect("filter");
        assert!(evaluate(&parsed, &item(json!({"a": {"N": "0"}}))));
        assert!(!evaluate(
            &parsed,
            &item(json!({"a": {"N": "0"}, "b": {"N": "0"}}))
        ));
        let missing = json!({"QueryFilter": {"a": {"AttributeValueList": []}}});
        assert!(
            filter(&input(missing), FilterMember::Query)
                .expect_err("no operator")
                .message
                .contains("'queryFilter.a.member.comparisonOperator'")
        );
        let keys = json!({"KeyConditions": {
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
            "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "3"}]}
        }});
        assert!(matches!(
            key_conditions(&input(keys)),
            Ok(Some(Condition::And(..)))
        ));
        let not_indexable = json!({"KeyConditions": {"pk": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "p"}]}}});
        assert_eq!(
            key_conditions(&input(not_indexable)).expect_err("NE").message,
            "Attempted conditional constraint is not an indexable operation"
        );
    }

    fn updated(updates: serde_json::Value, on: serde_json::Value) -> Result<Item, AwsError> {
        let actions = attribute_updates(&input(json!({ "AttributeUpdates": updates })))?.expect("actions");
        let mut target = item(on);
        apply(&actions, &mut target).map_err(update_error)?;
        Ok(target)
    }

    #[test]
    fn attribute_updates_follow_dynamodb_rules() {
        let stored = json!({
            "pk": {"S": "k"}, "n": {"N": "1"}, "ss": {"SS": ["a", "b"]}, "l": {"L": [{"N": "1"}]}, "s": {"S": "x"}
        });
        let result = updated(
            json!({
                "n": {"Action": "ADD", "Value": {"N": "2.5"}},
                "ss": {"Action": "DELETE", "Value": {"SS": ["a"]}},
                "l": {"Action": "ADD", "Value": {"L": [{"N": "2"}]}},
                "new_list": {"Action": "ADD", "Value": {"L": [{"S": "z"}]}},
                "counter": {"Action": "ADD", "Value": {"N": "1"}},
                "s": {"Action": "DELETE"},
                "put": {"Value": {"S": "p"}}
            }),
            stored.clone(),
        )
        .expect("applies");
        assert_eq!(
            result,
            item(json!({
                "pk": {"S": "k"}, "n": {"N": "3.5"}, "ss": {"SS": ["b"]},
                "l": {"L": [{"N": "1"}, {"N": "2"}]},
                "new_list": {"L": [{"S": "z"}]}, "counter": {"N": "1"}, "put": {"S": "p"}
            }))
        );
        // Deleting every member removes the set.
        let emptied = updated(
            json!({"ss": {"Action": "DELETE", "Value": {"SS": ["a", "b"]}}}),
            stored.clone(),
        )
        .expect("applies");
        assert!(!emptied.contains_key("ss"));
        let mismatch = updated(
            json!({"s": {"Action": "ADD", "Value": {"N": "1"}}}),
            stored.clone(),
        )
        .expect_err("S plus N");
        assert_eq!(mismatch.message, "Type mismatch for attribute to update");
        let mismatch = updated(
            json!({"n": {"Action": "ADD", "Value": {"L": []}}}),
            stored.clone(),
        )
        .expect_err("N plus L");
        assert_eq!(mismatch.message, "Type mismatch for attribute to update");
        let mismatch = updated(
            json!({"ss": {"Action": "DELETE", "Value": {"NS": ["1"]}}}),
            stored,
        )
        .expect_err("SS minus NS");
        assert_eq!(mismatch.message, "Type mismatch for attribute to update");
    }

    #[test]
    fn attribute_update_shapes_are_checked() {
        let error = |update: serde_json::Value| {
            attribute_updates(&input(json!({"AttributeUpdates": {"a": update}})))
                .expect_err("refused")
                .message
        };
        assert_eq!(
            error(json!({"Action": "PUT"})),
            "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"
        );
        assert_eq!(
            error(json!({"Action": "ADD"})),
            "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"
        );
        assert_eq!(
            error(json!({"Action": "DELETE", "Value": {"N": "1"}})),
            "One or more parameter values were invalid: DELETE action with value is not supported for the type N"
        );
        assert_eq!(
            error(json!({"Action": "ADD", "Value": {"S": "x"}})),
            "One or more parameter values were invalid: ADD action is not supported for the type S"
        );
        assert_eq!(
            error(json!({"Action": "ADD", "Value": {"M": {}}})),
            "One or more parameter values were invalid: ADD action is not supported for the type M"
        );
    }
}
