//! Header signatures expire: AWS refuses a request whose `X-Amz-Date` is
//! more than 15 minutes from its clock, so a captured request cannot be
//! replayed later. S3's presigned URLs have their own window (presign.rs);
//! other services' last as long as their X-Amz-Expires, and at most the
//! same 15 minutes (STS does not honour longer ones).

use std::time::SystemTime;

use nimbus_core::AwsError;
use time::OffsetDateTime;
use time::macros::format_description;

use super::Family;
use crate::auth::presign::{epoch_seconds, iso8601, parse_amz_date};

/// AWS's allowed clock skew.
const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// Fails when the request's signing time `date` (`20240101T000000Z`) is
/// more than 15 minutes before or after `now`, in the service's words.
pub(super) fn check(family: Family, date: &str, now: SystemTime) -> Result<(), AwsError> {
    check_age(family, date, now, MAX_SKEW_SECONDS)
}

/// A presigned URL of a service other than S3: valid for its X-Amz-Expires
/// (at most 15 minutes) from its signing time.
pub(super) fn check_presigned(
    family: Family,
    date: &str,
    expires: Option<u64>,
    now: SystemTime,
) -> Result<(), AwsError> {
    let window = expires.map_or(MAX_SKEW_SECONDS, |e| {
        i64::try_from(e).unwrap_or(i64::MAX).min(MAX_SKEW_SECONDS)
    });
    check_age(family, date, now, window)
}

/// Fails when `date` is more than `max_age` seconds before `now`, or more
/// than 15 minutes after it.
fn check_age(family: Family, date: &str, now: SystemTime, max_age: i64) -> Result<(), AwsError> {
    let now = epoch_seconds(now);
    // A date that does not parse fails the signature check itself.
    let Some(signed) = parse_amz_date(date) else {
        return Ok(());
    };
    let message = if now - signed > max_age {
        let window = if max_age == MAX_SKEW_SECONDS {
            "15 min.".to_owned()
        } else {
            format!("{max_age} sec.")
        };
        format!(
            "Signature expired: {date} is now earlier than {} ({} - {window})",
            amz_date(now - max_age),
            amz_date(now)
        )
    } else if signed - now > MAX_SKEW_SECONDS {
        format!(
            "Signature not yet current: {date} is still later than {} ({} + 15 min.)",
            amz_date(now + MAX_SKEW_SECONDS),
            amz_date(now)
        )
    } else {
        return Ok(());
    };
    Err(match family {
        Family::RawPath => AwsError::new(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            403,
        )
        .with_field("RequestTime", date)
        .with_field("ServerTime", iso8601(now))
        .with_field("MaxAllowedSkewMilliseconds", "900000"),
        Family::Query => AwsError::new("SignatureDoesNotMatch", message, 403),
        Family::Json => AwsError::new("InvalidSignatureException", message, 400),
    })
}

/// `20240101T000000Z`.
fn amz_date(epoch_seconds: i64) -> String {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    OffsetDateTime::from_unix_timestamp(epoch_seconds)
        .ok()
        .and_then(|time| time.format(format).ok())
        .unwrap_or_else(|| epoch_seconds.to_string())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    /// 2013-05-24T00:00:00Z.
    const SIGNED: u64 = 1_369_353_600;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn other_services_presigned_urls_last_their_expiry_up_to_fifteen_minutes() {
        let date = "20130524T000000Z";
        assert!(check_presigned(Family::Query, date, Some(60), at(SIGNED + 60)).is_ok());
        let expired = check_presigned(Family::Query, date, Some(60), at(SIGNED + 61)).expect_err("past 60 s");
        assert_eq!(
            expired.message,
            "Signature expired: 20130524T000000Z is now earlier than 20130524T000001Z (20130524T000101Z - 60 sec.)"
        );
        // A week asked for, fifteen minutes given.
        assert!(check_presigned(Family::Query, date, Some(604_800), at(SIGNED + 900)).is_ok());
        assert!(check_presigned(Family::Query, date, Some(604_800), at(SIGNED + 901)).is_err());
    }

    #[test]
    fn fifteen_minutes_either_way_pass() {
        for now in [SIGNED - 900, SIGNED, SIGNED + 900] {
            assert!(check(Family::Query, "20130524T000000Z", at(now)).is_ok());
        }
    }

    #[test]
    fn a_replay_twenty_minutes_later_has_expired() {
        let error = check(Family::Query, "20130524T000000Z", at(SIGNED + 1200)).expect_err("expired");
        assert_eq!(
            (error.code.as_ref(), error.status),
            ("SignatureDoesNotMatch", 403)
        );
        assert_eq!(
            error.message,
            "Signature expired: 20130524T000000Z is now earlier than 20130524T000500Z (20130524T002000Z - 15 min.)"
        );
        let json = check(Family::Json, "20130524T000000Z", at(SIGNED + 1200)).expect_err("expired");
        assert_eq!(
            (json.code.as_ref(), json.status),
            ("InvalidSignatureException", 400)
        );
    }

    #[test]
    fn s3_says_request_time_too_skewed() {
        let error = check(Family::RawPath, "20130524T000000Z", at(SIGNED - 3600)).expect_err("future");
        assert_eq!((error.code.as_ref(), error.status), ("RequestTimeTooSkewed", 403));
    }

    #[test]
    fn a_date_in_the_future_is_not_yet_current() {
        let error = check(Family::Query, "20130524T000000Z", at(SIGNED - 1000)).expect_err("future");
        assert!(
            error
                .message
                .starts_with("Signature not yet current: 20130524T000000Z is still later than")
        );
    }
}
