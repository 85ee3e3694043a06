//! Objects: put and delete (one or many); reads are in `downloads`, tags
//! and ACLs in `object_subresources`.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use indexmap::IndexMap;
use nimbus_core::{AwsError, Timestamp};
use nimbus_store::{BlobRef, StagedBlob};

use crate::bucket_facts::GlancedBucket;
use crate::checksums::{self, Requested};
use crate::downloads::read_object_in;
use crate::object_body::{self, UploadBody};
use crate::records::{self, ObjectRecord};
use crate::{S3, acl, errors, versions};
use nimbus_s3_api::*;

/// Storage classes a general purpose bucket accepts.
const STORAGE_CLASSES: [&str; 9] = [
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "GLACIER_IR",
    "OUTPOSTS",
];

pub fn validate_storage_class(class: Option<&str>) -> Result<(), AwsError> {
    match class {
        Some(class) if !STORAGE_CLASSES.contains(&class) => Err(errors::invalid_storage_class(
            "The storage class you specified is not valid",
        )
        .with_field("StorageClassRequested", class)),
        _ => Ok(()),
    }
}

/// Keys are at most 1,024 bytes and user metadata at most 2 KB (names and values).
pub fn validate_key_and_metadata(
    key: &str,
    metadata: Option<&IndexMap<String, String>>,
) -> Result<(), AwsError> {
    if key.len() > 1024 {
        return Err(errors::key_too_long_error("Your key is too long")
            .with_field("Size", key.len().to_string())
            .with_field("MaxSizeAllowed", "1024"));
    }
    let size: usize = metadata.map_or(0, |m| m.iter().map(|(k, v)| k.len() + v.len()).sum());
    if size > 2048 {
        return Err(errors::metadata_too_large(
            "Your metadata headers exceed the maximum allowed metadata size.",
        )
        .with_field("Size", size.to_string())
        .with_field("MaxSizeAllowed", "2048"));
    }
    Ok(())
}

/// Conditional writes: `If-None-Match: *` fails when the key exists,
/// `If-Match` when it is missing (404) or has another ETag (412).
pub fn check_write_conditions(
    table: &nimbus_store::TableMut<'_>,
    bucket: &str,
    key: &str,
    if_match: Option<&str>,
    if_none_match: Option<&str>,
) -> Result<(), AwsError> {
    if if_match.is_none() && if_none_match.is_none() {
        // Nothing to check: skip reading and decoding the current version.
        return Ok(());
    }
    let current: Option<ObjectRecord> = table.get_json(&records::current_key(bucket, key))?;
    if if_none_match.is_some_and(|v| v.trim() == "*") && current.is_some() {
        return Err(errors::precondition_failed("If-None-Match"));
    }
    if let Some(if_match) = if_match {
        let Some(current) = &current else {
            return Err(errors::no_such_key(key));
        };
        if !crate::conditions::etag_matches(if_match, &current.etag) {
            return Err(errors::precondition_failed("If-Match"));
        }
    }
    Ok(())
}

/// Tags from the `x-amz-tagging` header: a URL-encoded query string.
pub fn parse_tagging_header(header: Option<&str>) -> Result<Vec<Tag>, AwsError> {
    let Some(header) = header.filter(|h| !h.is_empty()) else {
        return Ok(Vec::new());
    };
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(&text.replace('+', " "))
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| errors::invalid_argument("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.", "x-amz-tagging", header))
    };
    let tags = header
        .split('&')
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok(Tag {
                key: decode(key)?,
                value: decode(value)?,
            })
        })
        .collect::<Result<Vec<_>, AwsError>>()?;
    crate::configs::validate_tag_set(&tags)?;
    Ok(tags)
}

fn nanos(timestamp: Timestamp) -> u64 {
    u64::try_from(timestamp.seconds).unwrap_or(0) * 1_000_000_000 + u64::from(timestamp.nanos)
}

/// Last-Modified has whole seconds on the wire; keeping them whole keeps
/// conditional requests built from a response consistent.
fn whole_seconds(timestamp: Timestamp) -> Timestamp {
    Timestamp {
        seconds: timestamp.seconds,
        nanos: 0,
    }
}

impl S3 {
    pub(crate) fn now_whole_seconds(&self) -> Timestamp {
        whole_seconds(self.now())
    }

    /// Reads `range` (start..end) of an object's bytes.
    pub(crate) async fn read_bytes(
        &self,
        blob: Option<&BlobRef>,
        start: u64,
        end: u64,
    ) -> Result<Bytes, AwsError> {
        let Some(blob) = blob else {
            return Ok(Bytes::new());
        };
        // Small objects are inline in the store (one lookup, no file); larger ones are read in chunks.
        let mut reader = self.store.blobs().open_range(blob, start..end).await?;
        let mut out = BytesMut::with_capacity(usize::try_from(reader.remaining()).unwrap_or(0));
        while let Some(chunk) = reader.next_chunk().await? {
            if out.is_empty() && reader.remaining() == 0 {
                // The whole range in one chunk: hand it on without copying.
                return Ok(chunk);
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out.freeze())
    }

    /// The object a read names: the current version, or the one asked for.
    pub(crate) fn read_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        method: &str,
    ) -> Result<ObjectRecord, AwsError> {
        self.read_object_and_bucket(bucket, key, version_id, method)
            .map(|(object, _)| object)
    }

    /// [`read_object`](Self::read_object), with whether the bucket ever had
    /// versioning (its responses then name the version, `null` included).
    pub(crate) fn read_object_and_bucket(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        method: &str,
    ) -> Result<(ObjectRecord, bool), AwsError> {
        read_object_in(
            &self.store.begin_read()?,
            &self.bucket_facts,
            bucket,
            key,
            version_id,
            method,
        )
    }

    /// Stores a new object version and answers its version id (only for
    /// buckets that ever had versioning).
    pub(crate) async fn store_object(
        &self,
        bucket: &str,
        record: ObjectRecord,
        staged: Option<StagedBlob>,
        write_conditions: (Option<String>, Option<String>),
    ) -> Result<(ObjectRecord, Option<String>), AwsError> {
        let bucket = bucket.to_owned();
        let now = nanos(self.now());
        let bucket_facts = Arc::clone(&self.bucket_facts);
        self.store
            .write(move |txn| {
                let mut table = txn.open(&records::namespace()?)?;
                let bucket = GlancedBucket {
                    glance: bucket_facts.read_mut(&table, &bucket)?,
                    name: &bucket,
                };
                let (if_match, if_none_match) = write_conditions;
                check_write_conditions(
                    &table,
                    bucket.name,
                    &record.key,
                    if_match.as_deref(),
                    if_none_match.as_deref(),
                )?;
                let mut record = record;
                if let Some(staged) = staged {
                    record.blob = Some(txn.attach_blob(staged)?);
                }
                let stored = versions::put_newest(txn, &mut table, &bucket, record, now)?;
                let version = bucket
                    .glance
                    .versioning
                    .is_some()
                    .then(|| stored.version_id_text());
                Ok((stored, version))
            })
            .await
    }

    pub(crate) async fn put_object(&self, mut input: PutObjectRequest) -> Result<PutObjectOutput, AwsError> {
        let body = UploadBody::of(input.body.take());
        validate_key_and_metadata(&input.key, input.metadata.as_ref())?;
        // Fail before writing bytes for a bucket that is not there.
        self.require_bucket(&input.bucket)?;
        validate_storage_class(input.storage_class.as_deref())?;
        if let Some(canned) = input.acl.as_deref()
            && !acl::is_canned(canned)
        {
            return Err(errors::invalid_argument("", "x-amz-acl", canned));
        }
        let tags = parse_tagging_header(input.tagging.as_deref())?;
        let requested = Requested {
            algorithm: input.checksum_algorithm.as_deref(),
            crc32: input.checksum_crc32.as_deref(),
            crc32c: input.checksum_crc32_c.as_deref(),
            crc64nvme: input.checksum_crc64_nvme.as_deref(),
            sha1: input.checksum_sha1.as_deref(),
            sha256: input.checksum_sha256.as_deref(),
        };
        // Bytes go to disk while their MD5 and checksum are computed; a failed
        // check drops the staged blob, so nothing is stored.
        let (ingested, checksum) =
            object_body::ingest_checked(self.store.blobs(), body, &requested, input.content_md5.as_deref())
                .await?;
        let record = ObjectRecord {
            key: input.key.clone(),
            size: ingested.size,
            etag: format!("\"{}\"", checksums::hex(&ingested.md5)),
            last_modified: whole_seconds(self.now()),
            content_type: input.content_type.clone(),
            cache_control: input.cache_control.clone(),
            content_disposition: input.content_disposition.clone(),
            content_encoding: input.content_encoding.clone(),
            content_language: input.content_language.clone(),
            expires: input.expires.clone(),
            website_redirect_location: input.website_redirect_location.clone(),
            metadata: input.metadata.clone().unwrap_or_default(),
            storage_class: input.storage_class.clone().filter(|c| c != "STANDARD"),
            tags,
            acl: input.acl.clone(),
            checksum,
            ..ObjectRecord::default()
        };
        let (stored, version_id) = self
            .store_object(
                &input.bucket,
                record,
                ingested.staged,
                (input.if_match, input.if_none_match),
            )
            .await?;
        let sums = checksums::members(stored.checksum.as_ref());
        Ok(PutObjectOutput {
            e_tag: Some(stored.etag),
            version_id,
            checksum_crc32: sums.crc32,
            checksum_crc32_c: sums.crc32c,
            checksum_crc64_nvme: sums.crc64nvme,
            checksum_sha1: sums.sha1,
            checksum_sha256: sums.sha256,
            checksum_type: sums.kind,
            size: Some(stored.size as i64),
            ..PutObjectOutput::default()
        })
    }

    pub(crate) async fn delete_object(
        &self,
        input: DeleteObjectRequest,
    ) -> Result<DeleteObjectOutput, AwsError> {
        let marker = ObjectRecord {
            last_modified: whole_seconds(self.now()),
            ..ObjectRecord::default()
        };
        let now = nanos(self.now());
        let (bucket, key, version_id) = (input.bucket, input.key, input.version_id);
        let if_match = input.if_match;
        let bucket_facts = Arc::clone(&self.bucket_facts);
        let deleted = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&records::namespace()?)?;
                let bucket = GlancedBucket {
                    glance: bucket_facts.read_mut(&table, &bucket)?,
                    name: &bucket,
                };
                if let Some(if_match) = if_match.as_deref() {
                    let current: Option<ObjectRecord> =
                        table.get_json(&records::current_key(bucket.name, &key))?;
                    let Some(current) = current else {
                        return Err(errors::no_such_key(&key));
                    };
                    if !crate::conditions::etag_matches(if_match, &current.etag) {
                        return Err(errors::precondition_failed("If-Match"));
                    }
                }
                versions::delete(txn, &mut table, &bucket, &key, version_id.as_deref(), marker, now)
            })
            .await?;
        Ok(DeleteObjectOutput {
            delete_marker: deleted.delete_marker.then_some(true),
            version_id: deleted.version_id,
            request_charged: None,
        })
    }

    pub(crate) async fn delete_objects(
        &self,
        input: DeleteObjectsRequest,
    ) -> Result<DeleteObjectsOutput, AwsError> {
        if input.delete.objects.len() > 1000 {
            return Err(errors::malformed_xml());
        }
        let quiet = input.delete.quiet.unwrap_or(false);
        let marker = ObjectRecord {
            last_modified: whole_seconds(self.now()),
            ..ObjectRecord::default()
        };
        let now = nanos(self.now());
        let bucket = input.bucket;
        let objects = input.delete.objects;
        let bucket_facts = Arc::clone(&self.bucket_facts);
        let (deleted, failed) = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&records::namespace()?)?;
                let bucket = GlancedBucket {
                    glance: bucket_facts.read_mut(&table, &bucket)?,
                    name: &bucket,
                };
                let mut deleted = Vec::new();
                let mut failed = Vec::new();
                for (i, object) in objects.iter().enumerate() {
                    match versions::delete(
                        txn,
                        &mut table,
                        &bucket,
                        &object.key,
                        object.version_id.as_deref(),
                        marker.clone(),
                        now + i as u64,
                    ) {
                        Ok(result) => {
                            let marker_version =
                                result.delete_marker.then(|| result.version_id.clone()).flatten();
                            deleted.push(DeletedObject {
                                key: Some(object.key.clone()),
                                version_id: object.version_id.clone(),
                                delete_marker: result.delete_marker.then_some(true),
                                delete_marker_version_id: if object.version_id.is_none() {
                                    marker_version
                                } else {
                                    None
                                },
                            });
                        }
                        Err(error) => failed.push(Error {
                            key: Some(object.key.clone()),
                            version_id: object.version_id.clone(),
                            code: Some(error.code.to_string()),
                            message: Some(error.message),
                        }),
                    }
                }
                Ok::<_, AwsError>((deleted, failed))
            })
            .await?;
        Ok(DeleteObjectsOutput {
            deleted: (!quiet && !deleted.is_empty()).then_some(deleted),
            errors: (!failed.is_empty()).then_some(failed),
            request_charged: None,
        })
    }
}

/// Metadata of a copy: the source's (COPY) or the request's (REPLACE).
pub fn metadata_or(
    replace: bool,
    request: Option<IndexMap<String, String>>,
    source: &ObjectRecord,
) -> IndexMap<String, String> {
    if replace {
        request.unwrap_or_default()
    } else {
        source.metadata.clone()
    }
}
