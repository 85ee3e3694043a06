//! Amazon DynamoDB over the nimbus store: tables with their indexes, items
//! with DynamoDB's types and number rules, the expression language, queries
//! and scans, batches and transactions.
//!
//! Modules, one concern each: [`number`] (38-digit decimals), [`attribute`]
//! (values, sizes, key encoding), `schema` (table definitions and key
//! checks), `storage` (the key layout), [`expr`] (lexer, parser, evaluator,
//! update actions), then the operations: `tables`, `items`, `query`,
//! `batch`, `transact`, `partiql` (ExecuteStatement and friends over
//! the same cores), `ttl` expiry, and `streams` (change records and the
//! DynamoDB Streams API, served by [`DynamoDbStreams`]).

// Every handler returns nimbus_core::AwsError, whose size is the core's call.
#![allow(clippy::result_large_err)]

pub mod attribute;
mod batch;
mod error;
pub mod expr;
pub mod generated;
mod items;
mod legacy;
pub mod number;
mod partiql;
mod query;
mod request;
mod reserved;
mod schema;
mod storage;
mod streams;
mod tables;
mod transact;
mod ttl;
mod wire;

use std::sync::Arc;

use nimbus_core::{AwsError, BoxFuture, RequestContext, Service, Value, from_value, to_value};
use nimbus_runtime::Clock;
use nimbus_store::Store;

pub use streams::DynamoDbStreams;

/// The DynamoDB service. All state is in the store; nothing is cached.
pub struct DynamoDb {
    store: Arc<Store>,
    /// Table creation times, transaction tokens and TTL expiry read it.
    clock: Clock,
}

impl DynamoDb {
    pub fn new(store: Arc<Store>, clock: Clock) -> Self {
        ttl::spawn_reaper(&store, clock.clone());
        DynamoDb { store, clock }
    }

    async fn dispatch(&self, ctx: &RequestContext, operation: &str, input: Value) -> Result<Value, AwsError> {
        Ok(match operation {
            "CreateTable" => to_value(&self.create_table(ctx, from_value(input)?).await?),
            "DescribeTable" => to_value(&self.describe_table(ctx, from_value(input)?).await?),
            "ListTables" => to_value(&self.list_tables(ctx, from_value(input)?).await?),
            "UpdateTable" => to_value(&self.update_table(ctx, from_value(input)?).await?),
            "DeleteTable" => to_value(&self.delete_table(ctx, from_value(input)?).await?),
            "TagResource" => {
                self.tag_resource(ctx, from_value(input)?).await?;
                Value::empty()
            }
            "UntagResource" => {
                self.untag_resource(ctx, from_value(input)?).await?;
                Value::empty()
            }
            "ListTagsOfResource" => to_value(&self.list_tags_of_resource(ctx, from_value(input)?).await?),
            "UpdateTimeToLive" => to_value(&self.update_time_to_live(ctx, from_value(input)?).await?),
            "DescribeTimeToLive" => to_value(&self.describe_time_to_live(ctx, from_value(input)?).await?),
            "DescribeLimits" => to_value(&self.describe_limits()),
            "DescribeEndpoints" => to_value(&self.describe_endpoints(ctx)),
            "PutItem" => self.put_item(ctx, input).await?,
            "GetItem" => self.get_item(ctx, input).await?,
            "UpdateItem" => self.update_item(ctx, input).await?,
            "DeleteItem" => self.delete_item(ctx, input).await?,
            "Query" => self.query(ctx, input).await?,
            "Scan" => self.scan(ctx, input).await?,
            "BatchGetItem" => self.batch_get_item(ctx, input).await?,
            "BatchWriteItem" => self.batch_write_item(ctx, input).await?,
            "TransactWriteItems" => self.transact_write_items(ctx, input).await?,
            "TransactGetItems" => self.transact_get_items(ctx, input).await?,
            "ExecuteStatement" => self.execute_statement(ctx, input).await?,
            "BatchExecuteStatement" => self.batch_execute_statement(ctx, input).await?,
            "ExecuteTransaction" => self.execute_transaction(ctx, input).await?,
            _ => return Err(AwsError::not_implemented("dynamodb", operation)),
        })
    }
}

impl Service for DynamoDb {
    fn model_name(&self) -> &'static str {
        "dynamodb"
    }

    fn handle<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, AwsError>> {
        Box::pin(self.dispatch(ctx, operation, input))
    }

    /// Nothing to drop: every piece of state is in the store, which the binary resets.
    fn reset(&self) {}
}

#[cfg(test)]
mod tests;
