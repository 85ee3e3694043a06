//! TransactWriteItems and TransactGetItems.

use std::sync::Mutex;

use nimbus_core::{AwsError, RequestContext, Value};

use crate::DynamoDb;

#[derive(Default)]
pub struct TokenLedger {
    tokens: Mutex<std::collections::HashMap<String, u64>>,
}

impl TokenLedger {
    pub fn clear(&self) {
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}

impl DynamoDb {
    pub async fn transact_write_items(
        &self,
        _ctx: &RequestContext,
        _input: Value,
    ) -> Result<Value, AwsError> {
        Err(AwsError::not_implemented("dynamodb", "TransactWriteItems"))
    }

    pub async fn transact_get_items(&self, _ctx: &RequestContext, _input: Value) -> Result<Value, AwsError> {
        Err(AwsError::not_implemented("dynamodb", "TransactGetItems"))
    }
}
