//! Service-level tests over an ephemeral store and a test clock.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use nimbus_core::{ByteStream, RequestContext};
use nimbus_runtime::TestClock;
use nimbus_store::Store;

use crate::S3;
use nimbus_s3_api::*;

fn service() -> (S3, TestClock) {
    let clock = TestClock::at(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let store = Arc::new(Store::ephemeral().expect("ephemeral store"));
    // Without the background sweeper: tests call lifecycle::sweep themselves.
    let s3 = S3 {
        store,
        clock: clock.clock(),
        destinations: Default::default(),
        bucket_facts: Default::default(),
    };
    (s3, clock)
}

fn ctx() -> RequestContext {
    RequestContext::for_tests("s3", "test")
}

async fn put(s3: &S3, bucket: &str, key: &str, body: &'static [u8]) -> PutObjectOutput {
    let input = PutObjectRequest {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        body: Some(ByteStream::from_bytes(Bytes::from_static(body))),
        ..PutObjectRequest::default()
    };
    S3Api::put_object(s3, &ctx(), input).await.expect("put")
}

async fn create(s3: &S3, bucket: &str) {
    let input = CreateBucketRequest {
        bucket: bucket.to_owned(),
        ..CreateBucketRequest::default()
    };
    S3Api::create_bucket(s3, &ctx(), input)
        .await
        .expect("create bucket");
}

/// The bytes of a GetObject answer read whole.
async fn body_of(output: &mut GetObjectOutput) -> Bytes {
    let stream = output.body.take().expect("a body");
    stream.into_bytes().expect("a small body is in memory")
}

#[tokio::test]
async fn every_listed_operation_is_implemented() {
    let (s3, _clock) = service();
    let missing = nimbus_s3_api::unimplemented_operations(&s3, &ctx()).await;
    assert!(missing.is_empty(), "answering NotImplemented: {missing:?}");
}

#[tokio::test]
async fn last_modified_follows_the_clock_and_drives_conditions() {
    let (s3, clock) = service();
    create(&s3, "bkt").await;
    put(&s3, "bkt", "k", b"one").await;
    let head: GetObjectOutput = S3Api::head_object(
        &s3,
        &ctx(),
        GetObjectRequest {
            bucket: "bkt".to_owned(),
            key: "k".to_owned(),
            ..GetObjectRequest::default()
        },
    )
    .await
    .expect("head");
    assert_eq!(head.last_modified.map(|t| t.seconds), Some(1_700_000_000));
    clock.advance(Duration::from_secs(60)).await;
    put(&s3, "bkt", "k", b"two").await;
    // Modified since the first write: served.
    let got: GetObjectOutput = S3Api::get_object(
        &s3,
        &ctx(),
        GetObjectRequest {
            bucket: "bkt".to_owned(),
            key: "k".to_owned(),
            if_modified_since: head.last_modified,
            ..GetObjectRequest::default()
        },
    )
    .await
    .expect("get");
    let mut got = got;
    assert_eq!(body_of(&mut got).await, Bytes::from_static(b"two"));
    assert_eq!(got.status_code, None);
    // Unmodified since the first write fails: it was rewritten after.
    let err = S3Api::get_object(
        &s3,
        &ctx(),
        GetObjectRequest {
            bucket: "bkt".to_owned(),
            key: "k".to_owned(),
            if_unmodified_since: head.last_modified,
            ..GetObjectRequest::default()
        },
    )
    .await
    .expect_err("412");
    assert_eq!((err.code.as_ref(), err.status), ("PreconditionFailed", 412));
}

#[tokio::test]
async fn versions_in_one_instant_keep_their_order() {
    let (s3, _clock) = service();
    create(&s3, "bkt").await;
    S3Api::put_bucket_versioning(
        &s3,
        &ctx(),
        PutBucketVersioningRequest {
            bucket: "bkt".to_owned(),
            versioning_configuration: VersioningConfiguration {
                status: Some("Enabled".to_owned()),
                mfa_delete: None,
            },
            ..PutBucketVersioningRequest::default()
        },
    )
    .await
    .expect("versioning");
    // The test clock stands still: ordering must not depend on time moving.
    let v1 = put(&s3, "bkt", "k", b"a").await.version_id.expect("v1");
    let v2 = put(&s3, "bkt", "k", b"b").await.version_id.expect("v2");
    let v3 = put(&s3, "bkt", "k", b"c").await.version_id.expect("v3");
    let listed: ListObjectVersionsOutput = S3Api::list_object_versions(
        &s3,
        &ctx(),
        ListObjectVersionsRequest {
            bucket: "bkt".to_owned(),
            ..ListObjectVersionsRequest::default()
        },
    )
    .await
    .expect("list");
    let order: Vec<_> = listed
        .versions
        .unwrap_or_default()
        .into_iter()
        .map(|v| (v.version_id.unwrap_or_default(), v.is_latest.unwrap_or_default()))
        .collect();
    assert_eq!(order, vec![(v3, true), (v2, false), (v1, false)]);
}

#[tokio::test]
async fn lifecycle_expires_objects_and_uploads_by_the_clock() {
    let (s3, clock) = service();
    create(&s3, "bkt").await;
    put(&s3, "bkt", "tmp/old", b"x").await;
    put(&s3, "bkt", "keep/old", b"x").await;
    S3Api::create_multipart_upload(
        &s3,
        &ctx(),
        CreateMultipartUploadRequest {
            bucket: "bkt".to_owned(),
            key: "tmp/upload".to_owned(),
            ..CreateMultipartUploadRequest::default()
        },
    )
    .await
    .unwrap();
    let rule = LifecycleRule {
        id: Some("tmp".to_owned()),
        status: "Enabled".to_owned(),
        filter: Some(LifecycleRuleFilter {
            prefix: Some("tmp/".to_owned()),
            ..LifecycleRuleFilter::default()
        }),
        expiration: Some(LifecycleExpiration {
            days: Some(1),
            ..LifecycleExpiration::default()
        }),
        abort_incomplete_multipart_upload: Some(AbortIncompleteMultipartUpload {
            days_after_initiation: Some(2),
        }),
        ..LifecycleRule::default()
    };
    S3Api::put_bucket_lifecycle_configuration(
        &s3,
        &ctx(),
        PutBucketLifecycleConfigurationRequest {
            bucket: "bkt".to_owned(),
            lifecycle_configuration: Some(BucketLifecycleConfiguration { rules: vec![rule] }),
            ..PutBucketLifecycleConfigurationRequest::default()
        },
    )
    .await
    .unwrap();
    let swept = crate::lifecycle::sweep(&s3.store, &s3.clock).await.unwrap();
    assert_eq!(swept, crate::lifecycle::Swept::default());
    clock.advance(Duration::from_secs(2 * 86_400)).await;
    let swept = crate::lifecycle::sweep(&s3.store, &s3.clock).await.unwrap();
    assert_eq!(swept.expired_objects, 1);
    assert_eq!(swept.aborted_uploads, 0);
    clock.advance(Duration::from_secs(86_400)).await;
    let swept = crate::lifecycle::sweep(&s3.store, &s3.clock).await.unwrap();
    assert_eq!(swept.aborted_uploads, 1);
    let listed: ListObjectsV2Output = S3Api::list_objects_v2(
        &s3,
        &ctx(),
        ListObjectsV2Request {
            bucket: "bkt".to_owned(),
            ..ListObjectsV2Request::default()
        },
    )
    .await
    .unwrap();
    let keys: Vec<_> = listed
        .contents
        .unwrap_or_default()
        .into_iter()
        .filter_map(|o| o.key)
        .collect();
    assert_eq!(keys, vec!["keep/old".to_owned()]);
}

#[tokio::test]
async fn the_background_sweeper_runs_on_the_clock() {
    let clock = TestClock::at(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let s3 = S3::new(Arc::new(Store::ephemeral().unwrap()), clock.clock());
    create(&s3, "bkt").await;
    put(&s3, "bkt", "old", b"x").await;
    let rule = LifecycleRule {
        status: "Enabled".to_owned(),
        expiration: Some(LifecycleExpiration {
            days: Some(1),
            ..LifecycleExpiration::default()
        }),
        ..LifecycleRule::default()
    };
    S3Api::put_bucket_lifecycle_configuration(
        &s3,
        &ctx(),
        PutBucketLifecycleConfigurationRequest {
            bucket: "bkt".to_owned(),
            lifecycle_configuration: Some(BucketLifecycleConfiguration { rules: vec![rule] }),
            ..PutBucketLifecycleConfigurationRequest::default()
        },
    )
    .await
    .unwrap();
    clock.advance(Duration::from_secs(2 * 86_400)).await;
    // The sweep's store write runs on a blocking thread: wait for it briefly.
    for _ in 0..200 {
        let txn = s3.store.begin_read().unwrap();
        let table = txn.open(&crate::records::namespace().unwrap()).unwrap();
        if crate::records::current(&table, "bkt", "old").unwrap().is_none() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the sweeper did not expire the object");
}
