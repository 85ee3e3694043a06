//! The tables IAM decisions are about: the `table` of operations.txt (a
//! name, or an ARN) made the table's ARN and owner; and a refusal in
//! DynamoDB's words (AccessDeniedException, HTTP 400).

use nimbus_core::authz::{Denial, Resource, ResourceRef};
use nimbus_core::{AwsError, RequestContext};

/// A table's ARN: the value when it is one, else the name's ARN in the
/// caller's account and region.
pub fn table_resource(ctx: &RequestContext, named: ResourceRef<'_>) -> Resource {
    let value = named.value;
    if value.starts_with("arn:") {
        let account = value.split(':').nth(4).unwrap_or(&ctx.account_id).to_owned();
        return Resource {
            arn: value.to_owned(),
            account,
            policy: None,
            keys: Default::default(),
        };
    }
    // Every guarded call names one: written without format!'s machinery.
    let mut arn = String::with_capacity(40 + ctx.region.len() + value.len());
    for part in [
        "arn:aws:dynamodb:",
        &ctx.region,
        ":",
        &ctx.account_id,
        ":table/",
        value,
    ] {
        arn.push_str(part);
    }
    Resource {
        arn,
        account: ctx.account_id.clone(),
        policy: None,
        keys: Default::default(),
    }
}

pub fn access_denied(denial: &Denial) -> AwsError {
    AwsError::new("AccessDeniedException", denial.message(), 400)
}

/// What a batch, transaction or PartiQL call asks of IAM: an action on each
/// table it names (the Service Authorization Reference: BatchGetItem and
/// BatchWriteItem on their tables, a transaction's items by their own
/// actions, a PartiQL statement by its verb), with the keys (or items) it
/// names there, whose partition key values are its dynamodb:LeadingKeys.
pub mod items {
    use indexmap::IndexMap;
    use nimbus_dynamodb_api::{
        BatchExecuteStatementInput, BatchGetItemInput, BatchWriteItemInput, ExecuteStatementInput,
        ExecuteTransactionInput, TransactGetItemsInput, TransactWriteItemsInput,
    };

    use crate::attribute::AttributeValue;
    use crate::partiql::{Statement, parse};

    /// A key, or an item (its partition key attribute is among them).
    pub type Attributes = IndexMap<String, AttributeValue>;

    /// One question to IAM: an action on a table, for these keys or items.
    pub struct Asked {
        pub action: &'static str,
        pub table: String,
        pub keys: Vec<Attributes>,
    }

    fn asked(action: &'static str, table: &str, keys: Vec<Attributes>) -> Asked {
        Asked {
            action,
            table: table.to_owned(),
            keys,
        }
    }

    pub fn batch_get(input: &BatchGetItemInput) -> Vec<Asked> {
        input
            .request_items
            .iter()
            .map(|(table, wanted)| asked("dynamodb:BatchGetItem", table, wanted.keys.clone()))
            .collect()
    }

    pub fn batch_write(input: &BatchWriteItemInput) -> Vec<Asked> {
        input
            .request_items
            .iter()
            .map(|(table, writes)| {
                let keys = writes
                    .iter()
                    .filter_map(|w| {
                        let put = w.put_request.as_ref().map(|p| p.item.clone());
                        put.or_else(|| w.delete_request.as_ref().map(|d| d.key.clone()))
                    })
                    .collect();
                asked("dynamodb:BatchWriteItem", table, keys)
            })
            .collect()
    }

    pub fn transact_get(input: &TransactGetItemsInput) -> Vec<Asked> {
        input
            .transact_items
            .iter()
            .map(|item| {
                asked(
                    "dynamodb:GetItem",
                    &item.get.table_name,
                    vec![item.get.key.clone()],
                )
            })
            .collect()
    }

    pub fn transact_write(input: &TransactWriteItemsInput) -> Vec<Asked> {
        input
            .transact_items
            .iter()
            .flat_map(|item| {
                let check = item
                    .condition_check
                    .as_ref()
                    .map(|c| asked("dynamodb:ConditionCheckItem", &c.table_name, vec![c.key.clone()]));
                let put = item
                    .put
                    .as_ref()
                    .map(|p| asked("dynamodb:PutItem", &p.table_name, vec![p.item.clone()]));
                let delete = item
                    .delete
                    .as_ref()
                    .map(|d| asked("dynamodb:DeleteItem", &d.table_name, vec![d.key.clone()]));
                let update = item
                    .update
                    .as_ref()
                    .map(|u| asked("dynamodb:UpdateItem", &u.table_name, vec![u.key.clone()]));
                [check, put, delete, update].into_iter().flatten()
            })
            .collect()
    }

    /// A statement's PartiQL action and table; none when it does not parse
    /// (the handler answers that).
    fn statement(source: &str, parameters: Option<&Vec<AttributeValue>>) -> Option<Asked> {
        let parsed = parse(source, parameters.cloned().unwrap_or_default()).ok()?;
        let action = match parsed {
            Statement::Select { .. } => "dynamodb:PartiQLSelect",
            Statement::Insert { .. } => "dynamodb:PartiQLInsert",
            Statement::Update { .. } => "dynamodb:PartiQLUpdate",
            Statement::Delete { .. } => "dynamodb:PartiQLDelete",
        };
        Some(asked(action, parsed.table(), Vec::new()))
    }

    pub fn execute(input: &ExecuteStatementInput) -> Vec<Asked> {
        statement(&input.statement, input.parameters.as_ref())
            .into_iter()
            .collect()
    }

    pub fn batch_execute(input: &BatchExecuteStatementInput) -> Vec<Asked> {
        input
            .statements
            .iter()
            .filter_map(|s| statement(&s.statement, s.parameters.as_ref()))
            .collect()
    }

    pub fn transaction(input: &ExecuteTransactionInput) -> Vec<Asked> {
        input
            .transact_statements
            .iter()
            .filter_map(|s| statement(&s.statement, s.parameters.as_ref()))
            .collect()
    }
}

impl crate::DynamoDb {
    /// Holds a call that names its tables inside its items to IAM: every
    /// action it asks of a table, with the partition keys it names there,
    /// must be allowed, else nothing is done.
    pub(crate) async fn authorize_items(
        &self,
        ctx: &RequestContext,
        asked: impl FnOnce() -> Vec<items::Asked>,
    ) -> Result<(), AwsError> {
        if ctx.enforcement.0.is_none() {
            return Ok(());
        }
        for question in asked() {
            let named = ResourceRef {
                kind: "table",
                value: &question.table,
                qualifier: None,
                detail: None,
            };
            let access = nimbus_core::authz::Access {
                action: question.action,
                resources: vec![table_resource(ctx, named)],
                keys: Vec::new(),
                input_keys: self.leading_keys_of(ctx, &question.table, question.keys),
            };
            ctx.enforcement
                .check(ctx, &access)
                .await
                .map_err(|denial| access_denied(&denial))?;
        }
        Ok(())
    }
}
