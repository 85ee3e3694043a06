//! What the gateway needs to know from the command line.

/// Gateway settings; the binary fills them from flags and `NIMBUS_*` variables.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// The account of access keys that do not name one (`test`, `AKIA...`).
    pub default_account: String,
    /// The region of requests whose signature names none (unsigned, SigV2).
    pub default_region: String,
    /// Largest request body buffered for services other than S3.
    pub max_body_bytes: usize,
    /// Largest S3 request body (AWS's single PUT limit is 5 GiB; bodies are
    /// buffered until S3 streams to the store).
    pub max_s3_body_bytes: usize,
    /// Debug builds only: honour test hooks such as the
    /// `x-nimbus-test-panic` header (see `test_hooks.rs`).
    pub test_hooks: bool,
    /// The time presigned URL expiry is judged by (a test clock in tests).
    pub clock: nimbus_runtime::Clock,
    /// Check SigV4 signatures against known secret keys (see `verify.rs`).
    pub verify_signatures: bool,
    /// The authorizer every request is held to (`--enforce-iam`).
    pub enforcement: nimbus_core::authz::Enforcement,
    /// The authorizer unsigned requests are held to while signatures are
    /// verified: resource policies (a public bucket, a queue open to `*`)
    /// are then all that can admit them.
    pub anonymous_enforcement: nimbus_core::authz::Enforcement,
}

impl GatewayConfig {
    /// The authorizer a request is held to, signed or not.
    pub fn enforcement_for(&self, unsigned: bool) -> nimbus_core::authz::Enforcement {
        if unsigned && self.enforcement.0.is_none() {
            self.anonymous_enforcement.clone()
        } else {
            self.enforcement.clone()
        }
    }
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            default_account: nimbus_core::account::DEFAULT_ACCOUNT_ID.to_owned(),
            default_region: "us-east-1".to_owned(),
            max_body_bytes: 128 * 1024 * 1024,
            max_s3_body_bytes: usize::try_from(5u64 << 30).unwrap_or(usize::MAX),
            test_hooks: false,
            clock: nimbus_runtime::Clock::real(),
            verify_signatures: false,
            enforcement: nimbus_core::authz::Enforcement::default(),
            anonymous_enforcement: nimbus_core::authz::Enforcement::default(),
        }
    }
}
