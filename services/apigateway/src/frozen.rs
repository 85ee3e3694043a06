//! What invocations read on every request, kept decoded in memory (a
//! bounded map): a deployment's frozen resources and where an API lives,
//! which never change once written, and stages, which do. A write forgets
//! what it changes; a read that raced with a write does not keep what it
//! read (a generation counts forgets), so nothing stale is kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Entries kept at most: a bound on memory, not a tuning.
const MOST: usize = 4_096;

/// Decoded values by key.
pub struct Frozen<T>(Mutex<Entries<T>>);

struct Entries<T> {
    values: HashMap<String, Arc<T>>,
    /// Forgets so far: a reader keeps its value only if none happened
    /// while it read.
    generation: u64,
}

impl<T> Default for Frozen<T> {
    fn default() -> Self {
        Frozen(Mutex::new(Entries {
            values: HashMap::new(),
            generation: 0,
        }))
    }
}

impl<T> Frozen<T> {
    pub fn get(&self, key: &str) -> Option<Arc<T>> {
        self.0.lock().ok()?.values.get(key).cloned()
    }

    /// Where forgetting has got to: take it before reading the store, and
    /// give it to [`keep_read`](Self::keep_read).
    pub fn generation(&self) -> u64 {
        self.0
            .lock()
            .map(|entries| entries.generation)
            .unwrap_or(u64::MAX)
    }

    /// Keeps a value that never changes once written.
    pub fn keep(&self, key: String, value: Arc<T>) {
        if let Ok(mut entries) = self.0.lock() {
            entries.insert(key, value);
        }
    }

    /// Keeps a value read from the store, unless something was forgotten
    /// since `generation` (the value may predate that write).
    pub fn keep_read(&self, generation: u64, key: String, value: Arc<T>) {
        if let Ok(mut entries) = self.0.lock()
            && entries.generation == generation
        {
            entries.insert(key, value);
        }
    }

    /// Forgets every entry whose key starts with `prefix`.
    pub fn forget(&self, prefix: &str) {
        if let Ok(mut entries) = self.0.lock() {
            entries.generation += 1;
            entries.values.retain(|key, _| !key.starts_with(prefix));
        }
    }
}

impl<T> Entries<T> {
    fn insert(&mut self, key: String, value: Arc<T>) {
        if self.values.len() >= MOST {
            self.values.clear();
        }
        self.values.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_that_raced_with_a_write_is_not_kept() {
        let kept: Frozen<u32> = Frozen::default();
        let before = kept.generation();
        kept.forget("a/");
        kept.keep_read(before, "a/b".to_owned(), Arc::new(1));
        assert!(kept.get("a/b").is_none());
        kept.keep_read(kept.generation(), "a/b".to_owned(), Arc::new(2));
        assert_eq!(kept.get("a/b").as_deref(), Some(&2));
        kept.forget("a/");
        assert!(kept.get("a/b").is_none());
    }
}
