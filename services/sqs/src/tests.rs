//! The service as a whole, over an in-memory store.

use std::sync::Arc;

use nimbus_core::RequestContext;
use nimbus_runtime::Clock;
use nimbus_sqs_api::unimplemented_operations;
use nimbus_store::Store;

use crate::Sqs;

#[tokio::test]
async fn every_listed_operation_is_implemented() {
    let store = Arc::new(Store::ephemeral().expect("in-memory store"));
    let sqs = Sqs::new(store, Clock::real());
    let ctx = RequestContext::for_tests("sqs", "-");
    assert_eq!(unimplemented_operations(&sqs, &ctx).await, Vec::<&str>::new());
}
