//! Lifecycle rules applied by the clock: current versions past their
//! Expiration (days or date) are deleted as DeleteObject would (a delete
//! marker in versioned buckets), and uploads older than
//! AbortIncompleteMultipartUpload's days are aborted. Like S3, this runs in
//! the background, not on the request path.

use std::sync::Arc;
use std::time::Duration;

use nimbus_core::{AwsError, Timestamp};
use nimbus_runtime::Clock;
use nimbus_store::Store;

use crate::records::{self, BucketRecord, ObjectRecord, UploadRecord};
use crate::versions;
use nimbus_s3_api::{LifecycleRule, Tag};

/// How often the sweeper looks at the rules (AWS applies them about daily).
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(3600);

const DAY: i64 = 86_400;

/// Which objects a rule is about.
struct Scope {
    prefix: String,
    tags: Vec<Tag>,
    larger_than: Option<i64>,
    smaller_than: Option<i64>,
}

impl Scope {
    fn of(rule: &LifecycleRule) -> Scope {
        let filter = rule.filter.clone().unwrap_or_default();
        let and = filter.and.clone().unwrap_or_default();
        Scope {
            prefix: filter
                .prefix
                .or(and.prefix)
                .or_else(|| rule.prefix.clone())
                .unwrap_or_default(),
            tags: filter
                .tag
                .into_iter()
                .chain(and.tags.unwrap_or_default())
                .collect(),
            larger_than: filter.object_size_greater_than.or(and.object_size_greater_than),
            smaller_than: filter.object_size_less_than.or(and.object_size_less_than),
        }
    }

    fn matches(&self, object: &ObjectRecord) -> bool {
        let size = object.size as i64;
        object.key.starts_with(&self.prefix)
            && self.tags.iter().all(|t| object.tags.contains(t))
            && self.larger_than.is_none_or(|n| size > n)
            && self.smaller_than.is_none_or(|n| size < n)
    }
}

/// `days` after `from`, rounded up to the next midnight UTC, as S3 counts.
fn days_after(from: Timestamp, days: i32) -> i64 {
    let at = from.seconds + i64::from(days) * DAY;
    at.div_euclid(DAY) * DAY
        + if at.rem_euclid(DAY) == 0 && from.nanos == 0 {
            0
        } else {
            DAY
        }
}

fn object_due(rule: &LifecycleRule, object: &ObjectRecord, now: Timestamp) -> bool {
    let Some(expiration) = &rule.expiration else {
        return false;
    };
    match (expiration.days, expiration.date) {
        (Some(days), _) => now.seconds >= days_after(object.last_modified, days),
        (None, Some(date)) => now >= date,
        _ => false,
    }
}

/// What one sweep removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub expired_objects: usize,
    pub aborted_uploads: usize,
}

/// Applies every bucket's enabled rules once, at the clock's time.
pub async fn sweep(store: &Arc<Store>, clock: &Clock) -> Result<Swept, AwsError> {
    let millis = i64::try_from(clock.now_epoch_millis()).unwrap_or(i64::MAX);
    let now = Timestamp::from_epoch_millis(millis);
    // Find what is due in a read transaction; delete it in one write.
    let (objects, uploads) = {
        let txn = store.begin_read()?;
        let table = txn.open(&records::namespace()?)?;
        let mut objects: Vec<(BucketRecord, String, u64)> = Vec::new();
        let mut uploads: Vec<(String, UploadRecord)> = Vec::new();
        for entry in table.scan(b"b/")? {
            let bucket: BucketRecord = entry?.decode()?;
            let Some(lifecycle) = bucket.lifecycle.clone() else {
                continue;
            };
            for rule in lifecycle.rules.iter().filter(|r| r.status == "Enabled") {
                let scope = Scope::of(rule);
                if rule.expiration.is_some() {
                    let mut prefix = records::current_prefix(&bucket.name);
                    prefix.extend_from_slice(scope.prefix.as_bytes());
                    for entry in table.scan(&prefix)? {
                        let object: ObjectRecord = entry?.decode()?;
                        if scope.matches(&object) && object_due(rule, &object, now) {
                            objects.push((bucket.clone(), object.key.clone(), object.sequence));
                        }
                    }
                }
                if let Some(days) = rule
                    .abort_incomplete_multipart_upload
                    .as_ref()
                    .and_then(|a| a.days_after_initiation)
                {
                    let mut prefix = records::uploads_prefix(&bucket.name);
                    prefix.extend_from_slice(scope.prefix.as_bytes());
                    for entry in table.scan(&prefix)? {
                        let upload: UploadRecord = entry?.decode()?;
                        if now.seconds >= days_after(upload.initiated, days) {
                            uploads.push((bucket.name.clone(), upload));
                        }
                    }
                }
            }
        }
        (objects, uploads)
    };
    if objects.is_empty() && uploads.is_empty() {
        return Ok(Swept::default());
    }
    let now_nanos = u64::try_from(now.seconds).unwrap_or(0) * 1_000_000_000 + u64::from(now.nanos);
    store
        .write(move |txn| {
            let mut table = txn.open(&records::namespace()?)?;
            let mut swept = Swept::default();
            for (i, (bucket, key, sequence)) in objects.iter().enumerate() {
                // Only the version that was due: a newer write since the scan stays.
                let current: Option<ObjectRecord> =
                    table.get_json(&records::current_key(&bucket.name, key))?;
                if current.is_none_or(|c| c.sequence != *sequence) {
                    continue;
                }
                let marker = ObjectRecord {
                    last_modified: now,
                    ..ObjectRecord::default()
                };
                versions::delete(txn, &mut table, bucket, key, None, marker, now_nanos + i as u64)?;
                swept.expired_objects += 1;
            }
            for (bucket, upload) in &uploads {
                if table.delete(&records::upload_key(bucket, &upload.key, &upload.upload_id))? {
                    crate::multipart::release_parts(txn, &mut table, &upload.upload_id)?;
                    swept.aborted_uploads += 1;
                }
            }
            Ok(swept)
        })
        .await
}

/// Runs [`sweep`] every [`SWEEP_INTERVAL`] of the clock's time, for as long
/// as the runtime runs. A failed sweep is retried at the next interval.
pub fn start(store: Arc<Store>, clock: Clock) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        loop {
            clock.sleep(SWEEP_INTERVAL).await;
            let _ = sweep(&store, &clock).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::days_after;
    use nimbus_core::Timestamp;

    #[test]
    fn expiry_rounds_up_to_midnight_utc() {
        // 2023-11-14T22:13:20Z + 1 day → 2023-11-16T00:00:00Z.
        let created = Timestamp {
            seconds: 1_700_000_000,
            nanos: 0,
        };
        assert_eq!(days_after(created, 1), 1_700_092_800);
        let midnight = Timestamp {
            seconds: 1_700_006_400,
            nanos: 0,
        };
        assert_eq!(days_after(midnight, 1), 1_700_092_800);
    }
}
