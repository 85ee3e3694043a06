//! BatchGetItem and BatchWriteItem: many items in one store transaction.
//! nimbus processes every request it accepts, so UnprocessedKeys and
//! UnprocessedItems are always empty maps.

use std::collections::HashMap;

use indexmap::IndexMap;
use nimbus_core::{AwsError, RequestContext};
use nimbus_dynamodb_api::item::AnswerItem;
use nimbus_dynamodb_api::{
    BatchGetItemInput, BatchGetItemOutput, BatchWriteItemInput, BatchWriteItemOutput, ConsumedCapacity,
    KeysAndAttributes,
};
use nimbus_store::TableRef;

use crate::DynamoDb;
use crate::attribute::{Item, item_size};
use crate::error::{resource_not_found, validation};
use crate::expr::Substitutions;
use crate::expr::ast::Path;
use crate::expr::eval::project;
use crate::legacy::Sent;
use crate::request::*;
use crate::schema::TableMeta;
use crate::storage::{self, decode_item, item_key, load_table, load_table_mut, stored_size, write_item};

const MAX_BATCH_GET: usize = 100;
const MAX_BATCH_WRITE: usize = 25;

fn duplicates() -> AwsError {
    validation("Provided list of item keys contains duplicates")
}

/// The RequestItems of a batch: at least one table.
fn check_request_items<T>(items: &IndexMap<String, T>) -> Result<(), AwsError> {
    if items.is_empty() {
        return Err(validation(
            "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    Ok(())
}

/// One table's part of a BatchGetItem.
struct GetRequest {
    table: String,
    keys: Vec<Item>,
    projection: Option<Vec<Path>>,
    consistent: bool,
}

/// One write of a BatchWriteItem.
enum WriteRequest {
    Put(Item),
    Delete(Item),
}

impl DynamoDb {
    pub async fn batch_get_item(
        &self,
        ctx: &RequestContext,
        input: BatchGetItemInput,
    ) -> Result<BatchGetItemOutput, AwsError> {
        check_request_items(&input.request_items)?;
        let mut requests = Vec::new();
        let mut total = 0;
        for (table, request) in input.request_items {
            total += request.keys.len();
            requests.push(get_request(table, request, total)?);
        }
        let ns = storage::namespace(ctx)?;
        let found = self
            .store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                requests
                    .into_iter()
                    .map(|request| read_keys(&table, request))
                    .collect::<Result<Vec<_>, AwsError>>()
            })
            .await?;
        let mode = input.return_consumed_capacity.as_deref();
        let capacity: Vec<ConsumedCapacity> = found
            .iter()
            .filter_map(|(table, _, units)| consumed_capacity(mode, table, *units))
            .collect();
        let responses = found
            .into_iter()
            .map(|(table, items, _)| (table, items))
            .collect();
        Ok(BatchGetItemOutput {
            responses: Some(responses),
            unprocessed_keys: Some(IndexMap::new()),
            consumed_capacity: (!capacity.is_empty()).then_some(capacity),
        })
    }

    pub async fn batch_write_item(
        &self,
        ctx: &RequestContext,
        input: BatchWriteItemInput,
    ) -> Result<BatchWriteItemOutput, AwsError> {
        check_request_items(&input.request_items)?;
        let mut batches: Vec<(String, Vec<WriteRequest>)> = Vec::new();
        let mut total = 0;
        for (table, requests) in input.request_items {
            let writes = requests
                .into_iter()
                .map(write_request)
                .collect::<Result<Vec<_>, _>>()?;
            total += writes.len();
            if total > MAX_BATCH_WRITE || writes.is_empty() {
                return Err(validation(format!(
                    "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to {MAX_BATCH_WRITE}, Member must have length greater than or equal to 1]"
                )));
            }
            batches.push((table, writes));
        }
        let ns = storage::namespace(ctx)?;
        let change = crate::streams::Change::by_user(self.clock.now_epoch_millis());
        let units = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let mut metas: HashMap<String, TableMeta> = HashMap::new();
                // Check every request before writing any, so a bad one writes nothing.
                let mut planned = Vec::new();
                for (name, writes) in &batches {
                    if !metas.contains_key(name) {
                        let meta = load_table_mut(&table, name)?.ok_or_else(resource_not_found)?;
                        metas.insert(name.clone(), meta);
                    }
                    let meta = &metas[name];
                    let mut seen: Vec<Vec<u8>> = Vec::new();
                    for write in writes {
                        let key = match write {
                            WriteRequest::Put(item) => {
                                meta.check_item(item)?;
                                item_key(meta, item)
                            }
                            WriteRequest::Delete(key) => {
                                meta.check_key(key)?;
                                item_key(meta, key)
                            }
                        };
                        if seen.contains(&key) {
                            return Err(duplicates());
                        }
                        seen.push(key.clone());
                        planned.push((name.clone(), key, write));
                    }
                }
                let mut units: IndexMap<String, f64> = IndexMap::new();
                for (name, key, write) in planned {
                    let meta = &metas[&name];
                    let old = table.get(&key)?.map(|b| decode_item(&b)).transpose()?;
                    let new = match write {
                        WriteRequest::Put(item) => Some(item),
                        WriteRequest::Delete(_) => None,
                    };
                    if old.is_some() || new.is_some() {
                        write_item(&mut table, meta, &key, old.as_ref(), new, &change)?;
                    }
                    *units.entry(name).or_default() += write_units(old.as_ref(), new);
                }
                Ok::<_, AwsError>(units)
            })
            .await?;
        let mode = input.return_consumed_capacity.as_deref();
        let capacity: Vec<ConsumedCapacity> = units
            .iter()
            .filter_map(|(table, units)| consumed_capacity(mode, table, *units))
            .collect();
        Ok(BatchWriteItemOutput {
            unprocessed_items: Some(IndexMap::new()),
            consumed_capacity: (!capacity.is_empty()).then_some(capacity),
            ..BatchWriteItemOutput::default()
        })
    }
}

/// One table's keys of a BatchGetItem, checked; `total` counts the keys of
/// this table and the ones before.
fn get_request(table: String, mut request: KeysAndAttributes, total: usize) -> Result<GetRequest, AwsError> {
    if total > MAX_BATCH_GET {
        return Err(validation("Too many items requested for the BatchGetItem call"));
    }
    let keys = request.keys;
    for (i, key) in keys.iter().enumerate() {
        if keys[..i].iter().any(|k| k == key) {
            return Err(duplicates());
        }
    }
    crate::legacy::check_request(
        &Sent::of(&[
            ("AttributesToGet", request.attributes_to_get.is_some()),
            ("ProjectionExpression", request.projection_expression.is_some()),
        ])
        .with_attributes_to_get(request.attributes_to_get.as_deref()),
    )?;
    let subs = Substitutions::new(request.expression_attribute_names.take(), None)?;
    let projection = Projection {
        expression: request.projection_expression.as_deref(),
        attributes_to_get: request.attributes_to_get.as_deref(),
    };
    let expressions = parse_expressions(&subs, None, projection)?;
    check_substitutions_used(&subs, request.projection_expression.is_some())?;
    Ok(GetRequest {
        table,
        keys,
        projection: expressions.projection,
        consistent: request.consistent_read.unwrap_or(false),
    })
}

/// The items one table's keys name, and the read units they cost.
fn read_keys(table: &TableRef, request: GetRequest) -> Result<(String, Vec<AnswerItem>, f64), AwsError> {
    let meta = load_table(table, &request.table)?.ok_or_else(resource_not_found)?;
    let mut items = Vec::new();
    let mut bytes = 0;
    for key in &request.keys {
        meta.check_key(key)?;
        let Some(stored) = table.get(&item_key(&meta, key))? else {
            continue;
        };
        items.push(match &request.projection {
            Some(paths) => {
                let item = decode_item(&stored)?;
                bytes += item_size(&item);
                AnswerItem::Attributes(project(&item, paths))
            }
            None => {
                bytes += stored_size(&stored)?;
                storage::answer_item(stored)
            }
        });
    }
    Ok((request.table, items, read_units(bytes, request.consistent)))
}

/// One write of a BatchWriteItem: a put or a delete, never both.
fn write_request(request: nimbus_dynamodb_api::WriteRequest) -> Result<WriteRequest, AwsError> {
    match (request.put_request, request.delete_request) {
        (Some(put), None) => {
            check_item_size(&put.item)?;
            Ok(WriteRequest::Put(put.item))
        }
        (None, Some(delete)) => Ok(WriteRequest::Delete(delete.key)),
        _ => Err(validation(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
        )),
    }
}
