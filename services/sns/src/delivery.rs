//! Deliveries in the background: each one is a [`Job`] on nimbus-runtime's
//! event bus, retried with backoff; when the last attempt fails (or the
//! target can never take it) the message goes to the subscription's
//! dead-letter queue, if its RedrivePolicy names one.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use nimbus_runtime::{Clock, Delivery, DeliveryError, EventBus, RetryPolicy};
use serde::{Deserialize, Serialize};

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
    /// A protocol nimbus cannot reach yet (lambda before Lambda exists):
    /// fails at once, so the message lands in the DLQ when there is one.
    Unreachable {
        protocol: String,
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
            | Job::Unreachable {
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
            Job::Http { body, .. } | Job::Unreachable { body, .. } => QueueMessage {
                queue_arn,
                body,
                attributes: Default::default(),
                group_id: None,
                deduplication_id: None,
            },
        }
    }
}

struct Failure {
    message: String,
    permanent: bool,
}

/// SNS's deliveries: the bus (made on first use, it needs a runtime) and
/// the worker that performs attempts.
pub struct Deliveries {
    bus: OnceLock<EventBus>,
    clock: Clock,
    policy: RetryPolicy,
    worker: Arc<Worker>,
}

/// Performs one attempt of a job.
struct Worker {
    queues: Arc<dyn QueueDelivery>,
    max_attempts: u32,
}

impl Deliveries {
    pub fn new(clock: Clock, queues: Arc<dyn QueueDelivery>) -> Self {
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
            max_attempts: policy.max_attempts,
        });
        Deliveries {
            bus: OnceLock::new(),
            clock,
            policy,
            worker,
        }
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

    /// Hands `job` to the bus; its first attempt starts at once.
    pub fn enqueue(&self, job: &Job) {
        match serde_json::to_vec(job) {
            Ok(payload) => {
                self.bus().publish(TARGET, payload);
            }
            Err(error) => tracing::error!(%error, "sns delivery job not encodable"),
        }
    }

    /// Delivers to a queue now (SQS writes are durable, and FIFO order is
    /// kept by delivering in publish order); a failure continues on the bus.
    pub async fn deliver_to_queue(&self, message: QueueMessage, dead_letter_queue: Option<String>) {
        let job = Job::Queue {
            message,
            dead_letter_queue,
        };
        match self.worker.attempt(&job).await {
            Ok(()) => {}
            Err(failure) if failure.permanent => {
                let _ = self.worker.after_failure(job, failure, 1).await;
            }
            Err(_) => self.enqueue(&job),
        }
    }
}

impl Worker {
    async fn run(&self, delivery: Delivery) -> Result<(), DeliveryError> {
        let job: Job = serde_json::from_slice(&delivery.payload)
            .map_err(|error| DeliveryError::permanent(format!("undecodable sns job: {error}")))?;
        match self.attempt(&job).await {
            Ok(()) => Ok(()),
            Err(failure) => self.after_failure(job, failure, delivery.attempt).await,
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
            Job::Unreachable { protocol, .. } => Err(Failure {
                message: format!("nimbus cannot deliver to {protocol} endpoints yet"),
                permanent: true,
            }),
        }
    }
}
