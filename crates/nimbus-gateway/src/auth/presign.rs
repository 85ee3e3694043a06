//! The validity window of presigned S3 URLs, checked against the server's
//! clock before the body is read (an expired presigned PUT uploads nothing).
//!
//! - SigV4 (`X-Amz-Date` + `X-Amz-Expires`): S3 requires `X-Amz-Expires`,
//!   at most 604800 seconds (a week); past the window → 403 AccessDenied
//!   "Request has expired" with `X-Amz-Expires`, `Expires` and `ServerTime`;
//!   signed more than 15 minutes in the future → 403 AccessDenied "Request is
//!   not yet valid".
//! - SigV2 (`Expires=` epoch seconds): past it → 403 AccessDenied "Request
//!   has expired" with `Expires` and `ServerTime`.
//!
//! Other services' presigned requests (STS, RDS tokens) are not checked here.

use std::time::{SystemTime, UNIX_EPOCH};

use nimbus_core::AwsError;
use time::OffsetDateTime;
use time::macros::format_description;

use crate::auth::sigv4::{RequestAuth, SignatureLocation, query_param};

/// S3's limit on `X-Amz-Expires`: seven days.
pub const MAX_EXPIRES_SECONDS: u64 = 604_800;

/// How far in the future a signing date may be (S3's allowed clock skew).
pub const MAX_FUTURE_SKEW_SECONDS: i64 = 15 * 60;

/// Fails when the presigned request `auth` is outside its validity window
/// at `now` (for services whose profile says `checksPresignedExpiry`: S3). `query` holds the decoded query parameters (SigV2's
/// `Expires` is read from it); requests that are not presigned pass.
pub fn check_window(auth: &RequestAuth, query: &[(String, String)], now: SystemTime) -> Result<(), AwsError> {
    let now = epoch_seconds(now);
    match auth {
        RequestAuth::SigV4(sig) => match sig.location {
            SignatureLocation::Header => Ok(()),
            SignatureLocation::Query { expires } => {
                check_sigv4_window(sig.date.as_deref().unwrap_or_default(), expires, now)
            }
        },
        RequestAuth::SigV2 { .. } => match query_param(query, "Expires") {
            Some(expires) => check_sigv2_window(expires, now),
            // Header-signed SigV2 carries no expiry.
            None => Ok(()),
        },
        RequestAuth::Anonymous => Ok(()),
    }
}

fn check_sigv4_window(date: &str, expires: Option<u64>, now: i64) -> Result<(), AwsError> {
    let Some(expires) = expires else {
        return Err(query_error(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, \
             X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        ));
    };
    if expires > MAX_EXPIRES_SECONDS {
        return Err(query_error(
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        ));
    }
    let signed = parse_amz_date(date).ok_or_else(|| {
        query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    })?;
    // `expires` is at most a week, so the sum cannot overflow.
    let expiry = signed + expires as i64;
    if signed - now > MAX_FUTURE_SKEW_SECONDS {
        return Err(AwsError::new("AccessDenied", "Request is not yet valid", 403)
            .with_field("X-Amz-Date", (signed * 1000).to_string())
            .with_field("Expires", iso8601(expiry))
            .with_field("ServerTime", iso8601(now)));
    }
    if now > expiry {
        return Err(AwsError::new("AccessDenied", "Request has expired", 403)
            .with_field("X-Amz-Expires", expires.to_string())
            .with_field("Expires", iso8601(expiry))
            .with_field("ServerTime", iso8601(now)));
    }
    Ok(())
}

fn check_sigv2_window(expires: &str, now: i64) -> Result<(), AwsError> {
    let Ok(expiry) = expires.trim().parse::<i64>() else {
        return Err(AwsError::new(
            "AccessDenied",
            "Invalid date (should be seconds since epoch): ".to_owned() + expires,
            403,
        ));
    };
    if now > expiry {
        return Err(AwsError::new("AccessDenied", "Request has expired", 403)
            .with_field("Expires", iso8601(expiry))
            .with_field("ServerTime", iso8601(now)));
    }
    Ok(())
}

fn query_error(message: &str) -> AwsError {
    AwsError::new("AuthorizationQueryParametersError", message, 400)
}

/// `20240101T120000Z` as seconds since the epoch.
pub(crate) fn parse_amz_date(date: &str) -> Option<i64> {
    // Fixed positions, read without a format parser: every signed request
    // has one.
    let bytes = date.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        bytes.get(range)?.iter().try_fold(0u32, |n, b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let month = time::Month::try_from(u8::try_from(digits(4..6)?).ok()?).ok()?;
    let day = time::Date::from_calendar_date(
        i32::try_from(digits(0..4)?).ok()?,
        month,
        u8::try_from(digits(6..8)?).ok()?,
    )
    .ok()?;
    let at = time::Time::from_hms(
        u8::try_from(digits(9..11)?).ok()?,
        u8::try_from(digits(11..13)?).ok()?,
        u8::try_from(digits(13..15)?).ok()?,
    )
    .ok()?;
    Some(
        time::PrimitiveDateTime::new(day, at)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// `2024-01-01T12:00:00Z`, as S3's error fields carry times.
pub(crate) fn iso8601(epoch_seconds: i64) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    OffsetDateTime::from_unix_timestamp(epoch_seconds)
        .ok()
        .and_then(|time| time.format(format).ok())
        .unwrap_or_else(|| epoch_seconds.to_string())
}

pub(crate) fn epoch_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn amz_dates_are_read_at_fixed_positions() {
        use super::parse_amz_date;

        assert_eq!(parse_amz_date("20130524T000000Z"), Some(1_369_353_600));
        assert_eq!(parse_amz_date("20240229T235959Z"), Some(1_709_251_199));
        for bad in [
            "20130524T000000",
            "2013052T0000000Z",
            "20131324T000000Z",
            "20130230T000000Z",
            "20130524T240000Z",
            "2013+524T000000Z",
            "20130524 000000Z",
            "",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    use std::time::Duration;

    use http::HeaderMap;
    use nimbus_runtime::TestClock;

    use super::*;
    use crate::auth::sigv4;

    /// 2024-01-01T12:00:00Z.
    const SIGNED_AT: u64 = 1_704_110_400;

    fn presigned_v4(date: &str, expires: Option<&str>) -> (RequestAuth, Vec<(String, String)>) {
        let mut query = vec![
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", "test/20240101/us-east-1/s3/aws4_request"),
            ("X-Amz-Date", date),
            ("X-Amz-SignedHeaders", "host"),
            ("X-Amz-Signature", "00"),
        ];
        if let Some(expires) = expires {
            query.push(("X-Amz-Expires", expires));
        }
        let query: Vec<(String, String)> = query
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let auth = sigv4::parse(&HeaderMap::new(), &query).expect("parses");
        (auth, query)
    }

    /// The server's time, as its clock would read it at `seconds`.
    fn now_at(seconds: u64) -> SystemTime {
        TestClock::at(UNIX_EPOCH + Duration::from_secs(seconds))
            .clock()
            .now()
    }

    #[test]
    fn sigv4_is_valid_until_date_plus_expires() {
        let (auth, query) = presigned_v4("20240101T120000Z", Some("60"));
        assert!(check_window(&auth, &query, now_at(SIGNED_AT)).is_ok());
        assert!(check_window(&auth, &query, now_at(SIGNED_AT + 60)).is_ok());
        let error = check_window(&auth, &query, now_at(SIGNED_AT + 61)).expect_err("expired");
        assert_eq!((error.code.as_ref(), error.status), ("AccessDenied", 403));
        assert_eq!(error.message, "Request has expired");
        assert_eq!(error.fields["X-Amz-Expires"].as_str(), Some("60"));
        assert_eq!(error.fields["Expires"].as_str(), Some("2024-01-01T12:01:00Z"));
        assert_eq!(error.fields["ServerTime"].as_str(), Some("2024-01-01T12:01:01Z"));
    }

    #[test]
    fn sigv4_expires_is_required_and_at_most_a_week() {
        let now = now_at(SIGNED_AT);
        let (auth, query) = presigned_v4("20240101T120000Z", Some("604801"));
        let error = check_window(&auth, &query, now).expect_err("too long");
        assert_eq!(error.code, "AuthorizationQueryParametersError");
        assert_eq!(
            error.message,
            "X-Amz-Expires must be less than a week (in seconds) that is 604800"
        );
        let (auth, query) = presigned_v4("20240101T120000Z", Some("604800"));
        assert!(check_window(&auth, &query, now).is_ok());
        let (auth, query) = presigned_v4("20240101T120000Z", None);
        let error = check_window(&auth, &query, now).expect_err("missing");
        assert_eq!(error.code, "AuthorizationQueryParametersError");
        let (auth, query) = presigned_v4("2024-01-01", Some("60"));
        assert!(check_window(&auth, &query, now).is_err());
    }

    #[test]
    fn sigv4_signed_in_the_future_is_not_yet_valid() {
        let (auth, query) = presigned_v4("20240101T120000Z", Some("3600"));
        assert!(check_window(&auth, &query, now_at(SIGNED_AT - 15 * 60)).is_ok());
        let error = check_window(&auth, &query, now_at(SIGNED_AT - 15 * 60 - 1)).expect_err("future");
        assert_eq!(error.message, "Request is not yet valid");
        assert_eq!(error.status, 403);
    }

    #[test]
    fn sigv2_expires_at_its_epoch_second() {
        let query: Vec<(String, String)> = [
            ("AWSAccessKeyId", "test"),
            ("Signature", "x"),
            ("Expires", "1704110400"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let auth = sigv4::parse(&HeaderMap::new(), &query).expect("parses");
        assert!(check_window(&auth, &query, now_at(SIGNED_AT)).is_ok());
        let error = check_window(&auth, &query, now_at(SIGNED_AT + 1)).expect_err("expired");
        assert_eq!(error.message, "Request has expired");
        assert_eq!(error.fields["Expires"].as_str(), Some("2024-01-01T12:00:00Z"));
        assert!(!error.fields.contains_key("X-Amz-Expires"));
    }

    #[test]
    fn header_signatures_and_anonymous_requests_pass() {
        let now = now_at(SIGNED_AT);
        assert!(check_window(&RequestAuth::Anonymous, &[], now).is_ok());
        let v2 = RequestAuth::SigV2 {
            access_key_id: "test".into(),
        };
        assert!(check_window(&v2, &[], now).is_ok());
    }
}
