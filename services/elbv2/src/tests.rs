//! Service-level tests over an ephemeral store and a test clock.

use std::sync::Arc;

use nimbus_core::RequestContext;
use nimbus_runtime::TestClock;
use nimbus_store::Store;

use crate::Elbv2;

fn service() -> Elbv2 {
    Elbv2::new(Arc::new(Store::ephemeral().unwrap()), TestClock::new().clock())
}

#[tokio::test]
async fn every_listed_operation_is_implemented() {
    let ctx = RequestContext::for_tests("elbv2", "test");
    let missing = nimbus_elbv2_api::unimplemented_operations(&service(), &ctx).await;
    assert!(missing.is_empty(), "answering NotImplemented: {missing:?}");
}
