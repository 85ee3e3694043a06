//! The service through its generated server, as other services call it
//! (typed inputs checked against the model like a client's).

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use nimbus_core::identity::CredentialRegistry;
use nimbus_core::{AwsError, RequestContext, Value, from_value, structure, to_value};
use nimbus_protocol::service::{Call, Input, NoInput, Output, Service};
use nimbus_sts_api::*;
use serde_json::json;

use crate::Sts;
use crate::credentials::expires_in;
use crate::{jwt, saml};

const ROLE: &str = "arn:aws:iam::111111111111:role/deployer";

/// Handlers never await anything, so one poll finishes them.
fn ready<T>(future: impl Future<Output = T>) -> T {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("STS handlers complete without waiting"),
    }
}

struct Fixture {
    sts: StsServer<Sts>,
    registry: Arc<CredentialRegistry>,
}

impl Fixture {
    fn new() -> Self {
        let registry = Arc::new(CredentialRegistry::new());
        Fixture {
            sts: StsServer(Sts::new(registry.clone())),
            registry,
        }
    }

    /// One typed call through the server.
    fn typed<I: Input, O: Output>(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Value,
    ) -> Result<Value, AwsError> {
        let model = nimbus_protocol::models::get("sts").expect("vendored");
        let id = model.operation(operation).expect("an STS operation").id;
        let input: I = from_value(input)?;
        let output: O = ready(self.sts.call(ctx, Call::typed(id, input))).into_typed()?;
        Ok(to_value(&output))
    }

    /// Calls `operation` signed with `access_key`, in the account the gateway
    /// would pick for it.
    fn call_as(&self, access_key: &str, operation: &str, input: Value) -> Result<Value, AwsError> {
        let mut ctx = RequestContext::for_tests("sts", operation);
        ctx.access_key_id = Some(access_key.to_owned());
        ctx.account_id = match self.registry.lookup(access_key) {
            Some(identity) => identity.account_id,
            None => nimbus_core::account::account_for_access_key(access_key, "000000000000").to_owned(),
        };
        match operation {
            "AssumeRole" => self.typed::<AssumeRoleRequest, AssumeRoleResponse>(&ctx, operation, input),
            "AssumeRoleWithSAML" => {
                self.typed::<AssumeRoleWithSAMLRequest, AssumeRoleWithSAMLResponse>(&ctx, operation, input)
            }
            "AssumeRoleWithWebIdentity" => self
                .typed::<AssumeRoleWithWebIdentityRequest, AssumeRoleWithWebIdentityResponse>(
                    &ctx, operation, input,
                ),
            "GetAccessKeyInfo" => {
                self.typed::<GetAccessKeyInfoRequest, GetAccessKeyInfoResponse>(&ctx, operation, input)
            }
            "GetCallerIdentity" => {
                self.typed::<GetCallerIdentityRequest, GetCallerIdentityResponse>(&ctx, operation, input)
            }
            "GetFederationToken" => {
                self.typed::<GetFederationTokenRequest, GetFederationTokenResponse>(&ctx, operation, input)
            }
            "GetSessionToken" => {
                self.typed::<GetSessionTokenRequest, GetSessionTokenResponse>(&ctx, operation, input)
            }
            other => self.typed::<NoInput, ()>(&ctx, other, input),
        }
    }

    fn call(&self, operation: &str, input: Value) -> Result<Value, AwsError> {
        self.call_as("test", operation, input)
    }

    fn caller_identity(&self, access_key: &str) -> GetCallerIdentityResponse {
        let output = self.call_as(access_key, "GetCallerIdentity", Value::empty());
        from_value(output.expect("GetCallerIdentity succeeds")).expect("typed output")
    }

    fn assume_role(
        &self,
        access_key: &str,
        input: AssumeRoleRequest,
    ) -> Result<AssumeRoleResponse, AwsError> {
        let output = self.call_as(access_key, "AssumeRole", to_value(&input))?;
        Ok(from_value(output).expect("typed output"))
    }
}

fn assume(role_arn: &str, session: &str) -> AssumeRoleRequest {
    AssumeRoleRequest {
        role_arn: role_arn.to_owned(),
        role_session_name: session.to_owned(),
        ..AssumeRoleRequest::default()
    }
}

fn access_key_of(response: &AssumeRoleResponse) -> String {
    response
        .credentials
        .as_ref()
        .map(|c| c.access_key_id.clone())
        .expect("credentials")
}

fn error_of(result: Result<Value, AwsError>) -> AwsError {
    result.expect_err("the call fails")
}

#[test]
fn default_credentials_are_the_root_of_the_default_account() {
    let identity = Fixture::new().caller_identity("test");
    assert_eq!(identity.account.as_deref(), Some("000000000000"));
    assert_eq!(identity.arn.as_deref(), Some("arn:aws:iam::000000000000:root"));
    assert_eq!(identity.user_id.as_deref(), Some("000000000000"));
}

#[test]
fn a_twelve_digit_key_is_the_root_of_that_account() {
    let identity = Fixture::new().caller_identity("123456789012");
    assert_eq!(identity.account.as_deref(), Some("123456789012"));
    assert_eq!(identity.arn.as_deref(), Some("arn:aws:iam::123456789012:root"));
}

#[test]
fn assume_role_issues_credentials_for_the_roles_account() {
    let fixture = Fixture::new();
    let response = fixture
        .assume_role("test", assume(ROLE, "ci-run"))
        .expect("assumed");
    let credentials = response.credentials.as_ref().expect("credentials");
    assert!(credentials.access_key_id.starts_with("ASIA"));
    assert_eq!(credentials.access_key_id.len(), 20);
    assert_eq!(credentials.secret_access_key.len(), 40);
    let expected_expiry = expires_in(3600).seconds;
    assert!((expected_expiry - credentials.expiration.seconds).abs() <= 1);
    let user = response.assumed_role_user.as_ref().expect("user");
    assert_eq!(user.arn, "arn:aws:sts::111111111111:assumed-role/deployer/ci-run");
    assert!(user.assumed_role_id.starts_with("AROA"));
    assert!(user.assumed_role_id.ends_with(":ci-run"));
    assert_eq!(response.packed_policy_size, None);

    let identity = fixture.caller_identity(&credentials.access_key_id);
    assert_eq!(identity.account.as_deref(), Some("111111111111"));
    assert_eq!(identity.arn.as_deref(), Some(user.arn.as_str()));
    assert_eq!(identity.user_id.as_deref(), Some(user.assumed_role_id.as_str()));
}

#[test]
fn role_ids_are_stable_per_role() {
    let fixture = Fixture::new();
    let role_id = |role: &str, session: &str| {
        let response = fixture
            .assume_role("test", assume(role, session))
            .expect("assumed");
        let id = response.assumed_role_user.expect("user").assumed_role_id;
        id.split(':').next().map(str::to_owned).expect("role id")
    };
    assert_eq!(role_id(ROLE, "one"), role_id(ROLE, "two"));
    assert_ne!(
        role_id(ROLE, "one"),
        role_id("arn:aws:iam::111111111111:role/other", "one")
    );
}

#[test]
fn assume_role_accepts_the_optional_members() {
    let fixture = Fixture::new();
    let input = AssumeRoleRequest {
        policy: Some(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
                .into(),
        ),
        duration_seconds: Some(900),
        external_id: Some("ext-123".into()),
        source_identity: Some("alice".into()),
        tags: Some(vec![Tag {
            key: "team".into(),
            value: "infra".into(),
        }]),
        ..assume(ROLE, "with-extras")
    };
    let response = fixture.assume_role("test", input).expect("assumed");
    assert!(matches!(response.packed_policy_size, Some(n) if (1..=100).contains(&n)));
    assert_eq!(response.source_identity.as_deref(), Some("alice"));
    let expiry = response.credentials.expect("credentials").expiration.seconds;
    assert!((expires_in(900).seconds - expiry).abs() <= 1);
}

#[test]
fn invalid_role_arns_are_rejected_as_aws_does() {
    let fixture = Fixture::new();
    for arn in [
        "arn:aws:iam::111111111111:user/alice",
        "definitely-not-an-arn-at-all",
    ] {
        let error = fixture.assume_role("test", assume(arn, "s1")).expect_err(arn);
        assert_eq!((error.code.as_ref(), error.status), ("ValidationError", 400));
        assert_eq!(error.message, "Request ARN is invalid");
    }
}

#[test]
fn durations_outside_the_model_range_are_validation_errors() {
    let fixture = Fixture::new();
    let error = fixture
        .assume_role(
            "test",
            AssumeRoleRequest {
                duration_seconds: Some(100),
                ..assume(ROLE, "s1")
            },
        )
        .expect_err("too short");
    assert_eq!((error.code.as_ref(), error.status), ("ValidationError", 400));
    assert_eq!(
        error.message,
        "1 validation error detected: Value '100' at 'durationSeconds' failed to satisfy constraint: \
         Member must have value greater than or equal to 900"
    );
    let error = fixture
        .assume_role(
            "test",
            AssumeRoleRequest {
                duration_seconds: Some(43201),
                ..assume(ROLE, "s1")
            },
        )
        .expect_err("too long");
    assert!(
        error
            .message
            .ends_with("Member must have value less than or equal to 43200")
    );
    let longest = AssumeRoleRequest {
        duration_seconds: Some(43200),
        ..assume(ROLE, "s1")
    };
    assert!(fixture.assume_role("test", longest).is_ok());
}

#[test]
fn session_names_must_be_2_to_64_iam_characters() {
    let fixture = Fixture::new();
    for (name, constraint) in [
        ("x", "Member must have length greater than or equal to 2"),
        (
            "has space",
            r"Member must satisfy regular expression pattern: [\w+=,.@-]*",
        ),
    ] {
        let error = fixture.assume_role("test", assume(ROLE, name)).expect_err(name);
        assert_eq!(error.code, "ValidationError");
        assert_eq!(
            error.message,
            format!(
                "1 validation error detected: Value '{name}' at 'roleSessionName' failed to satisfy constraint: \
                 {constraint}"
            )
        );
    }
    let long = "n".repeat(64);
    assert!(fixture.assume_role("test", assume(ROLE, &long)).is_ok());
    assert!(
        fixture
            .assume_role("test", assume(ROLE, "a+b=c,d.e@f-g_h"))
            .is_ok()
    );
}

#[test]
fn malformed_session_policies_are_rejected() {
    let fixture = Fixture::new();
    let input = AssumeRoleRequest {
        policy: Some("{not json".into()),
        ..assume(ROLE, "s1")
    };
    let error = fixture.assume_role("test", input).expect_err("bad policy");
    assert_eq!(
        (error.code.as_ref(), error.status),
        ("MalformedPolicyDocument", 400)
    );
}

#[test]
fn role_chains_are_limited_to_one_hour() {
    let fixture = Fixture::new();
    let first = fixture
        .assume_role("test", assume(ROLE, "first"))
        .expect("assumed");
    let chained_key = access_key_of(&first);
    let too_long = AssumeRoleRequest {
        duration_seconds: Some(3601),
        ..assume("arn:aws:iam::222222222222:role/next", "second")
    };
    let error = fixture.assume_role(&chained_key, too_long).expect_err("chained");
    assert_eq!(error.code, "ValidationError");
    assert_eq!(
        error.message,
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    );
    let second = fixture
        .assume_role(
            &chained_key,
            assume("arn:aws:iam::222222222222:role/next", "second"),
        )
        .expect("an hour is fine");
    let identity = fixture.caller_identity(&access_key_of(&second));
    assert_eq!(identity.account.as_deref(), Some("222222222222"));
    assert_eq!(
        identity.arn.as_deref(),
        Some("arn:aws:sts::222222222222:assumed-role/next/second")
    );
}

#[test]
fn session_tokens_act_as_the_caller() {
    let fixture = Fixture::new();
    let output = fixture.call_as("123456789012", "GetSessionToken", Value::empty());
    let response: GetSessionTokenResponse = from_value(output.expect("issued")).expect("typed");
    let credentials = response.credentials.expect("credentials");
    assert!(credentials.access_key_id.starts_with("ASIA"));
    assert!((expires_in(43200).seconds - credentials.expiration.seconds).abs() <= 1);
    let identity = fixture.caller_identity(&credentials.access_key_id);
    assert_eq!(identity.account.as_deref(), Some("123456789012"));
    assert_eq!(identity.arn.as_deref(), Some("arn:aws:iam::123456789012:root"));

    let error = error_of(fixture.call_as(&credentials.access_key_id, "GetSessionToken", Value::empty()));
    assert_eq!((error.code.as_ref(), error.status), ("AccessDenied", 403));
    assert_eq!(
        error.message,
        "Cannot call GetSessionToken with session credentials"
    );
}

#[test]
fn session_token_durations_are_900_to_129600() {
    let fixture = Fixture::new();
    let longest = fixture.call("GetSessionToken", structure! { "DurationSeconds" => 129_600i64 });
    assert!(longest.is_ok());
    let error = error_of(fixture.call("GetSessionToken", structure! { "DurationSeconds" => 129_601i64 }));
    assert_eq!(
        error.message,
        "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: \
         Member must have value less than or equal to 129600"
    );
    let error = error_of(fixture.call("GetSessionToken", structure! { "DurationSeconds" => 899i64 }));
    assert!(
        error
            .message
            .ends_with("Member must have value greater than or equal to 900")
    );
}

#[test]
fn federation_tokens_name_a_federated_user() {
    let fixture = Fixture::new();
    let output = fixture.call("GetFederationToken", structure! { "Name" => "bob" });
    let response: GetFederationTokenResponse = from_value(output.expect("issued")).expect("typed");
    let user = response.federated_user.expect("user");
    assert_eq!(user.arn, "arn:aws:sts::000000000000:federated-user/bob");
    assert_eq!(user.federated_user_id, "000000000000:bob");
    let key = response.credentials.expect("credentials").access_key_id;
    assert_eq!(fixture.caller_identity(&key).arn, Some(user.arn));
    let error = error_of(fixture.call_as(&key, "GetFederationToken", structure! { "Name" => "eve" }));
    assert_eq!(error.code, "AccessDenied");
}

#[test]
fn access_key_info_names_the_account() {
    let fixture = Fixture::new();
    let assumed = fixture.assume_role("test", assume(ROLE, "s1")).expect("assumed");
    let account_of = |key: &str| {
        let output = fixture.call("GetAccessKeyInfo", structure! { "AccessKeyId" => key });
        output.expect("answered").get("Account").cloned()
    };
    assert_eq!(
        account_of(&access_key_of(&assumed)),
        Some(Value::from("111111111111"))
    );
    // A 12-digit key names its account elsewhere, but is too short for the
    // model's AccessKeyId: refused as a client's request would be.
    let short = error_of(fixture.call("GetAccessKeyInfo", structure! { "AccessKeyId" => "333333333333" }));
    assert_eq!(short.code, "ValidationError");
    assert_eq!(
        account_of("AKIAIOSFODNN7EXAMPLE"),
        Some(Value::from("000000000000"))
    );
}

#[test]
fn web_identity_tokens_start_role_sessions() {
    let fixture = Fixture::new();
    let token = jwt::token_with(&json!({
        "sub": "user-42", "iss": "https://oidc.example", "aud": "my-client", "exp": expires_in(600).seconds
    }));
    let input = structure! {
        "RoleArn" => ROLE, "RoleSessionName" => "web", "WebIdentityToken" => token.as_str(),
    };
    let output = fixture.call_as("", "AssumeRoleWithWebIdentity", input);
    let response: AssumeRoleWithWebIdentityResponse = from_value(output.expect("assumed")).expect("typed");
    assert_eq!(
        response.subject_from_web_identity_token.as_deref(),
        Some("user-42")
    );
    assert_eq!(response.provider.as_deref(), Some("https://oidc.example"));
    assert_eq!(response.audience.as_deref(), Some("my-client"));
    let key = response.credentials.expect("credentials").access_key_id;
    assert_eq!(
        fixture.caller_identity(&key).arn.as_deref(),
        Some("arn:aws:sts::111111111111:assumed-role/deployer/web")
    );
}

#[test]
fn expired_and_malformed_web_identity_tokens_are_refused() {
    let fixture = Fixture::new();
    let expired = jwt::token_with(&json!({"sub": "u", "exp": 1_000_000_000}));
    let input = |token: &str| {
        structure! { "RoleArn" => ROLE, "RoleSessionName" => "web", "WebIdentityToken" => token }
    };
    let error = error_of(fixture.call("AssumeRoleWithWebIdentity", input(&expired)));
    assert_eq!(
        (error.code.as_ref(), error.status),
        ("ExpiredTokenException", 400)
    );
    assert!(error.message.starts_with("Token expired: current date/time "));
    let error = error_of(fixture.call("AssumeRoleWithWebIdentity", input("opaque")));
    assert_eq!((error.code.as_ref(), error.status), ("InvalidIdentityToken", 400));
}

#[test]
fn saml_assertions_start_sessions_named_by_the_assertion() {
    let fixture = Fixture::new();
    let input = structure! {
        "RoleArn" => ROLE,
        "PrincipalArn" => "arn:aws:iam::111111111111:saml-provider/Corp",
        "SAMLAssertion" => saml::encode(saml::SAMPLE),
    };
    let output = fixture.call_as("", "AssumeRoleWithSAML", input);
    let response: AssumeRoleWithSAMLResponse = from_value(output.expect("assumed")).expect("typed");
    let user = response.assumed_role_user.expect("user");
    assert_eq!(
        user.arn,
        "arn:aws:sts::111111111111:assumed-role/deployer/alice@example.com"
    );
    assert_eq!(response.subject.as_deref(), Some("alice&co"));
    assert_eq!(response.subject_type.as_deref(), Some("persistent"));
    assert_eq!(response.issuer.as_deref(), Some("https://idp.example/"));
    assert_eq!(response.name_qualifier.map(|q| q.len()), Some(28));
    let credentials = response.credentials.expect("credentials");
    assert!((expires_in(1800).seconds - credentials.expiration.seconds).abs() <= 1);
    assert_eq!(
        fixture.caller_identity(&credentials.access_key_id).arn,
        Some(user.arn)
    );

    let bad_principal = structure! {
        "RoleArn" => ROLE,
        "PrincipalArn" => ROLE,
        "SAMLAssertion" => saml::encode(saml::SAMPLE),
    };
    let error = error_of(fixture.call("AssumeRoleWithSAML", bad_principal));
    assert_eq!(error.message, "Request ARN is invalid");
}

#[test]
fn typed_calls_are_checked_against_the_model() {
    let error = error_of(Fixture::new().call(
        "AssumeRole",
        structure! { "RoleArn" => "arn:short", "RoleSessionName" => "s1" },
    ));
    assert_eq!(error.code, "ValidationError");
    assert_eq!(
        error.message,
        "1 validation error detected: Value 'arn:short' at 'roleArn' failed to satisfy constraint: \
         Member must have length greater than or equal to 20"
    );
}

#[test]
fn other_operations_are_not_implemented() {
    let error = error_of(Fixture::new().call("DecodeAuthorizationMessage", Value::empty()));
    assert_eq!((error.code.as_ref(), error.status), ("NotImplemented", 501));
    assert!(error.message.contains("DecodeAuthorizationMessage"));
}

#[test]
fn reset_forgets_issued_credentials() {
    let fixture = Fixture::new();
    let key = access_key_of(&fixture.assume_role("test", assume(ROLE, "s1")).expect("assumed"));
    fixture.sts.reset();
    assert_eq!(fixture.registry.lookup(&key), None);
    assert_eq!(fixture.sts.model_name(), "sts");
}

#[test]
fn every_listed_operation_is_implemented() {
    let fixture = Fixture::new();
    let ctx = RequestContext::for_tests("sts", "-");
    assert_eq!(
        ready(unimplemented_operations(&fixture.sts.0, &ctx)),
        Vec::<&str>::new()
    );
}

/// Credentials expire on the server clock: the expiration STS reports is
/// the clock's now plus the duration, and the registry calls them expired
/// from that second on (the gateway then refuses them).
#[test]
fn role_credentials_expire_on_the_server_clock() {
    let test_clock = nimbus_runtime::TestClock::new();
    let registry = Arc::new(CredentialRegistry::new());
    let fixture = Fixture {
        sts: StsServer(Sts::new(registry.clone()).with_clock(test_clock.clock())),
        registry,
    };
    let now = test_clock
        .now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after the epoch")
        .as_secs();
    let output = fixture
        .call_as(
            "AKIAALICE",
            "AssumeRole",
            structure! { "RoleArn" => ROLE, "RoleSessionName" => "s1", "DurationSeconds" => 900i64 },
        )
        .expect("AssumeRole succeeds");
    let response: AssumeRoleResponse = from_value(output).expect("typed output");
    let credentials = response.credentials.expect("credentials");
    assert_eq!(
        credentials.expiration.seconds,
        i64::try_from(now + 900).expect("fits")
    );
    let key = credentials.access_key_id;
    assert!(!fixture.registry.expired(&key, now + 899));
    assert!(fixture.registry.expired(&key, now + 900));
    let session = fixture
        .registry
        .lookup(&key)
        .and_then(|i| i.session)
        .expect("a session");
    assert_eq!(session.expires, now + 900);
}

/// What a session was started with is kept for the authorizer: the
/// inline session policy, the tags, whether MFA came with it.
#[test]
fn sessions_keep_their_policies_tags_and_mfa() {
    let fixture = Fixture::new();
    let policy =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}"#;
    let output = fixture
        .call_as(
            "AKIAALICE",
            "AssumeRole",
            structure! {
                "RoleArn" => ROLE,
                "RoleSessionName" => "s1",
                "Policy" => policy,
                "SerialNumber" => "arn:aws:iam::111111111111:mfa/alice",
                "TokenCode" => "123456",
                "Tags" => nimbus_core::Value::List(vec![structure! { "Key" => "team", "Value" => "blue" }]),
            },
        )
        .expect("AssumeRole succeeds");
    let response: AssumeRoleResponse = from_value(output).expect("typed output");
    let key = response.credentials.expect("credentials").access_key_id;
    let session = fixture
        .registry
        .lookup(&key)
        .and_then(|i| i.session)
        .expect("a session");
    assert_eq!(session.policies, vec![policy.to_owned()]);
    assert_eq!(session.tags, vec![("team".to_owned(), "blue".to_owned())]);
    assert!(session.mfa);
}

/// Kept credentials come back after a restart while they last; expired
/// ones are dropped (the restart's clock decides).
#[test]
fn kept_credentials_come_back_until_they_expire() {
    let store = Arc::new(nimbus_store::Store::ephemeral().expect("a store"));
    let start = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_704_067_200);
    let first = Sts::new(Arc::new(CredentialRegistry::new()))
        .with_clock(nimbus_runtime::TestClock::at(start).clock())
        .with_store(Arc::clone(&store));
    let mut ctx = RequestContext::for_tests("sts", "AssumeRole");
    ctx.access_key_id = Some("AKIAALICE".to_owned());
    let input = AssumeRoleRequest {
        role_arn: ROLE.to_owned(),
        role_session_name: "s1".to_owned(),
        duration_seconds: Some(900),
        ..Default::default()
    };
    let key = first
        .assume_role(&ctx, input)
        .expect("AssumeRole succeeds")
        .credentials
        .expect("issued")
        .access_key_id;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(first.keep(Some(&key))).expect("kept");
    let back_at = |seconds: u64| {
        let registry = Arc::new(CredentialRegistry::new());
        let _restarted = Sts::new(registry.clone())
            .with_clock(
                nimbus_runtime::TestClock::at(start + std::time::Duration::from_secs(seconds)).clock(),
            )
            .with_store(Arc::clone(&store));
        registry.lookup(&key).is_some()
    };
    assert!(back_at(899));
    assert!(!back_at(900));
    // Dropped from the store once found expired.
    assert!(!back_at(1));
}
