//! Instance records kept decoded beside the bytes they were decoded from: a
//! listing decodes only the records whose stored bytes changed since the
//! last one (the bytes are compared, so every writer, tags included, is
//! seen), and DescribeInstances over a thousand instances does not parse a
//! thousand records each time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use nimbus_core::AwsError;
use nimbus_store::{Namespace, ReadTxn};

use super::InstanceRecord;
use crate::records::INSTANCE_PREFIX;

/// A record's place: the account and region, and its key.
type Slot = (String, Vec<u8>);
/// A record as stored, and decoded.
type Kept = (Vec<u8>, Arc<InstanceRecord>);

#[derive(Default)]
pub struct Decoded(Mutex<HashMap<Slot, Kept>>);

impl Decoded {
    /// Every instance record of `ns` (`scope` names it in the cache).
    pub fn read(
        &self,
        txn: &ReadTxn,
        ns: &Namespace,
        scope: &str,
    ) -> Result<Vec<Arc<InstanceRecord>>, AwsError> {
        let table = txn.open(ns)?;
        let mut cache = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut fresh = HashMap::new();
        let mut records = Vec::new();
        for entry in table.scan(INSTANCE_PREFIX)?.borrowed() {
            let entry = entry?;
            let slot = (scope.to_owned(), entry.key().to_vec());
            let kept = match cache.remove(&slot) {
                Some((bytes, record)) if bytes.as_slice() == entry.value() => (bytes, record),
                _ => {
                    let Ok(record) = serde_json::from_slice::<InstanceRecord>(entry.value()) else {
                        continue;
                    };
                    (entry.value().to_vec(), Arc::new(record))
                }
            };
            records.push(Arc::clone(&kept.1));
            fresh.insert(slot, kept);
        }
        // What is no longer stored has left the cache with the scope's old entries.
        cache.retain(|slot, _| slot.0 != scope);
        cache.extend(fresh);
        Ok(records)
    }

    pub fn clear(&self) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}
