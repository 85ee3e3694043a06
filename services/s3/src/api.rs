//! The S3 API: each operation's handler, with what S3 does around it for
//! every request of that kind: refusing ACLs a bucket does not take before
//! anything is written, and notifying object changes once committed.

use nimbus_core::authz::{Denial, Resource, ResourceRef};
use nimbus_core::{AwsError, RequestContext};
use nimbus_s3_api::browser::{CorsGrant, Preflight, WebsiteAnswer, WebsiteRequest};
use nimbus_s3_api::*;

use crate::S3;
use crate::acl::{self, AclRequest};
use crate::events::Change;

/// The operations, served by the handlers of the modules (inherent methods
/// of the same names); around some of them, the checks and notifications
/// S3 applies to every request of that kind.
impl S3Api for S3 {
    async fn abort_multipart_upload(
        &self,
        _: &RequestContext,
        input: AbortMultipartUploadRequest,
    ) -> Result<AbortMultipartUploadOutput, AwsError> {
        S3::abort_multipart_upload(self, input).await
    }

    async fn complete_multipart_upload(
        &self,
        ctx: &RequestContext,
        input: CompleteMultipartUploadRequest,
    ) -> Result<CompleteMultipartUploadOutput, AwsError> {
        let (bucket, key) = (input.bucket.clone(), input.key.clone());
        let output = S3::complete_multipart_upload(self, input).await?;
        self.notify_created(ctx, &bucket, &key, "ObjectCreated:CompleteMultipartUpload");
        Ok(output)
    }

    async fn copy_object(
        &self,
        ctx: &RequestContext,
        input: CopyObjectRequest,
    ) -> Result<CopyObjectOutput, AwsError> {
        self.check_acl(
            &input.bucket,
            AclRequest::new(
                &input.acl,
                [
                    &input.grant_full_control,
                    &input.grant_read,
                    &input.grant_read_acp,
                    &input.grant_write_acp,
                ],
            ),
        )?;
        self.authorize_copy_source(ctx, &input.copy_source).await?;
        let (bucket, key) = (input.bucket.clone(), input.key.clone());
        let output = S3::copy_object(self, ctx, input).await?;
        self.notify_created(ctx, &bucket, &key, "ObjectCreated:Copy");
        Ok(output)
    }

    async fn create_bucket(
        &self,
        ctx: &RequestContext,
        input: CreateBucketRequest,
    ) -> Result<CreateBucketOutput, AwsError> {
        let acl = AclRequest::new(
            &input.acl,
            [
                &input.grant_full_control,
                &input.grant_read,
                &input.grant_read_acp,
                &input.grant_write,
                &input.grant_write_acp,
            ],
        );
        acl::check_create_bucket_acl(&acl, input.object_ownership.as_deref())?;
        S3::create_bucket(self, ctx, input).await
    }

    async fn create_multipart_upload(
        &self,
        ctx: &RequestContext,
        input: CreateMultipartUploadRequest,
    ) -> Result<CreateMultipartUploadOutput, AwsError> {
        self.check_acl(
            &input.bucket,
            AclRequest::new(
                &input.acl,
                [
                    &input.grant_full_control,
                    &input.grant_read,
                    &input.grant_read_acp,
                    &input.grant_write_acp,
                ],
            ),
        )?;
        S3::create_multipart_upload(self, ctx, input).await
    }

    async fn delete_bucket(&self, _: &RequestContext, input: DeleteBucketRequest) -> Result<(), AwsError> {
        S3::delete_bucket(self, input).await
    }

    async fn delete_bucket_cors(
        &self,
        _: &RequestContext,
        input: DeleteBucketCorsRequest,
    ) -> Result<(), AwsError> {
        S3::delete_bucket_cors(self, input).await
    }

    async fn delete_bucket_lifecycle(
        &self,
        _: &RequestContext,
        input: DeleteBucketLifecycleRequest,
    ) -> Result<(), AwsError> {
        S3::delete_bucket_lifecycle(self, input).await
    }

    async fn delete_bucket_ownership_controls(
        &self,
        _: &RequestContext,
        input: DeleteBucketOwnershipControlsRequest,
    ) -> Result<(), AwsError> {
        S3::delete_bucket_ownership_controls(self, input).await
    }

    async fn delete_bucket_policy(
        &self,
        _: &RequestContext,
        input: DeleteBucketPolicyRequest,
    ) -> Result<(), AwsError> {
        S3::delete_bucket_policy(self, input).await
    }

    async fn delete_bucket_tagging(
        &self,
        _: &RequestContext,
        input: DeleteBucketTaggingRequest,
    ) -> Result<(), AwsError> {
        S3::delete_bucket_tagging(self, input).await
    }

    async fn delete_bucket_website(
        &self,
        _: &RequestContext,
        input: DeleteBucketWebsiteRequest,
    ) -> Result<(), AwsError> {
        S3::delete_bucket_website(self, input).await
    }

    async fn delete_object(
        &self,
        ctx: &RequestContext,
        input: DeleteObjectRequest,
    ) -> Result<DeleteObjectOutput, AwsError> {
        let (bucket, key) = (input.bucket.clone(), input.key.clone());
        let asked_version = input.version_id.is_some();
        let output = S3::delete_object(self, input).await?;
        let change = Change::Deleted {
            key: &key,
            asked_version,
            output: &output,
        };
        self.notify(ctx, &bucket, change);
        Ok(output)
    }

    async fn delete_object_tagging(
        &self,
        _: &RequestContext,
        input: DeleteObjectTaggingRequest,
    ) -> Result<DeleteObjectTaggingOutput, AwsError> {
        S3::delete_object_tagging(self, input).await
    }

    async fn delete_objects(
        &self,
        ctx: &RequestContext,
        mut input: DeleteObjectsRequest,
    ) -> Result<DeleteObjectsOutput, AwsError> {
        let bucket = input.bucket.clone();
        let refused = self.take_refused_deletions(ctx, &mut input).await?;
        let mut output = S3::delete_objects(self, input).await?;
        if !refused.is_empty() {
            output.errors.get_or_insert_with(Vec::new).extend(refused);
        }
        let deleted = output.deleted.as_deref().unwrap_or_default();
        self.notify(ctx, &bucket, Change::DeletedMany(deleted));
        Ok(output)
    }

    async fn delete_public_access_block(
        &self,
        _: &RequestContext,
        input: DeletePublicAccessBlockRequest,
    ) -> Result<(), AwsError> {
        S3::delete_public_access_block(self, input).await
    }

    async fn get_bucket_acl(
        &self,
        _: &RequestContext,
        input: GetBucketAclRequest,
    ) -> Result<GetBucketAclOutput, AwsError> {
        S3::get_bucket_acl(self, input).await
    }

    async fn get_bucket_cors(
        &self,
        _: &RequestContext,
        input: GetBucketCorsRequest,
    ) -> Result<GetBucketCorsOutput, AwsError> {
        S3::get_bucket_cors(self, input)
    }

    async fn get_bucket_lifecycle_configuration(
        &self,
        _: &RequestContext,
        input: GetBucketLifecycleConfigurationRequest,
    ) -> Result<GetBucketLifecycleConfigurationOutput, AwsError> {
        S3::get_bucket_lifecycle_configuration(self, input)
    }

    async fn get_bucket_location(
        &self,
        _: &RequestContext,
        input: GetBucketLocationRequest,
    ) -> Result<GetBucketLocationOutput, AwsError> {
        S3::get_bucket_location(self, input).await
    }

    async fn get_bucket_notification_configuration(
        &self,
        _: &RequestContext,
        input: GetBucketNotificationConfigurationRequest,
    ) -> Result<NotificationConfiguration, AwsError> {
        S3::get_bucket_notification_configuration(self, input)
    }

    async fn get_bucket_ownership_controls(
        &self,
        _: &RequestContext,
        input: GetBucketOwnershipControlsRequest,
    ) -> Result<GetBucketOwnershipControlsOutput, AwsError> {
        S3::get_bucket_ownership_controls(self, input)
    }

    async fn get_bucket_policy(
        &self,
        _: &RequestContext,
        input: GetBucketPolicyRequest,
    ) -> Result<GetBucketPolicyOutput, AwsError> {
        S3::get_bucket_policy(self, input)
    }

    async fn get_bucket_tagging(
        &self,
        _: &RequestContext,
        input: GetBucketTaggingRequest,
    ) -> Result<GetBucketTaggingOutput, AwsError> {
        S3::get_bucket_tagging(self, input)
    }

    async fn get_bucket_versioning(
        &self,
        _: &RequestContext,
        input: GetBucketVersioningRequest,
    ) -> Result<GetBucketVersioningOutput, AwsError> {
        S3::get_bucket_versioning(self, input).await
    }

    async fn get_bucket_website(
        &self,
        _: &RequestContext,
        input: GetBucketWebsiteRequest,
    ) -> Result<GetBucketWebsiteOutput, AwsError> {
        S3::get_bucket_website(self, input)
    }

    async fn get_object(
        &self,
        ctx: &RequestContext,
        input: GetObjectRequest,
    ) -> Result<GetObjectOutput, AwsError> {
        let bucket = ctx.enforcement.0.is_some().then(|| input.bucket.clone());
        match (S3::get_object(self, input).await, bucket) {
            (Err(error), Some(bucket)) => Err(self.hide_missing_key(ctx, &bucket, error).await),
            (result, _) => result,
        }
    }

    async fn get_object_acl(
        &self,
        ctx: &RequestContext,
        input: GetObjectAclRequest,
    ) -> Result<GetObjectAclOutput, AwsError> {
        S3::get_object_acl(self, ctx, input).await
    }

    async fn get_object_attributes(
        &self,
        _: &RequestContext,
        input: GetObjectAttributesRequest,
    ) -> Result<GetObjectAttributesOutput, AwsError> {
        S3::get_object_attributes(self, input).await
    }

    async fn get_object_tagging(
        &self,
        _: &RequestContext,
        input: GetObjectTaggingRequest,
    ) -> Result<GetObjectTaggingOutput, AwsError> {
        S3::get_object_tagging(self, input).await
    }

    async fn get_public_access_block(
        &self,
        _: &RequestContext,
        input: GetPublicAccessBlockRequest,
    ) -> Result<GetPublicAccessBlockOutput, AwsError> {
        S3::get_public_access_block(self, input)
    }

    async fn head_bucket(
        &self,
        _: &RequestContext,
        input: HeadBucketRequest,
    ) -> Result<HeadBucketOutput, AwsError> {
        S3::head_bucket(self, input).await
    }

    async fn head_object(
        &self,
        ctx: &RequestContext,
        input: GetObjectRequest,
    ) -> Result<GetObjectOutput, AwsError> {
        let bucket = ctx.enforcement.0.is_some().then(|| input.bucket.clone());
        match (S3::head_object(self, input).await, bucket) {
            (Err(error), Some(bucket)) => Err(self.hide_missing_key(ctx, &bucket, error).await),
            (result, _) => result,
        }
    }

    async fn list_buckets(
        &self,
        ctx: &RequestContext,
        input: ListBucketsRequest,
    ) -> Result<ListBucketsOutput, AwsError> {
        S3::list_buckets(self, ctx, input).await
    }

    async fn list_multipart_uploads(
        &self,
        ctx: &RequestContext,
        input: ListMultipartUploadsRequest,
    ) -> Result<ListMultipartUploadsOutput, AwsError> {
        S3::list_multipart_uploads(self, ctx, input).await
    }

    async fn list_object_versions(
        &self,
        _: &RequestContext,
        input: ListObjectVersionsRequest,
    ) -> Result<ListObjectVersionsOutput, AwsError> {
        S3::list_object_versions(self, input).await
    }

    async fn list_objects(
        &self,
        _: &RequestContext,
        input: ListObjectsRequest,
    ) -> Result<ListObjectsOutput, AwsError> {
        S3::list_objects(self, input).await
    }

    async fn list_objects_v2(
        &self,
        _: &RequestContext,
        input: ListObjectsV2Request,
    ) -> Result<ListObjectsV2Output, AwsError> {
        S3::list_objects_v2(self, input).await
    }

    async fn list_parts(
        &self,
        ctx: &RequestContext,
        input: ListPartsRequest,
    ) -> Result<ListPartsOutput, AwsError> {
        S3::list_parts(self, ctx, input).await
    }

    async fn put_bucket_acl(&self, _: &RequestContext, input: PutBucketAclRequest) -> Result<(), AwsError> {
        self.check_acl(
            &input.bucket,
            AclRequest::new(
                &input.acl,
                [
                    &input.grant_full_control,
                    &input.grant_read,
                    &input.grant_read_acp,
                    &input.grant_write,
                    &input.grant_write_acp,
                ],
            )
            .with_policy(input.access_control_policy.as_ref()),
        )?;
        S3::put_bucket_acl(self, input).await
    }

    async fn put_bucket_cors(&self, _: &RequestContext, input: PutBucketCorsRequest) -> Result<(), AwsError> {
        S3::put_bucket_cors(self, input).await
    }

    async fn put_bucket_lifecycle_configuration(
        &self,
        _: &RequestContext,
        input: PutBucketLifecycleConfigurationRequest,
    ) -> Result<PutBucketLifecycleConfigurationOutput, AwsError> {
        S3::put_bucket_lifecycle_configuration(self, input).await
    }

    async fn put_bucket_notification_configuration(
        &self,
        ctx: &RequestContext,
        input: PutBucketNotificationConfigurationRequest,
    ) -> Result<(), AwsError> {
        S3::put_bucket_notification_configuration(self, ctx, input).await
    }

    async fn put_bucket_ownership_controls(
        &self,
        _: &RequestContext,
        input: PutBucketOwnershipControlsRequest,
    ) -> Result<(), AwsError> {
        S3::put_bucket_ownership_controls(self, input).await
    }

    async fn put_bucket_policy(
        &self,
        _: &RequestContext,
        input: PutBucketPolicyRequest,
    ) -> Result<(), AwsError> {
        S3::put_bucket_policy(self, input).await
    }

    async fn put_bucket_tagging(
        &self,
        _: &RequestContext,
        input: PutBucketTaggingRequest,
    ) -> Result<(), AwsError> {
        S3::put_bucket_tagging(self, input).await
    }

    async fn put_bucket_versioning(
        &self,
        _: &RequestContext,
        input: PutBucketVersioningRequest,
    ) -> Result<(), AwsError> {
        S3::put_bucket_versioning(self, input).await
    }

    async fn put_bucket_website(
        &self,
        _: &RequestContext,
        input: PutBucketWebsiteRequest,
    ) -> Result<(), AwsError> {
        S3::put_bucket_website(self, input).await
    }

    async fn put_object(
        &self,
        ctx: &RequestContext,
        input: PutObjectRequest,
    ) -> Result<PutObjectOutput, AwsError> {
        self.check_acl(
            &input.bucket,
            AclRequest::new(
                &input.acl,
                [
                    &input.grant_full_control,
                    &input.grant_read,
                    &input.grant_read_acp,
                    &input.grant_write_acp,
                ],
            ),
        )?;
        let (bucket, key) = (input.bucket.clone(), input.key.clone());
        let output = S3::put_object(self, input).await?;
        self.notify_created(ctx, &bucket, &key, "ObjectCreated:Put");
        Ok(output)
    }

    async fn put_object_acl(
        &self,
        _: &RequestContext,
        input: PutObjectAclRequest,
    ) -> Result<PutObjectAclOutput, AwsError> {
        self.check_acl(
            &input.bucket,
            AclRequest::new(
                &input.acl,
                [
                    &input.grant_full_control,
                    &input.grant_read,
                    &input.grant_read_acp,
                    &input.grant_write,
                    &input.grant_write_acp,
                ],
            )
            .with_policy(input.access_control_policy.as_ref()),
        )?;
        S3::put_object_acl(self, input).await
    }

    async fn put_object_tagging(
        &self,
        _: &RequestContext,
        input: PutObjectTaggingRequest,
    ) -> Result<PutObjectTaggingOutput, AwsError> {
        S3::put_object_tagging(self, input).await
    }

    async fn put_public_access_block(
        &self,
        _: &RequestContext,
        input: PutPublicAccessBlockRequest,
    ) -> Result<(), AwsError> {
        S3::put_public_access_block(self, input).await
    }

    async fn upload_part(
        &self,
        _: &RequestContext,
        input: UploadPartRequest,
    ) -> Result<UploadPartOutput, AwsError> {
        S3::upload_part(self, input).await
    }

    async fn upload_part_copy(
        &self,
        ctx: &RequestContext,
        input: UploadPartCopyRequest,
    ) -> Result<UploadPartCopyOutput, AwsError> {
        self.authorize_copy_source(ctx, &input.copy_source).await?;
        S3::upload_part_copy(self, input).await
    }

    async fn resource(&self, ctx: &RequestContext, named: ResourceRef<'_>) -> Result<Resource, AwsError> {
        self.access_resource(ctx, named)
    }

    fn access_denied(&self, denial: Denial) -> AwsError {
        crate::access::access_denied(&denial)
    }

    /// The store was emptied or restored: remembered buckets are stale.
    fn reset(&self) {
        self.bucket_facts.changed();
    }
}

impl S3 {
    /// Notifies the creation of the object now current under `key`.
    fn notify_created(&self, ctx: &RequestContext, bucket: &str, key: &str, event: &'static str) {
        self.notify(ctx, bucket, Change::Created { event, key });
    }
}

/// The rules of S3's browser-facing endpoints (see `cors` and `website`).
impl S3Browser for S3 {
    fn cors_preflight(&self, _: &RequestContext, preflight: &Preflight) -> Result<CorsGrant, AwsError> {
        S3::cors_preflight(self, preflight)
    }

    fn cors_grant(&self, _: &RequestContext, bucket: &str, origin: &str, method: &str) -> Option<CorsGrant> {
        S3::cors_grant(self, bucket, origin, method)
    }

    fn website_route(&self, _: &RequestContext, request: &WebsiteRequest) -> Result<WebsiteAnswer, AwsError> {
        S3::website_route(self, request)
    }
}
