//! Service-level tests over an ephemeral store and a test clock.

use std::sync::Arc;

use nimbus_core::RequestContext;
use nimbus_runtime::TestClock;
use nimbus_store::Store;

use crate::Logs;

fn service() -> Logs {
    Logs::new(Arc::new(Store::ephemeral().unwrap()), TestClock::new().clock())
}

#[tokio::test]
async fn every_listed_operation_is_implemented() {
    let ctx = RequestContext::for_tests("logs", "test");
    let missing = nimbus_logs_api::unimplemented_operations(&service(), &ctx).await;
    assert!(missing.is_empty(), "answering NotImplemented: {missing:?}");
}

use nimbus_logs_api::*;

const DAY: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

async fn group_with_stream(logs: &Logs, ctx: &RequestContext) {
    let group = CreateLogGroupRequest {
        log_group_name: "g".into(),
        ..Default::default()
    };
    logs.create_log_group(ctx, group).await.unwrap();
    let stream = CreateLogStreamRequest {
        log_group_name: "g".into(),
        log_stream_name: "s".into(),
    };
    logs.create_log_stream(ctx, stream).await.unwrap();
}

async fn put(logs: &Logs, ctx: &RequestContext, messages: &[&str]) {
    let now = logs.now_ms();
    let input = PutLogEventsRequest {
        log_group_name: "g".into(),
        log_stream_name: "s".into(),
        log_events: messages
            .iter()
            .map(|m| InputLogEvent {
                timestamp: now,
                message: (*m).to_owned(),
            })
            .collect(),
        ..Default::default()
    };
    logs.put_log_events(ctx, input).await.unwrap();
}

async fn read(logs: &Logs, ctx: &RequestContext, token: Option<String>, limit: i32) -> GetLogEventsResponse {
    let input = GetLogEventsRequest {
        log_group_name: Some("g".into()),
        log_stream_name: "s".into(),
        start_from_head: Some(true),
        next_token: token,
        limit: Some(limit),
        ..Default::default()
    };
    logs.get_log_events(ctx, input).await.unwrap()
}

fn messages(page: &GetLogEventsResponse) -> Vec<String> {
    page.events
        .iter()
        .flatten()
        .filter_map(|e| e.message.clone())
        .collect()
}

#[tokio::test]
async fn events_past_the_retention_are_no_longer_read_and_are_dropped() {
    let clock = TestClock::new();
    let logs = Logs::new(Arc::new(Store::ephemeral().unwrap()), clock.clock());
    let ctx = RequestContext::for_tests("logs", "test");
    group_with_stream(&logs, &ctx).await;
    let retention = PutRetentionPolicyRequest {
        log_group_name: "g".into(),
        retention_in_days: 1,
    };
    logs.put_retention_policy(&ctx, retention).await.unwrap();
    put(&logs, &ctx, &["old"]).await;
    clock.advance(DAY - std::time::Duration::from_secs(1)).await;
    put(&logs, &ctx, &["new"]).await;
    assert_eq!(messages(&read(&logs, &ctx, None, 100).await), ["old", "new"]);
    clock.advance(std::time::Duration::from_secs(2)).await;
    assert_eq!(messages(&read(&logs, &ctx, None, 100).await), ["new"]);
    // The next write to the stream removes what expired.
    put(&logs, &ctx, &["newer"]).await;
    let ns = crate::records::namespace(&ctx).unwrap();
    let prefix = crate::records::events_prefix("g", "s");
    let stored = logs.store.values_under(&ns, &prefix).await.unwrap();
    assert_eq!(stored.len(), 2);
}

#[tokio::test]
async fn a_stream_is_read_page_by_page_until_the_token_comes_back() {
    let clock = TestClock::new();
    let logs = Logs::new(Arc::new(Store::ephemeral().unwrap()), clock.clock());
    let ctx = RequestContext::for_tests("logs", "test");
    group_with_stream(&logs, &ctx).await;
    put(&logs, &ctx, &["a", "b", "c"]).await;
    let first = read(&logs, &ctx, None, 2).await;
    assert_eq!(messages(&first), ["a", "b"]);
    let second = read(&logs, &ctx, first.next_forward_token.clone(), 2).await;
    assert_eq!(messages(&second), ["c"]);
    let end = read(&logs, &ctx, second.next_forward_token.clone(), 2).await;
    assert!(messages(&end).is_empty());
    assert_eq!(end.next_forward_token, second.next_forward_token);
    // Read without startFromHead, the newest page comes first.
    let newest = GetLogEventsRequest {
        log_group_name: Some("g".into()),
        log_stream_name: "s".into(),
        limit: Some(2),
        ..Default::default()
    };
    let newest = logs.get_log_events(&ctx, newest).await.unwrap();
    assert_eq!(messages(&newest), ["b", "c"]);
    let older = read(&logs, &ctx, newest.next_backward_token.clone(), 2).await;
    assert_eq!(messages(&older), ["a"]);
}
