//! Version bookkeeping shared by every write: a new version on top, the
//! null version replaced, delete markers, and the current-version copy.

use nimbus_core::AwsError;
use nimbus_store::{BlobRef, TableMut, WriteTxn};
use rand::Rng;
use serde::Deserialize;

use crate::records::{self, BucketRecord, ObjectRecord};

/// What version bookkeeping reads of a bucket: a whole record, or the
/// cached glance of one (see [`crate::bucket_facts`]).
pub trait VersionedBucket {
    fn name(&self) -> &str;
    /// `Enabled`, `Suspended`, or `None` when versioning was never set.
    fn versioning(&self) -> Option<&str>;
}

impl VersionedBucket for BucketRecord {
    fn name(&self) -> &str {
        &self.name
    }

    fn versioning(&self) -> Option<&str> {
        self.versioning.as_deref()
    }
}

/// A fresh version id: 32 URL-safe characters, as S3's are opaque strings.
pub fn new_version_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
    let mut rng = rand::rng();
    (0..32)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The newest version of a key, if any (a delete marker included).
pub fn newest(table: &TableMut<'_>, bucket: &str, key: &str) -> Result<Option<ObjectRecord>, AwsError> {
    match table.scan(&records::key_versions_prefix(bucket, key))?.next() {
        Some(entry) => Ok(Some(entry?.decode()?)),
        None => Ok(None),
    }
}

/// Removes one stored version and its bytes.
fn remove(
    txn: &WriteTxn,
    table: &mut TableMut<'_>,
    bucket: &str,
    record: &ObjectRecord,
) -> Result<(), AwsError> {
    remove_stored(
        txn,
        table,
        bucket,
        &record.key,
        record.sequence,
        record.blob.as_ref(),
    )
}

/// Removes version `sequence` of `key` and its bytes.
fn remove_stored(
    txn: &WriteTxn,
    table: &mut TableMut<'_>,
    bucket: &str,
    key: &str,
    sequence: u64,
    blob: Option<&BlobRef>,
) -> Result<(), AwsError> {
    table.delete(&records::version_key(bucket, key, sequence))?;
    if let Some(blob) = blob {
        txn.release_blob(blob)?;
    }
    Ok(())
}

/// What a new version reads of the versions under it: the rest of each
/// stored record is skipped, not decoded.
#[derive(Deserialize)]
struct VersionStub {
    #[serde(default)]
    version_id: Option<String>,
    sequence: u64,
    #[serde(default)]
    blob: Option<BlobRef>,
}

/// Removes the null version of a key, if there is one.
fn remove_null(txn: &WriteTxn, table: &mut TableMut<'_>, bucket: &str, key: &str) -> Result<(), AwsError> {
    let found = records::find_version(table.scan(&records::key_versions_prefix(bucket, key))?, "null")?;
    if let Some((_, record)) = found {
        remove(txn, table, bucket, &record)?;
    }
    Ok(())
}

/// Makes the current-version copy agree with the newest version.
fn refresh_current(table: &mut TableMut<'_>, bucket: &str, key: &str) -> Result<(), AwsError> {
    match newest(table, bucket, key)? {
        Some(record) if !record.delete_marker => {
            table.put_json(&records::current_key(bucket, key), &record)?
        }
        _ => {
            table.delete(&records::current_key(bucket, key))?;
        }
    }
    Ok(())
}

/// Stores `record` as the newest version of its key: with a fresh version id
/// when versioning is enabled, else as the null version (replacing the old
/// null version and its bytes). Returns the record as stored.
pub fn put_newest(
    txn: &WriteTxn,
    table: &mut TableMut<'_>,
    bucket: &(impl VersionedBucket + ?Sized),
    mut record: ObjectRecord,
    now_nanos: u64,
) -> Result<ObjectRecord, AwsError> {
    let versioned = bucket.versioning() == Some("Enabled");
    // One pass over the key's versions, newest first: the newest gives the
    // sequence; an unversioned write also looks for the null version it replaces.
    let mut newest_sequence = None;
    let mut null_version = None;
    for entry in table
        .scan(&records::key_versions_prefix(bucket.name(), &record.key))?
        .borrowed()
    {
        let stored: VersionStub = nimbus_store::codec::decode(entry?.value())?;
        newest_sequence.get_or_insert(stored.sequence);
        if versioned {
            break;
        }
        if stored.version_id.as_deref().is_none_or(|id| id == "null") {
            null_version = Some(stored);
            break;
        }
    }
    record.sequence = newest_sequence.map_or(now_nanos, |newest| now_nanos.max(newest + 1));
    if versioned {
        record.version_id = Some(new_version_id());
    } else {
        record.version_id = None;
        if let Some(null_version) = null_version {
            let VersionStub { sequence, blob, .. } = null_version;
            remove_stored(txn, table, bucket.name(), &record.key, sequence, blob.as_ref())?;
        }
    }
    // Encoded once for both copies. The new version is the newest, so the
    // current-version copy is this record (none for a delete marker).
    let stored = nimbus_store::codec::encode(&record)?;
    table.put(
        &records::version_key(bucket.name(), &record.key, record.sequence),
        &stored,
    )?;
    let current = records::current_key(bucket.name(), &record.key);
    if record.delete_marker {
        table.delete(&current)?;
    } else {
        table.put(&current, &stored)?;
    }
    Ok(record)
}

/// What a delete did, for the response.
#[derive(Default)]
pub struct Deleted {
    pub delete_marker: bool,
    pub version_id: Option<String>,
}

/// DeleteObject semantics: without a version id, an unversioned bucket
/// forgets the object and a versioned one gets a delete marker; with one,
/// exactly that version goes (a missing version is not an error).
pub fn delete(
    txn: &WriteTxn,
    table: &mut TableMut<'_>,
    bucket: &(impl VersionedBucket + ?Sized),
    key: &str,
    version_id: Option<&str>,
    marker: ObjectRecord,
    now_nanos: u64,
) -> Result<Deleted, AwsError> {
    if let Some(version_id) = version_id {
        let found = records::find_version(
            table.scan(&records::key_versions_prefix(bucket.name(), key))?,
            version_id,
        )?;
        let Some((_, record)) = found else {
            return Ok(Deleted {
                delete_marker: false,
                version_id: Some(version_id.to_owned()),
            });
        };
        remove(txn, table, bucket.name(), &record)?;
        refresh_current(table, bucket.name(), key)?;
        return Ok(Deleted {
            delete_marker: record.delete_marker,
            version_id: Some(version_id.to_owned()),
        });
    }
    if bucket.versioning().is_none() {
        remove_null(txn, table, bucket.name(), key)?;
        refresh_current(table, bucket.name(), key)?;
        return Ok(Deleted::default());
    }
    let marker = ObjectRecord {
        key: key.to_owned(),
        delete_marker: true,
        ..marker
    };
    let stored = put_newest(txn, table, bucket, marker, now_nanos)?;
    Ok(Deleted {
        delete_marker: true,
        version_id: Some(stored.version_id_text()),
    })
}
