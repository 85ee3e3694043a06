//! TransactWriteItems and TransactGetItems. A write transaction checks every
//! condition and then writes every item inside one store transaction, so it
//! is all-or-nothing; ClientRequestToken is remembered in the store (for ten
//! minutes, as DynamoDB does) in that same transaction.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use nimbus_core::{AwsError, RequestContext, Value};
use serde::{Deserialize, Serialize};

use crate::DynamoDb;
use crate::attribute::{Item, item_to_value};
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

fn parse_write(entry: &Value) -> Result<TransactWrite, AwsError> {
    let (name, body) = ["ConditionCheck", "Put", "Delete", "Update"]
        .iter()
        .find_map(|name| entry.get(name).map(|body| (*name, body)))
        .ok_or_else(|| validation("TransactItems can only contain one of Check, Put, Update or Delete"))?;
    let table = required_string(body, "TableName")?;
    let subs = Substitutions::from_request(body)?;
    let actions = match (name, string(body, "UpdateExpression")) {
        ("Update", Some(source)) => parse_update(source, &subs)?,
        ("Update", None) => return Err(validation("UpdateExpression is required for an Update")),
        _ => Vec::new(),
    };
    check_overlaps(&actions)?;
    check_static_types(&actions)?;
    let condition = match string(body, "ConditionExpression") {
        Some(source) => Some(crate::expr::parser::parse_condition(
            source,
            ExpressionKind::Condition,
            &subs,
        )?),
        None if name == "ConditionCheck" => {
            return Err(validation("ConditionExpression is required for a ConditionCheck"));
        }
        None => None,
    };
    check_substitutions_used(&subs, condition.is_some() || !actions.is_empty())?;
    let key_or_item = if name == "Put" {
        item_member(body, "Item")?
    } else {
        item_member(body, "Key")?
    };
    if name == "Put" {
        check_item_size(&key_or_item)?;
    }
    Ok(TransactWrite {
        table,
        key_or_item: key_or_item.clone(),
        condition,
        return_on_failure: string(body, "ReturnValuesOnConditionCheckFailure") == Some("ALL_OLD"),
        failure_code: "ConditionalCheckFailed",
        kind: match name {
            "ConditionCheck" => WriteKind::ConditionCheck,
            "Put" => WriteKind::Put(key_or_item),
            "Delete" => WriteKind::Delete,
            _ => WriteKind::Update(actions),
        },
    })
}

fn transact_items(input: &Value) -> Result<&[Value], AwsError> {
    let items = input
        .get("TransactItems")
        .and_then(Value::as_list)
        .unwrap_or_default();
    if items.is_empty() || items.len() > MAX_TRANSACT_ITEMS {
        return Err(validation(format!(
            "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to {MAX_TRANSACT_ITEMS}, Member must have length greater than or equal to 1"
        )));
    }
    Ok(items)
}

/// A cancellation reason as DynamoDB lists it.
fn reason(code: &str, message: Option<&str>, item: Option<&Item>) -> Value {
    output(vec![
        ("Code", Some(Value::String(code.to_owned()))),
        ("Message", message.map(|m| Value::String(m.to_owned()))),
        ("Item", item.map(item_to_value)),
    ])
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
    AwsError::new("TransactionCanceledException", message, 400)
        .with_field("CancellationReasons", Value::List(reasons))
}

impl DynamoDb {
    pub async fn transact_write_items(&self, ctx: &RequestContext, input: Value) -> Result<Value, AwsError> {
        let entries = transact_items(&input)?;
        let writes: Vec<TransactWrite> = entries.iter().map(parse_write).collect::<Result<_, _>>()?;
        let token = string(&input, "ClientRequestToken").map(str::to_owned);
        let request_hash = {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            format!("{entries:?}").hash(&mut hasher);
            hasher.finish()
        };
        self.transact_parsed(ctx, writes, token, request_hash).await?;
        Ok(Value::empty())
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
                        return Err(AwsError::new(
                            "IdempotentParameterMismatchException",
                            "The request uses the same client token as a previous, but non-identical request.",
                            400,
                        ));
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

    pub async fn transact_get_items(&self, ctx: &RequestContext, input: Value) -> Result<Value, AwsError> {
        let entries = transact_items(&input)?;
        let mut gets: Vec<(String, Item, Option<Vec<Path>>)> = Vec::with_capacity(entries.len());
        for entry in entries {
            let body = entry
                .get("Get")
                .ok_or_else(|| validation("TransactItems can only contain Get"))?;
            let subs = Substitutions::from_request(body)?;
            let expressions = parse_expressions(body, &subs, None)?;
            check_substitutions_used(&subs, body.get("ProjectionExpression").is_some())?;
            gets.push((
                required_string(body, "TableName")?,
                item_member(body, "Key")?,
                expressions.projection,
            ));
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
                    let item = table
                        .get(&item_key(&meta, &key))?
                        .map(|b| decode_item(&b))
                        .transpose()?;
                    items.push(match (item, &projection) {
                        (Some(item), Some(paths)) => Some(project(&item, paths)),
                        (item, _) => item,
                    });
                }
                Ok::<_, AwsError>(items)
            })
            .await?;
        let responses = items
            .iter()
            .map(|item| output(vec![("Item", item.as_ref().map(item_to_value))]))
            .collect();
        Ok(output(vec![("Responses", Some(Value::List(responses)))]))
    }
}
