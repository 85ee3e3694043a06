//! Amazon S3: buckets and objects on disk.
//!
//! Bucket records, object versions and multipart uploads live in the store's
//! global `s3` namespace (bucket names are unique across accounts); object
//! bytes are store blobs, never redb values. See [`records`] for the key
//! layout that keeps every listing a prefix scan.

// Every handler returns nimbus_core::AwsError, whose size is the core's call.
#![allow(clippy::result_large_err)]
// Tests unwrap what they just built.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod acl;
mod bucket_facts;
mod buckets;
mod checksums;
mod conditions;
mod configs;
mod copy;
mod cors;
mod errors;
mod events;
pub mod generated;
mod get_output;
mod lifecycle;
mod listing;
mod multipart;
mod object_body;
mod objects;
mod policy;
mod records;
mod versions;
mod website;

use std::sync::Arc;

use nimbus_core::{AwsError, BoxFuture, RequestContext, Service, Value, handle_typed_async};
use nimbus_runtime::Clock;
use nimbus_store::Store;

/// The S3 service. All state is in the store, so it is cheap to share and
/// has no cache to drop on reset.
pub struct S3 {
    /// Bucket and object records, and the blobs holding object bytes.
    store: Arc<Store>,
    /// Last-Modified, upload initiation times and version ordering read it.
    clock: Clock,
    /// Where event notifications go (nothing until [`S3::with_notifications`]).
    destinations: events::Destinations,
    /// Decoded bucket facts by record bytes, so object reads skip decoding
    /// the bucket record (exact without invalidation: see [`bucket_facts`]).
    /// Shared with the write closures of object writes.
    bucket_facts: Arc<bucket_facts::BucketFactsCache>,
}

impl S3 {
    /// The service over `store`; inside a tokio runtime it also starts the
    /// lifecycle sweeper (see [`lifecycle`]).
    pub fn new(store: Arc<Store>, clock: Clock) -> Self {
        lifecycle::start(Arc::clone(&store), clock.clone());
        S3 {
            store,
            clock,
            destinations: events::Destinations::default(),
            bucket_facts: Arc::default(),
        }
    }

    /// Delivers event notifications to SQS queues and SNS topics through
    /// these services' own SendMessage and Publish.
    pub fn with_notifications(
        mut self,
        sqs: nimbus_sqs_api::SqsClient,
        sns: nimbus_sns_api::SnsClient,
    ) -> Self {
        self.destinations = events::Destinations {
            sqs: Some(sqs),
            sns: Some(sns),
        };
        self
    }

    /// [`Self::dispatch`], with event notifications around it.
    async fn dispatch_notifying(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
    ) -> Result<Value, AwsError> {
        if operation == "PutBucketNotificationConfiguration" {
            let request: generated::PutBucketNotificationConfigurationRequest =
                nimbus_core::from_value(input.clone())?;
            // x-amz-skip-destination-validation: stored without a TestEvent.
            if request.skip_destination_validation != Some(true) {
                self.validate_notification(ctx, &request.bucket, &request.notification_configuration)
                    .await?;
            }
        }
        if operation == "CreateBucket" {
            acl::check_create_bucket_acl(&input)?;
        }
        if let Some(bucket) = acl::acl_target(operation, &input) {
            acl::check_acl_request(&self.load_bucket(bucket)?, &input)?;
        }
        let pending = events::Pending::capture(operation, &input);
        let output = self.dispatch(ctx, operation, input).await?;
        if let Some(pending) = pending {
            self.emit(ctx, pending, &output);
        }
        Ok(output)
    }

    async fn dispatch(&self, ctx: &RequestContext, operation: &str, input: Value) -> Result<Value, AwsError> {
        match operation {
            // Buckets.
            "CreateBucket" => handle_typed_async(input, |i| self.create_bucket(ctx, i)).await,
            "HeadBucket" => handle_typed_async(input, |i| self.head_bucket(i)).await,
            "ListBuckets" => handle_typed_async(input, |i| self.list_buckets(ctx, i)).await,
            "DeleteBucket" => handle_typed_async(input, |i| self.delete_bucket(i)).await,
            "GetBucketLocation" => handle_typed_async(input, |i| self.get_bucket_location(i)).await,
            "GetBucketAcl" => handle_typed_async(input, |i| self.get_bucket_acl(i)).await,
            "PutBucketAcl" => handle_typed_async(input, |i| self.put_bucket_acl(i)).await,
            "PutBucketVersioning" => handle_typed_async(input, |i| self.put_bucket_versioning(i)).await,
            "GetBucketVersioning" => handle_typed_async(input, |i| self.get_bucket_versioning(i)).await,
            // Bucket configurations kept as documents.
            "PutBucketTagging"
            | "GetBucketTagging"
            | "DeleteBucketTagging"
            | "PutBucketOwnershipControls"
            | "GetBucketOwnershipControls"
            | "DeleteBucketOwnershipControls"
            | "PutPublicAccessBlock"
            | "GetPublicAccessBlock"
            | "DeletePublicAccessBlock"
            | "PutBucketPolicy"
            | "GetBucketPolicy"
            | "DeleteBucketPolicy"
            | "PutBucketCors"
            | "GetBucketCors"
            | "DeleteBucketCors"
            | "PutBucketWebsite"
            | "GetBucketWebsite"
            | "DeleteBucketWebsite"
            | "PutBucketLifecycleConfiguration"
            | "GetBucketLifecycleConfiguration"
            | "DeleteBucketLifecycle"
            | "PutBucketNotificationConfiguration"
            | "GetBucketNotificationConfiguration" => self.bucket_config(operation, input).await,
            // Objects.
            "PutObject" => self.put_object_from(ctx, input).await,
            "GetObject" => self.get_object(input).await,
            "HeadObject" => self.head_object(input).await,
            "DeleteObject" => handle_typed_async(input, |i| self.delete_object(i)).await,
            "DeleteObjects" => handle_typed_async(input, |i| self.delete_objects(i)).await,
            "CopyObject" => handle_typed_async(input, |i| self.copy_object(ctx, i)).await,
            "GetObjectAttributes" => handle_typed_async(input, |i| self.get_object_attributes(i)).await,
            "PutObjectTagging" => handle_typed_async(input, |i| self.put_object_tagging(i)).await,
            "GetObjectTagging" => handle_typed_async(input, |i| self.get_object_tagging(i)).await,
            "DeleteObjectTagging" => handle_typed_async(input, |i| self.delete_object_tagging(i)).await,
            "GetObjectAcl" => handle_typed_async(input, |i| self.get_object_acl(ctx, i)).await,
            "PutObjectAcl" => handle_typed_async(input, |i| self.put_object_acl(i)).await,
            // Listings.
            "ListObjects" => handle_typed_async(input, |i| self.list_objects(i)).await,
            "ListObjectsV2" => handle_typed_async(input, |i| self.list_objects_v2(i)).await,
            "ListObjectVersions" => handle_typed_async(input, |i| self.list_object_versions(i)).await,
            // Multipart uploads.
            "CreateMultipartUpload" => {
                handle_typed_async(input, |i| self.create_multipart_upload(ctx, i)).await
            }
            "UploadPart" => self.upload_part_from(input).await,
            "UploadPartCopy" => handle_typed_async(input, |i| self.upload_part_copy(i)).await,
            "ListParts" => handle_typed_async(input, |i| self.list_parts(ctx, i)).await,
            "ListMultipartUploads" => {
                handle_typed_async(input, |i| self.list_multipart_uploads(ctx, i)).await
            }
            "CompleteMultipartUpload" => {
                handle_typed_async(input, |i| self.complete_multipart_upload(i)).await
            }
            "AbortMultipartUpload" => handle_typed_async(input, |i| self.abort_multipart_upload(i)).await,
            // Internal operations of the gateway's CORS and website endpoint (see cors.rs, website.rs).
            "nimbus:CorsPreflight" => self.cors_preflight(input),
            "nimbus:CorsRequest" => self.cors_request(input),
            "nimbus:WebsiteRoute" => self.website_route(input),
            _ => Err(AwsError::not_implemented("s3", operation)),
        }
    }
}

impl Service for S3 {
    fn model_name(&self) -> &'static str {
        "s3"
    }

    fn handle<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, AwsError>> {
        Box::pin(self.dispatch_notifying(ctx, operation, input))
    }
}

#[cfg(test)]
mod tests;
