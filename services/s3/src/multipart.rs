//! Multipart uploads: parts are blobs of their own until Complete joins
//! them, in order, into the object's blob.

use md5::Digest;
use nimbus_core::{AwsError, RequestContext};

use crate::checksums::{self, Requested};
use crate::conditions::{Conditions, resolve_range};
use crate::listing::{Row, scan_page, versioned_key};
use crate::object_body::{self, UploadBody};
use crate::objects::{parse_tagging_header, validate_key_and_metadata, validate_storage_class};
use crate::records::{self, ObjectRecord, PartRecord, PartSummary, StoredChecksum, UploadRecord};
use crate::{S3, acl, errors, versions};
use nimbus_s3_api::*;

/// Every part but the last must be at least this big.
const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
const MAX_PART_NUMBER: i32 = 10_000;
/// Parts whose bytes must be read when joined (for a full-object checksum)
/// are read in batches of this size.
const JOIN_BATCH: usize = 1024 * 1024;

fn new_upload_id() -> String {
    // Opaque and URL-safe, like S3's.
    format!("{}{}", versions::new_version_id(), versions::new_version_id())
}

fn check_part_number(part_number: i32) -> Result<(), AwsError> {
    if !(1..=MAX_PART_NUMBER).contains(&part_number) {
        return Err(errors::invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive",
            "partNumber",
            &part_number.to_string(),
        ));
    }
    Ok(())
}

impl S3 {
    fn read_upload(&self, bucket: &str, key: &str, upload_id: &str) -> Result<UploadRecord, AwsError> {
        let txn = self.store.begin_read()?;
        let table = txn.open(&records::namespace()?)?;
        records::bucket(&table, bucket)?;
        table
            .get_json(&records::upload_key(bucket, key, upload_id))?
            .ok_or_else(|| errors::no_such_upload(upload_id))
    }

    pub(crate) async fn create_multipart_upload(
        &self,
        ctx: &RequestContext,
        input: CreateMultipartUploadRequest,
    ) -> Result<CreateMultipartUploadOutput, AwsError> {
        validate_storage_class(input.storage_class.as_deref())?;
        validate_key_and_metadata(&input.key, input.metadata.as_ref())?;
        let checksum_algorithm = input.checksum_algorithm.clone().map(|a| a.to_ascii_uppercase());
        if let Some(algorithm) = &checksum_algorithm
            && !checksums::ALGORITHMS.contains(&algorithm.as_str())
        {
            return Err(errors::invalid_request(format!(
                "Checksum algorithm {algorithm} is not supported."
            )));
        }
        let checksum_type = checksum_algorithm.as_ref().map(|algorithm| {
            input.checksum_type.clone().unwrap_or_else(|| {
                // CRC64NVME only comes whole-object; the others default to composite.
                if algorithm == "CRC64NVME" {
                    "FULL_OBJECT"
                } else {
                    "COMPOSITE"
                }
                .to_owned()
            })
        });
        let upload = UploadRecord {
            upload_id: new_upload_id(),
            key: input.key.clone(),
            initiated: self.now_whole_seconds(),
            account: ctx.account_id.clone(),
            object: ObjectRecord {
                key: input.key.clone(),
                content_type: input.content_type.clone(),
                cache_control: input.cache_control.clone(),
                content_disposition: input.content_disposition.clone(),
                content_encoding: input.content_encoding.clone(),
                content_language: input.content_language.clone(),
                expires: input.expires.clone(),
                website_redirect_location: input.website_redirect_location.clone(),
                metadata: input.metadata.clone().unwrap_or_default(),
                storage_class: input.storage_class.clone().filter(|c| c != "STANDARD"),
                tags: parse_tagging_header(input.tagging.as_deref())?,
                acl: input.acl.clone(),
                ..ObjectRecord::default()
            },
            checksum_algorithm: checksum_algorithm.clone(),
            checksum_type: checksum_type.clone(),
        };
        let bucket = input.bucket.clone();
        let upload_id = upload.upload_id.clone();
        self.store
            .write(move |txn| {
                let mut table = txn.open(&records::namespace()?)?;
                records::bucket_mut(&table, &bucket)?;
                table.put_json(
                    &records::upload_key(&bucket, &upload.key, &upload.upload_id),
                    &upload,
                )?;
                Ok::<_, AwsError>(())
            })
            .await?;
        Ok(CreateMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(upload_id),
            checksum_algorithm,
            checksum_type,
            ..CreateMultipartUploadOutput::default()
        })
    }

    /// Records a part whose bytes are already staged, replacing a part of the same number.
    async fn store_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        mut part: PartRecord,
        staged: Option<nimbus_store::StagedBlob>,
    ) -> Result<(), AwsError> {
        let (bucket, key, upload_id) = (bucket.to_owned(), key.to_owned(), upload_id.to_owned());
        self.store
            .write(move |txn| {
                let mut table = txn.open(&records::namespace()?)?;
                records::bucket_mut(&table, &bucket)?;
                if table
                    .get(&records::upload_key(&bucket, &key, &upload_id))?
                    .is_none()
                {
                    return Err(errors::no_such_upload(&upload_id));
                }
                let part_key = records::part_key(&upload_id, part.part_number);
                if let Some(old) = table.get_json::<PartRecord>(&part_key)?
                    && let Some(blob) = &old.blob
                {
                    txn.release_blob(blob)?;
                }
                if let Some(staged) = staged {
                    part.blob = Some(txn.attach_blob(staged)?);
                }
                table.put_json(&part_key, &part)?;
                Ok(())
            })
            .await
    }

    pub(crate) async fn upload_part(
        &self,
        mut input: UploadPartRequest,
    ) -> Result<UploadPartOutput, AwsError> {
        let body = UploadBody::of(input.body.take());
        check_part_number(input.part_number)?;
        let upload = self.read_upload(&input.bucket, &input.key, &input.upload_id)?;
        let requested = Requested {
            algorithm: input
                .checksum_algorithm
                .as_deref()
                .or(upload.checksum_algorithm.as_deref()),
            crc32: input.checksum_crc32.as_deref(),
            crc32c: input.checksum_crc32_c.as_deref(),
            crc64nvme: input.checksum_crc64_nvme.as_deref(),
            sha1: input.checksum_sha1.as_deref(),
            sha256: input.checksum_sha256.as_deref(),
        };
        // As for PutObject: a failed check drops the staged blob.
        let (ingested, checksum) =
            object_body::ingest_checked(self.store.blobs(), body, &requested, input.content_md5.as_deref())
                .await?;
        let digest = ingested.md5;
        let etag = format!("\"{}\"", checksums::hex(&digest));
        let part = PartRecord {
            part_number: input.part_number,
            blob: None,
            size: ingested.size,
            etag: etag.clone(),
            last_modified: self.now_whole_seconds(),
            checksum: checksum.clone(),
        };
        self.store_part(&input.bucket, &input.key, &input.upload_id, part, ingested.staged)
            .await?;
        let sums = checksums::members(checksum.as_ref());
        Ok(UploadPartOutput {
            e_tag: Some(etag),
            checksum_crc32: sums.crc32,
            checksum_crc32_c: sums.crc32c,
            checksum_crc64_nvme: sums.crc64nvme,
            checksum_sha1: sums.sha1,
            checksum_sha256: sums.sha256,
            ..UploadPartOutput::default()
        })
    }

    pub(crate) async fn upload_part_copy(
        &self,
        input: UploadPartCopyRequest,
    ) -> Result<UploadPartCopyOutput, AwsError> {
        check_part_number(input.part_number)?;
        self.read_upload(&input.bucket, &input.key, &input.upload_id)?;
        let conditions = Conditions {
            if_match: input.copy_source_if_match.as_deref(),
            if_none_match: input.copy_source_if_none_match.as_deref(),
            if_modified_since: input.copy_source_if_modified_since,
            if_unmodified_since: input.copy_source_if_unmodified_since,
        };
        let (_, source) = self.read_copy_source(&input.copy_source, &conditions)?;
        let (start, end) = match input.copy_source_range.as_deref() {
            None => (0, source.size),
            Some(header) => {
                let invalid = || {
                    errors::invalid_argument(
                        "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
                        "x-amz-copy-source-range",
                        header,
                    )
                };
                // Only the explicit first-last form is allowed, and within the object.
                let explicit = header
                    .strip_prefix("bytes=")
                    .and_then(|r| r.split_once('-'))
                    .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty());
                if !explicit {
                    return Err(invalid());
                }
                match resolve_range(header, source.size) {
                    Ok(Some(range)) if header.ends_with(&format!("-{}", range.end)) => {
                        (range.start, range.end + 1)
                    }
                    Ok(_) => return Err(invalid()),
                    Err(_) => {
                        return Err(errors::invalid_argument(
                            "Range specified is not valid for source object of size",
                            "x-amz-copy-source-range",
                            header,
                        ));
                    }
                }
            }
        };
        let (staged, md5, _) = self.copy_bytes(source.blob.as_ref(), start, end, None).await?;
        let etag = format!("\"{md5}\"");
        let last_modified = self.now_whole_seconds();
        let part = PartRecord {
            part_number: input.part_number,
            blob: None,
            size: end - start,
            etag: etag.clone(),
            last_modified,
            checksum: None,
        };
        self.store_part(&input.bucket, &input.key, &input.upload_id, part, staged)
            .await?;
        Ok(UploadPartCopyOutput {
            copy_source_version_id: source.version_id,
            copy_part_result: Some(CopyPartResult {
                e_tag: Some(etag),
                last_modified: Some(last_modified),
                ..CopyPartResult::default()
            }),
            ..UploadPartCopyOutput::default()
        })
    }

    pub(crate) async fn list_parts(
        &self,
        ctx: &RequestContext,
        input: ListPartsRequest,
    ) -> Result<ListPartsOutput, AwsError> {
        let upload = self.read_upload(&input.bucket, &input.key, &input.upload_id)?;
        let marker = input.part_number_marker.unwrap_or(0);
        let max = input.max_parts.unwrap_or(1000).clamp(0, 1000) as usize;
        let txn = self.store.begin_read()?;
        let table = txn.open(&records::namespace()?)?;
        let after = (marker > 0).then(|| records::part_key(&upload.upload_id, marker));
        let mut parts = Vec::new();
        let mut truncated = false;
        for entry in table.scan_after(&records::parts_prefix(&upload.upload_id), after.as_deref())? {
            if parts.len() == max {
                truncated = true;
                break;
            }
            let part: PartRecord = entry?.decode()?;
            let sums = checksums::members(part.checksum.as_ref());
            parts.push(Part {
                part_number: Some(part.part_number),
                last_modified: Some(part.last_modified),
                e_tag: Some(part.etag),
                size: Some(part.size as i64),
                checksum_crc32: sums.crc32,
                checksum_crc32_c: sums.crc32c,
                checksum_crc64_nvme: sums.crc64nvme,
                checksum_sha1: sums.sha1,
                checksum_sha256: sums.sha256,
                ..Part::default()
            });
        }
        let owner = acl::owner(&upload.account);
        Ok(ListPartsOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(input.upload_id),
            part_number_marker: Some(marker),
            next_part_number_marker: parts.last().and_then(|p| p.part_number),
            max_parts: Some(max as i32),
            is_truncated: Some(truncated),
            parts: Some(parts),
            initiator: Some(Initiator {
                id: owner.id.clone(),
                display_name: owner.display_name.clone(),
            }),
            owner: Some(acl::owner(&ctx.account_id)),
            storage_class: Some(upload.object.storage_class_or_standard()),
            checksum_algorithm: upload.checksum_algorithm,
            checksum_type: upload.checksum_type,
            ..ListPartsOutput::default()
        })
    }

    pub(crate) async fn list_multipart_uploads(
        &self,
        _ctx: &RequestContext,
        input: ListMultipartUploadsRequest,
    ) -> Result<ListMultipartUploadsOutput, AwsError> {
        let max = input.max_uploads.unwrap_or(1000).clamp(0, 1000) as usize;
        let txn = self.store.begin_read()?;
        let table = txn.open(&records::namespace()?)?;
        records::bucket(&table, &input.bucket)?;
        let base = records::uploads_prefix(&input.bucket);
        let prefix = input.prefix.clone().unwrap_or_default();
        let after = input.key_marker.as_deref().filter(|k| !k.is_empty()).map(|key| {
            match input.upload_id_marker.as_deref().filter(|u| !u.is_empty()) {
                Some(upload_id) => records::upload_key(&input.bucket, key, upload_id),
                None => {
                    let mut after = records::upload_key(&input.bucket, key, "");
                    after.push(0xFF);
                    after
                }
            }
        });
        // Upload keys end `\0<upload id>` like version keys: the same folding scan.
        let page = scan_page(
            &table,
            &base,
            &prefix,
            input.delimiter.as_deref(),
            after,
            max,
            versioned_key,
        )?;
        let truncated = page.truncated;
        let mut uploads = Vec::new();
        let mut common_prefixes = Vec::new();
        // The last row of the page (a key and upload id, or a common prefix): the next markers.
        let mut last: (Option<String>, Option<String>) = (None, None);
        for row in page.rows {
            let entry = match row {
                Row::Entry(entry) => entry,
                Row::CommonPrefix(common) => {
                    last = (Some(common.clone()), None);
                    common_prefixes.push(CommonPrefix { prefix: Some(common) });
                    continue;
                }
            };
            let upload: UploadRecord = entry.decode()?;
            let owner = acl::owner(&upload.account);
            last = (Some(upload.key.clone()), Some(upload.upload_id.clone()));
            uploads.push(MultipartUpload {
                upload_id: Some(upload.upload_id.clone()),
                key: Some(upload.key.clone()),
                initiated: Some(upload.initiated),
                storage_class: Some(upload.object.storage_class_or_standard()),
                initiator: Some(Initiator {
                    id: owner.id.clone(),
                    display_name: owner.display_name.clone(),
                }),
                owner: Some(owner),
                checksum_algorithm: upload.checksum_algorithm,
                checksum_type: upload.checksum_type,
            });
        }
        Ok(ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            key_marker: Some(input.key_marker.unwrap_or_default()),
            upload_id_marker: Some(input.upload_id_marker.unwrap_or_default()),
            next_key_marker: last.0.filter(|_| truncated),
            next_upload_id_marker: last.1.filter(|_| truncated),
            prefix: input.prefix,
            delimiter: input.delimiter,
            max_uploads: Some(max as i32),
            is_truncated: Some(truncated),
            uploads: (!uploads.is_empty()).then_some(uploads),
            common_prefixes: (!common_prefixes.is_empty()).then_some(common_prefixes),
            encoding_type: input.encoding_type,
            ..ListMultipartUploadsOutput::default()
        })
    }

    pub(crate) async fn abort_multipart_upload(
        &self,
        input: AbortMultipartUploadRequest,
    ) -> Result<AbortMultipartUploadOutput, AwsError> {
        let (bucket, key, upload_id) = (input.bucket, input.key, input.upload_id);
        self.store
            .write(move |txn| {
                let mut table = txn.open(&records::namespace()?)?;
                records::bucket_mut(&table, &bucket)?;
                if !table.delete(&records::upload_key(&bucket, &key, &upload_id))? {
                    return Err(errors::no_such_upload(&upload_id));
                }
                release_parts(txn, &mut table, &upload_id)
            })
            .await?;
        Ok(AbortMultipartUploadOutput::default())
    }

    pub(crate) async fn complete_multipart_upload(
        &self,
        input: CompleteMultipartUploadRequest,
    ) -> Result<CompleteMultipartUploadOutput, AwsError> {
        let upload = self.read_upload(&input.bucket, &input.key, &input.upload_id)?;
        let requested = input.multipart_upload.and_then(|m| m.parts).unwrap_or_default();
        if requested.is_empty() {
            return Err(errors::malformed_xml());
        }
        // The parts named, validated against what was uploaded.
        let stored: Vec<PartRecord> = {
            let txn = self.store.begin_read()?;
            let table = txn.open(&records::namespace()?)?;
            let mut stored = Vec::with_capacity(requested.len());
            let mut previous = 0;
            for part in &requested {
                let number = part.part_number.unwrap_or(0);
                if number <= previous {
                    return Err(errors::invalid_part_order(
                        "The list of parts was not in ascending order. Parts must be ordered by part number.",
                    )
                    .with_field("UploadId", upload.upload_id.clone()));
                }
                previous = number;
                let found: Option<PartRecord> =
                    table.get_json(&records::part_key(&upload.upload_id, number))?;
                let matches = found.as_ref().is_some_and(|found| {
                    part.e_tag
                        .as_deref()
                        .is_none_or(|etag| etag.trim_matches('"') == found.etag.trim_matches('"'))
                });
                let Some(found) = found.filter(|_| matches) else {
                    return Err(errors::invalid_part("One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag.")
                    .with_field("UploadId", upload.upload_id.clone())
                    .with_field("PartNumber", number.to_string())
                    .with_field("ETag", part.e_tag.clone().unwrap_or_default()));
                };
                stored.push(found);
            }
            stored
        };
        for (i, part) in stored.iter().enumerate() {
            if i + 1 < stored.len() && part.size < MIN_PART_SIZE {
                return Err(errors::entity_too_small(
                    "Your proposed upload is smaller than the minimum allowed size",
                )
                .with_field("ProposedSize", part.size.to_string())
                .with_field("MinSizeAllowed", MIN_PART_SIZE.to_string())
                .with_field("PartNumber", part.part_number.to_string())
                .with_field("ETag", part.etag.clone()));
            }
        }
        // Join the parts' bytes into the object's blob, a chunk at a time.
        let mut md5s = md5::Md5::default();
        let mut whole = upload
            .checksum_algorithm
            .as_deref()
            .and_then(checksums::Running::new);
        let mut composite = upload
            .checksum_algorithm
            .as_deref()
            .and_then(checksums::Running::new);
        let mut writer = self.store.blobs().create().await?;
        let mut size = 0;
        for part in &stored {
            md5s.update(hex_to_bytes(part.etag.trim_matches('"')));
            if let (Some(composite), Some(checksum)) = (composite.as_mut(), part.checksum.as_ref()) {
                composite.update(&base64_bytes(&checksum.value));
            }
            if let Some(blob) = &part.blob {
                let blobs = self.store.blobs();
                match whole.as_mut() {
                    // No byte needs reading: the kernel copies the part.
                    None => writer.append_blob(blobs, blob).await?,
                    Some(whole) => {
                        let mut batches = blobs.open(blob).await?.into_batches(JOIN_BATCH, 2).await;
                        while let Some(batch) = batches.next_batch().await {
                            let batch = batch
                                .map_err(|e| AwsError::internal(format!("reading a part failed: {e}")))?;
                            whole.update(&batch);
                            writer.write_owned(vec![batch]).await?;
                        }
                    }
                }
            }
            size += part.size;
        }
        let etag = format!("\"{}-{}\"", checksums::hex(&md5s.finalize()), stored.len());
        let checksum = match (upload.checksum_algorithm.clone(), upload.checksum_type.as_deref()) {
            (Some(algorithm), Some("FULL_OBJECT")) => whole.map(|w| StoredChecksum {
                algorithm,
                value: w.finish(),
                kind: "FULL_OBJECT".to_owned(),
            }),
            (Some(algorithm), _) => composite.map(|c| StoredChecksum {
                algorithm,
                value: format!("{}-{}", c.finish(), stored.len()),
                kind: "COMPOSITE".to_owned(),
            }),
            _ => None,
        };
        let staged = if size > 0 {
            Some(writer.finish().await?)
        } else {
            None
        };
        let mut record = upload.object.clone();
        record.size = size;
        record.etag = etag.clone();
        record.last_modified = self.now_whole_seconds();
        record.checksum = checksum;
        record.parts = stored
            .iter()
            .map(|p| PartSummary {
                part_number: p.part_number,
                size: p.size,
                checksum: p.checksum.as_ref().map(|c| c.value.clone()),
            })
            .collect();
        let (bucket, upload_id) = (input.bucket.clone(), upload.upload_id.clone());
        let (if_match, if_none_match) = (input.if_match.clone(), input.if_none_match.clone());
        let now =
            u64::try_from(self.now().seconds).unwrap_or(0) * 1_000_000_000 + u64::from(self.now().nanos);
        let (stored_record, version_id) = self
            .store
            .write(move |txn| {
                let mut table = txn.open(&records::namespace()?)?;
                let bucket = records::bucket_mut(&table, &bucket)?;
                crate::objects::check_write_conditions(
                    &table,
                    &bucket.name,
                    &record.key,
                    if_match.as_deref(),
                    if_none_match.as_deref(),
                )?;
                if !table.delete(&records::upload_key(&bucket.name, &record.key, &upload_id))? {
                    return Err(errors::no_such_upload(&upload_id));
                }
                release_parts(txn, &mut table, &upload_id)?;
                if let Some(staged) = staged {
                    record.blob = Some(txn.attach_blob(staged)?);
                }
                let stored = versions::put_newest(txn, &mut table, &bucket, record, now)?;
                let version = bucket.versioning.is_some().then(|| stored.version_id_text());
                Ok((stored, version))
            })
            .await?;
        let sums = checksums::members(stored_record.checksum.as_ref());
        Ok(CompleteMultipartUploadOutput {
            location: Some(format!("/{}/{}", input.bucket, input.key)),
            bucket: Some(input.bucket),
            key: Some(input.key),
            e_tag: Some(etag),
            checksum_crc32: sums.crc32,
            checksum_crc32_c: sums.crc32c,
            checksum_crc64_nvme: sums.crc64nvme,
            checksum_sha1: sums.sha1,
            checksum_sha256: sums.sha256,
            checksum_type: sums.kind,
            version_id,
            ..CompleteMultipartUploadOutput::default()
        })
    }
}

/// Deletes an upload's part records and their bytes.
pub(crate) fn release_parts(
    txn: &nimbus_store::WriteTxn,
    table: &mut nimbus_store::TableMut<'_>,
    upload_id: &str,
) -> Result<(), AwsError> {
    let parts: Vec<PartRecord> = table
        .scan(&records::parts_prefix(upload_id))?
        .map(|entry| entry.and_then(|e| e.decode()))
        .collect::<Result<_, _>>()?;
    for blob in parts.iter().filter_map(|p| p.blob.as_ref()) {
        txn.release_blob(blob)?;
    }
    table.delete_prefix(&records::parts_prefix(upload_id))?;
    Ok(())
}

fn hex_to_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn base64_bytes(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap_or_default()
}
