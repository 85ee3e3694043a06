//! The GetObject and HeadObject answer as the encoder's [`Value`], built
//! member by member.
//!
//! Serializing the generated shape (`to_value`) visits all 49 members to
//! keep the dozen that are set, and copies the body; this moves the body and
//! strings instead. The test below holds it equal to `to_value`.

use indexmap::IndexMap;
use nimbus_core::Value;

use crate::generated::GetObjectOutput;

/// `output` as [`nimbus_core::to_value`] would turn it, absent members left out.
pub fn to_value(output: GetObjectOutput) -> Value {
    // Destructured whole, so a member added to the shape cannot be missed.
    let GetObjectOutput {
        body,
        delete_marker,
        accept_ranges,
        expiration,
        restore,
        last_modified,
        content_length,
        e_tag,
        checksum_crc32,
        checksum_crc32_c,
        checksum_crc64_nvme,
        checksum_sha1,
        checksum_sha256,
        checksum_sha512,
        checksum_md5,
        checksum_xxhash64,
        checksum_xxhash3,
        checksum_xxhash128,
        checksum_type,
        missing_meta,
        version_id,
        cache_control,
        content_disposition,
        content_encoding,
        content_language,
        content_range,
        content_type,
        expires,
        website_redirect_location,
        server_side_encryption,
        metadata,
        sse_customer_algorithm,
        sse_customer_key_md5,
        ssekms_key_id,
        bucket_key_enabled,
        storage_class,
        request_charged,
        replication_status,
        parts_count,
        tag_count,
        object_lock_mode,
        object_lock_retain_until_date,
        object_lock_legal_hold_status,
        status_code,
    } = output;
    // One branch per member, in the shape's order: most are absent, and a
    // table or a closure call per member costs more than the inserts.
    let mut members = IndexMap::with_capacity(16);
    macro_rules! put {
        ($name:literal, $member:expr, $into:expr) => {
            if let Some(value) = $member {
                members.insert($name.to_owned(), $into(value));
            }
        };
    }
    put!("Body", body, Value::Blob);
    put!("DeleteMarker", delete_marker, Value::Boolean);
    put!("AcceptRanges", accept_ranges, Value::String);
    put!("Expiration", expiration, Value::String);
    put!("Restore", restore, Value::String);
    put!("LastModified", last_modified, Value::Timestamp);
    put!("ContentLength", content_length, Value::Integer);
    put!("ETag", e_tag, Value::String);
    put!("ChecksumCRC32", checksum_crc32, Value::String);
    put!("ChecksumCRC32C", checksum_crc32_c, Value::String);
    put!("ChecksumCRC64NVME", checksum_crc64_nvme, Value::String);
    put!("ChecksumSHA1", checksum_sha1, Value::String);
    put!("ChecksumSHA256", checksum_sha256, Value::String);
    put!("ChecksumSHA512", checksum_sha512, Value::String);
    put!("ChecksumMD5", checksum_md5, Value::String);
    put!("ChecksumXXHASH64", checksum_xxhash64, Value::String);
    put!("ChecksumXXHASH3", checksum_xxhash3, Value::String);
    put!("ChecksumXXHASH128", checksum_xxhash128, Value::String);
    put!("ChecksumType", checksum_type, Value::String);
    put!("MissingMeta", missing_meta, |n: i32| Value::Integer(n.into()));
    put!("VersionId", version_id, Value::String);
    put!("CacheControl", cache_control, Value::String);
    put!("ContentDisposition", content_disposition, Value::String);
    put!("ContentEncoding", content_encoding, Value::String);
    put!("ContentLanguage", content_language, Value::String);
    put!("ContentRange", content_range, Value::String);
    put!("ContentType", content_type, Value::String);
    put!("Expires", expires, Value::String);
    put!(
        "WebsiteRedirectLocation",
        website_redirect_location,
        Value::String
    );
    put!("ServerSideEncryption", server_side_encryption, Value::String);
    put!("Metadata", metadata, |map: IndexMap<String, String>| {
        Value::Map(map.into_iter().map(|(k, v)| (k, Value::String(v))).collect())
    });
    put!("SSECustomerAlgorithm", sse_customer_algorithm, Value::String);
    put!("SSECustomerKeyMD5", sse_customer_key_md5, Value::String);
    put!("SSEKMSKeyId", ssekms_key_id, Value::String);
    put!("BucketKeyEnabled", bucket_key_enabled, Value::Boolean);
    put!("StorageClass", storage_class, Value::String);
    put!("RequestCharged", request_charged, Value::String);
    put!("ReplicationStatus", replication_status, Value::String);
    put!("PartsCount", parts_count, |n: i32| Value::Integer(n.into()));
    put!("TagCount", tag_count, |n: i32| Value::Integer(n.into()));
    put!("ObjectLockMode", object_lock_mode, Value::String);
    put!(
        "ObjectLockRetainUntilDate",
        object_lock_retain_until_date,
        Value::Timestamp
    );
    put!(
        "ObjectLockLegalHoldStatus",
        object_lock_legal_hold_status,
        Value::String
    );
    put!("StatusCode", status_code, |n: i32| Value::Integer(n.into()));
    Value::Structure(members)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use nimbus_core::Timestamp;

    use super::*;

    /// Every member set, each to a distinct value.
    fn full() -> GetObjectOutput {
        let text = |name: &str| Some(format!("{name}-value"));
        let when = |seconds| Some(Timestamp { seconds, nanos: 0 });
        GetObjectOutput {
            body: Some(Bytes::from_static(b"hello")),
            delete_marker: Some(false),
            accept_ranges: text("ranges"),
            expiration: text("expiration"),
            restore: text("restore"),
            last_modified: when(1_700_000_000),
            content_length: Some(5),
            e_tag: text("etag"),
            checksum_crc32: text("crc32"),
            checksum_crc32_c: text("crc32c"),
            checksum_crc64_nvme: text("crc64"),
            checksum_sha1: text("sha1"),
            checksum_sha256: text("sha256"),
            checksum_sha512: text("sha512"),
            checksum_md5: text("md5"),
            checksum_xxhash64: text("xx64"),
            checksum_xxhash3: text("xx3"),
            checksum_xxhash128: text("xx128"),
            checksum_type: text("type"),
            missing_meta: Some(2),
            version_id: text("version"),
            cache_control: text("cache"),
            content_disposition: text("disposition"),
            content_encoding: text("encoding"),
            content_language: text("language"),
            content_range: text("range"),
            content_type: text("type"),
            expires: text("expires"),
            website_redirect_location: text("redirect"),
            server_side_encryption: text("sse"),
            metadata: Some(IndexMap::from([
                ("b".to_owned(), "2".to_owned()),
                ("a".to_owned(), "1".to_owned()),
            ])),
            sse_customer_algorithm: text("ssec"),
            sse_customer_key_md5: text("ssec-md5"),
            ssekms_key_id: text("kms"),
            bucket_key_enabled: Some(true),
            storage_class: text("class"),
            request_charged: text("charged"),
            replication_status: text("replication"),
            parts_count: Some(3),
            tag_count: Some(4),
            object_lock_mode: text("lock"),
            object_lock_retain_until_date: when(1_800_000_000),
            object_lock_legal_hold_status: text("hold"),
            status_code: Some(206),
        }
    }

    #[test]
    fn equals_the_serialized_shape() {
        let output = full();
        let (built, serialized) = (to_value(output.clone()), nimbus_core::to_value(&output));
        assert_eq!(built, serialized);
        // The same member order too (IndexMap equality ignores it).
        let names = |value: &Value| match value {
            Value::Structure(members) => members.keys().cloned().collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        assert_eq!(names(&built).len(), 44);
        assert_eq!(names(&built), names(&serialized));
        let sparse = GetObjectOutput {
            e_tag: Some("\"x\"".to_owned()),
            content_length: Some(0),
            ..GetObjectOutput::default()
        };
        assert_eq!(to_value(sparse.clone()), nimbus_core::to_value(&sparse));
    }
}
