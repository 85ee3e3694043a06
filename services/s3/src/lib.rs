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
mod buckets;
mod checksums;
mod conditions;
mod configs;
mod copy;
mod errors;
pub mod generated;
mod lifecycle;
mod listing;
mod multipart;
mod objects;
mod records;
mod versions;

use std::future::Future;
use std::sync::Arc;

use nimbus_core::{AwsError, BoxFuture, RequestContext, Service, Value, from_value, to_value};
use nimbus_runtime::Clock;
use nimbus_store::Store;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The S3 service. All state is in the store, so it is cheap to share and
/// has no cache to drop on reset.
pub struct S3 {
    /// Bucket and object records, and the blobs holding object bytes.
    store: Arc<Store>,
    /// Last-Modified, upload initiation times and version ordering read it.
    clock: Clock,
}

impl S3 {
    /// The service over `store`; inside a tokio runtime it also starts the
    /// lifecycle sweeper (see [`lifecycle`]).
    pub fn new(store: Arc<Store>, clock: Clock) -> Self {
        lifecycle::start(Arc::clone(&store), clock.clone());
        S3 { store, clock }
    }

    async fn dispatch(&self, ctx: &RequestContext, operation: &str, input: Value) -> Result<Value, AwsError> {
        match operation {
            // Buckets.
            "CreateBucket" => run(input, |i| self.create_bucket(ctx, i)).await,
            "HeadBucket" => run(input, |i| self.head_bucket(i)).await,
            "ListBuckets" => run(input, |i| self.list_buckets(ctx, i)).await,
            "DeleteBucket" => run(input, |i| self.delete_bucket(i)).await,
            "GetBucketLocation" => run(input, |i| self.get_bucket_location(i)).await,
            "GetBucketAcl" => run(input, |i| self.get_bucket_acl(i)).await,
            "PutBucketAcl" => run(input, |i| self.put_bucket_acl(i)).await,
            "PutBucketVersioning" => run(input, |i| self.put_bucket_versioning(i)).await,
            "GetBucketVersioning" => run(input, |i| self.get_bucket_versioning(i)).await,
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
            "PutObject" => run(input, |i| self.put_object(ctx, i)).await,
            "GetObject" => run(input, |i| self.get_object(i)).await,
            "HeadObject" => run(input, |i| self.head_object(i)).await,
            "DeleteObject" => run(input, |i| self.delete_object(i)).await,
            "DeleteObjects" => run(input, |i| self.delete_objects(i)).await,
            "CopyObject" => run(input, |i| self.copy_object(ctx, i)).await,
            "GetObjectAttributes" => run(input, |i| self.get_object_attributes(i)).await,
            "PutObjectTagging" => run(input, |i| self.put_object_tagging(i)).await,
            "GetObjectTagging" => run(input, |i| self.get_object_tagging(i)).await,
            "DeleteObjectTagging" => run(input, |i| self.delete_object_tagging(i)).await,
            "GetObjectAcl" => run(input, |i| self.get_object_acl(ctx, i)).await,
            "PutObjectAcl" => run(input, |i| self.put_object_acl(i)).await,
            // Listings.
            "ListObjects" => run(input, |i| self.list_objects(i)).await,
            "ListObjectsV2" => run(input, |i| self.list_objects_v2(i)).await,
            "ListObjectVersions" => run(input, |i| self.list_object_versions(i)).await,
            // Multipart uploads.
            "CreateMultipartUpload" => run(input, |i| self.create_multipart_upload(ctx, i)).await,
            "UploadPart" => run(input, |i| self.upload_part(i)).await,
            "UploadPartCopy" => run(input, |i| self.upload_part_copy(i)).await,
            "ListParts" => run(input, |i| self.list_parts(ctx, i)).await,
            "ListMultipartUploads" => run(input, |i| self.list_multipart_uploads(ctx, i)).await,
            "CompleteMultipartUpload" => run(input, |i| self.complete_multipart_upload(i)).await,
            "AbortMultipartUpload" => run(input, |i| self.abort_multipart_upload(i)).await,
            _ => Err(AwsError::not_implemented("s3", operation)),
        }
    }
}

/// Runs a handler over its typed input and turns its output back into a value.
async fn run<I, O, F, Fut>(input: Value, handler: F) -> Result<Value, AwsError>
where
    I: DeserializeOwned,
    O: Serialize,
    F: FnOnce(I) -> Fut,
    Fut: Future<Output = Result<O, AwsError>>,
{
    let output = handler(from_value(input)?).await?;
    Ok(to_value(&output))
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
        Box::pin(self.dispatch(ctx, operation, input))
    }
}

#[cfg(test)]
mod tests;
