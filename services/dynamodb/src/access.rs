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
    Resource {
        arn: format!("arn:aws:dynamodb:{}:{}:table/{value}", ctx.region, ctx.account_id),
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
/// actions, a PartiQL statement by its verb).
pub mod items {
    use nimbus_dynamodb_api::{
        BatchExecuteStatementInput, BatchGetItemInput, BatchWriteItemInput, ExecuteStatementInput,
        ExecuteTransactionInput, TransactGetItemsInput, TransactWriteItemsInput,
    };

    use crate::attribute::AttributeValue;
    use crate::partiql::{Statement, parse};

    /// (action, table name) pairs, in the request's order.
    pub type Accesses = Vec<(&'static str, String)>;

    pub fn batch_get(input: &BatchGetItemInput) -> Accesses {
        input
            .request_items
            .keys()
            .map(|t| ("dynamodb:BatchGetItem", t.clone()))
            .collect()
    }

    pub fn batch_write(input: &BatchWriteItemInput) -> Accesses {
        input
            .request_items
            .keys()
            .map(|t| ("dynamodb:BatchWriteItem", t.clone()))
            .collect()
    }

    pub fn transact_get(input: &TransactGetItemsInput) -> Accesses {
        input
            .transact_items
            .iter()
            .map(|item| ("dynamodb:GetItem", item.get.table_name.clone()))
            .collect()
    }

    pub fn transact_write(input: &TransactWriteItemsInput) -> Accesses {
        input
            .transact_items
            .iter()
            .flat_map(|item| {
                let check = item
                    .condition_check
                    .as_ref()
                    .map(|c| ("dynamodb:ConditionCheckItem", c.table_name.clone()));
                let put = item
                    .put
                    .as_ref()
                    .map(|p| ("dynamodb:PutItem", p.table_name.clone()));
                let delete = item
                    .delete
                    .as_ref()
                    .map(|d| ("dynamodb:DeleteItem", d.table_name.clone()));
                let update = item
                    .update
                    .as_ref()
                    .map(|u| ("dynamodb:UpdateItem", u.table_name.clone()));
                [check, put, delete, update].into_iter().flatten()
            })
            .collect()
    }

    /// A statement's PartiQL action and table; none when it does not parse
    /// (the handler answers that).
    fn statement(source: &str, parameters: Option<&Vec<AttributeValue>>) -> Option<(&'static str, String)> {
        let parsed = parse(source, parameters.cloned().unwrap_or_default()).ok()?;
        let action = match parsed {
            Statement::Select { .. } => "dynamodb:PartiQLSelect",
            Statement::Insert { .. } => "dynamodb:PartiQLInsert",
            Statement::Update { .. } => "dynamodb:PartiQLUpdate",
            Statement::Delete { .. } => "dynamodb:PartiQLDelete",
        };
        Some((action, parsed.table().to_owned()))
    }

    pub fn execute(input: &ExecuteStatementInput) -> Accesses {
        statement(&input.statement, input.parameters.as_ref())
            .into_iter()
            .collect()
    }

    pub fn batch_execute(input: &BatchExecuteStatementInput) -> Accesses {
        input
            .statements
            .iter()
            .filter_map(|s| statement(&s.statement, s.parameters.as_ref()))
            .collect()
    }

    pub fn transaction(input: &ExecuteTransactionInput) -> Accesses {
        input
            .transact_statements
            .iter()
            .filter_map(|s| statement(&s.statement, s.parameters.as_ref()))
            .collect()
    }
}

impl crate::DynamoDb {
    /// Holds a call that names its tables inside its items to IAM: every
    /// (action, table) it asks must be allowed, else nothing is done.
    pub(crate) async fn authorize_items(
        &self,
        ctx: &RequestContext,
        accesses: impl FnOnce() -> items::Accesses,
    ) -> Result<(), AwsError> {
        if ctx.enforcement.0.is_none() {
            return Ok(());
        }
        for (action, table) in accesses() {
            let named = ResourceRef {
                kind: "table",
                value: &table,
                qualifier: None,
            };
            let access = nimbus_core::authz::Access {
                action,
                resources: vec![table_resource(ctx, named)],
                keys: Vec::new(),
                input_keys: Default::default(),
            };
            ctx.enforcement
                .check(ctx, &access)
                .await
                .map_err(|denial| access_denied(&denial))?;
        }
        Ok(())
    }
}
