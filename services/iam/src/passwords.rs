//! Console passwords: users' login profiles, the account's password
//! policy they are held to, and users changing their own password.
//!
//! Without a policy of its own an account is held to AWS's default one
//! (at least 8 characters, three of the four character kinds); with one,
//! to its settings, reuse of recent passwords included.

use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_api::{
    ChangePasswordRequest, CreateLoginProfileRequest, CreateLoginProfileResponse, DeleteLoginProfileRequest,
    GetAccountPasswordPolicyResponse, GetLoginProfileRequest, GetLoginProfileResponse, LoginProfile,
    PasswordPolicy, UpdateAccountPasswordPolicyRequest, UpdateLoginProfileRequest,
};
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::Iam;
use crate::account::load_account;
use crate::common::{arn, timestamp};
use crate::entities::{require, save};
use crate::errors::{
    entity_already_exists, invalid_input, invalid_user_type, no_such_entity, password_policy_violation,
    user_not_found,
};
use crate::records::{self, AccountRecord, Kind, PasswordPolicyRecord, UserRecord, account_key};
use nimbus_core::authz::{Access, Resource};

/// The characters IAM counts as symbols.
const SYMBOLS: &str = "!@#$%^&*()_+-=[]{}|'";

fn login_profile_not_found(user: &str) -> AwsError {
    no_such_entity(format!("Login Profile for User {user} cannot be found."))
}

/// `salt$sha256(salt + password)`, hex.
fn hash_password(password: &str) -> String {
    let salt: u64 = rand::rng().random();
    let salt = format!("{salt:016x}");
    format!("{salt}${}", digest(&salt, password))
}

fn digest(salt: &str, password: &str) -> String {
    Sha256::digest(format!("{salt}{password}"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn password_matches(stored: &str, password: &str) -> bool {
    stored
        .split_once('$')
        .is_some_and(|(salt, hash)| digest(salt, password) == hash)
}

/// Holds a new password to the account's policy (AWS's default one when
/// the account has none) and to its recent passwords.
fn check_password(
    password: &str,
    policy: Option<&PasswordPolicyRecord>,
    previous: &[String],
) -> Result<(), AwsError> {
    let kinds = [
        (
            password.chars().any(|c| c.is_ascii_uppercase()),
            "uppercase letter",
        ),
        (
            password.chars().any(|c| c.is_ascii_lowercase()),
            "lowercase letter",
        ),
        (password.chars().any(|c| c.is_ascii_digit()), "number"),
        (password.chars().any(|c| SYMBOLS.contains(c)), "symbol"),
    ];
    let Some(policy) = policy else {
        if password.chars().count() < 8 {
            return Err(password_policy_violation(
                "Password should have a minimum length of 8",
            ));
        }
        let missing: Vec<String> = kinds
            .iter()
            .filter(|(present, _)| !present)
            .map(|(_, kind)| format!("Password should have at least one {kind}"))
            .collect();
        if missing.len() > 1 {
            return Err(password_policy_violation(format!(
                "Password should meet {} more of the following requirements: {}",
                missing.len() - 1,
                missing.join(", ")
            )));
        }
        return Ok(());
    };
    let required = [
        policy.require_uppercase,
        policy.require_lowercase,
        policy.require_numbers,
        policy.require_symbols,
    ];
    let short = password.chars().count() < usize::try_from(policy.minimum_length).unwrap_or(6);
    let lacking = kinds
        .iter()
        .zip(required)
        .any(|((present, _), required)| required && !present);
    let reuse = usize::try_from(policy.reuse_prevention).unwrap_or_default();
    let reused = previous
        .iter()
        .take(reuse)
        .any(|old| password_matches(old, password));
    if short || lacking || reused {
        return Err(password_policy_violation(
            "Password does not conform to the account password policy.",
        ));
    }
    Ok(())
}

fn profile_output(user: &UserRecord, profile: &records::LoginProfile) -> LoginProfile {
    LoginProfile {
        user_name: user.name.clone(),
        create_date: timestamp(profile.created),
        password_reset_required: Some(profile.password_reset_required),
    }
}

impl Iam {
    pub(crate) async fn create_login_profile(
        &self,
        ctx: &RequestContext,
        input: CreateLoginProfileRequest,
    ) -> Result<CreateLoginProfileResponse, AwsError> {
        let name = self.user_or_caller(ctx, input.user_name).await?;
        let password = input
            .password
            .ok_or_else(|| invalid_input("Password is required to create a login profile."))?;
        let now = self.now();
        self.write(&ctx.account_id, move |table| {
            let mut user: UserRecord = require(table, Kind::User, &name, user_not_found)?;
            if user.login_profile.is_some() {
                return Err(entity_already_exists(format!(
                    "Login Profile for user {} already exists.",
                    user.name
                )));
            }
            let account = load_account(table)?;
            check_password(&password, account.password_policy.as_ref(), &[])?;
            let profile = records::LoginProfile {
                created: now,
                password_reset_required: input.password_reset_required.unwrap_or(false),
                password: hash_password(&password),
                changed: now,
                previous: Vec::new(),
            };
            let output = profile_output(&user, &profile);
            user.login_profile = Some(profile);
            save(table, Kind::User, &user.name.clone(), &user)?;
            Ok(CreateLoginProfileResponse {
                login_profile: output,
            })
        })
        .await
    }

    pub(crate) async fn get_login_profile(
        &self,
        ctx: &RequestContext,
        input: GetLoginProfileRequest,
    ) -> Result<GetLoginProfileResponse, AwsError> {
        let name = self.user_or_caller(ctx, input.user_name).await?;
        self.read(&ctx.account_id, move |table| {
            let user: UserRecord = require(table, Kind::User, &name, user_not_found)?;
            let profile = user
                .login_profile
                .as_ref()
                .ok_or_else(|| login_profile_not_found(&user.name))?;
            Ok(GetLoginProfileResponse {
                login_profile: profile_output(&user, profile),
            })
        })
        .await
    }

    pub(crate) async fn update_login_profile(
        &self,
        ctx: &RequestContext,
        input: UpdateLoginProfileRequest,
    ) -> Result<(), AwsError> {
        let now = self.now();
        self.write(&ctx.account_id, move |table| {
            let mut user: UserRecord = require(table, Kind::User, &input.user_name, user_not_found)?;
            let policy = load_account(table)?.password_policy;
            let profile = user
                .login_profile
                .as_mut()
                .ok_or_else(|| login_profile_not_found(&input.user_name))?;
            if let Some(password) = &input.password {
                set_password(profile, password, policy.as_ref(), now)?;
            }
            if let Some(reset) = input.password_reset_required {
                profile.password_reset_required = reset;
            }
            save(table, Kind::User, &user.name.clone(), &user)
        })
        .await
    }

    pub(crate) async fn delete_login_profile(
        &self,
        ctx: &RequestContext,
        input: DeleteLoginProfileRequest,
    ) -> Result<(), AwsError> {
        let name = self.user_or_caller(ctx, input.user_name).await?;
        self.write(&ctx.account_id, move |table| {
            let mut user: UserRecord = require(table, Kind::User, &name, user_not_found)?;
            if user.login_profile.take().is_none() {
                return Err(login_profile_not_found(&user.name));
            }
            save(table, Kind::User, &user.name.clone(), &user)
        })
        .await
    }

    /// An IAM user changes its own password, knowing the current one.
    pub(crate) async fn change_password(
        &self,
        ctx: &RequestContext,
        input: ChangePasswordRequest,
    ) -> Result<(), AwsError> {
        let name = self
            .caller_user_name(ctx)
            .await?
            .ok_or_else(|| invalid_user_type("Only IAM users can change their password."))?;
        self.authorize_change_password(ctx, &name).await?;
        let now = self.now();
        self.write(&ctx.account_id, move |table| {
            let mut user: UserRecord = require(table, Kind::User, &name, user_not_found)?;
            let policy = load_account(table)?.password_policy;
            let profile = user
                .login_profile
                .as_mut()
                .ok_or_else(|| login_profile_not_found(&name))?;
            if !password_matches(&profile.password, &input.old_password) {
                return Err(invalid_user_type("The old password was incorrect."));
            }
            set_password(profile, &input.new_password, policy.as_ref(), now)?;
            profile.password_reset_required = false;
            save(table, Kind::User, &user.name.clone(), &user)
        })
        .await
    }

    /// Under IAM enforcement: the account's AllowUsersToChangePassword lets
    /// every user change its own password; otherwise it takes
    /// iam:ChangePassword on the user itself.
    async fn authorize_change_password(&self, ctx: &RequestContext, name: &str) -> Result<(), AwsError> {
        if ctx.enforcement.0.is_none() {
            return Ok(());
        }
        let user_name = name.to_owned();
        let (path, self_service) = self
            .read(&ctx.account_id, move |table| {
                let user: UserRecord = require(table, Kind::User, &user_name, user_not_found)?;
                let allowed = load_account(table)?
                    .password_policy
                    .is_some_and(|p| p.allow_users_to_change);
                Ok((user.path, allowed))
            })
            .await?;
        if self_service {
            return Ok(());
        }
        let access = Access {
            action: "iam:ChangePassword",
            resources: vec![Resource {
                arn: arn(&ctx.account_id, "user", &path, name),
                account: ctx.account_id.clone(),
                policy: None,
                keys: Default::default(),
            }],
            keys: Vec::new(),
            input_keys: Default::default(),
        };
        ctx.enforcement
            .check(ctx, &access)
            .await
            .map_err(|denial| AwsError::new("AccessDenied", denial.message(), 403))
    }

    pub(crate) async fn update_account_password_policy(
        &self,
        ctx: &RequestContext,
        input: UpdateAccountPasswordPolicyRequest,
    ) -> Result<(), AwsError> {
        validate_policy(&input)?;
        let policy = PasswordPolicyRecord {
            minimum_length: input.minimum_password_length.unwrap_or(6),
            require_symbols: input.require_symbols.unwrap_or(false),
            require_numbers: input.require_numbers.unwrap_or(false),
            require_uppercase: input.require_uppercase_characters.unwrap_or(false),
            require_lowercase: input.require_lowercase_characters.unwrap_or(false),
            allow_users_to_change: input.allow_users_to_change_password.unwrap_or(false),
            max_age: input.max_password_age.unwrap_or(0),
            reuse_prevention: input.password_reuse_prevention.unwrap_or(0),
            hard_expiry: input.hard_expiry,
        };
        self.update_account(&ctx.account_id, move |account| {
            account.password_policy = Some(policy);
            Ok(())
        })
        .await
    }

    pub(crate) async fn get_account_password_policy(
        &self,
        ctx: &RequestContext,
    ) -> Result<GetAccountPasswordPolicyResponse, AwsError> {
        let account_id = ctx.account_id.clone();
        let account: AccountRecord = self.read(&ctx.account_id, load_account).await?;
        let policy = account.password_policy.ok_or_else(|| {
            no_such_entity(format!(
                "The Password Policy with domain name {account_id} cannot be found."
            ))
        })?;
        Ok(GetAccountPasswordPolicyResponse {
            password_policy: PasswordPolicy {
                minimum_password_length: Some(policy.minimum_length),
                require_symbols: Some(policy.require_symbols),
                require_numbers: Some(policy.require_numbers),
                require_uppercase_characters: Some(policy.require_uppercase),
                require_lowercase_characters: Some(policy.require_lowercase),
                allow_users_to_change_password: Some(policy.allow_users_to_change),
                expire_passwords: Some(policy.max_age > 0),
                max_password_age: (policy.max_age > 0).then_some(policy.max_age),
                password_reuse_prevention: (policy.reuse_prevention > 0).then_some(policy.reuse_prevention),
                hard_expiry: policy.hard_expiry,
            },
        })
    }

    pub(crate) async fn delete_account_password_policy(&self, ctx: &RequestContext) -> Result<(), AwsError> {
        self.update_account(&ctx.account_id, |account| {
            account
                .password_policy
                .take()
                .map(|_| ())
                .ok_or_else(|| no_such_entity("The account policy with name PasswordPolicy cannot be found."))
        })
        .await
    }

    /// Changes the account's own settings in one write.
    pub(crate) async fn update_account(
        &self,
        account_id: &str,
        change: impl FnOnce(&mut AccountRecord) -> Result<(), AwsError> + Send + 'static,
    ) -> Result<(), AwsError> {
        self.write(account_id, move |table| {
            let mut account = load_account(table)?;
            change(&mut account)?;
            Ok(table.put_json(account_key(), &account)?)
        })
        .await
    }
}

/// A new password, held to the policy and to the recent ones.
fn set_password(
    profile: &mut records::LoginProfile,
    password: &str,
    policy: Option<&PasswordPolicyRecord>,
    now: i64,
) -> Result<(), AwsError> {
    let mut history = vec![profile.password.clone()];
    history.extend(profile.previous.iter().cloned());
    check_password(password, policy, &history)?;
    profile.previous = history.into_iter().filter(|p| !p.is_empty()).take(24).collect();
    profile.password = hash_password(password);
    profile.changed = now;
    Ok(())
}

/// The limits the model sets, worded as IAM's validation words them.
fn validate_policy(input: &UpdateAccountPasswordPolicyRequest) -> Result<(), AwsError> {
    let checks = [
        ("minimumPasswordLength", input.minimum_password_length, 6, 128),
        ("passwordReusePrevention", input.password_reuse_prevention, 1, 24),
        ("maxPasswordAge", input.max_password_age, 1, 1095),
    ];
    let problems: Vec<String> = checks
        .iter()
        .filter_map(|&(name, value, min, max)| {
            let value = value?;
            let bound = if value < min {
                format!("greater than or equal to {min}")
            } else if value > max {
                format!("less than or equal to {max}")
            } else {
                return None;
            };
            Some(format!(
                "Value at '{name}' failed to satisfy constraint: Member must have value {bound}"
            ))
        })
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    let count = match problems.len() {
        1 => "1 validation error detected".to_owned(),
        n => format!("{n} validation errors detected"),
    };
    Err(AwsError::new(
        "ValidationError",
        format!("{count}: {}", problems.join("; ")),
        400,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_wants_eight_characters_of_three_kinds() {
        let message = |password: &str| check_password(password, None, &[]).err().map(|e| e.message);
        assert_eq!(
            message("Ab1!").as_deref(),
            Some("Password should have a minimum length of 8")
        );
        assert_eq!(
            message("abcdefgh1").as_deref(),
            Some(
                "Password should meet 1 more of the following requirements: \
                 Password should have at least one uppercase letter, Password should have at least one symbol"
            )
        );
        assert_eq!(message("abcdefgH1"), None);
    }

    #[test]
    fn a_custom_policy_checks_length_kinds_and_reuse() {
        let policy = PasswordPolicyRecord {
            minimum_length: 10,
            require_symbols: true,
            reuse_prevention: 1,
            ..Default::default()
        };
        let old = hash_password("old-password!");
        assert!(check_password("short!", Some(&policy), &[]).is_err());
        assert!(check_password("long-enough-but-no-symbol", Some(&policy), &[]).is_ok());
        assert!(check_password("longenoughnosymbol", Some(&policy), &[]).is_err());
        assert!(check_password("old-password!", Some(&policy), std::slice::from_ref(&old)).is_err());
        assert!(password_matches(&old, "old-password!"));
        assert!(!password_matches(&old, "other"));
    }

    #[test]
    fn out_of_range_settings_are_validation_errors() {
        let input = UpdateAccountPasswordPolicyRequest {
            minimum_password_length: Some(129),
            password_reuse_prevention: Some(25),
            max_password_age: Some(1096),
            ..Default::default()
        };
        let error = validate_policy(&input).expect_err("out of range");
        assert_eq!(error.code, "ValidationError");
        assert!(
            error
                .message
                .starts_with("3 validation errors detected: Value at 'minimumPasswordLength'")
        );
    }
}
