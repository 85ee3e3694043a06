//! Reading members of an item operation's decoded request, and the pieces of
//! answer every item operation shares (consumed capacity, return values).

use indexmap::IndexMap;
use nimbus_core::{AwsError, Value};

use crate::attribute::{Item, item_from_value, item_size};
use crate::error::validation;
use crate::expr::ast::{Condition, Path};
use crate::expr::eval::evaluate;
use crate::expr::parser::{parse_condition, parse_projection};
use crate::expr::{ExpressionKind, Substitutions};

/// Largest item DynamoDB stores: 400 KB.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

pub fn string<'v>(input: &'v Value, member: &str) -> Option<&'v str> {
    input.get(member).and_then(Value::as_str)
}

pub fn required_string(input: &Value, member: &str) -> Result<String, AwsError> {
    string(input, member).map(str::to_owned).ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
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

pub fn item_member(input: &Value, member: &str) -> Result<Item, AwsError> {
    match input.get(member) {
        Some(value) => item_from_value(value),
        None => Err(validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_first(member)
        ))),
    }
}

/// The checks every item written passes: size and nesting.
pub fn check_item_size(item: &Item) -> Result<(), AwsError> {
    if crate::attribute::nesting_depth(item) > crate::attribute::MAX_NESTING {
        return Err(validation("Nesting Levels have exceeded supported limits"));
    }
    if item_size(item) > MAX_ITEM_BYTES {
        return Err(validation("Item size has exceeded the maximum allowed size"));
    }
    Ok(())
}

/// `ReturnValues`, checked against what the operation allows.
pub fn return_values(input: &Value, allowed: &[&str]) -> Result<String, AwsError> {
    let value = string(input, "ReturnValues").unwrap_or("NONE");
    if !allowed.contains(&value) {
        return Err(validation("Return values set to invalid value"));
    }
    Ok(value.to_owned())
}

/// The expressions of one request, parsed together so unused names and
/// values are found across all of them.
pub struct Expressions {
    pub condition: Option<Condition>,
    pub projection: Option<Vec<Path>>,
}

pub fn parse_expressions(
    input: &Value,
    subs: &Substitutions,
    condition_member: Option<(&str, ExpressionKind)>,
) -> Result<Expressions, AwsError> {
    let condition = match condition_member.and_then(|(member, kind)| string(input, member).map(|s| (s, kind)))
    {
        Some((source, kind)) => Some(parse_condition(source, kind, subs)?),
        None => None,
    };
    let projection = match string(input, "ProjectionExpression") {
        Some(source) => Some(parse_projection(source, subs)?),
        None => input
            .get("AttributesToGet")
            .and_then(Value::as_list)
            .map(|names| {
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|n| Path(vec![crate::expr::ast::PathElement::Name(n.to_owned())]))
                    .collect()
            }),
    };
    Ok(Expressions {
        condition,
        projection,
    })
}

/// Names and values given without any expression to use them.
pub fn check_substitutions_used(subs: &Substitutions, any_expression: bool) -> Result<(), AwsError> {
    if !any_expression && let Some(member) = subs.given_member() {
        return Err(validation(format!(
            "{member} can only be specified when using expressions"
        )));
    }
    subs.check_all_used()
}

/// Checks a write's condition against the current item.
pub fn check_condition(
    condition: Option<&Condition>,
    current: Option<&Item>,
    return_item: bool,
) -> Result<(), AwsError> {
    let Some(condition) = condition else { return Ok(()) };
    let empty = Item::new();
    if evaluate(condition, current.unwrap_or(&empty)) {
        return Ok(());
    }
    let mut error = crate::error::conditional_check_failed();
    if return_item && let Some(item) = current {
        error = error.with_field("Item", crate::attribute::item_to_value(item));
    }
    Err(error)
}

/// `ConsumedCapacity` when the request asked for it (`TOTAL` or `INDEXES`).
pub fn consumed_capacity(input: &Value, table: &str, units: f64) -> Option<Value> {
    let mode = string(input, "ReturnConsumedCapacity")?;
    if mode == "NONE" {
        return None;
    }
    let mut members = IndexMap::new();
    members.insert("TableName".to_owned(), Value::String(table.to_owned()));
    members.insert("CapacityUnits".to_owned(), Value::Float(units));
    if mode == "INDEXES" {
        let mut table_units = IndexMap::new();
        table_units.insert("CapacityUnits".to_owned(), Value::Float(units));
        members.insert("Table".to_owned(), Value::Structure(table_units));
    }
    Some(Value::Structure(members))
}

/// Write units: one per KB of the larger of the old and new item.
pub fn write_units(old: Option<&Item>, new: Option<&Item>) -> f64 {
    let size = old.map_or(0, item_size).max(new.map_or(0, item_size));
    size.div_ceil(1024).max(1) as f64
}

/// Read units: one per 4 KB read, half for eventually consistent reads.
pub fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent { units } else { units / 2.0 }
}

pub fn output(members: Vec<(&str, Option<Value>)>) -> Value {
    Value::Structure(
        members
            .into_iter()
            .filter_map(|(name, value)| value.map(|v| (name.to_owned(), v)))
            .collect(),
    )
}
