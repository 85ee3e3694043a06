//! Bucket configurations S3 stores and returns as documents: tagging,
//! ownership controls, public access block, policy, CORS, website,
//! lifecycle and event notifications. (Event delivery is in `events`;
//! acting on the others comes later: CORS preflights, the website endpoint.)

use nimbus_core::{AwsError, Value, from_value, to_value};
use serde::Deserialize;

use crate::generated::*;
use crate::records::BucketRecord;
use crate::{S3, errors, policy};

/// The one member every bucket configuration Get/Delete carries.
#[derive(Deserialize)]
struct BucketOnly {
    #[serde(rename = "Bucket")]
    bucket: String,
}

/// A change to a bucket record, applied inside the write transaction.
type BucketChange = Box<dyn FnOnce(&mut BucketRecord) -> Result<(), AwsError> + Send>;

fn not_found(code: &'static str, message: &str, bucket: &str) -> AwsError {
    AwsError::new(code, message, 404).with_field("BucketName", bucket)
}

pub(crate) fn validate_tag_set(tags: &[Tag]) -> Result<(), AwsError> {
    let mut seen = std::collections::HashSet::new();
    for tag in tags {
        if !seen.insert(tag.key.as_str()) {
            return Err(AwsError::new(
                "InvalidTag",
                "Cannot provide multiple Tags with the same key",
                400,
            )
            .with_field("TagKey", tag.key.clone()));
        }
        if tag.key.is_empty() || tag.key.chars().count() > 128 || tag.value.chars().count() > 256 {
            return Err(
                AwsError::new("InvalidTag", "The TagKey you have provided is invalid", 400)
                    .with_field("TagKey", tag.key.clone()),
            );
        }
    }
    if tags.len() > 50 {
        return Err(AwsError::new(
            "BadRequest",
            "Bucket tag count cannot be greater than 50",
            400,
        ));
    }
    Ok(())
}

impl S3 {
    pub(crate) async fn bucket_config(&self, operation: &str, input: Value) -> Result<Value, AwsError> {
        if operation.starts_with("Put") {
            return self
                .put_bucket_config(operation, input)
                .await
                .map(|()| Value::empty());
        }
        let BucketOnly { bucket } = from_value(input)?;
        if operation.starts_with("Delete") {
            let operation = operation.to_owned();
            return self
                .update_bucket(&bucket, move |record| {
                    clear(&operation, record);
                    Ok(())
                })
                .await
                .map(|()| Value::empty());
        }
        let record = self.load_bucket(&bucket)?;
        get(operation, record, &bucket)
    }

    async fn put_bucket_config(&self, operation: &str, input: Value) -> Result<(), AwsError> {
        let (bucket, change): (String, BucketChange) = match operation {
            "PutBucketTagging" => {
                let input: PutBucketTaggingRequest = from_value(input)?;
                validate_tag_set(&input.tagging.tag_set)?;
                let tags = input.tagging.tag_set;
                (
                    input.bucket,
                    Box::new(move |b| {
                        b.tags = Some(tags);
                        Ok(())
                    }),
                )
            }
            "PutBucketOwnershipControls" => {
                let input: PutBucketOwnershipControlsRequest = from_value(input)?;
                let valid = ["BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"];
                if input.ownership_controls.rules.len() != 1
                    || !valid.contains(&input.ownership_controls.rules[0].object_ownership.as_str())
                {
                    return Err(errors::malformed_xml());
                }
                let controls = input.ownership_controls;
                (
                    input.bucket,
                    Box::new(move |b| {
                        b.ownership = Some(controls);
                        Ok(())
                    }),
                )
            }
            "PutPublicAccessBlock" => {
                let input: PutPublicAccessBlockRequest = from_value(input)?;
                let config = input.public_access_block_configuration;
                (
                    input.bucket,
                    Box::new(move |b| {
                        b.public_access_block = Some(config);
                        Ok(())
                    }),
                )
            }
            "PutBucketPolicy" => {
                let input: PutBucketPolicyRequest = from_value(input)?;
                let parsed: Result<serde_json::Value, _> = serde_json::from_str(&input.policy);
                if !matches!(parsed, Ok(serde_json::Value::Object(_))) {
                    return Err(AwsError::new(
                        "MalformedPolicy",
                        "Policies must be valid JSON and the first byte must be '{'",
                        400,
                    ));
                }
                let policy = input.policy;
                let public = policy::is_public(&policy);
                (
                    input.bucket.clone(),
                    Box::new(move |b| {
                        let blocked = b
                            .public_access_block
                            .as_ref()
                            .is_some_and(|block| block.block_public_policy == Some(true));
                        if public && blocked {
                            return Err(errors::public_policy_blocked(&b.account, &input.bucket));
                        }
                        b.policy = Some(policy);
                        Ok(())
                    }),
                )
            }
            "PutBucketCors" => {
                let input: PutBucketCorsRequest = from_value(input)?;
                let config = input.cors_configuration;
                if config.cors_rules.is_empty() || config.cors_rules.len() > 100 {
                    return Err(errors::malformed_xml());
                }
                (
                    input.bucket,
                    Box::new(move |b| {
                        b.cors = Some(config);
                        Ok(())
                    }),
                )
            }
            "PutBucketWebsite" => {
                let input: PutBucketWebsiteRequest = from_value(input)?;
                let config = input.website_configuration;
                if config.index_document.is_none() && config.redirect_all_requests_to.is_none() {
                    return Err(errors::invalid_argument(
                        "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
                        "IndexDocument",
                        "",
                    ));
                }
                (
                    input.bucket,
                    Box::new(move |b| {
                        b.website = Some(config);
                        Ok(())
                    }),
                )
            }
            "PutBucketLifecycleConfiguration" => {
                let input: PutBucketLifecycleConfigurationRequest = from_value(input)?;
                let config = input.lifecycle_configuration.ok_or_else(errors::malformed_xml)?;
                (
                    input.bucket,
                    Box::new(move |b| {
                        b.lifecycle = Some(config);
                        Ok(())
                    }),
                )
            }
            "PutBucketNotificationConfiguration" => {
                let input: PutBucketNotificationConfigurationRequest = from_value(input)?;
                let config = input.notification_configuration;
                (
                    input.bucket,
                    Box::new(move |b| {
                        b.notification = Some(config);
                        Ok(())
                    }),
                )
            }
            _ => return Err(AwsError::not_implemented("s3", operation)),
        };
        self.update_bucket(&bucket, change).await
    }
}

fn clear(operation: &str, record: &mut BucketRecord) {
    match operation {
        "DeleteBucketTagging" => record.tags = None,
        "DeleteBucketOwnershipControls" => record.ownership = None,
        "DeletePublicAccessBlock" => record.public_access_block = None,
        "DeleteBucketPolicy" => record.policy = None,
        "DeleteBucketCors" => record.cors = None,
        "DeleteBucketWebsite" => record.website = None,
        "DeleteBucketLifecycle" => record.lifecycle = None,
        _ => {}
    }
}

fn get(operation: &str, record: BucketRecord, bucket: &str) -> Result<Value, AwsError> {
    Ok(match operation {
        "GetBucketTagging" => {
            let tags = record
                .tags
                .filter(|t| !t.is_empty())
                .ok_or_else(|| not_found("NoSuchTagSet", "The TagSet does not exist", bucket))?;
            to_value(&GetBucketTaggingOutput { tag_set: tags })
        }
        "GetBucketOwnershipControls" => {
            let controls = record.ownership.ok_or_else(|| {
                not_found(
                    "OwnershipControlsNotFoundError",
                    "The bucket ownership controls were not found",
                    bucket,
                )
            })?;
            to_value(&GetBucketOwnershipControlsOutput {
                ownership_controls: Some(controls),
            })
        }
        "GetPublicAccessBlock" => {
            let config = record.public_access_block.ok_or_else(|| {
                not_found(
                    "NoSuchPublicAccessBlockConfiguration",
                    "The public access block configuration was not found",
                    bucket,
                )
            })?;
            to_value(&GetPublicAccessBlockOutput {
                public_access_block_configuration: Some(config),
            })
        }
        "GetBucketPolicy" => {
            let policy = record
                .policy
                .ok_or_else(|| not_found("NoSuchBucketPolicy", "The bucket policy does not exist", bucket))?;
            to_value(&GetBucketPolicyOutput { policy: Some(policy) })
        }
        "GetBucketCors" => {
            let cors = record.cors.ok_or_else(|| {
                not_found(
                    "NoSuchCORSConfiguration",
                    "The CORS configuration does not exist",
                    bucket,
                )
            })?;
            to_value(&GetBucketCorsOutput {
                cors_rules: Some(cors.cors_rules),
            })
        }
        "GetBucketWebsite" => {
            let website = record.website.ok_or_else(|| {
                not_found(
                    "NoSuchWebsiteConfiguration",
                    "The specified bucket does not have a website configuration",
                    bucket,
                )
            })?;
            to_value(&GetBucketWebsiteOutput {
                redirect_all_requests_to: website.redirect_all_requests_to,
                index_document: website.index_document,
                error_document: website.error_document,
                routing_rules: website.routing_rules,
            })
        }
        "GetBucketLifecycleConfiguration" => {
            let lifecycle = record.lifecycle.ok_or_else(|| {
                not_found(
                    "NoSuchLifecycleConfiguration",
                    "The lifecycle configuration does not exist",
                    bucket,
                )
            })?;
            to_value(&GetBucketLifecycleConfigurationOutput {
                rules: Some(lifecycle.rules),
                transition_default_minimum_object_size: Some("all_storage_classes_128K".to_owned()),
            })
        }
        "GetBucketNotificationConfiguration" => to_value(&record.notification.unwrap_or_default()),
        _ => return Err(AwsError::not_implemented("s3", operation)),
    })
}
