//! Service-level tests over an ephemeral store and a test clock.

use std::sync::Arc;

use nimbus_core::RequestContext;
use nimbus_runtime::TestClock;
use nimbus_store::Store;

use crate::Lambda;

fn service() -> Lambda {
    Lambda::new(Arc::new(Store::ephemeral().unwrap()), TestClock::new().clock())
}

#[tokio::test]
async fn every_listed_operation_is_implemented() {
    let ctx = RequestContext::for_tests("lambda", "test");
    let missing = nimbus_lambda_api::unimplemented_operations(&service(), &ctx).await;
    assert!(missing.is_empty(), "answering NotImplemented: {missing:?}");
}

/// An environment whose runtime never answers (a bootstrap that only waits).
async fn silent_environment(dir: &std::path::Path) -> crate::environment::Environment {
    use std::os::unix::fs::PermissionsExt;
    let bootstrap = dir.join("bootstrap");
    std::fs::write(&bootstrap, "#!/bin/sh\nexec sleep 300\n").unwrap();
    std::fs::set_permissions(&bootstrap, std::fs::Permissions::from_mode(0o755)).unwrap();
    crate::environment::Environment::start(crate::environment::Spec {
        launch: crate::runtimes::Launch::Bootstrap(bootstrap),
        task_root: dir.to_owned(),
        variables: vec![("PATH".into(), std::env::var("PATH").unwrap_or_default())],
    })
    .await
    .unwrap()
}

fn invocation(
    reply: tokio::sync::oneshot::Sender<crate::runtime_api::Outcome>,
) -> crate::runtime_api::Invocation {
    crate::runtime_api::Invocation {
        request_id: "r-1".into(),
        payload: bytes::Bytes::from_static(b"{}"),
        deadline_ms: 0,
        function_arn: "arn".into(),
        trace_id: "Root=1".into(),
        client_context: None,
        reply,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invocation_times_out_on_the_clock_and_ends_the_environment() {
    let dir = std::env::temp_dir().join(format!("nimbus-lambda-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let clock = TestClock::new();
    let environment = Arc::new(silent_environment(&dir).await);
    let running = {
        let environment = Arc::clone(&environment);
        let clock = clock.clock();
        tokio::spawn(async move {
            environment
                .invoke(&clock, std::time::Duration::from_secs(3), invocation)
                .await
        })
    };
    // Once the invocation waits on the clock, just short of the timeout it still waits.
    for _ in 0..1000 {
        if !clock.sleeping_until().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    clock.advance(std::time::Duration::from_millis(2999)).await;
    assert!(!running.is_finished());
    clock.advance(std::time::Duration::from_millis(1)).await;
    let ended = tokio::time::timeout(std::time::Duration::from_secs(10), running)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ended, crate::environment::Ended::TimedOut);
    // The process group was killed: the environment is no longer alive.
    for _ in 0..200 {
        if !environment.alive() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(!environment.alive());
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_environments_are_reaped_after_the_idle_time_only() {
    let dir = std::env::temp_dir().join(format!("nimbus-lambda-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let clock = TestClock::new();
    let pool = crate::pool::Pool::default();
    assert!(pool.take("f", "rev-1").is_none());
    let environment = Arc::new(silent_environment(&dir).await);
    pool.give_back("f", "rev-1", Arc::clone(&environment), clock.now());
    let idle = crate::pool::DEFAULT_IDLE;
    assert_eq!(
        pool.reap(clock.now() + idle - std::time::Duration::from_secs(1), idle),
        0
    );
    // A new revision does not get the old environment.
    assert!(pool.take("f", "rev-2").is_none());
    // Given back under the old revision, it is not kept.
    pool.give_back("f", "rev-1", Arc::clone(&environment), clock.now());
    assert_eq!(pool.reap(clock.now() + idle, idle), 0);
    pool.give_back("f", "rev-2", Arc::clone(&environment), clock.now());
    assert_eq!(pool.reap(clock.now() + idle, idle), 1);
    assert!(pool.take("f", "rev-2").is_none());
    drop(environment);
    std::fs::remove_dir_all(dir).unwrap();
}
