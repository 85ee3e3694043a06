//! What object requests need from their bucket record (that the bucket
//! exists, its versioning, its notification configuration), without
//! decoding the record each time.
//!
//! The record is still looked up in the caller's own transaction, so the
//! answer is always that transaction's: the cache only maps the exact stored
//! bytes to what they decode to. A changed record (PutBucketVersioning, any
//! configuration, a recreated bucket, reset, snapshot restore) has other
//! bytes and is decoded afresh, so nothing needs invalidating.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use nimbus_core::AwsError;
use nimbus_store::{TableMut, TableRef};

use crate::records::{self, BucketGlance};
use crate::{errors, versions};

/// Buckets remembered at most; past this the cache starts over (a bucket
/// record is a few hundred bytes).
const CAPACITY: usize = 4096;

/// A bucket record's stored bytes and what they decode to.
type Remembered = (Vec<u8>, Arc<BucketGlance>);

/// A bucket's glance (`None`: no such bucket), with the generation it was
/// read under.
type Current = (u64, Option<Arc<BucketGlance>>);

/// [`Remembered`] records by bucket name.
#[derive(Default)]
pub struct BucketFactsCache {
    known: RwLock<HashMap<String, Remembered>>,
    /// Bumped after every bucket record write (create, change, delete) and
    /// on reset: glances remembered under an older generation are stale.
    generation: AtomicU64,
    /// Glances (`None`: no such bucket) by name, with the generation read
    /// before the record was: IAM decisions read them without a transaction.
    by_generation: RwLock<HashMap<String, Current>>,
}

impl BucketFactsCache {
    /// Bucket `name` as `table`'s snapshot has it; NoSuchBucket when absent.
    pub fn read(&self, table: &TableRef, name: &str) -> Result<Arc<BucketGlance>, AwsError> {
        let found = table.get_with(&records::bucket_key(name), |stored| self.glance(name, stored))?;
        found.unwrap_or_else(|| Err(errors::no_such_bucket(name)))
    }

    /// [`read`](Self::read) inside a write transaction (its own writes included).
    pub fn read_mut(&self, table: &TableMut<'_>, name: &str) -> Result<Arc<BucketGlance>, AwsError> {
        let found = table.get_with(&records::bucket_key(name), |stored| self.glance(name, stored))?;
        found.unwrap_or_else(|| Err(errors::no_such_bucket(name)))
    }

    /// Bucket `name`'s glance (`None` when it does not exist), remembered
    /// while no bucket record has been written since; `read` reads it
    /// afresh (in a transaction of its own) otherwise.
    pub fn current(
        &self,
        name: &str,
        read: impl FnOnce() -> Result<Option<Arc<BucketGlance>>, AwsError>,
    ) -> Result<Option<Arc<BucketGlance>>, AwsError> {
        // Read before the record: a write committed after it bumps it past.
        let generation = self.generation.load(Ordering::Acquire);
        if let Some((seen, glance)) = self
            .by_generation
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            && *seen == generation
        {
            return Ok(glance.clone());
        }
        let glance = read()?;
        let mut known = self.by_generation.write().unwrap_or_else(PoisonError::into_inner);
        if known.len() >= CAPACITY && !known.contains_key(name) {
            known.clear();
        }
        known.insert(name.to_owned(), (generation, glance.clone()));
        Ok(glance)
    }

    /// A bucket record was written (or the store reset): call after the
    /// write commits.
    pub fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The decoded form of `stored`, the record of bucket `name`.
    fn glance(&self, name: &str, stored: &[u8]) -> Result<Arc<BucketGlance>, AwsError> {
        if let Some(glance) = self.lookup(name, stored) {
            return Ok(glance);
        }
        let glance: Arc<BucketGlance> = Arc::new(nimbus_store::codec::decode(stored)?);
        self.remember(name, stored, Arc::clone(&glance));
        Ok(glance)
    }

    fn lookup(&self, name: &str, stored: &[u8]) -> Option<Arc<BucketGlance>> {
        let known = self.known.read().unwrap_or_else(PoisonError::into_inner);
        match known.get(name) {
            Some((bytes, glance)) if bytes.as_slice() == stored => Some(Arc::clone(glance)),
            _ => None,
        }
    }

    fn remember(&self, name: &str, stored: &[u8], glance: Arc<BucketGlance>) {
        let mut known = self.known.write().unwrap_or_else(PoisonError::into_inner);
        if known.len() >= CAPACITY && !known.contains_key(name) {
            known.clear();
        }
        known.insert(name.to_owned(), (stored.to_vec(), glance));
    }
}

/// A bucket as version bookkeeping sees it: its name and cached glance.
pub struct GlancedBucket<'a> {
    pub name: &'a str,
    pub glance: Arc<BucketGlance>,
}

impl versions::VersionedBucket for GlancedBucket<'_> {
    fn name(&self) -> &str {
        self.name
    }

    fn versioning(&self) -> Option<&str> {
        self.glance.versioning.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::BucketRecord;

    fn stored(versioning: Option<&str>) -> Vec<u8> {
        let record = BucketRecord {
            name: "b".to_owned(),
            versioning: versioning.map(str::to_owned),
            ..BucketRecord::default()
        };
        nimbus_store::codec::encode(&record).unwrap()
    }

    #[test]
    fn changed_bytes_are_decoded_afresh() {
        let cache = BucketFactsCache::default();
        let plain = stored(None);
        let versioned = stored(Some("Suspended"));
        assert!(cache.lookup("b", &plain).is_none());
        assert_eq!(cache.glance("b", &plain).unwrap().versioning, None);
        assert!(cache.lookup("b", &plain).is_some());
        // The record changed (PutBucketVersioning): the old glance does not match it.
        assert!(cache.lookup("b", &versioned).is_none());
        assert_eq!(
            cache.glance("b", &versioned).unwrap().versioning.as_deref(),
            Some("Suspended")
        );
        assert!(cache.lookup("b", &plain).is_none());
    }
}
