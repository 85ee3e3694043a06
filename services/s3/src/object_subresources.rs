//! What an object version carries beside its bytes, changed in place
//! without a new version: tags, ACL; and GetObjectAttributes.

use nimbus_core::{AwsError, RequestContext};
use nimbus_s3_api::*;

use crate::records::{self, ObjectRecord};
use crate::{S3, acl, checksums, errors};

impl S3 {
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
            return Err(errors::bad_request("Object tags cannot be greater than 10"));
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
