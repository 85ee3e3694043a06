//! One publish at a time per FIFO topic: the sequence number is taken and
//! the message fanned out under the same lock, so two concurrent publishes
//! reach the queues in the order of their sequence numbers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OwnedMutexGuard;

/// A lock per FIFO topic ARN, made on first publish.
#[derive(Default)]
pub struct FifoOrder {
    topics: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl FifoOrder {
    /// Waits for the topic's turn; publishing may go on while the guard lives.
    pub async fn lock(&self, topic_arn: &str) -> OwnedMutexGuard<()> {
        let lock = {
            let mut topics = self.topics.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(topics.entry(topic_arn.to_owned()).or_default())
        };
        lock.lock_owned().await
    }
}
