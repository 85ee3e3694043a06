//! Lambda, over the nimbus store: functions kept durably, run as local
//! processes (no containers) that speak the Lambda Runtime API.
//!
//! The service implements the generated `LambdaApi` ([`api`]): one method
//! per operation listed in apis/lambda/operations.txt, each handled by a
//! module of its concern: [`functions`], [`updates`], [`versions`],
//! [`aliases`], [`layers`], [`permissions`], [`concurrency`],
//! [`provisioned`], [`function_urls`] (configuration); [`invoke`],
//! [`async_invoke`], [`destinations`], [`url_invoke`] (running them), with
//! [`environment`], [`pool`], [`runtime_api`], [`runtimes`], [`memory`],
//! [`execution_role`] and [`log_shipping`] (execution environments);
//! [`event_sources`], [`stream_sources`], [`mapping_updates`] (pollers);
//! [`code`] and [`s3_code`] (packages).

// Tests unwrap what they just built.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod aliases;
mod api;
mod async_invoke;
mod code;
mod code_download;
mod code_signing;
mod concurrency;
mod destinations;
mod environment;
mod event_invoke;
mod event_sources;
mod execution_role;
mod filters;
mod function_urls;
mod functions;
mod invoke;
mod layer_permissions;
mod layers;
mod log_shipping;
mod mapping_updates;
mod memory;
mod names;
mod paging;
mod permissions;
mod pool;
mod provisioned;
mod records;
mod response_stream;
mod runtime_api;
mod runtimes;
mod s3_code;
mod sqs_scaling;
mod stream_sources;
mod tags;
mod updates;
mod url_auth;
mod url_invoke;
mod versions;

use std::sync::Arc;

use nimbus_runtime::Clock;
use nimbus_store::Store;

/// The Lambda service. Functions live in the store; their warm execution
/// environments in the pool. Cheap to clone (the background work of
/// asynchronous invocations holds a clone).
#[derive(Clone)]
pub struct Lambda {
    store: Arc<Store>,
    clock: Clock,
    /// Where functions reach nimbus (AWS_ENDPOINT_URL of their processes).
    endpoint: String,
    pool: Arc<pool::Pool>,
    /// The bus asynchronous invocations run on, made on first use.
    events: async_invoke::Events,
    /// SQS, for event source mappings (wired by the binary).
    queues: Arc<std::sync::OnceLock<nimbus_sqs_api::SqsClient>>,
    /// SNS, for destinations and dead-letter topics (wired by the binary
    /// once SNS, which delivers to Lambda, is built).
    topics: Arc<std::sync::OnceLock<nimbus_sns_api::SnsClient>>,
    pollers: Arc<event_sources::Pollers>,
    /// Where functions' output goes (CloudWatch Logs, wired by the binary).
    shipper: Arc<std::sync::OnceLock<log_shipping::Shipper>>,
    /// S3, for packages given as S3Bucket/S3Key (wired once S3 is built).
    objects: Arc<std::sync::OnceLock<nimbus_s3_api::S3Client>>,
    /// DynamoDB Streams, for event source mappings from tables' streams.
    streams: Arc<std::sync::OnceLock<nimbus_dynamodbstreams_api::DynamoDbStreamsClient>>,
    /// STS, for the execution role sessions functions run with (wired once
    /// STS is built).
    sts: Arc<std::sync::OnceLock<nimbus_sts_api::StsClient>>,
    sessions: Arc<execution_role::Sessions>,
    /// Invocations running per function, against reserved concurrency.
    running: Arc<concurrency::Running>,
}

impl Lambda {
    pub fn new(store: Arc<Store>, clock: Clock) -> Self {
        Lambda {
            store,
            clock,
            endpoint: "http://127.0.0.1:4566".to_owned(),
            pool: Arc::default(),
            events: Arc::default(),
            queues: Arc::default(),
            topics: Arc::default(),
            pollers: Arc::default(),
            shipper: Arc::default(),
            objects: Arc::default(),
            streams: Arc::default(),
            sts: Arc::default(),
            sessions: Arc::default(),
            running: Arc::default(),
        }
    }

    /// The address functions call nimbus at.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// Event source mappings poll SQS through SQS's own ReceiveMessage.
    pub fn with_queues(self, sqs: nimbus_sqs_api::SqsClient) -> Self {
        let _ = self.queues.set(sqs);
        self
    }

    /// Functions' output goes to CloudWatch Logs through its PutLogEvents.
    /// Starts the task that sends it (in a Tokio runtime).
    pub fn with_logs(self, logs: nimbus_logs_api::LogsClient) -> Self {
        let _ = self
            .shipper
            .set(log_shipping::Shipper::start(logs, self.clock.clone()));
        self
    }

    /// Event source mappings read tables' streams through DynamoDB Streams'
    /// own GetRecords.
    pub fn with_streams(self, streams: nimbus_dynamodbstreams_api::DynamoDbStreamsClient) -> Self {
        let _ = self.streams.set(streams);
        self
    }

    /// Functions run with sessions of their execution roles, issued by
    /// STS's own AssumeRole.
    pub fn with_roles(&self, sts: nimbus_sts_api::StsClient) {
        let _ = self.sts.set(sts);
    }

    /// Packages may be S3 objects, read through S3's own GetObject.
    pub fn with_objects(&self, s3: nimbus_s3_api::S3Client) {
        let _ = self.objects.set(s3);
    }

    /// Destinations and dead-letter targets may be SNS topics, published
    /// to through SNS's own Publish.
    pub fn with_topics(&self, sns: nimbus_sns_api::SnsClient) {
        let _ = self.topics.set(sns);
    }

    /// Starts the background work: asynchronous invocations a previous run
    /// accepted, the pollers of event source mappings, and the reaper of
    /// idle environments.
    pub fn start_background(&self) {
        let lambda = self.clone();
        tokio::spawn(async move {
            lambda.resume_events().await;
            lambda.resume_mappings().await;
            lambda.resume_provisioned().await;
        });
        self.start_reaper();
    }

    /// Ends warm environments idle for longer than Lambda keeps them.
    fn start_reaper(&self) {
        let pool = Arc::downgrade(&self.pool);
        let clock = self.clock.clone();
        tokio::spawn(async move {
            loop {
                clock.sleep(std::time::Duration::from_secs(30)).await;
                let Some(pool) = pool.upgrade() else { return };
                pool.reap(clock.now(), pool::DEFAULT_IDLE);
            }
        });
    }
}

#[cfg(test)]
mod tests;
