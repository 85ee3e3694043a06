//! Objects: put, get, head, delete (one or many), tagging, ACL, attributes.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use indexmap::IndexMap;
use nimbus_core::{AwsError, ByteStream, RequestContext, Timestamp, Value, from_value, handle_typed_async};
use nimbus_store::{BlobRef, ReadTxn, StagedBlob};

use crate::bucket_facts::{BucketFactsCache, GlancedBucket};
use crate::checksums::{self, Requested};
use crate::conditions::{Conditions, Verdict, resolve_range};
use crate::generated::*;
use crate::object_body::{self, UploadBody};
use crate::records::{self, ObjectRecord};
use crate::{S3, acl, errors, get_output, versions};

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
        Some(class) if !STORAGE_CLASSES.contains(&class) => Err(AwsError::new(
            "InvalidStorageClass",
            "The storage class you specified is not valid",
            400,
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
        return Err(AwsError::new("KeyTooLongError", "Your key is too long", 400)
            .with_field("Size", key.len().to_string())
            .with_field("MaxSizeAllowed", "1024"));
    }
    let size: usize = metadata.map_or(0, |m| m.iter().map(|(k, v)| k.len() + v.len()).sum());
    if size > 2048 {
        return Err(AwsError::new(
            "MetadataTooLarge",
            "Your metadata headers exceed the maximum allowed metadata size.",
            400,
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

    /// PutObject with its body, buffered or streamed, taken out of the input.
    pub(crate) async fn put_object_from(
        &self,
        ctx: &RequestContext,
        mut input: Value,
    ) -> Result<Value, AwsError> {
        let body = UploadBody::take_from(&mut input);
        handle_typed_async(input, |i| self.put_object(ctx, i, body)).await
    }

    pub(crate) async fn put_object(
        &self,
        _ctx: &RequestContext,
        input: PutObjectRequest,
        body: UploadBody,
    ) -> Result<PutObjectOutput, AwsError> {
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

    /// GetObject; a large body streams from the store as the response's `Body`.
    pub(crate) async fn get_object(&self, input: Value) -> Result<Value, AwsError> {
        let input: GetObjectRequest = from_value(input)?;
        let (output, stream) = self.serve_object(input, "GET", true).await?;
        let mut output = get_output::to_value(output);
        if let (Some(stream), Value::Structure(members)) = (stream, &mut output) {
            members.insert("Body".to_owned(), Value::Stream(stream));
        }
        Ok(output)
    }

    /// HeadObject: GetObject without the body.
    pub(crate) async fn head_object(&self, input: Value) -> Result<Value, AwsError> {
        // HeadObject's request members are GetObject's (by name and type):
        // the input decodes straight into GetObjectRequest.
        let input: GetObjectRequest = from_value(input)?;
        let (output, _) = self.serve_object(input, "HEAD", false).await?;
        Ok(get_output::to_value(output))
    }

    /// GET and HEAD: conditions, range, response overrides; the body only
    /// for GET: in the output when small, else as a stream beside it.
    async fn serve_object(
        &self,
        input: GetObjectRequest,
        method: &str,
        with_body: bool,
    ) -> Result<(GetObjectOutput, Option<ByteStream>), AwsError> {
        // One read transaction for the record and, when the object is small
        // enough to be inline, its bytes too.
        let txn = self.store.begin_read()?;
        let (object, versioned) = read_object_in(
            &txn,
            &self.bucket_facts,
            &input.bucket,
            &input.key,
            input.version_id.as_deref(),
            method,
        )?;
        let conditions = Conditions {
            if_match: input.if_match.as_deref(),
            if_none_match: input.if_none_match.as_deref(),
            if_modified_since: input.if_modified_since,
            if_unmodified_since: input.if_unmodified_since,
        };
        let version_id = (versioned || input.version_id.is_some()).then(|| object.version_id_text());
        if conditions.evaluate(&object)? == Verdict::NotModified {
            let not_modified = GetObjectOutput {
                status_code: Some(304),
                e_tag: Some(object.etag.clone()),
                last_modified: Some(object.last_modified),
                version_id,
                ..GetObjectOutput::default()
            };
            return Ok((not_modified, None));
        }
        let mut range = match input.range.as_deref() {
            Some(header) => resolve_range(header, object.size)?,
            None => None,
        };
        let mut parts_count = None;
        if let Some(part_number) = input.part_number {
            if input.range.is_some() {
                return Err(errors::invalid_request(
                    "Cannot specify both Range header and partNumber query parameter",
                ));
            }
            range = part_range(&object, part_number)?;
            if !object.parts.is_empty() {
                parts_count = Some(object.parts.len() as i32);
            }
        }
        let (start, end) = range.map_or((0, object.size), |r| (r.start, r.end + 1));
        let (body, stream) = match object.blob.as_ref() {
            Some(blob) if with_body && end - start >= object_body::STREAM_READS_FROM => {
                let stream = object_body::read_stream(self.store.blobs(), blob, start, end).await?;
                (None, Some(stream))
            }
            Some(blob) if with_body && blob.is_inline() => (txn.inline_blob_range(blob, start..end)?, None),
            _ if with_body => (
                Some(self.read_bytes(object.blob.as_ref(), start, end).await?),
                None,
            ),
            _ => (None, None),
        };
        let checksum_wanted = input.checksum_mode.as_deref() == Some("ENABLED") && range.is_none();
        let sums = checksums::members(object.checksum.as_ref().filter(|_| checksum_wanted));
        let output = GetObjectOutput {
            status_code: range.is_some().then_some(206),
            body,
            accept_ranges: Some("bytes".to_owned()),
            last_modified: Some(object.last_modified),
            content_length: Some((end - start) as i64),
            content_range: range.map(|r| r.content_range(object.size)),
            e_tag: Some(object.etag),
            checksum_crc32: sums.crc32,
            checksum_crc32_c: sums.crc32c,
            checksum_crc64_nvme: sums.crc64nvme,
            checksum_sha1: sums.sha1,
            checksum_sha256: sums.sha256,
            checksum_type: sums.kind,
            version_id,
            cache_control: input.response_cache_control.or(object.cache_control),
            content_disposition: input.response_content_disposition.or(object.content_disposition),
            content_encoding: input.response_content_encoding.or(object.content_encoding),
            content_language: input.response_content_language.or(object.content_language),
            content_type: input
                .response_content_type
                .or(object.content_type)
                .or_else(|| Some("binary/octet-stream".to_owned())),
            expires: object.expires,
            website_redirect_location: object.website_redirect_location,
            metadata: (!object.metadata.is_empty()).then_some(object.metadata),
            storage_class: object.storage_class,
            parts_count,
            tag_count: (!object.tags.is_empty() && with_body).then_some(object.tags.len() as i32),
            ..GetObjectOutput::default()
        };
        Ok((output, stream))
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

    /// Rewrites one stored version in place (tags, ACL): no new version.
    async fn update_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<String>,
        change: impl FnOnce(&mut ObjectRecord) + Send + 'static,
    ) -> Result<ObjectRecord, AwsError> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        self.store
            .write(move |txn| {
                let mut table = txn.open(&records::namespace()?)?;
                records::bucket_mut(&table, &bucket)?;
                let wanted = match version_id {
                    Some(v) => v,
                    None => table
                        .get_json::<ObjectRecord>(&records::current_key(&bucket, &key))?
                        .ok_or_else(|| errors::no_such_key(&key))?
                        .version_id_text(),
                };
                let found = records::find_version(
                    table.scan(&records::key_versions_prefix(&bucket, &key))?,
                    &wanted,
                )?;
                let Some((store_key, mut record)) = found else {
                    return Err(errors::no_such_version(&key, &wanted));
                };
                if record.delete_marker {
                    return Err(errors::method_not_allowed("PUT"));
                }
                change(&mut record);
                table.put_json(&store_key, &record)?;
                let current_key = records::current_key(&bucket, &key);
                if let Some(current) = table.get_json::<ObjectRecord>(&current_key)?
                    && current.sequence == record.sequence
                {
                    table.put_json(&current_key, &record)?;
                }
                Ok(record)
            })
            .await
    }

    pub(crate) async fn put_object_tagging(
        &self,
        input: PutObjectTaggingRequest,
    ) -> Result<PutObjectTaggingOutput, AwsError> {
        crate::configs::validate_tag_set(&input.tagging.tag_set)?;
        if input.tagging.tag_set.len() > 10 {
            return Err(AwsError::new(
                "BadRequest",
                "Object tags cannot be greater than 10",
                400,
            ));
        }
        let tags = input.tagging.tag_set;
        let record = self
            .update_object(&input.bucket, &input.key, input.version_id, move |r| {
                r.tags = tags
            })
            .await?;
        Ok(PutObjectTaggingOutput {
            version_id: record.version_id,
        })
    }

    pub(crate) async fn get_object_tagging(
        &self,
        input: GetObjectTaggingRequest,
    ) -> Result<GetObjectTaggingOutput, AwsError> {
        let record = self.read_object(&input.bucket, &input.key, input.version_id.as_deref(), "GET")?;
        Ok(GetObjectTaggingOutput {
            version_id: record.version_id,
            tag_set: record.tags,
        })
    }

    pub(crate) async fn delete_object_tagging(
        &self,
        input: DeleteObjectTaggingRequest,
    ) -> Result<DeleteObjectTaggingOutput, AwsError> {
        let record = self
            .update_object(&input.bucket, &input.key, input.version_id, |r| r.tags.clear())
            .await?;
        Ok(DeleteObjectTaggingOutput {
            version_id: record.version_id,
        })
    }

    pub(crate) async fn get_object_acl(
        &self,
        ctx: &RequestContext,
        input: GetObjectAclRequest,
    ) -> Result<GetObjectAclOutput, AwsError> {
        let record = self.read_object(&input.bucket, &input.key, input.version_id.as_deref(), "GET")?;
        let bucket = self.load_bucket(&input.bucket).unwrap_or_default();
        let account = if bucket.account.is_empty() {
            &ctx.account_id
        } else {
            &bucket.account
        };
        let policy = acl::policy(account, record.acl.as_deref());
        Ok(GetObjectAclOutput {
            owner: policy.owner,
            grants: policy.grants,
            request_charged: None,
        })
    }

    pub(crate) async fn put_object_acl(
        &self,
        input: PutObjectAclRequest,
    ) -> Result<PutObjectAclOutput, AwsError> {
        if let Some(canned) = input.acl.as_deref()
            && !acl::is_canned(canned)
        {
            return Err(errors::invalid_argument("", "x-amz-acl", canned));
        }
        let canned = input.acl.or(Some("private".to_owned()));
        self.update_object(&input.bucket, &input.key, input.version_id, move |r| {
            r.acl = canned
        })
        .await?;
        Ok(PutObjectAclOutput {
            request_charged: None,
        })
    }

    pub(crate) async fn get_object_attributes(
        &self,
        input: GetObjectAttributesRequest,
    ) -> Result<GetObjectAttributesOutput, AwsError> {
        let record = self.read_object(&input.bucket, &input.key, input.version_id.as_deref(), "GET")?;
        let wants = |name: &str| input.object_attributes.iter().any(|a| a == name);
        let checksum = record
            .checksum
            .as_ref()
            .filter(|_| wants("Checksum"))
            .map(|stored| {
                let sums = checksums::members(Some(stored));
                Checksum {
                    checksum_crc32: sums.crc32,
                    checksum_crc32_c: sums.crc32c,
                    checksum_crc64_nvme: sums.crc64nvme,
                    checksum_sha1: sums.sha1,
                    checksum_sha256: sums.sha256,
                    checksum_type: sums.kind,
                    ..Checksum::default()
                }
            });
        let object_parts = (wants("ObjectParts") && !record.parts.is_empty()).then(|| {
            let marker = input.part_number_marker.unwrap_or(0);
            let max = input.max_parts.unwrap_or(1000).max(0) as usize;
            let after: Vec<_> = record.parts.iter().filter(|p| p.part_number > marker).collect();
            let page: Vec<ObjectPart> = after
                .iter()
                .take(max)
                .map(|part| {
                    let mut object_part = ObjectPart {
                        part_number: Some(part.part_number),
                        size: Some(part.size as i64),
                        ..ObjectPart::default()
                    };
                    if let (Some(value), Some(stored)) = (&part.checksum, &record.checksum) {
                        match stored.algorithm.as_str() {
                            "CRC32" => object_part.checksum_crc32 = Some(value.clone()),
                            "CRC32C" => object_part.checksum_crc32_c = Some(value.clone()),
                            "CRC64NVME" => object_part.checksum_crc64_nvme = Some(value.clone()),
                            "SHA1" => object_part.checksum_sha1 = Some(value.clone()),
                            "SHA256" => object_part.checksum_sha256 = Some(value.clone()),
                            _ => {}
                        }
                    }
                    object_part
                })
                .collect();
            let truncated = after.len() > page.len();
            GetObjectAttributesParts {
                total_parts_count: Some(record.parts.len() as i32),
                part_number_marker: Some(marker),
                next_part_number_marker: page.last().and_then(|p| p.part_number),
                max_parts: Some(max as i32),
                is_truncated: Some(truncated),
                parts: Some(page),
            }
        });
        Ok(GetObjectAttributesOutput {
            delete_marker: None,
            last_modified: Some(record.last_modified),
            version_id: record.version_id.clone(),
            request_charged: None,
            e_tag: wants("ETag").then(|| record.etag.trim_matches('"').to_owned()),
            checksum,
            object_parts,
            storage_class: wants("StorageClass").then(|| record.storage_class_or_standard()),
            object_size: wants("ObjectSize").then_some(record.size as i64),
        })
    }
}

/// [`S3::read_object_and_bucket`] within `txn`.
fn read_object_in(
    txn: &ReadTxn,
    bucket_facts: &BucketFactsCache,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
    method: &str,
) -> Result<(ObjectRecord, bool), AwsError> {
    let table = txn.open(&records::namespace()?)?;
    let versioned = bucket_facts.read(&table, bucket)?.versioning.is_some();
    let object = match version_id {
        None => records::current(&table, bucket, key)?.ok_or_else(|| errors::no_such_key(key)),
        Some(version_id) => {
            let found = records::find_version(
                table.scan(&records::key_versions_prefix(bucket, key))?,
                version_id,
            )?;
            match found {
                None => Err(errors::no_such_version(key, version_id)),
                Some((_, record)) if record.delete_marker => Err(errors::method_not_allowed(method)),
                Some((_, record)) => Ok(record),
            }
        }
    }?;
    Ok((object, versioned))
}

/// The bytes of part `part_number` of an object (a single-part object has part 1).
fn part_range(
    object: &ObjectRecord,
    part_number: i32,
) -> Result<Option<crate::conditions::ByteRange>, AwsError> {
    let invalid = || {
        AwsError::new(
            "InvalidPartNumber",
            "The requested partnumber is not satisfiable",
            416,
        )
        .with_field("PartNumberRequested", part_number.to_string())
        .with_field("ActualPartCount", object.parts.len().max(1).to_string())
    };
    if object.parts.is_empty() {
        return if part_number == 1 {
            Ok(None)
        } else {
            Err(invalid())
        };
    }
    let mut start = 0;
    for part in &object.parts {
        if part.part_number == part_number {
            if part.size == 0 {
                return Ok(None);
            }
            return Ok(Some(crate::conditions::ByteRange {
                start,
                end: start + part.size - 1,
            }));
        }
        start += part.size;
    }
    Err(invalid())
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
