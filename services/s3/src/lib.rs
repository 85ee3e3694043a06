//! Amazon S3: buckets and objects on disk.
//!
//! Bucket records, object versions and multipart uploads live in the store's
//! global `s3` namespace (bucket names are unique across accounts); object
//! bytes are store blobs, never redb values. See [`records`] for the key
//! layout that keeps every listing a prefix scan.
//!
//! The service implements the generated [`nimbus_s3_api::S3Api`] (`api`
//! maps each operation to its handler) and [`nimbus_s3_api::S3Browser`]
//! (CORS and website rules, in `cors` and `website`).

// Tests unwrap what they just built.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod access;
mod acl;
mod api;
mod bucket_facts;
mod buckets;
mod checksums;
mod conditions;
mod configs;
mod copy;
mod cors;
mod downloads;
mod errors;
mod events;
mod lifecycle;
mod listing;
mod multipart;
mod object_body;
mod object_subresources;
mod objects;
mod policy;
mod records;
mod versions;
mod website;

use std::sync::Arc;

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
        self.destinations.sqs = Some(sqs);
        self.destinations.sns = Some(sns);
        self
    }

    /// Delivers event notifications to Lambda functions through Lambda's
    /// Invoke (asynchronous).
    pub fn with_functions(mut self, lambda: nimbus_lambda_api::LambdaClient) -> Self {
        self.destinations.lambda = Some(lambda);
        self
    }

    /// What notifications are sent as (`s3.amazonaws.com`, held to the
    /// destinations' policies when IAM is enforced).
    pub fn with_principal(mut self, principal: nimbus_core::context::ServicePrincipal) -> Self {
        self.destinations.principal = principal;
        self
    }
}

#[cfg(test)]
mod tests;
