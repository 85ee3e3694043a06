//! TransactWriteItems and TransactGetItems. A write transaction checks every
//! condition and then writes every item inside one store transaction, so it
//! is all-or-nothing; ClientRequestToken is remembered in the store (for ten
//! minutes, as DynamoDB does) in that same transaction.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use indexmap::IndexMap;
use nimbus_core::{AwsError, RequestContext, Value};
use nimbus_dynamodb_api::item::AnswerItem;
use nimbus_dynamodb_api::{
    ItemResponse, TransactGetItem, TransactGetItemsInput, TransactGetItemsOutput, TransactWriteItem,
    TransactWriteItemsInput, TransactWriteItemsOutput,
};
use serde::{Deserialize, Serialize};

use crate::DynamoDb;
use crate::attribute::{ExpressionValues, Item};
use crate::error::{conditional_check_failed, resource_not_found, validation};
use crate::expr::ast::{Condition, Path, UpdateAction};
use crate::expr::eval::{evaluate, project};
use crate::expr::parser::parse_update;
use crate::expr::update::{action_path, apply, check_overlaps, check_static_types};
use crate::expr::{ExpressionKind, Substitutions};
use crate::request::*;
use crate::schema::TableMeta;
use crate::storage::{self, decode_item, item_key, load_table, load_table_mut, write_item};

const MAX_TRANSACT_ITEMS: usize = 100;
/// How long a ClientRequestToken makes a repeat a no-op.
const TOKEN_WINDOW_MILLIS: i64 = 10 * 60 * 1000;

/// What a ClientRequestToken remembers: which request it was, and when.
#[derive(Serialize, Deserialize)]
struct TokenRecord {
    request_hash: u64,
    at_millis: i64,
}

fn token_key(token: &str) -> Vec<u8> {
    format!("k/{token}").into_bytes()
}

pub enum WriteKind {
    ConditionCheck,
    Put(Item),
    Delete,
    Update(Vec<UpdateAction>),
}

/// One parsed entry of TransactItems (or one PartiQL statement of ExecuteTransaction).
pub struct TransactWrite {
    pub table: String,
    /// The key (Delete, Update, ConditionCheck) or the whole item (Put).
    pub key_or_item: Item,
    pub condition: Option<Condition>,
    pub return_on_failure: bool,
    pub kind: WriteKind,
    /// The cancellation reason code when the condition fails.
    pub failure_code: &'static str,
}

/// One entry of TransactItems, whichever kind it is.
struct WriteBody {
    kind: &'static str,
    table: String,
    /// The key (Delete, Update, ConditionCheck) or the whole item (Put).
    key_or_item: Item,
    update_expression: Option<String>,
    condition_expression: Option<String>,
    names: Option<IndexMap<String, String>>,
    values: Option<ExpressionValues>,
    return_on_failure: Option<String>,
}

impl WriteBody {
    /// The first of ConditionCheck, Put, Delete and Update the entry holds.
    fn of(entry: TransactWriteItem) -> Result<WriteBody, AwsError> {
        if let Some(check) = entry.condition_check {
            return Ok(WriteBody {
                kind: "ConditionCheck",
                table: check.table_name,
                key_or_item: check.key,
                update_expression: None,
                condition_expression: Some(check.condition_expression),
                names: check.expression_attribute_names,
                values: check.expression_attribute_values,
                return_on_failure: check.return_values_on_condition_check_failure,
            });
        }
        if let Some(put) = entry.put {
            return Ok(WriteBody {
                kind: "Put",
                table: put.table_name,
                key_or_item: put.item,
                update_expression: None,
                condition_expression: put.condition_expression,
                names: put.expression_attribute_names,
                values: put.expression_attribute_values,
                return_on_failure: put.return_values_on_condition_check_failure,
            });
        }
        if let Some(delete) = entry.delete {
            return Ok(WriteBody {
                kind: "Delete",
                table: delete.table_name,
                key_or_item: delete.key,
                update_expression: None,
                condition_expression: delete.condition_expression,
                names: delete.expression_attribute_names,
                values: delete.expression_attribute_values,
                return_on_failure: delete.return_values_on_condition_check_failure,
            });
        }
        let update = entry.update.ok_or_else(|| {
            validation("TransactItems can only contain one of Check, Put, Update or Delete")
        })?;
        Ok(WriteBody {
            kind: "Update",
            table: update.table_name,
            key_or_item: update.key,
            update_expression: Some(update.update_expression),
            condition_expression: update.condition_expression,
            names: update.expression_attribute_names,
            values: update.expression_attribute_values,
            return_on_failure: update.return_values_on_condition_check_failure,
        })
    }
}

fn parse_write(entry: TransactWriteItem) -> Result<TransactWrite, AwsError> {
    let body = WriteBody::of(entry)?;
    let subs = Substitutions::new(body.names, body.values)?;
    let actions = match &body.update_expression {
        Some(source) => parse_update(source, &subs)?,
        None => Vec::new(),
    };
    check_overlaps(&actions)?;
    check_static_types(&actions)?;
    let condition = match &body.condition_expression {
        Some(source) => Some(crate::expr::parser::parse_condition(
            source,
            ExpressionKind::Condition,
            &subs,
        )?),
        None => None,
    };
    check_substitutions_used(&subs, condition.is_some() || !actions.is_empty())?;
    if body.kind == "Put" {
        check_item_size(&body.key_or_item)?;
    }
    Ok(TransactWrite {
        table: body.table,
        key_or_item: body.key_or_item.clone(),
        condition,
        return_on_failure: return_on_failure(body.return_on_failure.as_deref()),
        failure_code: "ConditionalCheckFailed",
        kind: match body.kind {
            "ConditionCheck" => WriteKind::ConditionCheck,
            "Put" => WriteKind::Put(body.key_or_item),
            "Delete" => WriteKind::Delete,
            _ => WriteKind::Update(actions),
        },
    })
}

/// TransactItems holds 1 to 100 entries.
fn check_entry_count(count: usize) -> Result<(), AwsError> {
    if count == 0 || count > MAX_TRANSACT_ITEMS {
        return Err(validation(format!(
            "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to {MAX_TRANSACT_ITEMS}, Member must have length greater than or equal to 1"
        )));
    }
    Ok(())
}

/// A cancellation reason as DynamoDB lists it.
fn reason(code: &str, message: Option<&str>, item: Option<&Item>) -> Value {
    let mut members = IndexMap::new();
    members.insert("Code".to_owned(), Value::String(code.to_owned()));
    if let Some(message) = message {
        members.insert("Message".to_owned(), Value::String(message.to_owned()));
    }
    if let Some(item) = item {
        members.insert("Item".to_owned(), nimbus_core::to_value(item));
    }
    Value::Structure(members)
}

fn cancelled(reasons: Vec<Value>) -> AwsError {
    let codes: Vec<&str> = reasons
        .iter()
        .map(|r| r.get("Code").and_then(Value::as_str).unwrap_or("None"))
        .collect();
    let message = format!(
        "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
        codes.join(", ")
    );
    nimbus_dynamodb_api::errors::transaction_canceled(message)
        .with_field("CancellationReasons", Value::List(reasons))
}

impl DynamoDb {
    pub async fn transact_write_items(
        &self,
        ctx: &RequestContext,
        input: TransactWriteItemsInput,
    ) -> Result<TransactWriteItemsOutput, AwsError> {
        check_entry_count(input.transact_items.len())?;
        // A repeat under the same token must be the very same request.
        let request_hash = {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            format!("{:?}", input.transact_items).hash(&mut hasher);
            hasher.finish()
        };
        let writes: Vec<TransactWrite> = input
            .transact_items
            .into_iter()
            .map(parse_write)
            .collect::<Result<_, _>>()?;
        self.transact_parsed(ctx, writes, input.client_request_token, request_hash)
            .await?;
        Ok(TransactWriteItemsOutput::default())
    }

    /// Runs parsed transaction writes all-or-nothing, remembering `token`.
    pub async fn transact_parsed(
        &self,
        ctx: &RequestContext,
        writes: Vec<TransactWrite>,
        token: Option<String>,
        request_hash: u64,
    ) -> Result<(), AwsError> {
        let now = self.clock.now_epoch_millis() as i64;
        let ns = storage::namespace(ctx)?;
        let change = crate::streams::Change::by_user(self.clock.now_epoch_millis());
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                if let Some(token) = &token
                    && let Some(record) = table.get_json::<TokenRecord>(&token_key(token))?
                    && now - record.at_millis < TOKEN_WINDOW_MILLIS
                {
                    if record.request_hash != request_hash {
                        return Err(nimbus_dynamodb_api::errors::idempotent_parameter_mismatch("The request uses the same client token as a previous, but non-identical request."));
                    }
                    // The same request again: already applied, succeed without writing.
                    return Ok(());
                }
                let mut metas: HashMap<String, TableMeta> = HashMap::new();
                let mut keys: Vec<Vec<u8>> = Vec::new();
                let mut olds = Vec::new();
                for write in &writes {
                    if !metas.contains_key(&write.table) {
                        let meta = load_table_mut(&table, &write.table)?.ok_or_else(resource_not_found)?;
                        metas.insert(write.table.clone(), meta);
                    }
                    let meta = &metas[&write.table];
                    match &write.kind {
                        WriteKind::Put(item) => meta.check_item(item)?,
                        _ => meta.check_key(&write.key_or_item)?,
                    }
                    if let WriteKind::Update(actions) = &write.kind {
                        for action in actions {
                            let root = action_path(action).root();
                            if meta.is_key_attribute(root) {
                                return Err(validation(format!(
                                    "One or more parameter values were invalid: Cannot update attribute {root}. This attribute is part of the key"
                                )));
                            }
                        }
                    }
                    let key = item_key(meta, &write.key_or_item);
                    if keys.contains(&key) {
                        return Err(validation("Transaction request cannot include multiple operations on one item"));
                    }
                    let old = table.get(&key)?.map(|b| decode_item(&b)).transpose()?;
                    keys.push(key);
                    olds.push(old);
                }
                // Every condition first: one failure cancels the whole transaction.
                let empty = Item::new();
                let mut reasons = Vec::with_capacity(writes.len());
                let mut failed = false;
                for (write, old) in writes.iter().zip(&olds) {
                    let holds = write.condition.as_ref().is_none_or(|c| evaluate(c, old.as_ref().unwrap_or(&empty)));
                    if holds {
                        reasons.push(reason("None", None, None));
                    } else {
                        failed = true;
                        let item = old.as_ref().filter(|_| write.return_on_failure);
                        let message = match write.failure_code {
                            "DuplicateItem" => "Duplicate primary key exists in table".to_owned(),
                            _ => conditional_check_failed().message,
                        };
                        reasons.push(reason(write.failure_code, Some(&message), item));
                    }
                }
                if failed {
                    return Err(cancelled(reasons));
                }
                for ((write, old), key) in writes.iter().zip(&olds).zip(&keys) {
                    let meta = &metas[&write.table];
                    let new = match &write.kind {
                        WriteKind::ConditionCheck => continue,
                        WriteKind::Put(item) => Some(item.clone()),
                        WriteKind::Delete => None,
                        WriteKind::Update(actions) => {
                            let mut item = old.clone().unwrap_or_else(|| write.key_or_item.clone());
                            apply(actions, &mut item)?;
                            check_item_size(&item)?;
                            meta.check_item(&item)?;
                            Some(item)
                        }
                    };
                    if old.is_some() || new.is_some() {
                        write_item(&mut table, meta, key, old.as_ref(), new.as_ref(), &change)?;
                    }
                }
                if let Some(token) = &token {
                    table.put_json(&token_key(token), &TokenRecord { request_hash, at_millis: now })?;
                }
                Ok(())
            })
            .await
    }

    pub async fn transact_get_items(
        &self,
        ctx: &RequestContext,
        input: TransactGetItemsInput,
    ) -> Result<TransactGetItemsOutput, AwsError> {
        check_entry_count(input.transact_items.len())?;
        let mut gets: Vec<(String, Item, Option<Vec<Path>>)> = Vec::with_capacity(input.transact_items.len());
        for TransactGetItem { get } in input.transact_items {
            let subs = Substitutions::new(get.expression_attribute_names, None)?;
            let projection = Projection {
                expression: get.projection_expression.as_deref(),
                attributes_to_get: None,
            };
            let expressions = parse_expressions(&subs, None, projection)?;
            check_substitutions_used(&subs, get.projection_expression.is_some())?;
            gets.push((get.table_name, get.key, expressions.projection));
        }
        let ns = storage::namespace(ctx)?;
        let items = self
            .store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let mut items = Vec::with_capacity(gets.len());
                for (name, key, projection) in gets {
                    let meta = load_table(&table, &name)?.ok_or_else(resource_not_found)?;
                    meta.check_key(&key)?;
                    let stored = table.get(&item_key(&meta, &key))?;
                    items.push(match (stored, &projection) {
                        (Some(stored), Some(paths)) => {
                            Some(AnswerItem::Attributes(project(&decode_item(&stored)?, paths)))
                        }
                        (Some(stored), None) => Some(storage::answer_item(stored)),
                        (None, _) => None,
                    });
                }
                Ok::<_, AwsError>(items)
            })
            .await?;
        let responses = items.into_iter().map(|item| ItemResponse { item }).collect();
        Ok(TransactGetItemsOutput {
            responses: Some(responses),
            ..TransactGetItemsOutput::default()
        })
    }
}
