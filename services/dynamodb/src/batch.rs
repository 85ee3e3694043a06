//! BatchGetItem and BatchWriteItem.

use nimbus_core::{AwsError, RequestContext, Value};

use crate::DynamoDb;

impl DynamoDb {
    pub async fn batch_get_item(&self, _ctx: &RequestContext, _input: Value) -> Result<Value, AwsError> {
        Err(AwsError::not_implemented("dynamodb", "BatchGetItem"))
    }

    pub async fn batch_write_item(&self, _ctx: &RequestContext, _input: Value) -> Result<Value, AwsError> {
        Err(AwsError::not_implemented("dynamodb", "BatchWriteItem"))
    }
}
