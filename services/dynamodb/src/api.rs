//! The DynamoDB API: each operation to its handler.

use nimbus_core::{AwsError, RequestContext};
use nimbus_dynamodb_api::*;

use crate::DynamoDb;
use crate::access::items;

/// The operations, served by the handlers of the modules (inherent methods
/// of the same names).
impl DynamoDbApi for DynamoDb {
    async fn batch_execute_statement(
        &self,
        ctx: &RequestContext,
        input: BatchExecuteStatementInput,
    ) -> Result<BatchExecuteStatementOutput, AwsError> {
        self.authorize_items(ctx, || items::batch_execute(&input)).await?;
        DynamoDb::batch_execute_statement(self, ctx, input).await
    }

    async fn batch_get_item(
        &self,
        ctx: &RequestContext,
        input: BatchGetItemInput,
    ) -> Result<BatchGetItemOutput, AwsError> {
        self.authorize_items(ctx, || items::batch_get(&input)).await?;
        DynamoDb::batch_get_item(self, ctx, input).await
    }

    async fn batch_write_item(
        &self,
        ctx: &RequestContext,
        input: BatchWriteItemInput,
    ) -> Result<BatchWriteItemOutput, AwsError> {
        self.authorize_items(ctx, || items::batch_write(&input)).await?;
        DynamoDb::batch_write_item(self, ctx, input).await
    }

    async fn create_table(
        &self,
        ctx: &RequestContext,
        input: CreateTableInput,
    ) -> Result<CreateTableOutput, AwsError> {
        DynamoDb::create_table(self, ctx, input).await
    }

    async fn delete_item(
        &self,
        ctx: &RequestContext,
        input: DeleteItemInput,
    ) -> Result<DeleteItemOutput, AwsError> {
        DynamoDb::delete_item(self, ctx, input).await
    }

    async fn delete_table(
        &self,
        ctx: &RequestContext,
        input: DeleteTableInput,
    ) -> Result<DeleteTableOutput, AwsError> {
        DynamoDb::delete_table(self, ctx, input).await
    }

    async fn describe_endpoints(
        &self,
        ctx: &RequestContext,
        input: DescribeEndpointsRequest,
    ) -> Result<DescribeEndpointsResponse, AwsError> {
        let _ = input;
        Ok(DynamoDb::describe_endpoints(self, ctx))
    }

    async fn describe_limits(
        &self,
        _: &RequestContext,
        input: DescribeLimitsInput,
    ) -> Result<DescribeLimitsOutput, AwsError> {
        let _ = input;
        Ok(DynamoDb::describe_limits(self))
    }

    async fn describe_table(
        &self,
        ctx: &RequestContext,
        input: DescribeTableInput,
    ) -> Result<DescribeTableOutput, AwsError> {
        DynamoDb::describe_table(self, ctx, input).await
    }

    async fn describe_time_to_live(
        &self,
        ctx: &RequestContext,
        input: DescribeTimeToLiveInput,
    ) -> Result<DescribeTimeToLiveOutput, AwsError> {
        DynamoDb::describe_time_to_live(self, ctx, input).await
    }

    async fn execute_statement(
        &self,
        ctx: &RequestContext,
        input: ExecuteStatementInput,
    ) -> Result<ExecuteStatementOutput, AwsError> {
        self.authorize_items(ctx, || items::execute(&input)).await?;
        DynamoDb::execute_statement(self, ctx, input).await
    }

    async fn execute_transaction(
        &self,
        ctx: &RequestContext,
        input: ExecuteTransactionInput,
    ) -> Result<ExecuteTransactionOutput, AwsError> {
        self.authorize_items(ctx, || items::transaction(&input)).await?;
        DynamoDb::execute_transaction(self, ctx, input).await
    }

    async fn get_item(&self, ctx: &RequestContext, input: GetItemInput) -> Result<GetItemOutput, AwsError> {
        DynamoDb::get_item(self, ctx, input).await
    }

    async fn list_tables(
        &self,
        ctx: &RequestContext,
        input: ListTablesInput,
    ) -> Result<ListTablesOutput, AwsError> {
        DynamoDb::list_tables(self, ctx, input).await
    }

    async fn list_tags_of_resource(
        &self,
        ctx: &RequestContext,
        input: ListTagsOfResourceInput,
    ) -> Result<ListTagsOfResourceOutput, AwsError> {
        DynamoDb::list_tags_of_resource(self, ctx, input).await
    }

    async fn put_item(&self, ctx: &RequestContext, input: PutItemInput) -> Result<PutItemOutput, AwsError> {
        DynamoDb::put_item(self, ctx, input).await
    }

    async fn query(&self, ctx: &RequestContext, input: QueryInput) -> Result<QueryOutput, AwsError> {
        DynamoDb::query(self, ctx, input).await
    }

    async fn scan(&self, ctx: &RequestContext, input: ScanInput) -> Result<ScanOutput, AwsError> {
        DynamoDb::scan(self, ctx, input).await
    }

    async fn tag_resource(&self, ctx: &RequestContext, input: TagResourceInput) -> Result<(), AwsError> {
        DynamoDb::tag_resource(self, ctx, input).await
    }

    async fn transact_get_items(
        &self,
        ctx: &RequestContext,
        input: TransactGetItemsInput,
    ) -> Result<TransactGetItemsOutput, AwsError> {
        self.authorize_items(ctx, || items::transact_get(&input)).await?;
        DynamoDb::transact_get_items(self, ctx, input).await
    }

    async fn transact_write_items(
        &self,
        ctx: &RequestContext,
        input: TransactWriteItemsInput,
    ) -> Result<TransactWriteItemsOutput, AwsError> {
        self.authorize_items(ctx, || items::transact_write(&input))
            .await?;
        DynamoDb::transact_write_items(self, ctx, input).await
    }

    async fn untag_resource(&self, ctx: &RequestContext, input: UntagResourceInput) -> Result<(), AwsError> {
        DynamoDb::untag_resource(self, ctx, input).await
    }

    async fn update_item(
        &self,
        ctx: &RequestContext,
        input: UpdateItemInput,
    ) -> Result<UpdateItemOutput, AwsError> {
        DynamoDb::update_item(self, ctx, input).await
    }

    async fn update_table(
        &self,
        ctx: &RequestContext,
        input: UpdateTableInput,
    ) -> Result<UpdateTableOutput, AwsError> {
        DynamoDb::update_table(self, ctx, input).await
    }

    async fn update_time_to_live(
        &self,
        ctx: &RequestContext,
        input: UpdateTimeToLiveInput,
    ) -> Result<UpdateTimeToLiveOutput, AwsError> {
        DynamoDb::update_time_to_live(self, ctx, input).await
    }

    async fn resource(
        &self,
        ctx: &RequestContext,
        named: nimbus_core::authz::ResourceRef<'_>,
    ) -> Result<nimbus_core::authz::Resource, AwsError> {
        Ok(crate::access::table_resource(ctx, named))
    }

    fn input_keys<'a>(
        &'a self,
        ctx: &'a RequestContext,
        input: &'a dyn std::any::Any,
    ) -> nimbus_core::authz::LazyKeys<'a> {
        self.leading_keys(ctx, input)
    }

    fn access_denied(&self, denial: nimbus_core::authz::Denial) -> AwsError {
        crate::access::access_denied(&denial)
    }
}
