//! CopyObject and the copy source both copies read (`x-amz-copy-source`).

use bytes::Bytes;
use nimbus_core::{AwsError, RequestContext};
use nimbus_store::{BlobRef, StagedBlob};

use crate::checksums;
use crate::conditions::Conditions;
use crate::object_body::{self, UploadBody};
use crate::objects::{metadata_or, parse_tagging_header, validate_key_and_metadata, validate_storage_class};
use crate::records::ObjectRecord;
use crate::{S3, errors};
use nimbus_s3_api::*;

/// `bucket/key` or `/bucket/key`, URL-encoded, with an optional `?versionId=`.
#[derive(Debug)]
pub struct CopySource {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
}

pub fn parse_copy_source(header: &str) -> Result<CopySource, AwsError> {
    let invalid = || errors::invalid_argument("Invalid copy source object key", "x-amz-copy-source", header);
    let (path, query) = header.split_once('?').unwrap_or((header, ""));
    let path = path.strip_prefix('/').unwrap_or(path);
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| invalid())?;
    let (bucket, key) = decoded.split_once('/').ok_or_else(invalid)?;
    if bucket.is_empty() || key.is_empty() {
        return Err(invalid());
    }
    let version_id = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("versionId="))
        .map(|v| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        });
    Ok(CopySource {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        version_id,
    })
}

impl S3 {
    /// Copies bytes `start..end` of a blob into a new staged blob, streamed
    /// through the upload path: the MD5 (hex) and the checksum `algorithm`
    /// (base64) are computed on the way.
    pub(crate) async fn copy_bytes(
        &self,
        blob: Option<&BlobRef>,
        start: u64,
        end: u64,
        algorithm: Option<&str>,
    ) -> Result<(Option<StagedBlob>, String, Option<String>), AwsError> {
        let body = match blob.filter(|_| end > start) {
            Some(blob) => {
                UploadBody::Streamed(object_body::read_stream(self.store.blobs(), blob, start, end).await?)
            }
            None => UploadBody::Buffered(Bytes::new()),
        };
        let copied = object_body::ingest(self.store.blobs(), body, algorithm).await?;
        Ok((copied.staged, checksums::hex(&copied.md5), copied.checksum))
    }

    /// Reads the copy source and checks its conditions.
    pub(crate) fn read_copy_source(
        &self,
        header: &str,
        conditions: &Conditions<'_>,
    ) -> Result<(CopySource, ObjectRecord), AwsError> {
        let source = parse_copy_source(header)?;
        let object = self.read_object(&source.bucket, &source.key, source.version_id.as_deref(), "GET")?;
        conditions.evaluate_copy_source(&object)?;
        Ok((source, object))
    }

    pub(crate) async fn copy_object(
        &self,
        _ctx: &RequestContext,
        input: CopyObjectRequest,
    ) -> Result<CopyObjectOutput, AwsError> {
        validate_storage_class(input.storage_class.as_deref())?;
        validate_key_and_metadata(&input.key, input.metadata.as_ref())?;
        let conditions = Conditions {
            if_match: input.copy_source_if_match.as_deref(),
            if_none_match: input.copy_source_if_none_match.as_deref(),
            if_modified_since: input.copy_source_if_modified_since,
            if_unmodified_since: input.copy_source_if_unmodified_since,
        };
        let (source, object) = self.read_copy_source(&input.copy_source, &conditions)?;
        let replace_metadata = match input.metadata_directive.as_deref() {
            None | Some("COPY") => false,
            Some("REPLACE") => true,
            Some(other) => {
                return Err(errors::invalid_argument(
                    "Unknown metadata directive.",
                    "x-amz-metadata-directive",
                    other,
                ));
            }
        };
        let replace_tags = match input.tagging_directive.as_deref() {
            None | Some("COPY") => false,
            Some("REPLACE") => true,
            Some(other) => {
                return Err(errors::invalid_argument(
                    "Unknown tagging directive.",
                    "x-amz-tagging-directive",
                    other,
                ));
            }
        };
        let same_object =
            source.bucket == input.bucket && source.key == input.key && source.version_id.is_none();
        if same_object
            && !replace_metadata
            && input.storage_class.is_none()
            && input.website_redirect_location.is_none()
            && input.server_side_encryption.is_none()
        {
            return Err(errors::invalid_request(
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
            ));
        }
        self.load_bucket(&input.bucket)?;
        let content = |request: Option<String>, stored: &Option<String>| {
            if replace_metadata { request } else { stored.clone() }
        };
        let checksum = match input.checksum_algorithm.as_deref() {
            // The source's checksum, unless another algorithm is asked for
            // (computed below from the copied bytes).
            Some(algorithm) if object.checksum.as_ref().is_none_or(|c| c.algorithm != algorithm) => None,
            _ => object.checksum.clone().filter(|c| c.kind == "FULL_OBJECT"),
        };
        let mut record = ObjectRecord {
            key: input.key.clone(),
            size: object.size,
            last_modified: self.now_whole_seconds(),
            content_type: content(input.content_type.clone(), &object.content_type),
            cache_control: content(input.cache_control.clone(), &object.cache_control),
            content_disposition: content(input.content_disposition.clone(), &object.content_disposition),
            content_encoding: content(input.content_encoding.clone(), &object.content_encoding),
            content_language: content(input.content_language.clone(), &object.content_language),
            expires: content(input.expires.clone(), &object.expires),
            website_redirect_location: input.website_redirect_location.clone(),
            metadata: metadata_or(replace_metadata, input.metadata.clone(), &object),
            storage_class: input.storage_class.clone().filter(|c| c != "STANDARD"),
            tags: if replace_tags {
                parse_tagging_header(input.tagging.as_deref())?
            } else {
                object.tags.clone()
            },
            acl: input.acl.clone(),
            checksum,
            ..ObjectRecord::default()
        };
        // A checksum the source does not have is computed from the copied bytes.
        let algorithm = input
            .checksum_algorithm
            .as_deref()
            .filter(|_| record.checksum.is_none())
            .and_then(|algorithm| checksums::ALGORITHMS.contains(&algorithm).then_some(algorithm));
        let (staged, md5, computed) = self
            .copy_bytes(object.blob.as_ref(), 0, object.size, algorithm)
            .await?;
        // A copy is a single-part object: its ETag is the MD5 of its bytes.
        record.etag = format!("\"{md5}\"");
        if let (Some(algorithm), Some(value)) = (algorithm, computed) {
            record.checksum = Some(crate::records::StoredChecksum {
                algorithm: algorithm.to_owned(),
                value,
                kind: "FULL_OBJECT".to_owned(),
            });
        }
        let (stored, version_id) = self
            .store_object(
                &input.bucket,
                record,
                staged,
                (input.if_match, input.if_none_match),
            )
            .await?;
        let sums = checksums::members(stored.checksum.as_ref());
        Ok(CopyObjectOutput {
            copy_object_result: Some(CopyObjectResult {
                e_tag: Some(stored.etag),
                last_modified: Some(stored.last_modified),
                checksum_type: sums.kind,
                checksum_crc32: sums.crc32,
                checksum_crc32_c: sums.crc32c,
                checksum_crc64_nvme: sums.crc64nvme,
                checksum_sha1: sums.sha1,
                checksum_sha256: sums.sha256,
                ..CopyObjectResult::default()
            }),
            copy_source_version_id: object.version_id,
            version_id,
            ..CopyObjectOutput::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::parse_copy_source;

    #[test]
    fn copy_sources_parse() {
        let s = parse_copy_source("/bkt/a%20b/c.txt?versionId=v1").unwrap();
        assert_eq!(
            (s.bucket.as_str(), s.key.as_str(), s.version_id.as_deref()),
            ("bkt", "a b/c.txt", Some("v1"))
        );
        let s = parse_copy_source("bkt/k").unwrap();
        assert_eq!(
            (s.bucket.as_str(), s.key.as_str(), s.version_id),
            ("bkt", "k", None)
        );
        assert_eq!(parse_copy_source("bkt").unwrap_err().code, "InvalidArgument");
    }
}
