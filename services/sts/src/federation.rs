//! AssumeRoleWithWebIdentity and AssumeRoleWithSAML: role sessions for users
//! of an outside identity provider. These calls are not signed; the token or
//! assertion is the proof, and nimbus believes it (no signature checks).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use nimbus_core::AwsError;
use nimbus_sts_api::errors;

use crate::Sts;
use crate::arn::{RoleArn, is_iam_name, saml_provider_name};
use crate::role::{DEFAULT_ROLE_SESSION_SECONDS, MAX_ROLE_SESSION_SECONDS, MIN_ROLE_SESSION_SECONDS};
use crate::rules::{Violations, packed_policy_size};
use crate::{jwt, saml};
use nimbus_core::identity::Session;
use nimbus_sts_api::{
    AssumeRoleWithSAMLRequest, AssumeRoleWithSAMLResponse, AssumeRoleWithWebIdentityRequest,
    AssumeRoleWithWebIdentityResponse,
};
use sha1::{Digest, Sha1};

impl Sts {
    pub(crate) fn assume_role_with_web_identity(
        &self,
        input: AssumeRoleWithWebIdentityRequest,
    ) -> Result<AssumeRoleWithWebIdentityResponse, AwsError> {
        let mut violations = Violations::new();
        violations.check_name("roleSessionName", &input.role_session_name, 2, 64);
        violations.check_duration(
            input.duration_seconds,
            MIN_ROLE_SESSION_SECONDS,
            MAX_ROLE_SESSION_SECONDS,
        );
        violations.into_result()?;

        // OAuth 2.0 access tokens are opaque; they come with a ProviderId.
        let claims = match (jwt::claims(&input.web_identity_token), &input.provider_id) {
            (Some(claims), _) => claims,
            (None, Some(_)) => jwt::Claims::default(),
            (None, None) => return Err(invalid_identity_token()),
        };
        let now = self.now_seconds();
        if let Some(expires) = claims.expires.filter(|&expires| expires <= now) {
            return Err(errors::expired_token(format!(
                "Token expired: current date/time {now} must be before the expiration date/time {expires}"
            )));
        }
        let role = RoleArn::parse(&input.role_arn)?;
        let packed = packed_policy_size(input.policy.as_deref(), 0)?;
        let duration = input.duration_seconds.unwrap_or(DEFAULT_ROLE_SESSION_SECONDS);
        let session = Session {
            policies: self.session_policies(input.policy.as_deref(), input.policy_arns.as_deref()),
            ..Session::default()
        };
        let (credentials, user) = self.start_role_session(&role, &input.role_session_name, duration, session);
        Ok(AssumeRoleWithWebIdentityResponse {
            credentials: Some(credentials),
            subject_from_web_identity_token: claims.subject,
            assumed_role_user: Some(user),
            packed_policy_size: packed,
            provider: claims.issuer.or(input.provider_id),
            audience: claims.audience,
            source_identity: None,
        })
    }

    pub(crate) fn assume_role_with_saml(
        &self,
        input: AssumeRoleWithSAMLRequest,
    ) -> Result<AssumeRoleWithSAMLResponse, AwsError> {
        let mut violations = Violations::new();
        violations.check_duration(
            input.duration_seconds,
            MIN_ROLE_SESSION_SECONDS,
            MAX_ROLE_SESSION_SECONDS,
        );
        violations.into_result()?;

        let role = RoleArn::parse(&input.role_arn)?;
        let provider = saml_provider_name(&input.principal_arn)?;
        let assertion = saml::parse(&input.saml_assertion).ok_or_else(invalid_saml_assertion)?;
        // The session is named by the assertion, not by the request.
        let session_name = assertion
            .role_session_name
            .filter(|name| name.len() >= 2 && is_iam_name(name, 64))
            .ok_or_else(|| {
                errors::invalid_identity_token(
                    "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
                )
            })?;
        let packed = packed_policy_size(input.policy.as_deref(), 0)?;
        let duration = input
            .duration_seconds
            .or(assertion.session_duration)
            .unwrap_or(DEFAULT_ROLE_SESSION_SECONDS)
            .clamp(MIN_ROLE_SESSION_SECONDS, MAX_ROLE_SESSION_SECONDS);
        let session = Session {
            policies: self.session_policies(input.policy.as_deref(), input.policy_arns.as_deref()),
            ..Session::default()
        };
        let (credentials, user) = self.start_role_session(&role, &session_name, duration, session);
        // AWS documents NameQualifier as BASE64(SHA1(issuer + account + "/" + provider name)).
        let name_qualifier = assertion.issuer.as_deref().map(|issuer| {
            let seed = format!("{issuer}{}/{provider}", role.account_id);
            STANDARD.encode(Sha1::digest(seed.as_bytes()))
        });
        Ok(AssumeRoleWithSAMLResponse {
            credentials: Some(credentials),
            assumed_role_user: Some(user),
            packed_policy_size: packed,
            subject: assertion.subject,
            subject_type: assertion.subject_type,
            issuer: assertion.issuer,
            audience: assertion.audience,
            name_qualifier,
            source_identity: None,
        })
    }
}

fn invalid_identity_token() -> AwsError {
    errors::invalid_identity_token(
        "The web identity token that was passed could not be validated by AWS. \
         Get a new identity token from the identity provider and then retry the request.",
    )
}

fn invalid_saml_assertion() -> AwsError {
    errors::invalid_identity_token(
        "The SAML assertion that was passed could not be parsed as a SAML 2.0 response.",
    )
}
