//! Bucket configurations S3 stores and returns as documents: tagging,
//! ownership controls, public access block, policy, CORS, website,
//! lifecycle and event notifications. Acting on them is elsewhere: `events`
//! (notifications), `cors` and `website` (the browser-facing endpoints),
//! `lifecycle` (expiry), `policy` and `acl` (access).

use nimbus_core::AwsError;
use nimbus_s3_api::*;

use crate::records::BucketRecord;
use crate::{S3, errors, policy};

/// The smallest object lifecycle transitions apply to: S3's default since 2024.
const TRANSITION_MINIMUM: &str = "all_storage_classes_128K";

fn not_found(error: fn(String) -> AwsError, message: &str, bucket: &str) -> AwsError {
    error(message.to_owned()).with_field("BucketName", bucket)
}

pub(crate) fn validate_tag_set(tags: &[Tag]) -> Result<(), AwsError> {
    let mut seen = std::collections::HashSet::new();
    for tag in tags {
        if !seen.insert(tag.key.as_str()) {
            return Err(
                errors::invalid_tag("Cannot provide multiple Tags with the same key")
                    .with_field("TagKey", tag.key.clone()),
            );
        }
        if tag.key.is_empty() || tag.key.chars().count() > 128 || tag.value.chars().count() > 256 {
            return Err(errors::invalid_tag("The TagKey you have provided is invalid")
                .with_field("TagKey", tag.key.clone()));
        }
    }
    if tags.len() > 50 {
        return Err(errors::bad_request("Bucket tag count cannot be greater than 50"));
    }
    Ok(())
}

/// Put: each validates its document, then stores it in the bucket record.
impl S3 {
    pub(crate) async fn put_bucket_tagging(&self, input: PutBucketTaggingRequest) -> Result<(), AwsError> {
        validate_tag_set(&input.tagging.tag_set)?;
        let tags = input.tagging.tag_set;
        self.set_config(&input.bucket, move |b| b.tags = Some(tags)).await
    }

    pub(crate) async fn put_bucket_ownership_controls(
        &self,
        input: PutBucketOwnershipControlsRequest,
    ) -> Result<(), AwsError> {
        let valid = ["BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"];
        let rules = &input.ownership_controls.rules;
        if rules.len() != 1 || !valid.contains(&rules[0].object_ownership.as_str()) {
            return Err(errors::malformed_xml());
        }
        let controls = input.ownership_controls;
        self.set_config(&input.bucket, move |b| b.ownership = Some(controls))
            .await
    }

    pub(crate) async fn put_public_access_block(
        &self,
        input: PutPublicAccessBlockRequest,
    ) -> Result<(), AwsError> {
        let config = input.public_access_block_configuration;
        self.set_config(&input.bucket, move |b| b.public_access_block = Some(config))
            .await
    }

    pub(crate) async fn put_bucket_policy(&self, input: PutBucketPolicyRequest) -> Result<(), AwsError> {
        let parsed: Result<serde_json::Value, _> = serde_json::from_str(&input.policy);
        if !matches!(parsed, Ok(serde_json::Value::Object(_))) {
            return Err(errors::malformed_policy(
                "Policies must be valid JSON and the first byte must be '{'",
            ));
        }
        let public = policy::is_public(&input.policy);
        let bucket = input.bucket.clone();
        self.update_bucket(&input.bucket, move |b| {
            let blocked = b
                .public_access_block
                .as_ref()
                .is_some_and(|block| block.block_public_policy == Some(true));
            if public && blocked {
                return Err(errors::public_policy_blocked(&b.account, &bucket));
            }
            b.policy = Some(input.policy);
            Ok(())
        })
        .await
    }

    pub(crate) async fn put_bucket_cors(&self, input: PutBucketCorsRequest) -> Result<(), AwsError> {
        let config = input.cors_configuration;
        if config.cors_rules.is_empty() || config.cors_rules.len() > 100 {
            return Err(errors::malformed_xml());
        }
        self.set_config(&input.bucket, move |b| b.cors = Some(config))
            .await
    }

    pub(crate) async fn put_bucket_website(&self, input: PutBucketWebsiteRequest) -> Result<(), AwsError> {
        let config = input.website_configuration;
        if config.index_document.is_none() && config.redirect_all_requests_to.is_none() {
            return Err(errors::invalid_argument(
                "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
                "IndexDocument",
                "",
            ));
        }
        self.set_config(&input.bucket, move |b| b.website = Some(config))
            .await
    }

    pub(crate) async fn put_bucket_lifecycle_configuration(
        &self,
        input: PutBucketLifecycleConfigurationRequest,
    ) -> Result<PutBucketLifecycleConfigurationOutput, AwsError> {
        let config = input.lifecycle_configuration.ok_or_else(errors::malformed_xml)?;
        self.set_config(&input.bucket, move |b| b.lifecycle = Some(config))
            .await?;
        Ok(PutBucketLifecycleConfigurationOutput {
            transition_default_minimum_object_size: Some(TRANSITION_MINIMUM.to_owned()),
        })
    }

    /// Stores the configuration; each destination is sent an s3:TestEvent
    /// first, unless `x-amz-skip-destination-validation` says not to.
    pub(crate) async fn put_bucket_notification_configuration(
        &self,
        ctx: &nimbus_core::RequestContext,
        input: PutBucketNotificationConfigurationRequest,
    ) -> Result<(), AwsError> {
        if input.skip_destination_validation != Some(true) {
            self.validate_notification(ctx, &input.bucket, &input.notification_configuration)
                .await?;
        }
        let config = input.notification_configuration;
        self.set_config(&input.bucket, move |b| b.notification = Some(config))
            .await
    }

    /// Applies a change that cannot fail to the bucket record.
    async fn set_config(
        &self,
        bucket: &str,
        change: impl FnOnce(&mut BucketRecord) + Send + 'static,
    ) -> Result<(), AwsError> {
        self.update_bucket(bucket, move |record| {
            change(record);
            Ok(())
        })
        .await
    }
}

/// Delete: the configuration is gone (deleting an absent one is no error).
impl S3 {
    pub(crate) async fn delete_bucket_tagging(
        &self,
        input: DeleteBucketTaggingRequest,
    ) -> Result<(), AwsError> {
        self.set_config(&input.bucket, |b| b.tags = None).await
    }

    pub(crate) async fn delete_bucket_ownership_controls(
        &self,
        input: DeleteBucketOwnershipControlsRequest,
    ) -> Result<(), AwsError> {
        self.set_config(&input.bucket, |b| b.ownership = None).await
    }

    pub(crate) async fn delete_public_access_block(
        &self,
        input: DeletePublicAccessBlockRequest,
    ) -> Result<(), AwsError> {
        self.set_config(&input.bucket, |b| b.public_access_block = None)
            .await
    }

    pub(crate) async fn delete_bucket_policy(
        &self,
        input: DeleteBucketPolicyRequest,
    ) -> Result<(), AwsError> {
        self.set_config(&input.bucket, |b| b.policy = None).await
    }

    pub(crate) async fn delete_bucket_cors(&self, input: DeleteBucketCorsRequest) -> Result<(), AwsError> {
        self.set_config(&input.bucket, |b| b.cors = None).await
    }

    pub(crate) async fn delete_bucket_website(
        &self,
        input: DeleteBucketWebsiteRequest,
    ) -> Result<(), AwsError> {
        self.set_config(&input.bucket, |b| b.website = None).await
    }

    pub(crate) async fn delete_bucket_lifecycle(
        &self,
        input: DeleteBucketLifecycleRequest,
    ) -> Result<(), AwsError> {
        self.set_config(&input.bucket, |b| b.lifecycle = None).await
    }
}

/// Get: the stored document, or S3's 404 for the configuration.
impl S3 {
    pub(crate) fn get_bucket_tagging(
        &self,
        input: GetBucketTaggingRequest,
    ) -> Result<GetBucketTaggingOutput, AwsError> {
        let tags = self.load_bucket(&input.bucket)?.tags.filter(|t| !t.is_empty());
        let tag_set = tags.ok_or_else(|| {
            not_found(
                errors::no_such_tag_set,
                "The TagSet does not exist",
                &input.bucket,
            )
        })?;
        Ok(GetBucketTaggingOutput { tag_set })
    }

    pub(crate) fn get_bucket_ownership_controls(
        &self,
        input: GetBucketOwnershipControlsRequest,
    ) -> Result<GetBucketOwnershipControlsOutput, AwsError> {
        let controls = self.load_bucket(&input.bucket)?.ownership.ok_or_else(|| {
            not_found(
                errors::ownership_controls_not_found_error,
                "The bucket ownership controls were not found",
                &input.bucket,
            )
        })?;
        Ok(GetBucketOwnershipControlsOutput {
            ownership_controls: Some(controls),
        })
    }

    pub(crate) fn get_public_access_block(
        &self,
        input: GetPublicAccessBlockRequest,
    ) -> Result<GetPublicAccessBlockOutput, AwsError> {
        let config = self
            .load_bucket(&input.bucket)?
            .public_access_block
            .ok_or_else(|| {
                not_found(
                    errors::no_such_public_access_block_configuration,
                    "The public access block configuration was not found",
                    &input.bucket,
                )
            })?;
        Ok(GetPublicAccessBlockOutput {
            public_access_block_configuration: Some(config),
        })
    }

    pub(crate) fn get_bucket_policy(
        &self,
        input: GetBucketPolicyRequest,
    ) -> Result<GetBucketPolicyOutput, AwsError> {
        let policy = self.load_bucket(&input.bucket)?.policy.ok_or_else(|| {
            not_found(
                errors::no_such_bucket_policy,
                "The bucket policy does not exist",
                &input.bucket,
            )
        })?;
        Ok(GetBucketPolicyOutput { policy: Some(policy) })
    }

    pub(crate) fn get_bucket_cors(
        &self,
        input: GetBucketCorsRequest,
    ) -> Result<GetBucketCorsOutput, AwsError> {
        let cors = self.load_bucket(&input.bucket)?.cors.ok_or_else(|| {
            not_found(
                errors::no_such_cors_configuration,
                "The CORS configuration does not exist",
                &input.bucket,
            )
        })?;
        Ok(GetBucketCorsOutput {
            cors_rules: Some(cors.cors_rules),
        })
    }

    pub(crate) fn get_bucket_website(
        &self,
        input: GetBucketWebsiteRequest,
    ) -> Result<GetBucketWebsiteOutput, AwsError> {
        let website = self.load_bucket(&input.bucket)?.website.ok_or_else(|| {
            not_found(
                errors::no_such_website_configuration,
                "The specified bucket does not have a website configuration",
                &input.bucket,
            )
        })?;
        Ok(GetBucketWebsiteOutput {
            redirect_all_requests_to: website.redirect_all_requests_to,
            index_document: website.index_document,
            error_document: website.error_document,
            routing_rules: website.routing_rules,
        })
    }

    pub(crate) fn get_bucket_lifecycle_configuration(
        &self,
        input: GetBucketLifecycleConfigurationRequest,
    ) -> Result<GetBucketLifecycleConfigurationOutput, AwsError> {
        let lifecycle = self.load_bucket(&input.bucket)?.lifecycle.ok_or_else(|| {
            not_found(
                errors::no_such_lifecycle_configuration,
                "The lifecycle configuration does not exist",
                &input.bucket,
            )
        })?;
        Ok(GetBucketLifecycleConfigurationOutput {
            rules: Some(lifecycle.rules),
            transition_default_minimum_object_size: Some(TRANSITION_MINIMUM.to_owned()),
        })
    }

    pub(crate) fn get_bucket_notification_configuration(
        &self,
        input: GetBucketNotificationConfigurationRequest,
    ) -> Result<NotificationConfiguration, AwsError> {
        Ok(self.load_bucket(&input.bucket)?.notification.unwrap_or_default())
    }
}
