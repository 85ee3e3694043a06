//! Service-level tests that need the clock: TTL expiry and stream trimming
//! with a TestClock, through the typed API.

use std::sync::Arc;
use std::time::Duration;

use nimbus_core::RequestContext;
use nimbus_dynamodb_api::*;
use nimbus_dynamodbstreams_api::{
    DescribeStreamInput, DynamoDbStreamsApi, GetRecordsInput, GetShardIteratorInput,
};
use nimbus_runtime::TestClock;
use nimbus_store::Store;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::DynamoDb;
use crate::attribute::AttributeValue;

fn ctx() -> RequestContext {
    RequestContext::for_tests("dynamodb", "test")
}

/// A typed input from the JSON a client sends.
fn input<T: DeserializeOwned>(body: serde_json::Value) -> T {
    serde_json::from_value(body).expect("a valid input")
}

fn table_input(name: &str, stream: bool) -> CreateTableInput {
    let mut body = json!({
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST"
    });
    if stream {
        body["StreamSpecification"] = json!({"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"});
    }
    input(body)
}

async fn put(service: &DynamoDb, table: &str, item: serde_json::Value) {
    let put: PutItemInput = input(json!({"TableName": table, "Item": item}));
    service.put_item(&ctx(), put).await.expect("put");
}

async fn exists(service: &DynamoDb, pk: &str) -> bool {
    let get: GetItemInput = input(json!({"TableName": "ttl", "Key": {"pk": {"S": pk}}}));
    service.get_item(&ctx(), get).await.expect("get").item.is_some()
}

#[tokio::test]
async fn every_listed_operation_is_implemented() {
    let service = DynamoDb::new(
        Arc::new(Store::ephemeral().expect("store")),
        TestClock::new().clock(),
    );
    let missing = nimbus_dynamodb_api::unimplemented_operations(&service, &ctx()).await;
    assert!(missing.is_empty(), "answering NotImplemented: {missing:?}");
    let streams = crate::DynamoDbStreams::new(Arc::new(Store::ephemeral().expect("store")));
    let missing = nimbus_dynamodbstreams_api::unimplemented_operations(&streams, &ctx()).await;
    assert!(missing.is_empty(), "answering NotImplemented: {missing:?}");
}

#[tokio::test]
async fn ttl_expires_items_by_the_clock() {
    let clock = TestClock::new();
    let store = Arc::new(Store::ephemeral().expect("store"));
    let service = DynamoDb::new(Arc::clone(&store), clock.clock());
    let now = (clock.clock().now_epoch_millis() / 1000) as i64;
    service
        .create_table(&ctx(), table_input("ttl", false))
        .await
        .expect("table");
    // Written before TTL is on: the backfill must index it.
    let item = |pk: &str, expires: Option<i64>| {
        let mut item = json!({"pk": {"S": pk}});
        if let Some(expires) = expires {
            item["expires"] = json!({"N": expires.to_string()});
        }
        item
    };
    put(&service, "ttl", item("early", Some(now + 60))).await;
    let ttl: UpdateTimeToLiveInput = input(json!({
        "TableName": "ttl",
        "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "expires"}
    }));
    service.update_time_to_live(&ctx(), ttl).await.expect("ttl on");
    put(&service, "ttl", item("late", Some(now + 3600))).await;
    put(&service, "ttl", item("forever", None)).await;
    put(&service, "ttl", item("ancient", Some(now - 6 * 365 * 24 * 3600))).await;

    assert_eq!(crate::ttl::sweep(&store, now).await.expect("sweep"), 0);
    assert!(exists(&service, "early").await);

    // The background reaper, woken by the test clock, removes what is due.
    clock.advance(Duration::from_secs(61)).await;
    for _ in 0..200 {
        if !exists(&service, "early").await {
            break;
        }
        // A sweep runs on a blocking thread: give it real time, then the next tick.
        tokio::time::sleep(Duration::from_millis(10)).await;
        clock.advance(Duration::from_secs(1)).await;
    }
    assert!(!exists(&service, "early").await);
    assert!(exists(&service, "late").await);
    assert!(exists(&service, "forever").await);
    // Expired more than five years ago: DynamoDB never deletes it.
    assert!(exists(&service, "ancient").await);

    assert_eq!(crate::ttl::sweep(&store, now + 3601).await.expect("sweep"), 1);
    assert!(!exists(&service, "late").await);
    let described = service
        .describe_table(&ctx(), input(json!({"TableName": "ttl"})))
        .await
        .expect("describe");
    assert_eq!(described.table.and_then(|t| t.item_count), Some(2));
}

#[tokio::test]
async fn stream_records_older_than_a_day_are_trimmed() {
    let clock = TestClock::new();
    let store = Arc::new(Store::ephemeral().expect("store"));
    let service = DynamoDb::new(Arc::clone(&store), clock.clock());
    let streams = crate::DynamoDbStreams::new(Arc::clone(&store));
    let created = service
        .create_table(&ctx(), table_input("streamed", true))
        .await
        .expect("table");
    let arn = created
        .table_description
        .and_then(|t| t.latest_stream_arn)
        .expect("stream arn");
    put(&service, "streamed", json!({"pk": {"S": "old"}})).await;
    clock.advance(Duration::from_secs(25 * 3600)).await;
    put(&service, "streamed", json!({"pk": {"S": "new"}})).await;

    let described = streams
        .describe_stream(
            &ctx(),
            DescribeStreamInput {
                stream_arn: arn.clone(),
                ..DescribeStreamInput::default()
            },
        )
        .await
        .expect("describe");
    let shard = described
        .stream_description
        .and_then(|d| d.shards)
        .and_then(|shards| shards.into_iter().next())
        .and_then(|shard| shard.shard_id)
        .expect("shard");
    let iterator = streams
        .get_shard_iterator(
            &ctx(),
            GetShardIteratorInput {
                stream_arn: arn,
                shard_id: shard,
                shard_iterator_type: "TRIM_HORIZON".to_owned(),
                sequence_number: None,
            },
        )
        .await
        .expect("iterator")
        .shard_iterator
        .expect("iterator");
    let records = streams
        .get_records(
            &ctx(),
            GetRecordsInput {
                shard_iterator: iterator,
                limit: None,
            },
        )
        .await
        .expect("records");
    let keys: Vec<AttributeValue> = records
        .records
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| r.dynamodb?.keys?.swap_remove("pk"))
        .collect();
    assert_eq!(keys, vec![AttributeValue::S("new".to_owned())]);
}
