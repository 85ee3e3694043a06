//! What invocations read on every request and never changes once written:
//! a deployment's frozen resources, and where an API lives. Kept decoded in
//! memory (a bounded map), so an invocation reads only its stage from the
//! store; deleting an API or a deployment forgets them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Entries kept at most: a bound on memory, not a tuning.
const MOST: usize = 4_096;

/// Immutable values by key.
pub struct Frozen<T>(Mutex<HashMap<String, Arc<T>>>);

impl<T> Default for Frozen<T> {
    fn default() -> Self {
        Frozen(Mutex::new(HashMap::new()))
    }
}

impl<T> Frozen<T> {
    pub fn get(&self, key: &str) -> Option<Arc<T>> {
        self.0.lock().ok()?.get(key).cloned()
    }

    pub fn keep(&self, key: String, value: Arc<T>) {
        if let Ok(mut entries) = self.0.lock() {
            if entries.len() >= MOST {
                entries.clear();
            }
            entries.insert(key, value);
        }
    }

    /// Forgets every entry whose key starts with `prefix`.
    pub fn forget(&self, prefix: &str) {
        if let Ok(mut entries) = self.0.lock() {
            entries.retain(|key, _| !key.starts_with(prefix));
        }
    }
}
