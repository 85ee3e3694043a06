//! What S3 keeps in the store, and under which keys.
//!
//! Everything lives in the global `s3` namespace (bucket names are global):
//!
//! | key | value |
//! | --- | --- |
//! | `b/<bucket>` | [`BucketRecord`] |
//! | `a/<account>/<bucket>` | empty: the buckets of an account, for ListBuckets |
//! | `o/<bucket>/<key>` | [`ObjectRecord`]: the current version, absent when it is a delete marker |
//! | `v/<bucket>/<key>\0<16 hex>` | [`ObjectRecord`]: every version, newest first (inverted sequence) |
//! | `u/<bucket>/<key>\0<upload id>` | [`UploadRecord`] |
//! | `p/<upload id>/<5 digits>` | [`PartRecord`] |
//!
//! Object keys are UTF-8 and bucket names have no `/`, so a bucket's objects
//! under a prefix are one scan, and `\0` (which XML cannot carry, so no key
//! holds it) ends a key before its version suffix, keeping versions of `a`
//! before the key `a/b`.

use indexmap::IndexMap;
use nimbus_core::{AwsError, Timestamp};
use nimbus_store::{BlobRef, Namespace, TableMut, TableRef};
use serde::{Deserialize, Serialize};

use crate::errors;
use nimbus_s3_api::{
    BucketLifecycleConfiguration, CORSConfiguration, NotificationConfiguration, OwnershipControls,
    PublicAccessBlockConfiguration, Tag, WebsiteConfiguration,
};

pub fn namespace() -> Result<Namespace, AwsError> {
    Ok(Namespace::global("s3")?)
}

/// The pieces of a store key, end to end: plain concatenation, as every
/// object read builds two keys and `format!` costs several times as much.
fn joined(parts: &[&str]) -> Vec<u8> {
    let mut key = Vec::with_capacity(parts.iter().map(|part| part.len()).sum());
    for part in parts {
        key.extend_from_slice(part.as_bytes());
    }
    key
}

pub fn bucket_key(bucket: &str) -> Vec<u8> {
    joined(&["b/", bucket])
}

pub fn account_bucket_prefix(account: &str) -> Vec<u8> {
    joined(&["a/", account, "/"])
}

pub fn account_bucket_key(account: &str, bucket: &str) -> Vec<u8> {
    joined(&["a/", account, "/", bucket])
}

pub fn current_prefix(bucket: &str) -> Vec<u8> {
    joined(&["o/", bucket, "/"])
}

pub fn current_key(bucket: &str, key: &str) -> Vec<u8> {
    joined(&["o/", bucket, "/", key])
}

pub fn versions_prefix(bucket: &str) -> Vec<u8> {
    joined(&["v/", bucket, "/"])
}

/// The versions of one object: `v/<bucket>/<key>\0`.
pub fn key_versions_prefix(bucket: &str, key: &str) -> Vec<u8> {
    joined(&["v/", bucket, "/", key, "\0"])
}

/// Newer versions have larger sequences and sort first.
pub fn version_key(bucket: &str, key: &str, sequence: u64) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = joined(&["v/", bucket, "/", key, "\0"]);
    let inverted = u64::MAX - sequence;
    // 16 lowercase hex digits, most significant first (what `{:016x}` writes).
    out.extend(
        (0..16)
            .rev()
            .map(|digit| HEX[((inverted >> (digit * 4)) & 0xf) as usize]),
    );
    out
}

pub fn uploads_prefix(bucket: &str) -> Vec<u8> {
    joined(&["u/", bucket, "/"])
}

pub fn upload_key(bucket: &str, key: &str, upload_id: &str) -> Vec<u8> {
    joined(&["u/", bucket, "/", key, "\0", upload_id])
}

pub fn parts_prefix(upload_id: &str) -> Vec<u8> {
    joined(&["p/", upload_id, "/"])
}

pub fn part_key(upload_id: &str, part_number: i32) -> Vec<u8> {
    format!("p/{upload_id}/{part_number:05}").into_bytes()
}

/// A bucket and every configuration stored on it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BucketRecord {
    pub name: String,
    /// The account that created it (and owns it).
    pub account: String,
    pub region: String,
    pub created: Timestamp,
    /// `Enabled`, `Suspended`, or `None` when versioning was never set.
    pub versioning: Option<String>,
    /// Canned ACL given at creation or by PutBucketAcl (`private` when unset).
    pub acl: Option<String>,
    pub tags: Option<Vec<Tag>>,
    pub ownership: Option<OwnershipControls>,
    pub public_access_block: Option<PublicAccessBlockConfiguration>,
    pub policy: Option<String>,
    pub cors: Option<CORSConfiguration>,
    pub website: Option<WebsiteConfiguration>,
    pub lifecycle: Option<BucketLifecycleConfiguration>,
    pub notification: Option<NotificationConfiguration>,
}

/// A checksum of the whole object (or of its parts, for multipart uploads).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct StoredChecksum {
    /// `CRC32`, `CRC32C`, `CRC64NVME`, `SHA1` or `SHA256`.
    pub algorithm: String,
    /// Base64, as the `x-amz-checksum-*` header carries it (with `-N` for composite).
    pub value: String,
    /// `FULL_OBJECT` or `COMPOSITE`.
    pub kind: String,
}

/// One version of an object (or a delete marker).
///
/// Absent members (`None`, empty, `false`) are not written: a record is then
/// about half as long, and every GET decodes one. Records written with every
/// member (before this) read the same, since a missing member is its default.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ObjectRecord {
    pub key: String,
    /// `None` is the null version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Orders the versions of a key; see [`version_key`].
    pub sequence: u64,
    #[serde(skip_serializing_if = "is_false")]
    pub delete_marker: bool,
    /// The bytes; `None` for delete markers and empty objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob: Option<BlobRef>,
    pub size: u64,
    /// Quoted, as the ETag header carries it.
    pub etag: String,
    pub last_modified: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website_redirect_location: Option<String>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub metadata: IndexMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acl: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<StoredChecksum>,
    /// Sizes and checksums of the parts of a multipart object.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartSummary>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// What GetObjectAttributes and partNumber GETs tell about one part.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PartSummary {
    pub part_number: i32,
    pub size: u64,
    pub checksum: Option<String>,
}

impl ObjectRecord {
    pub fn version_id_text(&self) -> String {
        self.version_id.clone().unwrap_or_else(|| "null".to_owned())
    }

    pub fn storage_class_or_standard(&self) -> String {
        self.storage_class
            .clone()
            .unwrap_or_else(|| "STANDARD".to_owned())
    }
}

/// A multipart upload in progress: what the object will carry once complete.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UploadRecord {
    pub upload_id: String,
    pub key: String,
    pub initiated: Timestamp,
    pub account: String,
    /// Headers of CreateMultipartUpload, kept for the final object.
    pub object: ObjectRecord,
    pub checksum_algorithm: Option<String>,
    pub checksum_type: Option<String>,
}

/// One uploaded part.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PartRecord {
    pub part_number: i32,
    pub blob: Option<BlobRef>,
    pub size: u64,
    /// Quoted MD5 of the part.
    pub etag: String,
    pub last_modified: Timestamp,
    pub checksum: Option<StoredChecksum>,
}

/// Reads a bucket or fails with NoSuchBucket.
pub fn bucket(table: &TableRef, name: &str) -> Result<BucketRecord, AwsError> {
    table
        .get_json(&bucket_key(name))?
        .ok_or_else(|| errors::no_such_bucket(name))
}

/// The members of a bucket record that every object request reads, decoded
/// without the rest (its other configurations): versioning, notifications,
/// and what IAM decisions read (owner, policy, ACL, tags and the settings
/// that govern them).
#[derive(Debug, Default, Deserialize)]
pub struct BucketGlance {
    pub versioning: Option<String>,
    pub notification: Option<NotificationConfiguration>,
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub acl: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<Tag>>,
    #[serde(default)]
    pub ownership: Option<OwnershipControls>,
    #[serde(default)]
    pub public_access_block: Option<PublicAccessBlockConfiguration>,
    #[serde(default)]
    pub policy: Option<String>,
}

/// Fails with NoSuchBucket unless the bucket exists; reads nothing of it.
pub fn require_bucket(table: &TableRef, name: &str) -> Result<(), AwsError> {
    match table.get_with(&bucket_key(name), |_| ())? {
        Some(()) => Ok(()),
        None => Err(errors::no_such_bucket(name)),
    }
}

/// [`bucket`] inside a write transaction.
pub fn bucket_mut(table: &TableMut<'_>, name: &str) -> Result<BucketRecord, AwsError> {
    table
        .get_json(&bucket_key(name))?
        .ok_or_else(|| errors::no_such_bucket(name))
}

/// The current version of `key`, if it is not a delete marker; decoded
/// where the store keeps it (every GET and HEAD reads one).
pub fn current(table: &TableRef, bucket: &str, key: &str) -> Result<Option<ObjectRecord>, AwsError> {
    table
        .get_with(&current_key(bucket, key), decode_object)?
        .transpose()
}

/// A stored [`ObjectRecord`]: its JSON checked as UTF-8 once and parsed as
/// text, so serde_json does not check each string again.
pub fn decode_object(stored: &[u8]) -> Result<ObjectRecord, AwsError> {
    let text =
        std::str::from_utf8(stored).map_err(|_| AwsError::internal("a stored object record is not UTF-8"))?;
    serde_json::from_str(text).map_err(|e| AwsError::internal(format!("a stored object record: {e}")))
}

/// The version `version_id` (`null` for the null version) of `key`, with
/// its store key. Costs the number of versions of that one key.
pub fn find_version(
    entries: nimbus_store::Entries<'_>,
    version_id: &str,
) -> Result<Option<(Vec<u8>, ObjectRecord)>, AwsError> {
    for entry in entries {
        let entry = entry?;
        let record: ObjectRecord = entry.decode()?;
        if record.version_id_text() == version_id {
            return Ok(Some((entry.key.clone(), record)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_their_pieces_joined() {
        assert_eq!(bucket_key("b"), b"b/b");
        assert_eq!(account_bucket_key("1", "b"), b"a/1/b");
        assert_eq!(current_key("b", "x/y"), b"o/b/x/y");
        assert_eq!(key_versions_prefix("b", "k"), b"v/b/k\0");
        assert_eq!(version_key("b", "k", u64::MAX - 1), b"v/b/k\x000000000000000001");
        assert_eq!(version_key("b", "k", 0x0123), b"v/b/k\0fffffffffffffedc");
        assert_eq!(
            version_key("b", "k", 0xfedc_ba98_7654_3210),
            format!("v/b/k\0{:016x}", u64::MAX - 0xfedc_ba98_7654_3210).into_bytes()
        );
        assert_eq!(upload_key("b", "k", "u"), b"u/b/k\0u");
        assert_eq!(parts_prefix("u"), b"p/u/");
    }

    #[test]
    fn object_records_skip_absent_members_and_read_either_form() {
        let record = ObjectRecord {
            key: "k".to_owned(),
            sequence: 7,
            size: 3,
            etag: "\"abc\"".to_owned(),
            content_type: Some("text/plain".to_owned()),
            ..ObjectRecord::default()
        };
        let stored = nimbus_store::codec::encode(&record).unwrap();
        let text = String::from_utf8(stored.clone()).unwrap();
        assert!(!text.contains("null") && !text.contains("metadata") && !text.contains("delete_marker"));
        // As written before absent members were left out: every member, nulls included.
        let every_member = r#"{"key":"k","version_id":null,"sequence":7,"delete_marker":false,"blob":null,
            "size":3,"etag":"\"abc\"","last_modified":[0,0],"content_type":"text/plain","cache_control":null,
            "content_disposition":null,"content_encoding":null,"content_language":null,"expires":null,
            "website_redirect_location":null,"metadata":{},"storage_class":null,"tags":[],"acl":null,
            "checksum":null,"parts":[]}"#;
        for bytes in [stored.as_slice(), every_member.as_bytes()] {
            let read = decode_object(bytes).unwrap();
            assert_eq!(nimbus_store::codec::encode(&read).unwrap(), stored);
        }
        assert!(decode_object(b"\xff").is_err());
    }
}
