//! Amazon DynamoDB over the nimbus store: tables with their indexes, items
//! with DynamoDB's types and number rules, the expression language, queries
//! and scans, batches and transactions.
//!
//! The item model ([`attribute`] values with their [`number`]s, sizes, key
//! encoding, DynamoDB JSON) is the API crate's, shared with the wire.
//! Modules, one concern each: `schema` (table definitions and key
//! checks), `storage` (the key layout), [`expr`] (lexer, parser, evaluator,
//! update actions), `api` (each operation to its handler), then the
//! operations: `tables`, `items`, `query`,
//! `batch`, `transact`, `partiql` (ExecuteStatement and friends over
//! the same cores), `ttl` expiry, and `streams` (change records and the
//! DynamoDB Streams API, served by [`DynamoDbStreams`]).

// Tests unwrap what they just built.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod access;
mod api;
mod batch;
mod error;
pub mod expr;
mod items;
mod key_range;
mod leading_keys;
mod legacy;
mod partiql;
mod query;
mod request;
mod reserved;
mod schema;
mod storage;
mod streams;
mod table_description;
mod table_settings;
mod tables;
mod transact;
mod ttl;

use std::sync::Arc;

pub use nimbus_dynamodb_api::{attribute, number};
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
}

#[cfg(test)]
mod tests;
