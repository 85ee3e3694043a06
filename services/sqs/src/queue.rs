//! Live queues: each queue's configuration and message engine in memory,
//! loaded from the store on first use, and the writes that keep the store
//! ahead of what clients are told.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use nimbus_core::AwsError;
use nimbus_store::{Namespace, Store, StoreError};
use tokio::sync::Notify;

use crate::engine::Engine;
use crate::errors::{self, queue_does_not_exist};
use crate::names::QueueAddress;
use crate::records::{
    self, DedupRecord, MessageRecord, QueueRecord, StateRecord, dedup_key, message_key, state_key,
};

/// One queue in memory.
pub struct Queue {
    pub address: QueueAddress,
    pub namespace: Namespace,
    /// Attributes and tags (a copy of the stored record).
    config: RwLock<QueueRecord>,
    engine: Mutex<Engine>,
    /// Woken when a message may have become receivable (long polls wait on it).
    pub arrivals: Notify,
}

impl Queue {
    pub fn new(address: QueueAddress, namespace: Namespace, record: QueueRecord, engine: Engine) -> Self {
        Queue {
            address,
            namespace,
            config: RwLock::new(record),
            engine: Mutex::new(engine),
            arrivals: Notify::new(),
        }
    }

    pub fn config(&self) -> RwLockReadGuard<'_, QueueRecord> {
        self.config.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn config_mut(&self) -> RwLockWriteGuard<'_, QueueRecord> {
        self.config.write().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn engine(&self) -> MutexGuard<'_, Engine> {
        self.engine.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn id(&self) -> String {
        self.config().id.clone()
    }

    pub fn fifo(&self) -> bool {
        self.config().fifo
    }

    /// A numeric attribute of the queue (always set, defaults included).
    pub fn number(&self, name: &str) -> u64 {
        self.config()
            .attributes
            .get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    pub fn attribute(&self, name: &str) -> Option<String> {
        self.config().attributes.get(name).cloned()
    }

    pub fn retention_ms(&self) -> u64 {
        self.number("MessageRetentionPeriod") * 1000
    }
}

/// One change to the store, for [`Registry::apply`].
pub enum Write {
    /// A new message: content and first state.
    Message {
        queue_id: String,
        record: Arc<MessageRecord>,
        state: StateRecord,
    },
    /// A state change, dropped if the stored state is newer or the message gone.
    State {
        queue_id: String,
        seq: u64,
        state: StateRecord,
    },
    /// A message deleted, expired or moved away.
    Delete { queue_id: String, seq: u64 },
    Dedup {
        queue_id: String,
        key: String,
        record: DedupRecord,
    },
}

/// Every live queue, by address.
pub struct Registry {
    store: Arc<Store>,
    queues: Mutex<HashMap<QueueAddress, Arc<Queue>>>,
}

impl Registry {
    pub fn new(store: Arc<Store>) -> Self {
        Registry {
            store,
            queues: Mutex::new(HashMap::new()),
        }
    }

    fn map(&self) -> MutexGuard<'_, HashMap<QueueAddress, Arc<Queue>>> {
        self.queues.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Forgets every queue in memory (reset, restore): they load again from the store.
    pub fn clear(&self) {
        self.map().clear();
    }

    pub fn forget(&self, address: &QueueAddress) {
        self.map().remove(address);
    }

    pub fn insert(&self, queue: Arc<Queue>) -> Arc<Queue> {
        self.map().entry(queue.address.clone()).or_insert(queue).clone()
    }

    /// The queue at `address`, or QueueDoesNotExist.
    pub async fn require(&self, address: &QueueAddress) -> Result<Arc<Queue>, AwsError> {
        self.find(address).await?.ok_or_else(queue_does_not_exist)
    }

    /// The queue at `address`, loading it (and its messages) on first use.
    pub async fn find(&self, address: &QueueAddress) -> Result<Option<Arc<Queue>>, AwsError> {
        if let Some(queue) = self.map().get(address) {
            return Ok(Some(queue.clone()));
        }
        let namespace = namespace(address)?;
        let name = address.name.clone();
        let ns = namespace.clone();
        let loaded = self
            .store
            .read(move |txn| load(txn, &ns, &name))
            .await
            .map_err(errors::store)?;
        Ok(loaded.map(|(record, engine)| {
            self.insert(Arc::new(Queue::new(address.clone(), namespace, record, engine)))
        }))
    }

    /// Writes `changes` in one durable transaction.
    pub async fn apply(&self, namespace: &Namespace, changes: Vec<Write>) -> Result<(), AwsError> {
        if changes.is_empty() {
            return Ok(());
        }
        let ns = namespace.clone();
        self.store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                for change in changes {
                    match change {
                        Write::Message {
                            queue_id,
                            record,
                            state,
                        } => {
                            table.put_json(&message_key(&queue_id, record.seq), &*record)?;
                            table.put_json(&state_key(&queue_id, record.seq), &state)?;
                        }
                        Write::State { queue_id, seq, state } => {
                            let key = state_key(&queue_id, seq);
                            let stored: Option<StateRecord> = table.get_json(&key)?;
                            if stored.is_some_and(|s| s.version < state.version) {
                                table.put_json(&key, &state)?;
                            }
                        }
                        Write::Delete { queue_id, seq } => {
                            table.delete(&message_key(&queue_id, seq))?;
                            table.delete(&state_key(&queue_id, seq))?;
                        }
                        Write::Dedup {
                            queue_id,
                            key,
                            record,
                        } => {
                            table.put_json(&dedup_key(&queue_id, &key), &record)?;
                        }
                    }
                }
                Ok::<_, StoreError>(())
            })
            .await
            .map_err(errors::store)
    }
}

pub fn namespace(address: &QueueAddress) -> Result<Namespace, AwsError> {
    Namespace::regional("sqs", &address.account, &address.region).map_err(|_| queue_does_not_exist())
}

/// Reads a queue and rebuilds its engine: messages with their states, and
/// the deduplication ids still inside their window.
fn load(
    txn: &nimbus_store::ReadTxn,
    namespace: &Namespace,
    name: &str,
) -> Result<Option<(QueueRecord, Engine)>, StoreError> {
    let table = txn.open(namespace)?;
    let Some(record) = table.get_json::<QueueRecord>(&records::queue_key(name))? else {
        return Ok(None);
    };
    let mut engine = Engine::new(record.fifo);
    let mut states = table.scan(&records::state_prefix(&record.id))?.peekable();
    for entry in table.scan(&records::message_prefix(&record.id))? {
        let message: MessageRecord = entry?.decode()?;
        // Both scans run in sequence order; a message without a state (the
        // two are only ever written together) is skipped rather than guessed.
        let mut state = None;
        while let Some(next) = states.peek() {
            let next_seq = match next {
                Ok(next) => records::seq_of_key(&next.key),
                Err(_) => None,
            };
            if next_seq.is_some_and(|seq| seq > message.seq) {
                break;
            }
            let next = states.next().transpose()?;
            if next_seq == Some(message.seq) {
                state = next.map(|entry| entry.decode::<StateRecord>()).transpose()?;
                break;
            }
        }
        match state {
            Some(state) => engine.insert(Arc::new(message), state),
            None => engine.observe_seq(message.seq),
        }
    }
    for entry in table.scan(&records::dedup_prefix(&record.id))? {
        let entry = entry?;
        let dedup: DedupRecord = entry.decode()?;
        let prefix_len = records::dedup_prefix(&record.id).len();
        let key = String::from_utf8_lossy(entry.key.get(prefix_len..).unwrap_or_default()).into_owned();
        engine.observe_seq(dedup.seq);
        engine.dedup_remember(key, dedup.sent_ms, dedup.message_id, dedup.seq);
    }
    Ok(Some((record, engine)))
}
