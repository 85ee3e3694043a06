//! Deliveries in the background: each one is a [`Job`] on nimbus-runtime's
//! event bus, retried with backoff; when the last attempt fails (or the
//! target can never take it) the message goes to the subscription's
//! dead-letter queue, if its RedrivePolicy names one. Jobs are written to
//! an outbox in the store before the client hears of them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use nimbus_core::AwsError;
use nimbus_runtime::{Clock, Delivery, DeliveryError, EventBus, RetryPolicy};
use nimbus_store::{Namespace, Store};
use serde::{Deserialize, Serialize};

use crate::function_delivery::{FunctionDelivery, FunctionDeliveryError, NoFunctions};
use crate::http_delivery::{self, HttpOutcome};
use crate::queue_delivery::{QueueDelivery, QueueDeliveryError, QueueMessage};

/// The bus target SNS registers under.
const TARGET: &str = "sns";

/// One message for one subscription endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Job {
    Queue {
        message: QueueMessage,
        dead_letter_queue: Option<String>,
    },
    Http {
        url: String,
        headers: Vec<(String, String)>,
        body: String,
        dead_letter_queue: Option<String>,
    },
    /// An event for a Lambda function (invoked asynchronously).
    Function {
        function_arn: String,
        event: String,
        /// The SNS envelope, for the DLQ when the function cannot take it.
        body: String,
        dead_letter_queue: Option<String>,
        /// The topic it was published to.
        #[serde(default)]
        topic_arn: String,
    },
    /// A delivery that cannot succeed (a raw
    /// SQS message with too many attributes): fails at once, so the message
    /// lands in the DLQ when there is one.
    Undeliverable {
        reason: String,
        body: String,
        dead_letter_queue: Option<String>,
    },
}

impl Job {
    fn dead_letter_queue(&self) -> Option<&str> {
        match self {
            Job::Queue {
                dead_letter_queue, ..
            }
            | Job::Http {
                dead_letter_queue, ..
            }
            | Job::Function {
                dead_letter_queue, ..
            }
            | Job::Undeliverable {
                dead_letter_queue, ..
            } => dead_letter_queue.as_deref(),
        }
    }

    /// The message as the DLQ receives it: the body that failed, with its
    /// attributes and FIFO group when it was meant for a queue.
    fn into_dead_letter(self, queue_arn: String) -> QueueMessage {
        match self {
            Job::Queue { mut message, .. } => {
                message.queue_arn = queue_arn;
                message
            }
            Job::Function { body, topic_arn, .. } => QueueMessage {
                queue_arn,
                body,
                attributes: Default::default(),
                group_id: None,
                deduplication_id: None,
                topic_arn,
            },
            Job::Http { body, .. } | Job::Undeliverable { body, .. } => QueueMessage {
                queue_arn,
                body,
                attributes: Default::default(),
                group_id: None,
                deduplication_id: None,
                topic_arn: String::new(),
            },
        }
    }
}

struct Failure {
    message: String,
    permanent: bool,
}

/// A job as the outbox keeps it and the bus carries it.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    /// Its key in the outbox, removed once the job is done with.
    outbox_id: String,
    job: Job,
}

/// The outbox: jobs not yet done with, in the partition-wide `sns`
/// namespace, so deliveries promised to a client survive a crash and are
/// handed to the bus again on the first request after a start.
fn outbox() -> Result<Namespace, AwsError> {
    Namespace::global("sns").map_err(AwsError::from)
}

const OUTBOX_PREFIX: &[u8] = b"outbox/";

fn outbox_key(id: &str) -> Vec<u8> {
    format!("outbox/{id}").into_bytes()
}

/// SNS's deliveries: the bus (made on first use, it needs a runtime), the
/// worker that performs attempts, and the durable outbox behind them.
pub struct Deliveries {
    bus: OnceLock<EventBus>,
    clock: Clock,
    policy: RetryPolicy,
    worker: Arc<Worker>,
    /// Whether the outbox left by a previous run was handed to the bus.
    resumed: AtomicBool,
}

/// Performs one attempt of a job.
struct Worker {
    queues: Arc<dyn QueueDelivery>,
    /// Lambda, when the binary wires it.
    functions: OnceLock<Arc<dyn FunctionDelivery>>,
    store: Arc<Store>,
    max_attempts: u32,
}

impl Deliveries {
    pub fn new(store: Arc<Store>, clock: Clock, queues: Arc<dyn QueueDelivery>) -> Self {
        // SNS's default for HTTP: 3 retries after the first try; short
        // waits keep a local feedback loop quick.
        let policy = RetryPolicy {
            first_delay: Duration::from_secs(1),
            factor: 2,
            max_delay: Duration::from_secs(20),
            max_attempts: 4,
        };
        let worker = Arc::new(Worker {
            queues,
            functions: OnceLock::new(),
            store,
            max_attempts: policy.max_attempts,
        });
        Deliveries {
            bus: OnceLock::new(),
            clock,
            policy,
            worker,
            resumed: AtomicBool::new(false),
        }
    }

    /// Where messages for lambda subscriptions go.
    pub fn set_functions(&self, functions: Arc<dyn FunctionDelivery>) {
        let _ = self.worker.functions.set(functions);
    }

    fn bus(&self) -> &EventBus {
        self.bus.get_or_init(|| {
            let bus = EventBus::new(self.clock.clone(), self.policy.clone());
            let worker = Arc::clone(&self.worker);
            bus.subscribe(TARGET, move |delivery: Delivery| {
                let worker = Arc::clone(&worker);
                async move { worker.run(delivery).await }
            });
            bus
        })
    }

    /// Writes `jobs` to the outbox (durable when this returns), then hands
    /// them to the bus; their first attempts start at once.
    pub async fn enqueue(&self, jobs: Vec<Job>) -> Result<(), AwsError> {
        if jobs.is_empty() {
            return Ok(());
        }
        let mut entries = Vec::with_capacity(jobs.len());
        for job in jobs {
            let pending = Pending {
                outbox_id: uuid::Uuid::new_v4().to_string(),
                job,
            };
            let payload = serde_json::to_vec(&pending)
                .map_err(|error| AwsError::internal(format!("sns delivery not encodable: {error}")))?;
            entries.push((outbox_key(&pending.outbox_id), payload));
        }
        let ns = outbox()?;
        let entries = self
            .worker
            .store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                for (key, payload) in &entries {
                    table.put(key, payload)?;
                }
                Ok::<_, AwsError>(entries)
            })
            .await?;
        for (_, payload) in entries {
            self.bus().publish(TARGET, payload);
        }
        Ok(())
    }

    /// Hands the outbox a previous run (or a restored snapshot) left to the
    /// bus, once.
    pub async fn resume(&self) {
        if self.resumed.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(ns) = outbox() else { return };
        let left = self.worker.store.values_under(&ns, OUTBOX_PREFIX).await;
        match left {
            Ok(left) => {
                if !left.is_empty() {
                    tracing::info!(count = left.len(), "sns resumes deliveries left in the outbox");
                }
                for payload in left {
                    self.bus().publish(TARGET, payload);
                }
            }
            Err(error) => tracing::error!(%error, "sns could not read its outbox"),
        }
    }

    /// After a reset or a restore the outbox is another one: read it again.
    pub fn forget_resumed(&self) {
        self.resumed.store(false, Ordering::Release);
    }

    /// Delivers to a queue now (SQS writes are durable, and FIFO order is
    /// kept by delivering in publish order); a failure continues on the bus.
    pub async fn deliver_to_queue(
        &self,
        message: QueueMessage,
        dead_letter_queue: Option<String>,
    ) -> Result<(), AwsError> {
        let job = Job::Queue {
            message,
            dead_letter_queue,
        };
        match self.worker.attempt(&job).await {
            Ok(()) => Ok(()),
            Err(failure) if failure.permanent => {
                if let Err(error) = self.worker.after_failure(job, failure, 1).await {
                    tracing::warn!(%error, "sns delivery to a queue failed for good");
                }
                Ok(())
            }
            Err(_) => self.enqueue(vec![job]).await,
        }
    }
}

impl Worker {
    async fn run(&self, delivery: Delivery) -> Result<(), DeliveryError> {
        let pending: Pending = serde_json::from_slice(&delivery.payload)
            .map_err(|error| DeliveryError::permanent(format!("undecodable sns job: {error}")))?;
        let outcome = match self.attempt(&pending.job).await {
            Ok(()) => Ok(()),
            Err(failure) => self.after_failure(pending.job, failure, delivery.attempt).await,
        };
        let will_retry =
            matches!(&outcome, Err(error) if error.retryable && delivery.attempt < self.max_attempts);
        if !will_retry {
            self.forget(&pending.outbox_id).await;
        }
        outcome
    }

    /// Removes a job that was delivered or given up on from the outbox.
    async fn forget(&self, outbox_id: &str) {
        let key = outbox_key(outbox_id);
        let removed = match outbox() {
            Ok(ns) => {
                self.store
                    .write(move |txn| {
                        txn.open(&ns)?.delete(&key)?;
                        Ok::<_, AwsError>(())
                    })
                    .await
            }
            Err(error) => Err(error),
        };
        if let Err(error) = removed {
            tracing::warn!(%error, "sns could not clear a finished delivery from its outbox");
        }
    }

    /// After the last failed attempt, moves the message to the DLQ.
    async fn after_failure(&self, job: Job, failure: Failure, attempt: u32) -> Result<(), DeliveryError> {
        let last_attempt = failure.permanent || attempt >= self.max_attempts;
        if last_attempt && let Some(dlq) = job.dead_letter_queue().map(str::to_owned) {
            return match self.queues.deliver(job.into_dead_letter(dlq.clone())).await {
                Ok(()) => {
                    tracing::info!(
                        dlq,
                        reason = failure.message,
                        "sns delivery moved to the dead-letter queue"
                    );
                    Ok(())
                }
                Err(error) => Err(DeliveryError::permanent(format!(
                    "{}; the dead-letter queue {dlq} refused it too: {error:?}",
                    failure.message
                ))),
            };
        }
        Err(if failure.permanent {
            DeliveryError::permanent(failure.message)
        } else {
            DeliveryError::retry(failure.message)
        })
    }

    async fn attempt(&self, job: &Job) -> Result<(), Failure> {
        match job {
            Job::Queue { message, .. } => {
                self.queues
                    .deliver(message.clone())
                    .await
                    .map_err(|error| match error {
                        QueueDeliveryError::Permanent(message) => Failure {
                            message,
                            permanent: true,
                        },
                        QueueDeliveryError::Transient(message) => Failure {
                            message,
                            permanent: false,
                        },
                    })
            }
            Job::Http {
                url, headers, body, ..
            } => match http_delivery::post(url, headers, body.clone()).await {
                HttpOutcome::Delivered => Ok(()),
                HttpOutcome::Retry(message) => Err(Failure {
                    message,
                    permanent: false,
                }),
                HttpOutcome::Failed(message) => Err(Failure {
                    message,
                    permanent: true,
                }),
            },
            Job::Function {
                function_arn,
                event,
                topic_arn,
                ..
            } => {
                let functions = self
                    .functions
                    .get()
                    .cloned()
                    .unwrap_or_else(|| Arc::new(NoFunctions));
                functions
                    .deliver(function_arn.clone(), event.clone(), topic_arn.clone())
                    .await
                    .map_err(|error| match error {
                        FunctionDeliveryError::Permanent(message) => Failure {
                            message,
                            permanent: true,
                        },
                        FunctionDeliveryError::Transient(message) => Failure {
                            message,
                            permanent: false,
                        },
                    })
            }
            Job::Undeliverable { reason, .. } => Err(Failure {
                message: reason.clone(),
                permanent: true,
            }),
        }
    }
}
