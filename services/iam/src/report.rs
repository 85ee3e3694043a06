//! The credential report: a CSV of the account's root user and every IAM
//! user, with their passwords, MFA and access keys, as IAM words it.
//! Generated at once (the first GenerateCredentialReport says STARTED, as
//! AWS's does), kept four hours, then generated anew.

use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_api::{GenerateCredentialReportResponse, GetCredentialReportResponse};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::Iam;
use crate::account::load_account;
use crate::common::{arn, timestamp};
use crate::entities::Read;
use crate::errors::{credential_report_expired, credential_report_not_present};
use crate::mfa::users_with_devices;
use crate::records::{AccessKeyRecord, Kind, UserRecord};

/// How long a report stays current.
const REPORT_LIFETIME_MILLIS: i64 = 4 * 60 * 60 * 1000;

const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,\
password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,\
access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,\
access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,\
cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

/// `2017-06-10T02:35:07+00:00`, as the report writes times.
fn date(millis: i64) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+00:00");
    OffsetDateTime::from_unix_timestamp(millis / 1000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| "N/A".to_owned())
}

/// The four columns of one access key (or of none).
fn key_columns(key: Option<&AccessKeyRecord>) -> [String; 5] {
    let Some(key) = key else {
        return [
            "false".into(),
            "N/A".into(),
            "N/A".into(),
            "N/A".into(),
            "N/A".into(),
        ];
    };
    let (used, region, service) = match &key.last_used {
        Some((at, region, service)) => (date(*at), region.clone(), service.clone()),
        None => ("N/A".into(), "N/A".into(), "N/A".into()),
    };
    [
        (key.status == "Active").to_string(),
        date(key.created),
        used,
        region,
        service,
    ]
}

/// One user's row; `max_age_days` is the policy's MaxPasswordAge (0: none).
fn user_row(
    account: &str,
    user: &UserRecord,
    keys: &[AccessKeyRecord],
    mfa: bool,
    max_age_days: i32,
) -> String {
    let (enabled, changed, rotation) = match &user.login_profile {
        Some(profile) => {
            let rotation = if max_age_days > 0 {
                date(profile.changed + i64::from(max_age_days) * 86_400_000)
            } else {
                "N/A".into()
            };
            ("true", date(profile.changed), rotation)
        }
        None => ("false", "N/A".into(), "N/A".into()),
    };
    let last_used = if user.login_profile.is_some() {
        "no_information"
    } else {
        "N/A"
    };
    let mut columns = vec![
        user.name.clone(),
        arn(account, "user", &user.path, &user.name),
        date(user.created),
        enabled.to_owned(),
        last_used.to_owned(),
        changed,
        rotation,
        mfa.to_string(),
    ];
    for index in 0..2 {
        columns.extend(key_columns(keys.get(index)));
    }
    columns.extend(["false", "N/A", "false", "N/A"].map(str::to_owned));
    columns.join(",")
}

impl Iam {
    pub(crate) async fn generate_credential_report(
        &self,
        ctx: &RequestContext,
    ) -> Result<GenerateCredentialReportResponse, AwsError> {
        let account = ctx.account_id.clone();
        let now = self.now();
        let current = self
            .read(&account, move |table| {
                Ok(load_account(table)?
                    .report
                    .is_some_and(|(generated, _)| now - generated < REPORT_LIFETIME_MILLIS))
            })
            .await?;
        if current {
            return Ok(GenerateCredentialReportResponse {
                state: Some("COMPLETE".to_owned()),
                description: None,
            });
        }
        let csv = self.credential_csv(&account).await?;
        self.update_account(&account, move |record| {
            record.report = Some((now, csv));
            Ok(())
        })
        .await?;
        Ok(GenerateCredentialReportResponse {
            state: Some("STARTED".to_owned()),
            description: Some("No report exists. Starting a new report generation task".to_owned()),
        })
    }

    pub(crate) async fn get_credential_report(
        &self,
        ctx: &RequestContext,
    ) -> Result<GetCredentialReportResponse, AwsError> {
        let now = self.now();
        let record = self.read(&ctx.account_id, load_account).await?;
        let (generated, csv) = record.report.ok_or_else(|| credential_report_not_present(""))?;
        if now - generated >= REPORT_LIFETIME_MILLIS {
            return Err(credential_report_expired(
                "The request was rejected because the most recent credential report has expired. \
                 To generate a new credential report, use GenerateCredentialReport.",
            ));
        }
        Ok(GetCredentialReportResponse {
            content: Some(csv.into_bytes().into()),
            report_format: Some("text/csv".to_owned()),
            generated_time: Some(timestamp(generated)),
        })
    }

    /// The report as of now.
    async fn credential_csv(&self, account: &str) -> Result<String, AwsError> {
        let (users, with_mfa, max_age) = self
            .read(account, |table| {
                let users: Vec<UserRecord> = table.all(Kind::User)?;
                let settings = load_account(table)?;
                let max_age = settings.password_policy.map_or(0, |p| p.max_age);
                Ok((users, users_with_devices(table)?, max_age))
            })
            .await?;
        // The account's creation, as far as nimbus knows: its oldest user.
        let created = users
            .iter()
            .map(|u| u.created)
            .min()
            .unwrap_or_else(|| self.now());
        let mut lines = vec![
            HEADER.to_owned(),
            format!(
                "<root_account>,arn:aws:iam::{account}:root,{},not_supported,no_information,not_supported,\
                 not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
                date(created)
            ),
        ];
        for user in &users {
            let mut keys = Vec::new();
            for id in &user.access_keys {
                keys.extend(self.load_key(id).await?);
            }
            keys.sort_by_key(|k| k.created);
            let mfa = with_mfa.contains(&user.name);
            lines.push(user_row(account, user, &keys, mfa, max_age));
        }
        Ok(lines.join("\n") + "\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_have_every_column() {
        let user = UserRecord {
            name: "alice".into(),
            path: "/".into(),
            created: 1_497_062_617_000,
            ..Default::default()
        };
        let row = user_row("123456789012", &user, &[], false, 0);
        assert_eq!(row.split(',').count(), HEADER.split(',').count());
        assert!(
            row.starts_with(
                "alice,arn:aws:iam::123456789012:user/alice,2017-06-10T02:43:37+00:00,false,N/A,"
            )
        );
    }
}
