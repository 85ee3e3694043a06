//! Object reads: GetObject and HeadObject (which asks and answers the same
//! members, so it shares GetObject's input and output types), with
//! conditions, ranges, part numbers and response overrides.

use nimbus_core::{AwsError, ByteStream};
use nimbus_s3_api::{GetObjectOutput, GetObjectRequest};
use nimbus_store::ReadTxn;

use crate::bucket_facts::BucketFactsCache;
use crate::checksums;
use crate::conditions::{ByteRange, Conditions, Verdict, resolve_range};
use crate::object_body;
use crate::records::{self, ObjectRecord};
use crate::{S3, errors};

impl S3 {
    /// GetObject; a large body streams from the store, a small one is read whole.
    pub(crate) async fn get_object(&self, input: GetObjectRequest) -> Result<GetObjectOutput, AwsError> {
        self.serve_object(input, "GET", true).await
    }

    /// HeadObject: GetObject without the body.
    pub(crate) async fn head_object(&self, input: GetObjectRequest) -> Result<GetObjectOutput, AwsError> {
        self.serve_object(input, "HEAD", false).await
    }

    /// GET and HEAD: conditions, range, response overrides; the body only
    /// for GET.
    async fn serve_object(
        &self,
        input: GetObjectRequest,
        method: &str,
        with_body: bool,
    ) -> Result<GetObjectOutput, AwsError> {
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
            return Ok(GetObjectOutput {
                status_code: Some(304),
                e_tag: Some(object.etag.clone()),
                last_modified: Some(object.last_modified),
                version_id,
                ..GetObjectOutput::default()
            });
        }
        let (range, parts_count) = requested_range(&input, &object)?;
        let (start, end) = range.map_or((0, object.size), |r| (r.start, r.end + 1));
        let body = match with_body {
            true => Some(self.body_of(&txn, &object, start, end).await?),
            false => None,
        };
        let mut output = answer(input, object, range, with_body);
        output.body = body;
        output.version_id = version_id;
        output.parts_count = parts_count;
        Ok(output)
    }

    /// Bytes `start..end` of the object: a stream from the store when large,
    /// else in memory (inline ones from the read transaction).
    async fn body_of(
        &self,
        txn: &ReadTxn,
        object: &ObjectRecord,
        start: u64,
        end: u64,
    ) -> Result<ByteStream, AwsError> {
        match object.blob.as_ref() {
            Some(blob) if end - start >= object_body::STREAM_READS_FROM => {
                object_body::read_stream(self.store.blobs(), blob, start, end).await
            }
            Some(blob) if blob.is_inline() => Ok(ByteStream::from_bytes(
                txn.inline_blob_range(blob, start..end)?.unwrap_or_default(),
            )),
            blob => Ok(ByteStream::from_bytes(self.read_bytes(blob, start, end).await?)),
        }
    }
}

/// The range the request asks for (Range header or part number), and the
/// object's part count when a part was asked for.
fn requested_range(
    input: &GetObjectRequest,
    object: &ObjectRecord,
) -> Result<(Option<ByteRange>, Option<i32>), AwsError> {
    let Some(part_number) = input.part_number else {
        let range = match input.range.as_deref() {
            Some(header) => resolve_range(header, object.size)?,
            None => None,
        };
        return Ok((range, None));
    };
    if input.range.is_some() {
        return Err(errors::invalid_request(
            "Cannot specify both Range header and partNumber query parameter",
        ));
    }
    let parts_count = (!object.parts.is_empty()).then_some(object.parts.len() as i32);
    Ok((part_range(object, part_number)?, parts_count))
}

/// The object's headers as GetObject answers them, with the request's
/// response overrides.
fn answer(
    input: GetObjectRequest,
    object: ObjectRecord,
    range: Option<ByteRange>,
    with_body: bool,
) -> GetObjectOutput {
    let (start, end) = range.map_or((0, object.size), |r| (r.start, r.end + 1));
    let checksum_wanted = input.checksum_mode.as_deref() == Some("ENABLED") && range.is_none();
    let sums = checksums::members(object.checksum.as_ref().filter(|_| checksum_wanted));
    GetObjectOutput {
        status_code: range.is_some().then_some(206),
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
        tag_count: (!object.tags.is_empty() && with_body).then_some(object.tags.len() as i32),
        ..GetObjectOutput::default()
    }
}

/// [`S3::read_object_and_bucket`] within `txn`.
pub(crate) fn read_object_in(
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
fn part_range(object: &ObjectRecord, part_number: i32) -> Result<Option<ByteRange>, AwsError> {
    let invalid = || {
        errors::invalid_part_number("The requested partnumber is not satisfiable")
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
            return Ok(Some(ByteRange {
                start,
                end: start + part.size - 1,
            }));
        }
        start += part.size;
    }
    Err(invalid())
}
