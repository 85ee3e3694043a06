//! BatchGetItem and BatchWriteItem: many items in one store transaction.
//! nimbus processes every request it accepts, so UnprocessedKeys and
//! UnprocessedItems are always empty maps.

use std::collections::HashMap;

use indexmap::IndexMap;
use nimbus_core::{AwsError, RequestContext, Value};

use crate::DynamoDb;
use crate::attribute::{Item, item_from_value, item_size, item_to_value};
use crate::error::{resource_not_found, validation};
use crate::expr::Substitutions;
use crate::expr::ast::Path;
use crate::expr::eval::project;
use crate::request::*;
use crate::schema::TableMeta;
use crate::storage::{self, decode_item, item_key, load_table, load_table_mut, write_item};

const MAX_BATCH_GET: usize = 100;
const MAX_BATCH_WRITE: usize = 25;

fn duplicates() -> AwsError {
    validation("Provided list of item keys contains duplicates")
}

fn request_items(input: &Value) -> Result<&IndexMap<String, Value>, AwsError> {
    match input.get("RequestItems") {
        Some(Value::Map(tables)) if !tables.is_empty() => Ok(tables),
        _ => Err(validation(
            "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
        )),
    }
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
    pub async fn batch_get_item(&self, ctx: &RequestContext, input: Value) -> Result<Value, AwsError> {
        let mut requests = Vec::new();
        let mut total = 0;
        for (table, request) in request_items(&input)? {
            let keys: Vec<Item> = request
                .get("Keys")
                .and_then(Value::as_list)
                .unwrap_or_default()
                .iter()
                .map(item_from_value)
                .collect::<Result<_, _>>()?;
            total += keys.len();
            if total > MAX_BATCH_GET {
                return Err(validation("Too many items requested for the BatchGetItem call"));
            }
            for (i, key) in keys.iter().enumerate() {
                if keys[..i].iter().any(|k| k == key) {
                    return Err(duplicates());
                }
            }
            crate::legacy::check_request(request)?;
            let subs = Substitutions::from_request(request)?;
            let expressions = parse_expressions(request, &subs, None)?;
            check_substitutions_used(&subs, request.get("ProjectionExpression").is_some())?;
            requests.push(GetRequest {
                table: table.clone(),
                keys,
                projection: expressions.projection,
                consistent: request
                    .get("ConsistentRead")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            });
        }
        let ns = storage::namespace(ctx)?;
        let found = self
            .store
            .read(move |txn| {
                let table = txn.open(&ns)?;
                let mut found = Vec::new();
                for request in requests {
                    let meta = load_table(&table, &request.table)?.ok_or_else(resource_not_found)?;
                    let mut items = Vec::new();
                    let mut bytes = 0;
                    for key in &request.keys {
                        meta.check_key(key)?;
                        if let Some(stored) = table.get(&item_key(&meta, key))? {
                            let item = decode_item(&stored)?;
                            bytes += item_size(&item);
                            items.push(match &request.projection {
                                Some(paths) => project(&item, paths),
                                None => item,
                            });
                        }
                    }
                    found.push((request.table, items, read_units(bytes, request.consistent)));
                }
                Ok::<_, AwsError>(found)
            })
            .await?;
        let capacity: Vec<Value> = found
            .iter()
            .filter_map(|(table, _, units)| consumed_capacity(&input, table, *units))
            .collect();
        let responses: IndexMap<String, Value> = found
            .into_iter()
            .map(|(table, items, _)| (table, Value::List(items.iter().map(item_to_value).collect())))
            .collect();
        Ok(output(vec![
            ("Responses", Some(Value::Map(responses))),
            ("UnprocessedKeys", Some(Value::Map(IndexMap::new()))),
            (
                "ConsumedCapacity",
                (!capacity.is_empty()).then_some(Value::List(capacity)),
            ),
        ]))
    }

    pub async fn batch_write_item(&self, ctx: &RequestContext, input: Value) -> Result<Value, AwsError> {
        let mut batches: Vec<(String, Vec<WriteRequest>)> = Vec::new();
        let mut total = 0;
        for (table, requests) in request_items(&input)? {
            let mut writes = Vec::new();
            for request in requests.as_list().unwrap_or_default() {
                let write = match (request.get("PutRequest"), request.get("DeleteRequest")) {
                    (Some(put), None) => {
                        let item = item_member(put, "Item")?;
                        check_item_size(&item)?;
                        WriteRequest::Put(item)
                    }
                    (None, Some(delete)) => WriteRequest::Delete(item_member(delete, "Key")?),
                    _ => {
                        return Err(validation(
                            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
                        ));
                    }
                };
                writes.push(write);
            }
            total += writes.len();
            if total > MAX_BATCH_WRITE || writes.is_empty() {
                return Err(validation(format!(
                    "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to {MAX_BATCH_WRITE}, Member must have length greater than or equal to 1]"
                )));
            }
            batches.push((table.clone(), writes));
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
        let capacity: Vec<Value> = units
            .iter()
            .filter_map(|(table, units)| consumed_capacity(&input, table, *units))
            .collect();
        Ok(output(vec![
            ("UnprocessedItems", Some(Value::Map(IndexMap::new()))),
            (
                "ConsumedCapacity",
                (!capacity.is_empty()).then_some(Value::List(capacity)),
            ),
        ]))
    }
}
