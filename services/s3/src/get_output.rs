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
    let text = |value: Option<String>| value.map(Value::String);
    let int = |value: Option<i32>| value.map(|n| Value::Integer(n.into()));
    // Members go in one by one, in the shape's order: most are absent, and
    // a table of all 44 would cost more to build than the inserts.
    let mut members = IndexMap::with_capacity(16);
    let mut put = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            members.insert(name.to_owned(), value);
        }
    };
    put("Body", body.map(Value::Blob));
    put("DeleteMarker", delete_marker.map(Value::Boolean));
    put("AcceptRanges", text(accept_ranges));
    put("Expiration", text(expiration));
    put("Restore", text(restore));
    put("LastModified", last_modified.map(Value::Timestamp));
    put("ContentLength", content_length.map(Value::Integer));
    put("ETag", text(e_tag));
    put("ChecksumCRC32", text(checksum_crc32));
    put("ChecksumCRC32C", text(checksum_crc32_c));
    put("ChecksumCRC64NVME", text(checksum_crc64_nvme));
    put("ChecksumSHA1", text(checksum_sha1));
    put("ChecksumSHA256", text(checksum_sha256));
    put("ChecksumSHA512", text(checksum_sha512));
    put("ChecksumMD5", text(checksum_md5));
    put("ChecksumXXHASH64", text(checksum_xxhash64));
    put("ChecksumXXHASH3", text(checksum_xxhash3));
    put("ChecksumXXHASH128", text(checksum_xxhash128));
    put("ChecksumType", text(checksum_type));
    put("MissingMeta", int(missing_meta));
    put("VersionId", text(version_id));
    put("CacheControl", text(cache_control));
    put("ContentDisposition", text(content_disposition));
    put("ContentEncoding", text(content_encoding));
    put("ContentLanguage", text(content_language));
    put("ContentRange", text(content_range));
    put("ContentType", text(content_type));
    put("Expires", text(expires));
    put("WebsiteRedirectLocation", text(website_redirect_location));
    put("ServerSideEncryption", text(server_side_encryption));
    put(
        "Metadata",
        metadata.map(|map| Value::Map(map.into_iter().map(|(k, v)| (k, Value::String(v))).collect())),
    );
    put("SSECustomerAlgorithm", text(sse_customer_algorithm));
    put("SSECustomerKeyMD5", text(sse_customer_key_md5));
    put("SSEKMSKeyId", text(ssekms_key_id));
    put("BucketKeyEnabled", bucket_key_enabled.map(Value::Boolean));
    put("StorageClass", text(storage_class));
    put("RequestCharged", text(request_charged));
    put("ReplicationStatus", text(replication_status));
    put("PartsCount", int(parts_count));
    put("TagCount", int(tag_count));
    put("ObjectLockMode", text(object_lock_mode));
    put(
        "ObjectLockRetainUntilDate",
        object_lock_retain_until_date.map(Value::Timestamp),
    );
    put("ObjectLockLegalHoldStatus", text(object_lock_legal_hold_status));
    put("StatusCode", int(status_code));
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
