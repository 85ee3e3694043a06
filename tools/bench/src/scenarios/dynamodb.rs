//! DynamoDB: PutItem, GetItem, and a Query that returns 100 items.

use super::{Context, throughput_figures};
use crate::aws::{Problem, json_body};
use crate::http_client::{BodyHandling, PreparedRequest};
use crate::load::{Plan, Replay, ReplyCheck};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Items read by the GetItem scenario, and returned by each Query.
const ITEMS: usize = 100;
/// Size of each item's payload attribute: a typical small record.
const PAYLOAD_BYTES: usize = 100;
/// Distinct items written by the PutItem scenario before keys repeat.
const PUT_KEYS: usize = 20_000;
/// The partition the Query scenario reads.
const QUERY_PARTITION: &str = "partition";

pub async fn put_item(context: &Context<'_>) -> Result<Vec<f64>, Problem> {
    let table = "bench-put";
    create_table(context, table).await?;
    context
        .call(&put_request(context, table, "check", "0"), "PutItem")
        .await?;
    check_item(context, table, "check", "0").await?;

    let requests = (0..context.settings.requests.min(PUT_KEYS))
        .map(|index| put_request(context, table, &format!("item-{index}"), "0"))
        .collect();
    let report = context
        .load(
            Replay {
                operation: "PutItem",
                requests,
                handling: BodyHandling::Keep,
                check: ReplyCheck::Success,
            },
            context.small_plan(),
        )
        .await?;
    // The items written under load are really there.
    check_item(context, table, "item-0", "0").await?;
    Ok(throughput_figures(&report))
}

pub async fn get_item(context: &Context<'_>) -> Result<Vec<f64>, Problem> {
    let table = "bench-get";
    create_table(context, table).await?;
    let puts = (0..ITEMS)
        .map(|index| put_request(context, table, &format!("item-{index}"), "0"))
        .collect();
    write_items(context, puts).await?;
    check_item(context, table, "item-0", "0").await?;

    let requests = (0..ITEMS)
        .map(|index| get_request(context, table, &format!("item-{index}"), "0"))
        .collect();
    let report = context
        .load(
            Replay {
                operation: "GetItem",
                requests,
                handling: BodyHandling::Keep,
                check: context.reply_check(ReplyCheck::Contains("\"Item\"")),
            },
            context.small_plan(),
        )
        .await?;
    Ok(throughput_figures(&report))
}

pub async fn query(context: &Context<'_>) -> Result<Vec<f64>, Problem> {
    let table = "bench-query";
    create_table(context, table).await?;
    let puts = (0..ITEMS)
        .map(|index| put_request(context, table, QUERY_PARTITION, &format!("{index:03}")))
        .collect();
    write_items(context, puts).await?;

    let query = context.requests.dynamodb(
        "Query",
        &json!({
            "TableName": table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": { ":pk": { "S": QUERY_PARTITION } },
        }),
    );
    let reply = context.call(&query, "Query").await?;
    if !context.reference {
        let answer = json_body(&reply, "Query")?;
        let returned = answer["Items"].as_array().map_or(0, Vec::len);
        context.verify(returned == ITEMS && answer["Count"] == ITEMS, || {
            format!(
                "Query returned {returned} items (Count {}), expected {ITEMS}",
                answer["Count"]
            )
        })?;
    }

    let report = context
        .load(
            Replay {
                operation: "Query",
                requests: vec![query],
                handling: BodyHandling::Count,
                // Cheap under load: 100 items cannot fit in fewer bytes.
                check: context.reply_check(ReplyCheck::MinBodyLen((ITEMS * PAYLOAD_BYTES) as u64)),
            },
            context.small_plan(),
        )
        .await?;
    Ok(throughput_figures(&report))
}

/// Creates a table keyed by `pk` (hash) and `sk` (range), and waits until
/// it is ACTIVE.
async fn create_table(context: &Context<'_>, table: &str) -> Result<(), Problem> {
    let create = context.requests.dynamodb(
        "CreateTable",
        &json!({
            "TableName": table,
            "AttributeDefinitions": [
                { "AttributeName": "pk", "AttributeType": "S" },
                { "AttributeName": "sk", "AttributeType": "S" },
            ],
            "KeySchema": [
                { "AttributeName": "pk", "KeyType": "HASH" },
                { "AttributeName": "sk", "KeyType": "RANGE" },
            ],
            "BillingMode": "PAY_PER_REQUEST",
        }),
    );
    context.call(&create, "CreateTable").await?;
    if context.reference {
        return Ok(());
    }
    let describe = context
        .requests
        .dynamodb("DescribeTable", &json!({ "TableName": table }));
    let started = Instant::now();
    loop {
        let reply = context.call(&describe, "DescribeTable").await?;
        let status = json_body(&reply, "DescribeTable")?["Table"]["TableStatus"].clone();
        if status == "ACTIVE" {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err(Problem::failed(
                "CreateTable",
                format!("table still {status} after 30 s"),
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn item(pk: &str, sk: &str) -> Value {
    json!({
        "pk": { "S": pk },
        "sk": { "S": sk },
        "payload": { "S": payload() },
    })
}

fn payload() -> String {
    "p".repeat(PAYLOAD_BYTES)
}

fn put_request(context: &Context<'_>, table: &str, pk: &str, sk: &str) -> PreparedRequest {
    context
        .requests
        .dynamodb("PutItem", &json!({ "TableName": table, "Item": item(pk, sk) }))
}

fn get_request(context: &Context<'_>, table: &str, pk: &str, sk: &str) -> PreparedRequest {
    context.requests.dynamodb(
        "GetItem",
        &json!({ "TableName": table, "Key": { "pk": { "S": pk }, "sk": { "S": sk } } }),
    )
}

/// Writes set-up items over a few connections.
async fn write_items(context: &Context<'_>, puts: Vec<PreparedRequest>) -> Result<(), Problem> {
    let plan = Plan {
        operations: puts.len(),
        max_duration: context.settings.scenario_timeout,
        ..context.small_plan()
    };
    let report = context
        .load(
            Replay {
                operation: "PutItem",
                requests: puts,
                handling: BodyHandling::Keep,
                check: ReplyCheck::Success,
            },
            plan,
        )
        .await?;
    context.verify(report.completed == plan.operations, || {
        format!(
            "only {} of {} set-up items written",
            report.completed, plan.operations
        )
    })
}

/// Reads one item back and checks its payload.
async fn check_item(context: &Context<'_>, table: &str, pk: &str, sk: &str) -> Result<(), Problem> {
    let reply = context
        .call(&get_request(context, table, pk, sk), "GetItem")
        .await?;
    if context.reference {
        return Ok(());
    }
    let answer = json_body(&reply, "GetItem")?;
    context.verify(answer["Item"]["payload"]["S"] == payload(), || {
        format!("GetItem {pk}/{sk} returned {answer}")
    })
}
