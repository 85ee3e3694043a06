//! Bucket lifecycle: create, head, list, delete, location, ACL, versioning.

use std::sync::Arc;

use nimbus_core::{AwsError, RequestContext, Timestamp};

use crate::records::{self, BucketRecord};
use crate::{S3, acl, errors};
use nimbus_s3_api::*;

/// Regions a LocationConstraint may name (us-east-1 is the absent constraint).
const LOCATION_CONSTRAINTS: [&str; 38] = [
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "EU",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

fn invalid_location_constraint(constraint: &str) -> AwsError {
    errors::invalid_location_constraint("The specified location-constraint is not valid")
        .with_field("LocationConstraint", constraint)
}

/// Bucket naming rules of general purpose buckets.
pub fn validate_bucket_name(name: &str) -> Result<(), AwsError> {
    let bytes = name.as_bytes();
    let valid_chars = bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'.' || *b == b'-');
    let edge_ok = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let looks_like_ip =
        name.split('.').count() == 4 && name.split('.').all(|part| part.parse::<u8>().is_ok());
    let reserved_prefix = ["xn--", "sthree-", "amzn-s3-demo-"]
        .iter()
        .any(|p| name.starts_with(p));
    let reserved_suffix = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]
        .iter()
        .any(|s| name.ends_with(s));
    if !(3..=63).contains(&bytes.len())
        || !valid_chars
        || !edge_ok(bytes.first())
        || !edge_ok(bytes.last())
        || name.contains("..")
        || name.contains(".-")
        || name.contains("-.")
        || looks_like_ip
        || reserved_prefix
        || reserved_suffix
    {
        return Err(errors::invalid_bucket_name(name));
    }
    Ok(())
}

fn now(s3: &S3) -> Timestamp {
    let millis = i64::try_from(s3.clock.now_epoch_millis()).unwrap_or(i64::MAX);
    Timestamp::from_epoch_millis(millis)
}

impl S3 {
    pub(crate) fn now(&self) -> Timestamp {
        now(self)
    }

    /// Reads a bucket record (NoSuchBucket when absent).
    pub(crate) fn load_bucket(&self, name: &str) -> Result<BucketRecord, AwsError> {
        let txn = self.store.begin_read()?;
        let table = txn.open(&records::namespace()?)?;
        records::bucket(&table, name)
    }

    /// Fails with NoSuchBucket unless the bucket exists, without decoding it.
    pub(crate) fn require_bucket(&self, name: &str) -> Result<(), AwsError> {
        let txn = self.store.begin_read()?;
        let table = txn.open(&records::namespace()?)?;
        records::require_bucket(&table, name)
    }

    /// The bucket's versioning and notification settings, decoded only when
    /// its record changed (see [`crate::bucket_facts`]).
    pub(crate) fn glance_bucket(&self, name: &str) -> Result<Arc<records::BucketGlance>, AwsError> {
        let txn = self.store.begin_read()?;
        let table = txn.open(&records::namespace()?)?;
        self.bucket_facts.read(&table, name)
    }

    pub(crate) async fn create_bucket(
        &self,
        ctx: &RequestContext,
        input: CreateBucketRequest,
    ) -> Result<CreateBucketOutput, AwsError> {
        validate_bucket_name(&input.bucket)?;
        let constraint = input
            .create_bucket_configuration
            .as_ref()
            .and_then(|c| c.location_constraint.clone());
        let region = match constraint.as_deref() {
            None | Some("") if ctx.region == "us-east-1" => "us-east-1".to_owned(),
            None | Some("") => {
                return Err(errors::illegal_location_constraint(
                    "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.",
                ));
            }
            Some(region) if !LOCATION_CONSTRAINTS.contains(&region) => {
                return Err(invalid_location_constraint(region));
            }
            Some(region) if ctx.region != "us-east-1" && region != ctx.region => {
                return Err(errors::illegal_location_constraint(format!(
                    "The {region} location constraint is incompatible for the region specific endpoint this request was sent to."
                )));
            }
            Some(region) => region.to_owned(),
        };
        if let Some(acl) = input.acl.as_deref()
            && !acl::is_canned(acl)
        {
            return Err(errors::invalid_argument("", "x-amz-acl", acl));
        }
        let record = BucketRecord {
            name: input.bucket.clone(),
            account: ctx.account_id.clone(),
            region: region.clone(),
            created: self.now(),
            acl: input.acl.clone(),
            tags: input.create_bucket_configuration.and_then(|c| c.tags),
            ownership: Some(OwnershipControls {
                rules: vec![OwnershipControlsRule {
                    object_ownership: input
                        .object_ownership
                        .unwrap_or_else(|| "BucketOwnerEnforced".to_owned()),
                }],
            }),
            public_access_block: Some(PublicAccessBlockConfiguration {
                block_public_acls: Some(true),
                ignore_public_acls: Some(true),
                block_public_policy: Some(true),
                restrict_public_buckets: Some(true),
            }),
            ..BucketRecord::default()
        };
        let request_region = ctx.region.clone();
        self.write_buckets(move |txn| {
                let mut table = txn.open(&records::namespace()?)?;
                if let Some(existing) = table.get_json::<BucketRecord>(&records::bucket_key(&record.name))? {
                    if existing.account != record.account {
                        return Err(errors::bucket_already_exists("The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.")
                        .with_field("BucketName", record.name.clone()));
                    }
                    // us-east-1 answers a repeated create of one's own bucket with success.
                    if request_region == "us-east-1" && existing.region == "us-east-1" {
                        return Ok(());
                    }
                    return Err(errors::bucket_already_owned_by_you("Your previous request to create the named bucket succeeded and you already own it.")
                    .with_field("BucketName", record.name.clone()));
                }
                table.put_json(&records::bucket_key(&record.name), &record)?;
                table.put(&records::account_bucket_key(&record.account, &record.name), b"")?;
                Ok(())
            })
        .await?;
        Ok(CreateBucketOutput {
            location: Some(format!("/{}", input.bucket)),
            bucket_arn: Some(format!("arn:aws:s3:::{}", input.bucket)),
        })
    }

    pub(crate) async fn head_bucket(&self, input: HeadBucketRequest) -> Result<HeadBucketOutput, AwsError> {
        let bucket = self.load_bucket(&input.bucket)?;
        Ok(HeadBucketOutput {
            bucket_region: Some(bucket.region),
            access_point_alias: Some(false),
            ..HeadBucketOutput::default()
        })
    }

    pub(crate) async fn list_buckets(
        &self,
        ctx: &RequestContext,
        input: ListBucketsRequest,
    ) -> Result<ListBucketsOutput, AwsError> {
        let max = match input.max_buckets {
            Some(n) if !(1..=10_000).contains(&n) => {
                return Err(errors::invalid_argument(
                    "Argument max-buckets must be an integer between 1 and 10000.",
                    "max-buckets",
                    &n.to_string(),
                ));
            }
            Some(n) => n as usize,
            None => 10_000,
        };
        let txn = self.store.begin_read()?;
        let table = txn.open(&records::namespace()?)?;
        let prefix = records::account_bucket_prefix(&ctx.account_id);
        let mut scan_prefix = prefix.clone();
        scan_prefix.extend_from_slice(input.prefix.as_deref().unwrap_or("").as_bytes());
        let after = input.continuation_token.as_ref().map(|token| {
            let mut key = prefix.clone();
            key.extend_from_slice(token.as_bytes());
            key
        });
        let mut buckets = Vec::new();
        let mut next = None;
        for entry in table.scan_after(&scan_prefix, after.as_deref())? {
            let entry = entry?;
            let name = String::from_utf8_lossy(&entry.key[prefix.len()..]).into_owned();
            let Some(record) = table.get_json::<BucketRecord>(&records::bucket_key(&name))? else {
                continue;
            };
            if input.bucket_region.as_ref().is_some_and(|r| *r != record.region) {
                continue;
            }
            if buckets.len() == max {
                next = buckets.last().and_then(|b: &Bucket| b.name.clone());
                break;
            }
            buckets.push(Bucket {
                name: Some(name.clone()),
                creation_date: Some(record.created),
                bucket_region: Some(record.region),
                bucket_arn: Some(format!("arn:aws:s3:::{name}")),
            });
        }
        Ok(ListBucketsOutput {
            buckets: Some(buckets),
            owner: Some(acl::owner(&ctx.account_id)),
            continuation_token: next,
            prefix: input.prefix,
        })
    }

    pub(crate) async fn delete_bucket(&self, input: DeleteBucketRequest) -> Result<(), AwsError> {
        let name = input.bucket;
        self.write_buckets(move |txn| {
            let mut table = txn.open(&records::namespace()?)?;
            let record = records::bucket_mut(&table, &name)?;
            if table.scan(&records::versions_prefix(&name))?.next().is_some() {
                return Err(
                    errors::bucket_not_empty("The bucket you tried to delete is not empty")
                        .with_field("BucketName", name.clone()),
                );
            }
            // Uploads in progress go with the bucket, and their parts' bytes.
            let uploads: Vec<records::UploadRecord> = table
                .scan(&records::uploads_prefix(&name))?
                .map(|entry| entry.and_then(|e| e.decode()))
                .collect::<Result<_, _>>()?;
            for upload in uploads {
                let parts: Vec<records::PartRecord> = table
                    .scan(&records::parts_prefix(&upload.upload_id))?
                    .map(|entry| entry.and_then(|e| e.decode()))
                    .collect::<Result<_, _>>()?;
                for part in parts.iter().filter_map(|p| p.blob.as_ref()) {
                    txn.release_blob(part)?;
                }
                table.delete_prefix(&records::parts_prefix(&upload.upload_id))?;
            }
            table.delete_prefix(&records::uploads_prefix(&name))?;
            table.delete(&records::bucket_key(&name))?;
            table.delete(&records::account_bucket_key(&record.account, &name))?;
            Ok(())
        })
        .await
    }

    pub(crate) async fn get_bucket_location(
        &self,
        input: GetBucketLocationRequest,
    ) -> Result<GetBucketLocationOutput, AwsError> {
        let bucket = self.load_bucket(&input.bucket)?;
        // us-east-1 is the empty constraint.
        Ok(GetBucketLocationOutput {
            location_constraint: (bucket.region != "us-east-1").then_some(bucket.region),
        })
    }

    pub(crate) async fn get_bucket_acl(
        &self,
        input: GetBucketAclRequest,
    ) -> Result<GetBucketAclOutput, AwsError> {
        let bucket = self.load_bucket(&input.bucket)?;
        let policy = acl::policy(&bucket.account, bucket.acl.as_deref());
        Ok(GetBucketAclOutput {
            owner: policy.owner,
            grants: policy.grants,
        })
    }

    pub(crate) async fn put_bucket_acl(&self, input: PutBucketAclRequest) -> Result<(), AwsError> {
        if let Some(canned) = input.acl.as_deref()
            && !acl::is_canned(canned)
        {
            return Err(errors::invalid_argument("", "x-amz-acl", canned));
        }
        let canned = input.acl.clone();
        self.update_bucket(&input.bucket, move |bucket| {
            // A full policy document or grant headers keep the owner's grant (as recorded).
            bucket.acl = canned.or(Some("private".to_owned()));
            Ok(())
        })
        .await
    }

    pub(crate) async fn put_bucket_versioning(
        &self,
        input: PutBucketVersioningRequest,
    ) -> Result<(), AwsError> {
        let status = input.versioning_configuration.status.clone();
        match status.as_deref() {
            Some("Enabled" | "Suspended") => {}
            _ => return Err(errors::malformed_xml()),
        }
        self.update_bucket(&input.bucket, move |bucket| {
            bucket.versioning = status;
            Ok(())
        })
        .await
    }

    pub(crate) async fn get_bucket_versioning(
        &self,
        input: GetBucketVersioningRequest,
    ) -> Result<GetBucketVersioningOutput, AwsError> {
        let bucket = self.load_bucket(&input.bucket)?;
        Ok(GetBucketVersioningOutput {
            status: bucket.versioning,
            mfa_delete: None,
        })
    }

    /// Changes a bucket record in one durable step.
    pub(crate) async fn update_bucket(
        &self,
        name: &str,
        change: impl FnOnce(&mut BucketRecord) -> Result<(), AwsError> + Send + 'static,
    ) -> Result<(), AwsError> {
        let name = name.to_owned();
        self.write_buckets(move |txn| {
            let mut table = txn.open(&records::namespace()?)?;
            let mut bucket = records::bucket_mut(&table, &name)?;
            change(&mut bucket)?;
            table.put_json(&records::bucket_key(&name), &bucket)?;
            Ok(())
        })
        .await
    }

    /// Writes bucket records: the remembered glances are marked stale once
    /// the write is done, even when the request that asked for it is gone
    /// (the write goes on without it, so must the mark).
    async fn write_buckets<R: Send + 'static>(
        &self,
        work: impl FnOnce(&nimbus_store::WriteTxn) -> Result<R, AwsError> + Send + 'static,
    ) -> Result<R, AwsError> {
        let store = Arc::clone(&self.store);
        let facts = Arc::clone(&self.bucket_facts);
        tokio::spawn(async move {
            let result = store.write(work).await;
            facts.changed();
            result
        })
        .await
        .map_err(|e| AwsError::internal(format!("a bucket write stopped: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::validate_bucket_name;

    #[test]
    fn bucket_names_follow_aws_rules() {
        for good in ["abc", "my-bucket.v2", "a1b", &"a".repeat(63)] {
            assert!(validate_bucket_name(good).is_ok(), "{good}");
        }
        for bad in [
            "ab",
            "Abc",
            "-abc",
            "abc-",
            "a..b",
            "a.-b",
            "192.168.1.1",
            "xn--abc",
            "a_b",
            "abc-s3alias",
            &"a".repeat(64),
        ] {
            assert_eq!(
                validate_bucket_name(bad).unwrap_err().code,
                "InvalidBucketName",
                "{bad}"
            );
        }
    }
}
