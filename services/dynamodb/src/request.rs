//! The pieces every item operation shares: reading its expressions and
//! ReturnValues, checking conditions and sizes, and the consumed capacity
//! of its answer.

use nimbus_core::AwsError;
use nimbus_dynamodb_api::{Capacity, ConsumedCapacity};

use crate::attribute::{Item, item_size};
use crate::error::validation;
use crate::expr::ast::{Condition, Path, PathElement};
use crate::expr::eval::evaluate;
use crate::expr::parser::{parse_condition, parse_projection};
use crate::expr::{ExpressionKind, Substitutions};

/// Largest item DynamoDB stores: 400 KB.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

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
pub fn return_values(given: Option<&str>, allowed: &[&str]) -> Result<String, AwsError> {
    let value = given.unwrap_or("NONE");
    if !allowed.contains(&value) {
        return Err(validation("Return values set to invalid value"));
    }
    Ok(value.to_owned())
}

/// Whether a failed condition answers the item (`ReturnValuesOnConditionCheckFailure`).
pub fn return_on_failure(given: Option<&str>) -> bool {
    given == Some("ALL_OLD")
}

/// The expressions of one request, parsed together so unused names and
/// values are found across all of them.
pub struct Expressions {
    pub condition: Option<Condition>,
    pub projection: Option<Vec<Path>>,
}

/// A request's projection: its ProjectionExpression, else its (legacy)
/// AttributesToGet.
pub struct Projection<'r> {
    pub expression: Option<&'r str>,
    pub attributes_to_get: Option<&'r [String]>,
}

impl Projection<'_> {
    pub const NONE: Projection<'static> = Projection {
        expression: None,
        attributes_to_get: None,
    };
}

/// Parses a request's condition (`condition`: its source and kind) and
/// projection.
pub fn parse_expressions(
    subs: &Substitutions,
    condition: Option<(&str, ExpressionKind)>,
    projection: Projection<'_>,
) -> Result<Expressions, AwsError> {
    let condition = match condition {
        Some((source, kind)) => Some(parse_condition(source, kind, subs)?),
        None => None,
    };
    let projection = match (projection.expression, projection.attributes_to_get) {
        (Some(source), _) => Some(parse_projection(source, subs)?),
        (None, Some(names)) => Some(
            names
                .iter()
                .map(|n| Path(vec![PathElement::Name(n.clone())]))
                .collect(),
        ),
        (None, None) => None,
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
        error = error.with_field("Item", nimbus_core::to_value(item));
    }
    Err(error)
}

/// `ConsumedCapacity` when the request asked for it (`TOTAL` or `INDEXES`).
pub fn consumed_capacity(mode: Option<&str>, table: &str, units: f64) -> Option<ConsumedCapacity> {
    let mode = mode.filter(|mode| *mode != "NONE")?;
    Some(ConsumedCapacity {
        table_name: Some(table.to_owned()),
        capacity_units: Some(units),
        table: (mode == "INDEXES").then_some(Capacity {
            capacity_units: Some(units),
            ..Capacity::default()
        }),
        ..ConsumedCapacity::default()
    })
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
