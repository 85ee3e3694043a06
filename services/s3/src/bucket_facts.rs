//! What every object read needs from its bucket record (that the bucket
//! exists, whether it ever had versioning), without decoding the record.
//!
//! The record is still looked up in the reader's own transaction, so the
//! answer is always that snapshot's: the cache only maps the exact stored
//! bytes to what they decode to. A changed record (PutBucketVersioning, any
//! configuration, a recreated bucket, reset, snapshot restore) has other
//! bytes and is decoded afresh, so nothing needs invalidating.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use nimbus_core::AwsError;
use nimbus_store::TableRef;

use crate::{errors, records};

/// Buckets remembered at most; past this the cache starts over (a bucket
/// record is a few hundred bytes).
const CAPACITY: usize = 4096;

/// The decoded facts of a bucket record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketFacts {
    /// Versioning was set once (`Enabled` or `Suspended`): responses name
    /// the version, `null` included.
    pub versioned: bool,
}

/// Stored bucket record bytes and their [`BucketFacts`], by bucket name.
#[derive(Default)]
pub struct BucketFactsCache {
    known: RwLock<HashMap<String, (Vec<u8>, BucketFacts)>>,
}

impl BucketFactsCache {
    /// The facts of bucket `name` as `table`'s snapshot has it; NoSuchBucket when absent.
    pub fn read(&self, table: &TableRef, name: &str) -> Result<BucketFacts, AwsError> {
        let key = records::bucket_key(name);
        let found = table.get_with(&key, |stored| match self.lookup(name, stored) {
            Some(facts) => Ok(facts),
            None => {
                let facts = decode(stored)?;
                self.remember(name, stored, facts);
                Ok::<_, AwsError>(facts)
            }
        })?;
        found.unwrap_or_else(|| Err(errors::no_such_bucket(name)))
    }

    fn lookup(&self, name: &str, stored: &[u8]) -> Option<BucketFacts> {
        let known = self.known.read().unwrap_or_else(PoisonError::into_inner);
        match known.get(name) {
            Some((bytes, facts)) if bytes.as_slice() == stored => Some(*facts),
            _ => None,
        }
    }

    fn remember(&self, name: &str, stored: &[u8], facts: BucketFacts) {
        let mut known = self.known.write().unwrap_or_else(PoisonError::into_inner);
        if known.len() >= CAPACITY && !known.contains_key(name) {
            known.clear();
        }
        known.insert(name.to_owned(), (stored.to_vec(), facts));
    }
}

fn decode(stored: &[u8]) -> Result<BucketFacts, AwsError> {
    let glance: records::BucketGlance = nimbus_store::codec::decode(stored)?;
    Ok(BucketFacts {
        versioned: glance.versioning.is_some(),
    })
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
        assert_eq!(cache.lookup("b", &plain), None);
        cache.remember("b", &plain, decode(&plain).unwrap());
        assert_eq!(cache.lookup("b", &plain), Some(BucketFacts { versioned: false }));
        // The record changed (PutBucketVersioning): the old facts do not match it.
        assert_eq!(cache.lookup("b", &versioned), None);
        assert_eq!(decode(&versioned).unwrap(), BucketFacts { versioned: true });
    }
}
