//! PartiQL for DynamoDB: ExecuteStatement and BatchExecuteStatement with
//! SELECT, INSERT, UPDATE and DELETE on one table. Statements are parsed
//! into the same conditions and update actions as the expression language
//! and run through the same item and query cores.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use nimbus_core::{AwsError, RequestContext};
use nimbus_dynamodb_api::item::AnswerItem;
use nimbus_dynamodb_api::{
    BatchExecuteStatementInput, BatchExecuteStatementOutput, BatchStatementError, BatchStatementResponse,
    ExecuteStatementInput, ExecuteStatementOutput, ExecuteTransactionInput, ExecuteTransactionOutput,
    ItemResponse,
};

use crate::DynamoDb;
use crate::attribute::{Item, item_from_json, item_to_json};
use crate::error::validation;
use crate::expr::ast::{Comparator, Condition, Operand, Path, PathElement};
use crate::items::WriteSpec;
use crate::storage;
use crate::transact::{TransactWrite, WriteKind};

mod lexer;
mod parser;

pub(crate) use parser::{Statement, parse};

/// The full primary key a WHERE clause pins with equalities, and the rest
/// of the clause as a condition.
fn key_and_condition(
    condition: Condition,
    keys: &[(String, String)],
) -> Result<(Item, Option<Condition>), AwsError> {
    let mut conjuncts = Vec::new();
    let mut pending = vec![condition];
    while let Some(c) = pending.pop() {
        match c {
            Condition::And(a, b) => {
                pending.push(*b);
                pending.push(*a);
            }
            other => conjuncts.push(other),
        }
    }
    let mut key = Item::new();
    let mut rest = Vec::new();
    for conjunct in conjuncts {
        if let Condition::Compare(Operand::Path(Path(elements)), Comparator::Equal, Operand::Value(value)) =
            &conjunct
            && let [PathElement::Name(name)] = &elements[..]
            && keys.iter().any(|(k, _)| k == name)
            && !key.contains_key(name)
        {
            key.insert(name.clone(), value.clone());
            continue;
        }
        rest.push(conjunct);
    }
    if key.len() != keys.len() {
        return Err(validation(
            "Where clause does not contain a mandatory equality on all key attributes",
        ));
    }
    let condition = rest
        .into_iter()
        .reduce(|a, b| Condition::And(Box::new(a), Box::new(b)));
    Ok((key, condition))
}

impl DynamoDb {
    async fn key_names(&self, ctx: &RequestContext, table: &str) -> Result<Vec<(String, String)>, AwsError> {
        let ns = storage::namespace(ctx)?;
        let name = table.to_owned();
        let meta = self
            .store
            .read(move |txn| storage::load_table(&txn.open(&ns)?, &name))
            .await?
            .ok_or_else(crate::error::resource_not_found)?;
        Ok(meta
            .primary_keys()
            .iter()
            .map(|k| (k.name.clone(), k.attribute_type.clone()))
            .collect())
    }

    /// Runs one statement; SELECT answers items and where to continue.
    async fn run_statement(
        &self,
        ctx: &RequestContext,
        statement: Statement,
        limit: Option<usize>,
        next_token: Option<Item>,
    ) -> Result<(Vec<AnswerItem>, Option<Item>), AwsError> {
        match statement {
            Statement::Select {
                table,
                index,
                projection,
                condition,
            } => {
                let select = crate::query::SelectSpec {
                    table_name: table,
                    index_name: index,
                    condition,
                    projection,
                    limit,
                    exclusive_start: next_token,
                };
                let page = self.select_parsed(ctx, select).await?;
                Ok((page.items, page.last_key))
            }
            Statement::Insert { table, item } => {
                let keys = self.key_names(ctx, &table).await?;
                let spec = WriteSpec {
                    table,
                    condition: Some(Condition::NotExists(Path(vec![PathElement::Name(
                        keys[0].0.clone(),
                    )]))),
                    return_on_failure: false,
                };
                match self.put_parsed(ctx, spec, item).await {
                    Err(err) if err.code == "ConditionalCheckFailedException" => Err(
                        nimbus_dynamodb_api::errors::duplicate_item("Duplicate primary key exists in table"),
                    ),
                    other => other.map(|_| (Vec::new(), None)),
                }
            }
            Statement::Update {
                table,
                actions,
                condition,
            } => {
                let keys = self.key_names(ctx, &table).await?;
                let (key, rest) = key_and_condition(condition, &keys)?;
                // UPDATE never creates an item: it must exist.
                let exists = Condition::Exists(Path(vec![PathElement::Name(keys[0].0.clone())]));
                let condition = match rest {
                    Some(rest) => Condition::And(Box::new(exists), Box::new(rest)),
                    None => exists,
                };
                let spec = WriteSpec {
                    table,
                    condition: Some(condition),
                    return_on_failure: false,
                };
                self.update_parsed(ctx, spec, key, actions).await?;
                Ok((Vec::new(), None))
            }
            Statement::Delete { table, condition } => {
                let keys = self.key_names(ctx, &table).await?;
                let (key, condition) = key_and_condition(condition, &keys)?;
                let spec = WriteSpec {
                    table,
                    condition,
                    return_on_failure: false,
                };
                self.delete_parsed(ctx, spec, key).await?;
                Ok((Vec::new(), None))
            }
        }
    }

    pub async fn execute_statement(
        &self,
        ctx: &RequestContext,
        input: ExecuteStatementInput,
    ) -> Result<ExecuteStatementOutput, AwsError> {
        let statement = parse(&input.statement, input.parameters.unwrap_or_default())?;
        let is_select = matches!(statement, Statement::Select { .. });
        let limit = input.limit.map(|l| l.max(1) as usize);
        let next_token = match &input.next_token {
            Some(token) => Some(decode_token(token)?),
            None => None,
        };
        let (items, last_key) = self.run_statement(ctx, statement, limit, next_token).await?;
        Ok(ExecuteStatementOutput {
            items: is_select.then_some(items),
            next_token: last_key.map(|key| encode_token(&key)),
            ..ExecuteStatementOutput::default()
        })
    }

    pub async fn batch_execute_statement(
        &self,
        ctx: &RequestContext,
        input: BatchExecuteStatementInput,
    ) -> Result<BatchExecuteStatementOutput, AwsError> {
        if input.statements.is_empty() || input.statements.len() > 25 {
            return Err(validation(
                "1 validation error detected: Value at 'statements' failed to satisfy constraint: Member must have length less than or equal to 25, Member must have length greater than or equal to 1",
            ));
        }
        let mut responses = Vec::with_capacity(input.statements.len());
        for entry in input.statements {
            let parsed = parse(&entry.statement, entry.parameters.unwrap_or_default());
            let table = parsed.as_ref().map(|s| s.table().to_owned()).ok();
            let result = match parsed {
                Ok(statement) => self.batch_one(ctx, statement).await,
                Err(err) => Err(err),
            };
            responses.push(match result {
                Ok(item) => BatchStatementResponse {
                    table_name: table,
                    item: item.map(AnswerItem::Attributes),
                    error: None,
                },
                Err(err) => BatchStatementResponse {
                    table_name: table,
                    item: None,
                    error: Some(BatchStatementError {
                        code: Some(batch_error_code(&err.code).to_owned()),
                        message: Some(err.message),
                        item: None,
                    }),
                },
            });
        }
        Ok(BatchExecuteStatementOutput {
            responses: Some(responses),
            consumed_capacity: None,
        })
    }

    /// One statement of a batch: a SELECT must name one item by its key.
    async fn batch_one(&self, ctx: &RequestContext, statement: Statement) -> Result<Option<Item>, AwsError> {
        match statement {
            Statement::Select {
                table,
                index: None,
                projection,
                condition: Some(condition),
            } => {
                let keys = self.key_names(ctx, &table).await?;
                let (key, rest) = key_and_condition(condition, &keys)?;
                if rest.is_some() {
                    return Err(validation(
                        "Batch select statements can only contain key conditions",
                    ));
                }
                let item = self.get_parsed(ctx, &table, key).await?;
                Ok(match (item, projection) {
                    (Some(item), Some(paths)) => Some(crate::expr::eval::project(&item, &paths)),
                    (item, _) => item,
                })
            }
            Statement::Select { .. } => Err(validation(
                "Where clause does not contain a mandatory equality on all key attributes",
            )),
            other => self.run_statement(ctx, other, None, None).await.map(|_| None),
        }
    }
}

impl DynamoDb {
    /// ExecuteTransaction: all reads (each naming one item by its key) or
    /// all writes, the writes applied all-or-nothing like TransactWriteItems.
    pub async fn execute_transaction(
        &self,
        ctx: &RequestContext,
        input: ExecuteTransactionInput,
    ) -> Result<ExecuteTransactionOutput, AwsError> {
        let entries = input.transact_statements;
        if entries.is_empty() || entries.len() > 100 {
            return Err(validation(
                "1 validation error detected: Value at 'transactStatements' failed to satisfy constraint: Member must have length less than or equal to 100, Member must have length greater than or equal to 1",
            ));
        }
        // A repeat under the same token must be the very same request.
        let request_hash = {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            format!("{entries:?}").hash(&mut hasher);
            hasher.finish()
        };
        let mut statements = Vec::with_capacity(entries.len());
        for entry in entries {
            statements.push(parse(&entry.statement, entry.parameters.unwrap_or_default())?);
        }
        let reads = statements
            .iter()
            .filter(|s| matches!(s, Statement::Select { .. }))
            .count();
        if reads == statements.len() {
            let mut responses = Vec::with_capacity(reads);
            for statement in statements {
                let item = self.batch_one(ctx, statement).await?;
                responses.push(ItemResponse {
                    item: item.map(AnswerItem::Attributes),
                });
            }
            return Ok(ExecuteTransactionOutput {
                responses: Some(responses),
                consumed_capacity: None,
            });
        }
        if reads > 0 {
            return Err(validation("Transactions must contain only reads or only writes"));
        }
        let mut writes = Vec::with_capacity(statements.len());
        for statement in statements {
            writes.push(self.transact_write_of(ctx, statement).await?);
        }
        self.transact_parsed(ctx, writes, input.client_request_token, request_hash)
            .await?;
        Ok(ExecuteTransactionOutput::default())
    }

    async fn transact_write_of(
        &self,
        ctx: &RequestContext,
        statement: Statement,
    ) -> Result<TransactWrite, AwsError> {
        let keys = self.key_names(ctx, statement.table()).await?;
        let hash_path = || Path(vec![PathElement::Name(keys[0].0.clone())]);
        Ok(match statement {
            Statement::Insert { table, item } => TransactWrite {
                table,
                key_or_item: item.clone(),
                condition: Some(Condition::NotExists(hash_path())),
                return_on_failure: false,
                kind: WriteKind::Put(item),
                failure_code: "DuplicateItem",
            },
            Statement::Update {
                table,
                actions,
                condition,
            } => {
                let (key, rest) = key_and_condition(condition, &keys)?;
                let exists = Condition::Exists(hash_path());
                let condition = match rest {
                    Some(rest) => Condition::And(Box::new(exists), Box::new(rest)),
                    None => exists,
                };
                TransactWrite {
                    table,
                    key_or_item: key,
                    condition: Some(condition),
                    return_on_failure: false,
                    kind: WriteKind::Update(actions),
                    failure_code: "ConditionalCheckFailed",
                }
            }
            Statement::Delete { table, condition } => {
                let (key, condition) = key_and_condition(condition, &keys)?;
                TransactWrite {
                    table,
                    key_or_item: key,
                    condition,
                    return_on_failure: false,
                    kind: WriteKind::Delete,
                    failure_code: "ConditionalCheckFailed",
                }
            }
            Statement::Select { .. } => {
                return Err(validation("Transactions must contain only reads or only writes"));
            }
        })
    }
}

fn batch_error_code(code: &str) -> &'static str {
    match code {
        "ConditionalCheckFailedException" => "ConditionalCheckFailed",
        "DuplicateItemException" => "DuplicateItem",
        "ResourceNotFoundException" => "ResourceNotFound",
        _ => "ValidationError",
    }
}

/// A NextToken: the last key, as DynamoDB JSON in base64.
fn encode_token(key: &Item) -> String {
    BASE64.encode(item_to_json(key))
}

/// The key a NextToken names; reading it checks every value as a
/// client's would be.
fn decode_token(token: &str) -> Result<Item, AwsError> {
    let invalid = || validation("Invalid NextToken");
    let bytes = BASE64.decode(token).map_err(|_| invalid())?;
    item_from_json(&bytes).map_err(|_| invalid())
}
