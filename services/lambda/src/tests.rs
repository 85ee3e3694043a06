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
        log: None,
        credentials_expire: None,
        memory_mb: None,
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
        stream: None,
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

/// Lambda with SQS wired, on a test clock.
fn service_with_queues(clock: &TestClock) -> (Lambda, nimbus_sqs_api::SqsClient) {
    let store = Arc::new(Store::ephemeral().unwrap());
    let sqs = nimbus_sqs_api::SqsClient::new(Arc::new(nimbus_sqs_api::SqsServer(nimbus_sqs::Sqs::new(
        Arc::clone(&store),
        clock.clock(),
    ))));
    let lambda = Lambda::new(store, clock.clock()).with_queues(sqs.clone());
    (lambda, sqs)
}

/// A Python function that notes each attempt in `attempts` and fails.
async fn failing_function(lambda: &Lambda, ctx: &RequestContext, attempts: &std::path::Path) -> String {
    let handler = format!(
        "def lambda_handler(event, context):\n    open({:?}, 'a').write('x')\n    raise ValueError('no')\n",
        attempts.display().to_string()
    );
    let zip = crate::code::zip_of(&[("lambda_function.py", handler.as_str())]);
    let name = format!("f-{}", uuid::Uuid::new_v4().simple());
    let input = nimbus_lambda_api::CreateFunctionRequest {
        function_name: name.clone(),
        runtime: Some("python3.11".into()),
        role: "arn:aws:iam::000000000000:role/r".into(),
        handler: Some("lambda_function.lambda_handler".into()),
        code: nimbus_lambda_api::FunctionCode {
            zip_file: Some(zip.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    lambda.create_function(ctx, input).await.unwrap();
    name
}

/// Where failures go: a queue, and its ARN.
async fn failure_queue(sqs: &nimbus_sqs_api::SqsClient, ctx: &RequestContext) -> (String, String) {
    let input = nimbus_sqs_api::CreateQueueRequest {
        queue_name: "failures".into(),
        ..Default::default()
    };
    let url = sqs.create_queue(ctx, input).await.unwrap().queue_url.unwrap();
    let arn = format!("arn:aws:sqs:{}:{}:failures", ctx.region, ctx.account_id);
    (url, arn)
}

async fn attempts_become(path: &std::path::Path, count: usize) -> bool {
    for _ in 0..400 {
        if std::fs::read_to_string(path).unwrap_or_default().len() == count {
            // Settled: the attempt's outcome has been handled.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            return std::fs::read_to_string(path).unwrap_or_default().len() == count;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    false
}

async fn received_record(
    sqs: &nimbus_sqs_api::SqsClient,
    ctx: &RequestContext,
    url: &str,
) -> Option<serde_json::Value> {
    for _ in 0..200 {
        let input = nimbus_sqs_api::ReceiveMessageRequest {
            queue_url: url.to_owned(),
            ..Default::default()
        };
        let got = sqs.receive_message(ctx, input).await.unwrap();
        if let Some(message) = got.messages.unwrap_or_default().into_iter().next() {
            return serde_json::from_str(&message.body.unwrap()).ok();
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    None
}

async fn invoke_event(lambda: &Lambda, ctx: &RequestContext, name: &str) {
    let input = nimbus_lambda_api::InvocationRequest {
        function_name: name.to_owned(),
        invocation_type: Some("Event".into()),
        payload: Some(bytes::Bytes::from_static(b"{\"order\":1}")),
        ..Default::default()
    };
    lambda.invoke(ctx, input).await.unwrap();
}

async fn configure(
    lambda: &Lambda,
    ctx: &RequestContext,
    name: &str,
    max_age: Option<i32>,
    on_failure: &str,
) {
    let input = nimbus_lambda_api::PutFunctionEventInvokeConfigRequest {
        function_name: name.to_owned(),
        maximum_event_age_in_seconds: max_age,
        destination_config: Some(nimbus_lambda_api::DestinationConfig {
            on_failure: Some(nimbus_lambda_api::OnFailure {
                destination: Some(on_failure.to_owned()),
            }),
            on_success: None,
        }),
        ..Default::default()
    };
    lambda.put_function_event_invoke_config(ctx, input).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_event_is_retried_after_one_then_two_minutes_then_recorded_as_a_failure() {
    let clock = TestClock::new();
    let (lambda, sqs) = service_with_queues(&clock);
    let ctx = RequestContext::for_tests("lambda", "Invoke");
    let attempts = std::env::temp_dir().join(format!("nimbus-attempts-{}", uuid::Uuid::new_v4()));
    let name = failing_function(&lambda, &ctx, &attempts).await;
    let (url, arn) = failure_queue(&sqs, &ctx).await;
    configure(&lambda, &ctx, &name, None, &arn).await;
    invoke_event(&lambda, &ctx, &name).await;
    assert!(
        attempts_become(&attempts, 1).await,
        "the first attempt runs at once"
    );
    clock.advance(std::time::Duration::from_secs(59)).await;
    assert!(attempts_become(&attempts, 1).await, "no retry before a minute");
    clock.advance(std::time::Duration::from_secs(1)).await;
    assert!(
        attempts_become(&attempts, 2).await,
        "the first retry after a minute"
    );
    clock.advance(std::time::Duration::from_secs(119)).await;
    assert!(
        attempts_become(&attempts, 2).await,
        "no second retry before two more minutes"
    );
    clock.advance(std::time::Duration::from_secs(1)).await;
    assert!(
        attempts_become(&attempts, 3).await,
        "the second retry two minutes later"
    );
    let record = received_record(&sqs, &ctx, &url).await.expect("a failure record");
    assert_eq!(record["requestContext"]["condition"], "RetriesExhausted");
    assert_eq!(record["requestContext"]["approximateInvokeCount"], 3);
    clock.advance(std::time::Duration::from_secs(600)).await;
    assert!(attempts_become(&attempts, 3).await, "no attempt after the last");
    let _ = std::fs::remove_file(attempts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_older_than_its_maximum_age_is_not_retried_but_recorded() {
    let clock = TestClock::new();
    let (lambda, sqs) = service_with_queues(&clock);
    let ctx = RequestContext::for_tests("lambda", "Invoke");
    let attempts = std::env::temp_dir().join(format!("nimbus-attempts-{}", uuid::Uuid::new_v4()));
    let name = failing_function(&lambda, &ctx, &attempts).await;
    let (url, arn) = failure_queue(&sqs, &ctx).await;
    configure(&lambda, &ctx, &name, Some(60), &arn).await;
    invoke_event(&lambda, &ctx, &name).await;
    assert!(attempts_become(&attempts, 1).await);
    // At exactly its maximum age the event still runs; past it, it does not.
    clock.advance(std::time::Duration::from_secs(60)).await;
    assert!(attempts_become(&attempts, 2).await);
    clock.advance(std::time::Duration::from_secs(120)).await;
    let record = received_record(&sqs, &ctx, &url).await.expect("a failure record");
    assert_eq!(record["requestContext"]["condition"], "EventAgeExceeded");
    assert_eq!(record["requestContext"]["approximateInvokeCount"], 2);
    assert!(attempts_become(&attempts, 2).await);
    let _ = std::fs::remove_file(attempts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environments_kept_warm_outlive_the_idle_time() {
    let dir = std::env::temp_dir().join(format!("nimbus-lambda-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let clock = TestClock::new();
    let pool = crate::pool::Pool::default();
    let idle = crate::pool::DEFAULT_IDLE;
    pool.keep_warm("f:1", "rev", 1);
    let first = Arc::new(silent_environment(&dir).await);
    let second = Arc::new(silent_environment(&dir).await);
    pool.give_back("f:1", "rev", Arc::clone(&first), clock.now());
    pool.give_back(
        "f:1",
        "rev",
        Arc::clone(&second),
        clock.now() + std::time::Duration::from_secs(1),
    );
    // Both idle past the idle time: one is kept (the most recently used).
    assert_eq!(pool.reap(clock.now() + idle * 3, idle), 1);
    assert!(
        pool.take("f:1", "rev")
            .is_some_and(|kept| Arc::ptr_eq(&kept, &second))
    );
    pool.keep_warm("f:1", "rev", 0);
    pool.give_back("f:1", "rev", second, clock.now());
    assert_eq!(pool.reap(clock.now() + idle, idle), 1);
    drop(first);
    std::fs::remove_dir_all(dir).unwrap();
}
