//! Service-level tests that need the clock: TTL expiry with a TestClock.

use std::sync::Arc;
use std::time::Duration;

use nimbus_core::{RequestContext, Value, to_value};
use nimbus_runtime::TestClock;
use nimbus_store::Store;
use serde_json::json;

use crate::DynamoDb;

fn request(body: serde_json::Value) -> Value {
    to_value(&body)
}

async fn call(service: &DynamoDb, operation: &str, body: serde_json::Value) -> Value {
    let ctx = RequestContext::for_tests("dynamodb", operation);
    match service.dispatch(&ctx, operation, request(body)).await {
        Ok(value) => value,
        Err(err) => panic!("{operation} failed: {err}"),
    }
}

async fn exists(service: &DynamoDb, pk: &str) -> bool {
    let answer = call(
        service,
        "GetItem",
        json!({"TableName": "ttl", "Key": {"pk": {"S": pk}}}),
    )
    .await;
    answer.get("Item").is_some()
}

#[tokio::test]
async fn ttl_expires_items_by_the_clock() {
    let clock = TestClock::new();
    let store = Arc::new(Store::ephemeral().expect("store"));
    let service = DynamoDb::new(Arc::clone(&store), clock.clock());
    let now = (clock.clock().now_epoch_millis() / 1000) as i64;
    call(
        &service,
        "CreateTable",
        json!({
            "TableName": "ttl",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    )
    .await;
    // Written before TTL is on: the backfill must index it.
    let put = |pk: &str, expires: Option<i64>| {
        let mut item = json!({"pk": {"S": pk}});
        if let Some(expires) = expires {
            item["expires"] = json!({"N": expires.to_string()});
        }
        json!({"TableName": "ttl", "Item": item})
    };
    call(&service, "PutItem", put("early", Some(now + 60))).await;
    call(
        &service,
        "UpdateTimeToLive",
        json!({"TableName": "ttl", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "expires"}}),
    )
    .await;
    call(&service, "PutItem", put("late", Some(now + 3600))).await;
    call(&service, "PutItem", put("forever", None)).await;
    call(
        &service,
        "PutItem",
        put("ancient", Some(now - 6 * 365 * 24 * 3600)),
    )
    .await;

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
    let described = call(&service, "DescribeTable", json!({"TableName": "ttl"})).await;
    let count = described
        .get("Table")
        .and_then(|t| t.get("ItemCount"))
        .and_then(Value::as_i64);
    assert_eq!(count, Some(2));
}

#[tokio::test]
async fn stream_records_older_than_a_day_are_trimmed() {
    use nimbus_core::Service;

    let clock = TestClock::new();
    let store = Arc::new(Store::ephemeral().expect("store"));
    let service = DynamoDb::new(Arc::clone(&store), clock.clock());
    let streams = crate::DynamoDbStreams::new(Arc::clone(&store));
    let created = call(
        &service,
        "CreateTable",
        json!({
            "TableName": "streamed",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"}
        }),
    )
    .await;
    let arn = created
        .get("TableDescription")
        .and_then(|t| t.get("LatestStreamArn"))
        .and_then(Value::as_str)
        .expect("stream arn")
        .to_owned();
    let put = |pk: &str| json!({"TableName": "streamed", "Item": {"pk": {"S": pk}}});
    call(&service, "PutItem", put("old")).await;
    clock.advance(Duration::from_secs(25 * 3600)).await;
    call(&service, "PutItem", put("new")).await;

    let ctx = RequestContext::for_tests("dynamodbstreams", "DescribeStream");
    let stream = streams
        .handle(&ctx, "DescribeStream", request(json!({"StreamArn": arn})))
        .await
        .expect("describe");
    let shard = stream
        .get("StreamDescription")
        .and_then(|d| d.get("Shards"))
        .and_then(Value::as_list)
        .and_then(|s| s.first())
        .and_then(|s| s.get("ShardId"))
        .and_then(Value::as_str)
        .expect("shard")
        .to_owned();
    let iterator = streams
        .handle(
            &ctx,
            "GetShardIterator",
            request(json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"})),
        )
        .await
        .expect("iterator");
    let iterator = iterator
        .get("ShardIterator")
        .and_then(Value::as_str)
        .expect("iterator")
        .to_owned();
    let records = streams
        .handle(&ctx, "GetRecords", request(json!({"ShardIterator": iterator})))
        .await
        .expect("records");
    let keys: Vec<&str> = records
        .get("Records")
        .and_then(Value::as_list)
        .expect("records")
        .iter()
        .filter_map(|r| r.get("dynamodb")?.get("Keys")?.get("pk")?.get("S")?.as_str())
        .collect();
    assert_eq!(keys, vec!["new"]);
}
