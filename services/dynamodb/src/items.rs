//! PutItem, GetItem, UpdateItem and DeleteItem. Every conditional write
//! checks and writes in one store transaction (writes are serialized), so
//! racing conditional writers get exactly one winner.
//!
//! Each operation reads its request, then runs a core over parsed pieces
//! (`*_parsed`); PartiQL statements reuse the same cores.

use indexmap::IndexMap;
use nimbus_core::{AwsError, RequestContext};
use nimbus_dynamodb_api::item::AnswerItem;
use nimbus_dynamodb_api::{
    DeleteItemInput, DeleteItemOutput, ExpectedAttributeValue, GetItemInput, GetItemOutput, PutItemInput,
    PutItemOutput, UpdateItemInput, UpdateItemOutput,
};

use crate::DynamoDb;
use crate::attribute::{ExpressionValues, Item, item_size};
use crate::error::{resource_not_found, validation};
use crate::expr::ast::{Condition, UpdateAction};
use crate::expr::eval::project;
use crate::expr::parser::parse_update;
use crate::expr::update::{action_path, apply, check_overlaps, check_static_types};
use crate::expr::{ExpressionKind, Substitutions};
use crate::legacy::Sent;
use crate::request::*;
use crate::storage::{self, decode_item, item_key, stored_size, table_meta, table_meta_mut, write_item};

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

/// The write spec of PutItem and DeleteItem, whose only expression is the
/// condition (or the legacy Expected).
fn condition_only_spec(input: ConditionOnly<'_>) -> Result<WriteSpec, AwsError> {
    let subs = Substitutions::new(input.names, input.values)?;
    let condition = input
        .condition_expression
        .map(|source| (source, ExpressionKind::Condition));
    let expressions = parse_expressions(&subs, condition, Projection::NONE)?;
    check_substitutions_used(&subs, expressions.condition.is_some())?;
    let condition = match expressions.condition {
        Some(condition) => Some(condition),
        None => crate::legacy::expected(input.expected, input.conditional_operator)?,
    };
    Ok(WriteSpec {
        table: input.table.to_owned(),
        condition,
        return_on_failure: return_on_failure(input.return_on_failure),
    })
}

/// The members of PutItem and DeleteItem that make their write spec.
struct ConditionOnly<'r> {
    table: &'r str,
    condition_expression: Option<&'r str>,
    names: Option<IndexMap<String, String>>,
    values: Option<ExpressionValues>,
    expected: Option<&'r IndexMap<String, ExpectedAttributeValue>>,
    conditional_operator: Option<&'r str>,
    return_on_failure: Option<&'r str>,
}

/// The old item, when `ALL_OLD` was asked for.
fn old_item(return_values: &str, result: &mut WriteResult) -> Option<AnswerItem> {
    let old = result.old.take().filter(|_| return_values == "ALL_OLD");
    old.map(AnswerItem::Attributes)
}

impl DynamoDb {
    pub async fn put_item(
        &self,
        ctx: &RequestContext,
        mut input: PutItemInput,
    ) -> Result<PutItemOutput, AwsError> {
        crate::legacy::check_request(&Sent::of(&[
            ("Expected", input.expected.is_some()),
            ("ConditionalOperator", input.conditional_operator.is_some()),
            ("ConditionExpression", input.condition_expression.is_some()),
        ]))?;
        let return_values = return_values(input.return_values.as_deref(), &["NONE", "ALL_OLD"])?;
        let spec = condition_only_spec(ConditionOnly {
            table: &input.table_name,
            condition_expression: input.condition_expression.as_deref(),
            names: input.expression_attribute_names.take(),
            values: input.expression_attribute_values.take(),
            expected: input.expected.as_ref(),
            conditional_operator: input.conditional_operator.as_deref(),
            return_on_failure: input.return_values_on_condition_check_failure.as_deref(),
        })?;
        let mut result = self.put_parsed(ctx, spec, input.item).await?;
        Ok(PutItemOutput {
            attributes: old_item(&return_values, &mut result),
            consumed_capacity: consumed_capacity(
                input.return_consumed_capacity.as_deref(),
                &input.table_name,
                result.units,
            ),
            ..PutItemOutput::default()
        })
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

    pub async fn get_item(
        &self,
        ctx: &RequestContext,
        mut input: GetItemInput,
    ) -> Result<GetItemOutput, AwsError> {
        let subs = Substitutions::new(input.expression_attribute_names.take(), None)?;
        crate::legacy::check_request(
            &Sent::of(&[
                ("AttributesToGet", input.attributes_to_get.is_some()),
                ("ProjectionExpression", input.projection_expression.is_some()),
            ])
            .with_attributes_to_get(input.attributes_to_get.as_deref()),
        )?;
        let projection = Projection {
            expression: input.projection_expression.as_deref(),
            attributes_to_get: input.attributes_to_get.as_deref(),
        };
        let expressions = parse_expressions(&subs, None, projection)?;
        check_substitutions_used(&subs, input.projection_expression.is_some())?;
        let stored = self.get_stored(ctx, &input.table_name, input.key)?;
        let (item, size) = match (stored, &expressions.projection) {
            (None, _) => (None, 0),
            // The whole item: straight from its stored form into the answer.
            (Some(json), None) => {
                let size = stored_size(&json)?;
                (Some(storage::answer_item(json)), size)
            }
            (Some(json), Some(paths)) => {
                let item = decode_item(&json)?;
                (
                    Some(AnswerItem::Attributes(project(&item, paths))),
                    item_size(&item),
                )
            }
        };
        let units = read_units(size, input.consistent_read.unwrap_or(false));
        Ok(GetItemOutput {
            item,
            consumed_capacity: consumed_capacity(
                input.return_consumed_capacity.as_deref(),
                &input.table_name,
                units,
            ),
        })
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

    pub async fn delete_item(
        &self,
        ctx: &RequestContext,
        mut input: DeleteItemInput,
    ) -> Result<DeleteItemOutput, AwsError> {
        crate::legacy::check_request(&Sent::of(&[
            ("Expected", input.expected.is_some()),
            ("ConditionalOperator", input.conditional_operator.is_some()),
            ("ConditionExpression", input.condition_expression.is_some()),
        ]))?;
        let return_values = return_values(input.return_values.as_deref(), &["NONE", "ALL_OLD"])?;
        let spec = condition_only_spec(ConditionOnly {
            table: &input.table_name,
            condition_expression: input.condition_expression.as_deref(),
            names: input.expression_attribute_names.take(),
            values: input.expression_attribute_values.take(),
            expected: input.expected.as_ref(),
            conditional_operator: input.conditional_operator.as_deref(),
            return_on_failure: input.return_values_on_condition_check_failure.as_deref(),
        })?;
        let mut result = self.delete_parsed(ctx, spec, input.key).await?;
        Ok(DeleteItemOutput {
            attributes: old_item(&return_values, &mut result),
            consumed_capacity: consumed_capacity(
                input.return_consumed_capacity.as_deref(),
                &input.table_name,
                result.units,
            ),
            ..DeleteItemOutput::default()
        })
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

    pub async fn update_item(
        &self,
        ctx: &RequestContext,
        mut input: UpdateItemInput,
    ) -> Result<UpdateItemOutput, AwsError> {
        crate::legacy::check_request(&Sent::of(&[
            ("AttributeUpdates", input.attribute_updates.is_some()),
            ("Expected", input.expected.is_some()),
            ("ConditionalOperator", input.conditional_operator.is_some()),
            ("UpdateExpression", input.update_expression.is_some()),
            ("ConditionExpression", input.condition_expression.is_some()),
        ]))?;
        let return_values = return_values(
            input.return_values.as_deref(),
            &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"],
        )?;
        let subs = Substitutions::new(
            input.expression_attribute_names.take(),
            input.expression_attribute_values.take(),
        )?;
        let legacy_actions = crate::legacy::attribute_updates(input.attribute_updates.as_ref())?;
        let from_legacy = legacy_actions.is_some();
        let actions = match &input.update_expression {
            Some(source) => parse_update(source, &subs)?,
            None => legacy_actions.unwrap_or_default(),
        };
        let condition = input
            .condition_expression
            .as_deref()
            .map(|source| (source, ExpressionKind::Condition));
        let expressions = parse_expressions(&subs, condition, Projection::NONE)?;
        check_substitutions_used(
            &subs,
            expressions.condition.is_some() || input.update_expression.is_some(),
        )?;
        let condition = match expressions.condition {
            Some(condition) => Some(condition),
            None => crate::legacy::expected(input.expected.as_ref(), input.conditional_operator.as_deref())?,
        };
        let spec = WriteSpec {
            table: input.table_name.clone(),
            condition,
            return_on_failure: return_on_failure(input.return_values_on_condition_check_failure.as_deref()),
        };
        let result = self
            .update_parsed(ctx, spec, input.key, actions.clone())
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
        Ok(UpdateItemOutput {
            attributes: attributes.map(AnswerItem::Attributes),
            consumed_capacity: consumed_capacity(
                input.return_consumed_capacity.as_deref(),
                &input.table_name,
                result.units,
            ),
            ..UpdateItemOutput::default()
        })
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
