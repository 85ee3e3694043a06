//! The services this binary serves. A vendored model without an entry here
//! answers every operation with NotImplemented.

use std::sync::Arc;

use nimbus_core::Service;
use nimbus_core::identity::CredentialRegistry;

/// Builds every implemented service. Services that issue or inspect
/// credentials share `credentials` with the gateway.
pub fn all(credentials: &Arc<CredentialRegistry>) -> Vec<Arc<dyn Service>> {
    vec![Arc::new(nimbus_sts::Sts::new(Arc::clone(credentials)))]
}
