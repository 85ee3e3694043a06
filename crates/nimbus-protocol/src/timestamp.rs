//! Timestamp formats on the wire, per protocol and location:
//! `iso8601` (query/xml bodies, URI labels, query strings), `rfc822`
//! (HTTP-date, headers) and `unixTimestamp` (json/cbor bodies).

use nimbus_core::Timestamp;
use time::format_description::well_known::{Rfc2822, Rfc3339};
use time::{OffsetDateTime, UtcOffset};

/// The three formats a model's `timestampFormat` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampFormat {
    Iso8601,
    Rfc822,
    UnixTimestamp,
}

impl TimestampFormat {
    /// The model's `timestampFormat` trait value, if it names a known format.
    pub fn from_model(name: Option<&str>) -> Option<Self> {
        match name? {
            "iso8601" => Some(TimestampFormat::Iso8601),
            "rfc822" => Some(TimestampFormat::Rfc822),
            "unixTimestamp" => Some(TimestampFormat::UnixTimestamp),
            _ => None,
        }
    }
}

fn to_datetime(t: Timestamp) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t.seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
        + time::Duration::nanoseconds(i64::from(t.nanos))
}

fn from_datetime(dt: OffsetDateTime) -> Timestamp {
    let dt = dt.to_offset(UtcOffset::UTC);
    Timestamp {
        seconds: dt.unix_timestamp(),
        nanos: dt.nanosecond(),
    }
}

/// Formats a timestamp: ISO 8601 as `2014-04-29T18:30:38Z` (with `.123` only
/// when there are milliseconds), RFC 822 as `Tue, 29 Apr 2014 18:30:38 GMT`,
/// epoch seconds as `1398796238` or `1398796238.123`.
pub fn format(t: Timestamp, format: TimestampFormat) -> String {
    let dt = to_datetime(t);
    let millis = t.nanos / 1_000_000;
    // Written digit by digit: this runs for every Last-Modified header and
    // every timestamp in a body, and `format!` costs several times as much.
    match format {
        TimestampFormat::Iso8601 => {
            let mut out = String::with_capacity(24);
            push_year(&mut out, dt.year());
            out.push('-');
            push_padded(&mut out, u32::from(u8::from(dt.month())), 2);
            out.push('-');
            push_padded(&mut out, u32::from(dt.day()), 2);
            out.push('T');
            push_clock(&mut out, &dt);
            if millis != 0 {
                out.push('.');
                push_padded(&mut out, millis, 3);
            }
            out.push('Z');
            out
        }
        TimestampFormat::Rfc822 => {
            let mut out = String::with_capacity(29);
            out.push_str(DAYS[dt.weekday().number_days_from_monday() as usize]);
            out.push_str(", ");
            push_padded(&mut out, u32::from(dt.day()), 2);
            out.push(' ');
            out.push_str(MONTHS[u8::from(dt.month()) as usize - 1]);
            out.push(' ');
            push_year(&mut out, dt.year());
            out.push(' ');
            push_clock(&mut out, &dt);
            out.push_str(" GMT");
            out
        }
        TimestampFormat::UnixTimestamp => {
            if millis == 0 {
                t.seconds.to_string()
            } else {
                format!("{}.{millis:03}", t.seconds)
            }
        }
    }
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The year as `{:04}` renders it: four digits for years 0–9999 (the
/// usual case, without `format!`), else a sign or more digits.
fn push_year(out: &mut String, year: i32) {
    match u32::try_from(year) {
        Ok(year) if year <= 9999 => push_padded(out, year, 4),
        _ => {
            use std::fmt::Write as _;
            let _ = write!(out, "{year:04}");
        }
    }
}

/// `HH:MM:SS`.
fn push_clock(out: &mut String, dt: &OffsetDateTime) {
    push_padded(out, u32::from(dt.hour()), 2);
    out.push(':');
    push_padded(out, u32::from(dt.minute()), 2);
    out.push(':');
    push_padded(out, u32::from(dt.second()), 2);
}

/// `value` in decimal, zero-padded to `width` digits (`value` has at most that many).
fn push_padded(out: &mut String, value: u32, width: u32) {
    let mut divisor = 10u32.pow(width.saturating_sub(1));
    while divisor > 0 {
        out.push(char::from(b'0' + (value / divisor % 10) as u8));
        divisor /= 10;
    }
}

/// Parses a timestamp in any of the three formats (clients are not always
/// strict about which one they send where).
pub fn parse(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(dt) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(from_datetime(dt));
    }
    // ISO 8601 without a zone designator is read as UTC.
    if text.contains('T')
        && !text.ends_with('Z')
        && !text.contains('+')
        && let Ok(dt) = OffsetDateTime::parse(&format!("{text}Z"), &Rfc3339)
    {
        return Some(from_datetime(dt));
    }
    if let Ok(dt) = OffsetDateTime::parse(&text.replace("GMT", "+0000").replace("UTC", "+0000"), &Rfc2822) {
        return Some(from_datetime(dt));
    }
    let seconds: f64 = text.parse().ok()?;
    seconds
        .is_finite()
        .then(|| Timestamp::from_epoch_seconds_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_each_wire_form() {
        let t = Timestamp {
            seconds: 1_398_796_238,
            nanos: 0,
        };
        assert_eq!(format(t, TimestampFormat::Iso8601), "2014-04-29T18:30:38Z");
        assert_eq!(
            format(t, TimestampFormat::Rfc822),
            "Tue, 29 Apr 2014 18:30:38 GMT"
        );
        assert_eq!(format(t, TimestampFormat::UnixTimestamp), "1398796238");
        let t = Timestamp {
            seconds: 1_398_796_238,
            nanos: 123_000_000,
        };
        assert_eq!(format(t, TimestampFormat::Iso8601), "2014-04-29T18:30:38.123Z");
        assert_eq!(format(t, TimestampFormat::UnixTimestamp), "1398796238.123");
        let t = Timestamp {
            seconds: 1_398_796_238,
            nanos: 7_000_000,
        };
        assert_eq!(format(t, TimestampFormat::Iso8601), "2014-04-29T18:30:38.007Z");
    }

    #[test]
    fn digit_formatting_matches_the_format_macro() {
        // Every weekday and month, both ends of the four-digit years, and
        // years outside them (rendered by `format!`).
        let seconds = [
            0,
            59,
            86_399,
            951_782_400,
            1_700_000_000,
            -62_167_219_200,
            253_402_300_799,
            253_402_300_800,
            -62_167_219_201,
        ];
        for (index, base) in seconds.into_iter().enumerate() {
            for day in 0..40 {
                let t = Timestamp {
                    seconds: base + day * 86_400 * 9 + (index as i64) * 3_723,
                    nanos: (day as u32) * 25_000_000,
                };
                let dt = to_datetime(t);
                let expected_rfc = format!(
                    "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
                    DAYS[dt.weekday().number_days_from_monday() as usize],
                    dt.day(),
                    MONTHS[u8::from(dt.month()) as usize - 1],
                    dt.year(),
                    dt.hour(),
                    dt.minute(),
                    dt.second()
                );
                assert_eq!(format(t, TimestampFormat::Rfc822), expected_rfc);
                let millis = t.nanos / 1_000_000;
                let base_iso = format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                    dt.year(),
                    u8::from(dt.month()),
                    dt.day(),
                    dt.hour(),
                    dt.minute(),
                    dt.second()
                );
                let expected_iso = if millis == 0 {
                    format!("{base_iso}Z")
                } else {
                    format!("{base_iso}.{millis:03}Z")
                };
                assert_eq!(format(t, TimestampFormat::Iso8601), expected_iso);
            }
        }
    }

    #[test]
    fn parses_each_wire_form() {
        let t = Timestamp {
            seconds: 1_398_796_238,
            nanos: 0,
        };
        assert_eq!(parse("2014-04-29T18:30:38Z"), Some(t));
        assert_eq!(parse("2014-04-29T18:30:38+00:00"), Some(t));
        assert_eq!(parse("Tue, 29 Apr 2014 18:30:38 GMT"), Some(t));
        assert_eq!(parse("1398796238"), Some(t));
        assert_eq!(parse("1398796238.123").map(|t| t.nanos), Some(123_000_000));
        assert_eq!(parse("yesterday"), None);
    }
}
