//! Virtual MFA devices: created with a TOTP seed (base32, and as the QR
//! code a phone scans), enabled for a user with two consecutive codes
//! (RFC 6238: HMAC-SHA1, six digits, 30-second steps, on the server
//! clock), resynchronised, deactivated, deleted.

use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_api::{
    CreateVirtualMFADeviceRequest, CreateVirtualMFADeviceResponse, DeactivateMFADeviceRequest,
    DeleteVirtualMFADeviceRequest, EnableMFADeviceRequest, ListMFADevicesRequest, ListMFADevicesResponse,
    ListVirtualMFADevicesRequest, ListVirtualMFADevicesResponse, MFADevice, ResyncMFADeviceRequest, Tag,
    VirtualMFADevice,
};
use rand::Rng;
use totp_rs::{Builder, Secret, Totp};

use crate::Iam;
use crate::common::{arn, page, path_or_root, timestamp};
use crate::entities::{Read, require, save};
use crate::errors::{
    delete_conflict, entity_already_exists, invalid_authentication_code, no_such_entity, user_not_found,
};
use crate::records::{Kind, MfaRecord, UserRecord};
use crate::users::user_shape;

mod qr;

/// Bytes of a new seed: 64 base32 characters, as AWS's seeds are.
const SEED_BYTES: usize = 40;

fn device_not_found(serial: &str) -> AwsError {
    no_such_entity(format!("MFA Device with serial number {serial} does not exist."))
}

/// A device's serial number: its ARN.
fn serial(account: &str, device: &MfaRecord) -> String {
    arn(account, "mfa", &device.path, &device.name)
}

/// The device name a serial number (an MFA ARN) names.
fn device_name(serial: &str) -> &str {
    serial.rsplit('/').next().unwrap_or(serial)
}

fn totp(seed: &str) -> Result<Totp, AwsError> {
    let secret =
        Secret::try_from_base32(seed).map_err(|_| AwsError::internal("a stored MFA seed is not base32"))?;
    // Two steps either way: a code typed just before a step turns passes.
    Ok(Builder::new()
        .with_secret(secret)
        .with_skew(2)
        .build_noncompliant())
}

/// Whether `code` is a current code of the device (STS's MFA-protected
/// calls), at `now` (seconds).
pub fn code_is_valid(seed: &str, code: &str, now: u64) -> bool {
    totp(seed).is_ok_and(|totp| totp.check(code, now).is_some())
}

/// Two consecutive codes of the device at `now` (seconds).
fn check_codes(seed: &str, first: &str, second: &str, now: u64) -> Result<(), AwsError> {
    let totp = totp(seed)?;
    let consecutive = totp
        .check(first, now)
        .is_some_and(|step| totp.generate((step + 1) * totp.step()).to_string() == second);
    if consecutive {
        Ok(())
    } else {
        Err(invalid_authentication_code(
            "Authentication code for device is not valid.",
        ))
    }
}

fn tags_of(tags: &[(String, String)]) -> Option<Vec<Tag>> {
    (!tags.is_empty()).then(|| {
        tags.iter()
            .map(|(key, value)| Tag {
                key: key.clone(),
                value: value.clone(),
            })
            .collect()
    })
}

impl Iam {
    fn now_seconds(&self) -> u64 {
        u64::try_from(self.now() / 1000).unwrap_or_default()
    }

    pub(crate) async fn create_virtual_mfa_device(
        &self,
        ctx: &RequestContext,
        input: CreateVirtualMFADeviceRequest,
    ) -> Result<CreateVirtualMFADeviceResponse, AwsError> {
        let path = path_or_root(input.path);
        if !path.starts_with('/') || !path.ends_with('/') {
            return Err(AwsError::new(
                "ValidationError",
                "The specified value for path is invalid. It must begin and end with / and contain only \
                 alphanumeric characters and/or / characters.",
                400,
            ));
        }
        let seed_bytes: Vec<u8> = (0..SEED_BYTES).map(|_| rand::rng().random()).collect();
        let device = MfaRecord {
            name: input.virtual_mfa_device_name,
            path,
            seed: Secret::from(seed_bytes).to_base32(),
            created: self.now(),
            tags: input
                .tags
                .unwrap_or_default()
                .into_iter()
                .map(|tag| (tag.key, tag.value))
                .collect(),
            user: None,
        };
        let account = ctx.account_id.clone();
        let stored = device.clone();
        self.write(&account, move |table| {
            if table.load::<MfaRecord>(Kind::Mfa, &stored.name)?.is_some() {
                return Err(entity_already_exists("MFA device already exists."));
            }
            save(table, Kind::Mfa, &stored.name.clone(), &stored)
        })
        .await?;
        let serial = serial(&account, &device);
        let uri = format!(
            "otpauth://totp/Amazon%20Web%20Services:{}@{account}?secret={}&issuer=Amazon%20Web%20Services",
            device.name, device.seed
        );
        Ok(CreateVirtualMFADeviceResponse {
            virtual_mfa_device: VirtualMFADevice {
                serial_number: serial,
                base32_string_seed: Some(device.seed.clone().into_bytes().into()),
                qr_code_png: Some(qr::png(&uri).into()),
                user: None,
                enable_date: None,
                tags: tags_of(&device.tags),
            },
        })
    }

    pub(crate) async fn enable_mfa_device(
        &self,
        ctx: &RequestContext,
        input: EnableMFADeviceRequest,
    ) -> Result<(), AwsError> {
        let now = self.now();
        let seconds = self.now_seconds();
        self.write(&ctx.account_id, move |table| {
            let _: UserRecord = require(table, Kind::User, &input.user_name, user_not_found)?;
            let mut device: MfaRecord = table
                .load(Kind::Mfa, device_name(&input.serial_number))?
                .ok_or_else(|| device_not_found(&input.serial_number))?;
            if device.user.is_some() {
                return Err(entity_already_exists("MFA Device is already in use."));
            }
            check_codes(
                &device.seed,
                &input.authentication_code1,
                &input.authentication_code2,
                seconds,
            )?;
            device.user = Some((input.user_name, now));
            save(table, Kind::Mfa, &device.name.clone(), &device)
        })
        .await
    }

    pub(crate) async fn resync_mfa_device(
        &self,
        ctx: &RequestContext,
        input: ResyncMFADeviceRequest,
    ) -> Result<(), AwsError> {
        let seconds = self.now_seconds();
        self.read(&ctx.account_id, move |table| {
            let _: UserRecord = require(table, Kind::User, &input.user_name, user_not_found)?;
            let device = enabled_device(table, &input.serial_number, &input.user_name)?;
            check_codes(
                &device.seed,
                &input.authentication_code1,
                &input.authentication_code2,
                seconds,
            )
        })
        .await
    }

    pub(crate) async fn deactivate_mfa_device(
        &self,
        ctx: &RequestContext,
        input: DeactivateMFADeviceRequest,
    ) -> Result<(), AwsError> {
        let user = self.user_or_caller(ctx, input.user_name).await?;
        self.write(&ctx.account_id, move |table| {
            let _: UserRecord = require(table, Kind::User, &user, user_not_found)?;
            let mut device = enabled_device(table, &input.serial_number, &user)?;
            device.user = None;
            save(table, Kind::Mfa, &device.name.clone(), &device)
        })
        .await
    }

    pub(crate) async fn delete_virtual_mfa_device(
        &self,
        ctx: &RequestContext,
        input: DeleteVirtualMFADeviceRequest,
    ) -> Result<(), AwsError> {
        self.write(&ctx.account_id, move |table| {
            let device: MfaRecord = table
                .load(Kind::Mfa, device_name(&input.serial_number))?
                .ok_or_else(|| device_not_found(&input.serial_number))?;
            if device.user.is_some() {
                return Err(delete_conflict(
                    "MFA VirtualDevice in use. Must deactivate first.",
                ));
            }
            table.delete(&Kind::Mfa.key(&device.name))?;
            Ok(())
        })
        .await
    }

    pub(crate) async fn list_mfa_devices(
        &self,
        ctx: &RequestContext,
        input: ListMFADevicesRequest,
    ) -> Result<ListMFADevicesResponse, AwsError> {
        let user = self.user_or_caller(ctx, input.user_name).await?;
        let account = ctx.account_id.clone();
        let devices = self
            .read(&account, move |table| {
                let _: UserRecord = require(table, Kind::User, &user, user_not_found)?;
                let devices: Vec<MfaRecord> = table.all(Kind::Mfa)?;
                Ok(devices
                    .into_iter()
                    .filter(|d| d.user.as_ref().is_some_and(|(name, _)| *name == user))
                    .collect::<Vec<_>>())
            })
            .await?;
        let (devices, marker) = page(
            devices,
            |d| d.name.clone(),
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListMFADevicesResponse {
            mfa_devices: devices
                .iter()
                .filter_map(|device| {
                    let (user, enabled) = device.user.clone()?;
                    Some(MFADevice {
                        user_name: user,
                        serial_number: serial(&account, device),
                        enable_date: timestamp(enabled),
                    })
                })
                .collect(),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) async fn list_virtual_mfa_devices(
        &self,
        ctx: &RequestContext,
        input: ListVirtualMFADevicesRequest,
    ) -> Result<ListVirtualMFADevicesResponse, AwsError> {
        let account = ctx.account_id.clone();
        let (devices, users) = self
            .read(&account, |table| {
                let devices: Vec<MfaRecord> = table.all(Kind::Mfa)?;
                let users: Vec<UserRecord> = table.all(Kind::User)?;
                Ok((devices, users))
            })
            .await?;
        let wanted = |device: &MfaRecord| match input.assignment_status.as_deref() {
            Some("Assigned") => device.user.is_some(),
            Some("Unassigned") => device.user.is_none(),
            _ => true,
        };
        let devices: Vec<MfaRecord> = devices.into_iter().filter(wanted).collect();
        let (devices, marker) = page(
            devices,
            |d| d.name.clone(),
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListVirtualMFADevicesResponse {
            virtual_mfa_devices: devices
                .iter()
                .map(|device| {
                    let assigned = device.user.as_ref();
                    let user = assigned.and_then(|(name, _)| users.iter().find(|u| u.name == *name));
                    VirtualMFADevice {
                        serial_number: serial(&account, device),
                        user: user.map(|u| user_shape(&account, u, false)),
                        enable_date: assigned.map(|(_, enabled)| timestamp(*enabled)),
                        ..VirtualMFADevice::default()
                    }
                })
                .collect(),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }
}

/// The device a serial number names, enabled for `user`.
fn enabled_device(table: &impl Read, serial: &str, user: &str) -> Result<MfaRecord, AwsError> {
    table
        .load::<MfaRecord>(Kind::Mfa, device_name(serial))?
        .filter(|device| device.user.as_ref().is_some_and(|(name, _)| name == user))
        .ok_or_else(|| device_not_found(serial))
}

/// Whether a user has an MFA device enabled (DeleteUser refuses then).
pub fn has_enabled_device(table: &impl Read, user: &str) -> Result<bool, AwsError> {
    let devices: Vec<MfaRecord> = table.all(Kind::Mfa)?;
    Ok(devices
        .iter()
        .any(|d| d.user.as_ref().is_some_and(|(name, _)| name == user)))
}

/// Users with an enabled MFA device (the credential report's mfa_active).
pub fn users_with_devices(table: &impl Read) -> Result<Vec<String>, AwsError> {
    let devices: Vec<MfaRecord> = table.all(Kind::Mfa)?;
    Ok(devices
        .into_iter()
        .filter_map(|d| d.user.map(|(name, _)| name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_consecutive_codes_enable_a_device() {
        let seed = Secret::from(vec![7u8; SEED_BYTES]).to_base32();
        let totp = totp(&seed).expect("a seed");
        let now = 1_700_000_000;
        let code = |at: u64| totp.generate(at).to_string();
        assert!(check_codes(&seed, &code(now - 30), &code(now), now).is_ok());
        assert!(check_codes(&seed, &code(now), &code(now + 30), now).is_ok());
        let refused = check_codes(&seed, &code(now), &code(now), now).expect_err("not consecutive");
        assert_eq!(
            (refused.code.as_ref(), refused.status),
            ("InvalidAuthenticationCode", 403)
        );
        assert!(check_codes(&seed, &code(now - 600), &code(now - 570), now).is_err());
        assert!(check_codes(&seed, "12345a", "000000", now).is_err());
    }
}
