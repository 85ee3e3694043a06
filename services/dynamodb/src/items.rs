//! PutItem, GetItem, UpdateItem and DeleteItem. Every conditional write
//! checks and writes in one store transaction (writes are serialized), so
//! racing conditional writers get exactly one winner.
//!
//! Each operation reads its request, then runs a core over parsed pieces
//! (`*_parsed`); PartiQL statements reuse the same cores.

use nimbus_core::{AwsError, RequestContext, Value};

use crate::DynamoDb;
use crate::attribute::{Item, item_into_value, item_size};
use crate::error::{resource_not_found, validation};
use crate::expr::ast::{Condition, UpdateAction};
use crate::expr::eval::project;
use crate::expr::parser::parse_update;
use crate::expr::update::{action_path, apply, check_overlaps, check_static_types};
use crate::expr::{ExpressionKind, Substitutions};
use crate::request::*;
use crate::storage::{self, decode_item, item_key, table_meta, table_meta_mut, write_item};
use crate::wire::{stored_item_value, value_item_size};

/// What a write core needs besides the item: the table, the condition, and
/// whether a failed condition returns the old item.
pub struct WriteSpec {
    pub table: String,
    pub condition: Option<Condition>,
    pub return_on_failure: bool,
}

/// What a write core did: the item before and after, and its write units.
pub struct WriteResult {
    pub old: Option<Item>,
    pub new: Option<Item>,
    pub units: f64,
}

fn return_on_failure(input: &Value) -> bool {
    string(input, "ReturnValuesOnConditionCheckFailure") == Some("ALL_OLD")
}

/// The write spec of PutItem and DeleteItem, whose only expression is the
/// condition.
fn condition_only_spec(input: &Value, table: &str) -> Result<WriteSpec, AwsError> {
    let subs = Substitutions::from_request(input)?;
    let expressions = parse_expressions(
        input,
        &subs,
        Some(("ConditionExpression", ExpressionKind::Condition)),
    )?;
    check_substitutions_used(&subs, expressions.condition.is_some())?;
    let condition = match expressions.condition {
        Some(condition) => Some(condition),
        None => crate::legacy::expected(input)?,
    };
    Ok(WriteSpec {
        table: table.to_owned(),
        condition,
        return_on_failure: return_on_failure(input),
    })
}

/// The output of PutItem and DeleteItem: the old item when `ALL_OLD` was
/// asked for, and the consumed capacity when it was.
fn old_item_output(input: &Value, table: &str, return_values: &str, result: WriteResult) -> Value {
    output(vec![
        (
            "Attributes",
            result
                .old
                .filter(|_| return_values == "ALL_OLD")
                .map(item_into_value),
        ),
        ("ConsumedCapacity", consumed_capacity(input, table, result.units)),
    ])
}

impl DynamoDb {
    pub async fn put_item(&self, ctx: &RequestContext, input: Value) -> Result<Value, AwsError> {
        crate::legacy::check_request(&input)?;
        let table = required_string(&input, "TableName")?;
        let item = item_member(&input, "Item")?;
        let return_values = return_values(&input, &["NONE", "ALL_OLD"])?;
        let spec = condition_only_spec(&input, &table)?;
        let result = self.put_parsed(ctx, spec, item).await?;
        Ok(old_item_output(&input, &table, &return_values, result))
    }

    pub async fn put_parsed(
        &self,
        ctx: &RequestContext,
        spec: WriteSpec,
        item: Item,
    ) -> Result<WriteResult, AwsError> {
        check_item_size(&item)?;
        let ns = storage::namespace(ctx)?;
        let change = crate::streams::Change::by_user(self.clock.now_epoch_millis());
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let meta = table_meta_mut(&table, &spec.table)?.ok_or_else(resource_not_found)?;
                meta.check_item(&item)?;
                let key = item_key(&meta, &item);
                let old = table.get(&key)?.map(|b| decode_item(&b)).transpose()?;
                check_condition(spec.condition.as_ref(), old.as_ref(), spec.return_on_failure)?;
                write_item(&mut table, &meta, &key, old.as_ref(), Some(&item), &change)?;
                let units = write_units(old.as_ref(), Some(&item));
                Ok::<_, AwsError>(WriteResult {
                    old,
                    new: Some(item),
                    units,
                })
            })
            .await
    }

    pub async fn get_item(&self, ctx: &RequestContext, input: Value) -> Result<Value, AwsError> {
        let table_name = required_string(&input, "TableName")?;
        let key = item_member(&input, "Key")?;
        let subs = Substitutions::from_request(&input)?;
        crate::legacy::check_request(&input)?;
        let expressions = parse_expressions(&input, &subs, None)?;
        check_substitutions_used(&subs, input.get("ProjectionExpression").is_some())?;
        let consistent = input
            .get("ConsistentRead")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let stored = self.get_stored(ctx, &table_name, key)?;
        let (item, size) = match (stored, &expressions.projection) {
            (None, _) => (None, 0),
            // The whole item: straight from its stored form into the answer.
            (Some(bytes), None) => {
                let item = stored_item_value(&bytes)?;
                let size = value_item_size(&item)?;
                (Some(item), size)
            }
            (Some(bytes), Some(paths)) => {
                let item = decode_item(&bytes)?;
                (Some(item_into_value(project(&item, paths))), item_size(&item))
            }
        };
        let units = read_units(size, consistent);
        Ok(output(vec![
            ("Item", item),
            ("ConsumedCapacity", consumed_capacity(&input, &table_name, units)),
        ]))
    }

    pub async fn get_parsed(
        &self,
        ctx: &RequestContext,
        table: &str,
        key: Item,
    ) -> Result<Option<Item>, AwsError> {
        let stored = self.get_stored(ctx, table, key)?;
        stored.map(|b| decode_item(&b)).transpose()
    }

    /// The stored form of the item under `key`, if there is one.
    fn get_stored(
        &self,
        ctx: &RequestContext,
        table_name: &str,
        key: Item,
    ) -> Result<Option<Vec<u8>>, AwsError> {
        // One point lookup: read right here, where handing it to a blocking
        // thread and back would cost more than the read itself.
        let table = self.store.begin_read()?.open(&storage::namespace(ctx)?)?;
        let meta = table_meta(&table, table_name)?.ok_or_else(resource_not_found)?;
        meta.check_key(&key)?;
        Ok(table.get(&item_key(&meta, &key))?)
    }

    pub async fn delete_item(&self, ctx: &RequestContext, input: Value) -> Result<Value, AwsError> {
        crate::legacy::check_request(&input)?;
        let table = required_string(&input, "TableName")?;
        let key = item_member(&input, "Key")?;
        let return_values = return_values(&input, &["NONE", "ALL_OLD"])?;
        let spec = condition_only_spec(&input, &table)?;
        let result = self.delete_parsed(ctx, spec, key).await?;
        Ok(old_item_output(&input, &table, &return_values, result))
    }

    pub async fn delete_parsed(
        &self,
        ctx: &RequestContext,
        spec: WriteSpec,
        key: Item,
    ) -> Result<WriteResult, AwsError> {
        let ns = storage::namespace(ctx)?;
        let change = crate::streams::Change::by_user(self.clock.now_epoch_millis());
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let meta = table_meta_mut(&table, &spec.table)?.ok_or_else(resource_not_found)?;
                meta.check_key(&key)?;
                let store_key = item_key(&meta, &key);
                let old = table.get(&store_key)?.map(|b| decode_item(&b)).transpose()?;
                check_condition(spec.condition.as_ref(), old.as_ref(), spec.return_on_failure)?;
                if old.is_some() {
                    write_item(&mut table, &meta, &store_key, old.as_ref(), None, &change)?;
                }
                let units = write_units(old.as_ref(), None);
                Ok::<_, AwsError>(WriteResult {
                    old,
                    new: None,
                    units,
                })
            })
            .await
    }

    pub async fn update_item(&self, ctx: &RequestContext, input: Value) -> Result<Value, AwsError> {
        crate::legacy::check_request(&input)?;
        let table = required_string(&input, "TableName")?;
        let key = item_member(&input, "Key")?;
        let return_values = return_values(
            &input,
            &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"],
        )?;
        let subs = Substitutions::from_request(&input)?;
        let legacy_actions = crate::legacy::attribute_updates(&input)?;
        let from_legacy = legacy_actions.is_some();
        let actions = match string(&input, "UpdateExpression") {
            Some(source) => parse_update(source, &subs)?,
            None => legacy_actions.unwrap_or_default(),
        };
        let expressions = parse_expressions(
            &input,
            &subs,
            Some(("ConditionExpression", ExpressionKind::Condition)),
        )?;
        check_substitutions_used(
            &subs,
            expressions.condition.is_some() || input.get("UpdateExpression").is_some(),
        )?;
        let condition = match expressions.condition {
            Some(condition) => Some(condition),
            None => crate::legacy::expected(&input)?,
        };
        let spec = WriteSpec {
            table: table.clone(),
            condition,
            return_on_failure: return_on_failure(&input),
        };
        let result = self
            .update_parsed(ctx, spec, key, actions.clone())
            .await
            .map_err(|e| {
                if from_legacy {
                    crate::legacy::update_error(e)
                } else {
                    e
                }
            })?;
        let new = result.new.unwrap_or_default();
        let attributes = updated_attributes(&return_values, result.old.as_ref(), &new, &actions);
        Ok(output(vec![
            ("Attributes", attributes.map(item_into_value)),
            (
                "ConsumedCapacity",
                consumed_capacity(&input, &table, result.units),
            ),
        ]))
    }

    pub async fn update_parsed(
        &self,
        ctx: &RequestContext,
        spec: WriteSpec,
        key: Item,
        actions: Vec<UpdateAction>,
    ) -> Result<WriteResult, AwsError> {
        check_overlaps(&actions)?;
        check_static_types(&actions)?;
        let ns = storage::namespace(ctx)?;
        let change = crate::streams::Change::by_user(self.clock.now_epoch_millis());
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let meta = table_meta_mut(&table, &spec.table)?.ok_or_else(resource_not_found)?;
                meta.check_key(&key)?;
                for action in &actions {
                    let root = action_path(action).root();
                    if meta.is_key_attribute(root) {
                        return Err(validation(format!(
                            "One or more parameter values were invalid: Cannot update attribute {root}. This attribute is part of the key"
                        )));
                    }
                }
                let store_key = item_key(&meta, &key);
                let old = table.get(&store_key)?.map(|b| decode_item(&b)).transpose()?;
                check_condition(spec.condition.as_ref(), old.as_ref(), spec.return_on_failure)?;
                let mut new = old.clone().unwrap_or_else(|| key.clone());
                apply(&actions, &mut new)?;
                check_item_size(&new)?;
                meta.check_item(&new)?;
                write_item(&mut table, &meta, &store_key, old.as_ref(), Some(&new), &change)?;
                let units = write_units(old.as_ref(), Some(&new));
                Ok::<_, AwsError>(WriteResult {
                    old,
                    new: Some(new),
                    units,
                })
            })
            .await
    }
}

/// The `Attributes` UpdateItem answers for its ReturnValues.
fn updated_attributes(
    return_values: &str,
    old: Option<&Item>,
    new: &Item,
    actions: &[UpdateAction],
) -> Option<Item> {
    let paths: Vec<_> = actions.iter().map(|a| action_path(a).clone()).collect();
    let item = match return_values {
        "ALL_OLD" => old?.clone(),
        "ALL_NEW" => new.clone(),
        "UPDATED_OLD" => project(old?, &paths),
        "UPDATED_NEW" => project(new, &paths),
        _ => return None,
    };
    (!item.is_empty()).then_some(item)
}
