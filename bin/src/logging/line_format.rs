//! The log line: `2026-01-02T03:04:05.678901Z  INFO message key=value ...`,
//! the layout of tracing-subscriber's default format, written without its
//! general machinery (per-character escaping, styled `Display` wrappers,
//! nested `write!`s), which cost ~8.7k instructions per request line.

use std::fmt::{self, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

const DIM: &str = "\x1b[2m";
const ITALIC: &str = "\x1b[3m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Formats one event as one line.
pub struct LineFormat;

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let ansi = writer.has_ansi_escapes();
        let mut line = Styled {
            writer: &mut writer,
            ansi,
        };
        line.styled(DIM, &utc_timestamp(SystemTime::now()))?;
        line.writer.write_char(' ')?;
        line.styled(
            level_colour(event.metadata().level()),
            level_label(event.metadata().level()),
        )?;
        line.writer.write_char(' ')?;
        write_spans(&mut line, ctx)?;

        let mut fields = FieldWriter {
            line: &mut line,
            separate: false,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        line.writer.write_char('\n')
    }
}

/// The writer plus whether it takes colours (a terminal, no `NO_COLOR`).
struct Styled<'w, 'a> {
    writer: &'w mut Writer<'a>,
    ansi: bool,
}

impl Styled<'_, '_> {
    fn styled(&mut self, style: &str, text: &str) -> fmt::Result {
        if self.ansi {
            self.writer.write_str(style)?;
            self.writer.write_str(text)?;
            self.writer.write_str(RESET)
        } else {
            self.writer.write_str(text)
        }
    }
}

/// The enclosing spans, outermost first, as `name{fields}:` (nimbus logs
/// no spans today; a library's would show like this).
fn write_spans<S, N>(line: &mut Styled<'_, '_>, ctx: &FmtContext<'_, S, N>) -> fmt::Result
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    let Some(scope) = ctx.event_scope() else {
        return Ok(());
    };
    let mut any = false;
    for span in scope.from_root() {
        any = true;
        line.styled(BOLD, span.metadata().name())?;
        if let Some(fields) = span.extensions().get::<FormattedFields<N>>()
            && !fields.is_empty()
        {
            line.styled(BOLD, "{")?;
            line.writer.write_str(fields)?;
            line.styled(BOLD, "}")?;
        }
        line.styled(DIM, ":")?;
    }
    if any {
        line.writer.write_char(' ')?;
    }
    Ok(())
}

/// Writes the message as it is and other fields as `name=value`, like the
/// default format: `%` (Display) values bare, strings quoted when they
/// would otherwise be ambiguous.
struct FieldWriter<'l, 'w, 'a> {
    line: &'l mut Styled<'w, 'a>,
    separate: bool,
    result: fmt::Result,
}

impl FieldWriter<'_, '_, '_> {
    /// Writes the separator and, except for the message, `name=`; then
    /// `value` writes the value.
    fn field(&mut self, field: &Field, value: impl FnOnce(&mut Escaping<'_, '_>) -> fmt::Result) {
        if self.result.is_err() {
            return;
        }
        self.result = (|| {
            if std::mem::replace(&mut self.separate, true) {
                self.line.writer.write_char(' ')?;
            }
            let name = field.name();
            if name != "message" {
                self.line
                    .styled(ITALIC, name.strip_prefix("r#").unwrap_or(name))?;
                self.line.styled(DIM, "=")?;
            }
            value(&mut Escaping(self.line.writer))
        })();
    }
}

impl Visit for FieldWriter<'_, '_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" || is_bare_word(value) {
            self.field(field, |out| out.write_str(value));
        } else {
            self.field(field, |out| write!(out, "{value:?}"));
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.field(field, |out| out.write_str(decimal(value, &mut [0; 20])));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.field(field, |out| {
            if value < 0 {
                out.write_char('-')?;
            }
            out.write_str(decimal(value.unsigned_abs(), &mut [0; 20]))
        });
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.field(field, |out| out.write_str(if value { "true" } else { "false" }));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, |out| write!(out, "{value:?}"));
    }
}

/// Passes text on, replacing control characters (terminal escape
/// sequences a client could smuggle into a logged path or header) with
/// `\x..`; newlines and tabs stay.
struct Escaping<'w, 'a>(&'w mut Writer<'a>);

impl fmt::Write for Escaping<'_, '_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        if !text.bytes().any(may_start_control) {
            return self.0.write_str(text);
        }
        let mut rest = text;
        while let Some(at) = rest.find(is_unsafe_control) {
            self.0.write_str(&rest[..at])?;
            let control = rest[at..].chars().next().unwrap_or_default();
            write!(self.0, "\\x{:02x}", u32::from(control))?;
            rest = &rest[at + control.len_utf8()..];
        }
        self.0.write_str(rest)
    }
}

fn is_unsafe_control(character: char) -> bool {
    character.is_control() && character != '\n' && character != '\t'
}

/// A byte scan that clears almost all text at once: C0 controls and DEL,
/// and 0xC2, which leads the UTF-8 of the C1 controls.
fn may_start_control(byte: u8) -> bool {
    (byte < 0x20 && byte != b'\n' && byte != b'\t') || byte == 0x7f || byte == 0xc2
}

/// Strings print bare where that is unambiguous (`service=s3`) and quoted
/// otherwise (`state="in memory"`).
fn is_bare_word(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|byte| byte.is_ascii_graphic() && !matches!(byte, b'"' | b'\\' | b'='))
}

/// `value` in decimal, written into the end of `digits`.
fn decimal(mut value: u64, digits: &mut [u8; 20]) -> &str {
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    std::str::from_utf8(&digits[start..]).unwrap_or_default()
}

fn level_label(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "TRACE",
        Level::DEBUG => "DEBUG",
        Level::INFO => " INFO",
        Level::WARN => " WARN",
        Level::ERROR => "ERROR",
    }
}

fn level_colour(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "\x1b[35m",
        Level::DEBUG => "\x1b[34m",
        Level::INFO => "\x1b[32m",
        Level::WARN => "\x1b[33m",
        Level::ERROR => "\x1b[31m",
    }
}

/// RFC 3339 in UTC with microseconds: `2026-01-02T03:04:05.678901Z`.
fn utc_timestamp(now: SystemTime) -> TimestampText {
    // A clock before 1970 is logged as 1970.
    let now = now.max(UNIX_EPOCH);
    let at = time::OffsetDateTime::from(now);
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    put_digits(&mut text[0..4], u64::try_from(at.year()).unwrap_or_default());
    put_digits(&mut text[5..7], u64::from(u8::from(at.month())));
    put_digits(&mut text[8..10], u64::from(at.day()));
    put_digits(&mut text[11..13], u64::from(at.hour()));
    put_digits(&mut text[14..16], u64::from(at.minute()));
    put_digits(&mut text[17..19], u64::from(at.second()));
    put_digits(&mut text[20..26], u64::from(at.microsecond()));
    TimestampText(text)
}

struct TimestampText([u8; 27]);

impl std::ops::Deref for TimestampText {
    type Target = str;

    fn deref(&self) -> &str {
        // Only ASCII was written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// Fills `slot` with the last `slot.len()` decimal digits of `value`.
fn put_digits(slot: &mut [u8], mut value: u64) {
    for digit in slot.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(seconds: u64, micros: u32) -> String {
        utc_timestamp(UNIX_EPOCH + Duration::from_secs(seconds) + Duration::from_micros(micros.into()))
            .to_string()
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_microseconds() {
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(at(951_782_400, 7), "2000-02-29T00:00:00.000007Z");
        assert_eq!(at(1_767_225_599, 999_999), "2025-12-31T23:59:59.999999Z");
        assert_eq!(at(1_798_761_600, 120_000), "2027-01-01T00:00:00.120000Z");
        assert_eq!(at(4_107_542_400, 0), "2100-03-01T00:00:00.000000Z");
    }

    #[test]
    fn timestamps_agree_with_the_time_crate_formatter_over_centuries() {
        let format = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
        );
        // A prime step visits every day of the month, hour and leap day.
        for seconds in (0..5_000_000_000_u64).step_by(1_234_567) {
            let micros = seconds as u32 % 1_000_000;
            let expected = time::OffsetDateTime::from_unix_timestamp(seconds as i64)
                .map_err(|error| error.to_string())
                .and_then(|at| at.replace_microsecond(micros).map_err(|error| error.to_string()))
                .and_then(|at| at.format(&format).map_err(|error| error.to_string()))
                .unwrap_or_else(|error| panic!("{seconds}: {error}"));
            assert_eq!(at(seconds, micros), expected);
        }
    }

    #[test]
    fn decimals() {
        assert_eq!(decimal(0, &mut [0; 20]), "0");
        assert_eq!(decimal(1_234_567, &mut [0; 20]), "1234567");
        assert_eq!(decimal(u64::MAX, &mut [0; 20]), "18446744073709551615");
    }

    /// Formats the events `log` emits with [`LineFormat`].
    fn lines_of(log: impl FnOnce()) -> String {
        let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
        let sink = std::sync::Arc::clone(&out);
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .event_format(LineFormat)
            .with_max_level(Level::TRACE)
            .with_writer(move || Recorder(std::sync::Arc::clone(&sink)))
            .finish();
        tracing::subscriber::with_default(subscriber, log);
        let bytes = out.lock().map(|bytes| bytes.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    struct Recorder(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Recorder {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut out) = self.0.lock() {
                out.extend_from_slice(bytes);
            }
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The text after the timestamp.
    fn without_time(line: &str) -> &str {
        assert_eq!(line.as_bytes().get(26), Some(&b'Z'), "{line}");
        &line[27..]
    }

    #[test]
    fn the_access_line_reads_like_the_default_format() {
        let out = lines_of(|| {
            let (method, path) = ("GET", "/bucket/key");
            tracing::info!(
                service = %"s3",
                operation = %String::from("GetObject"),
                status = 200_u16,
                micros = 1234_u64,
                "{method} {path}"
            );
        });
        assert_eq!(
            without_time(&out),
            "  INFO GET /bucket/key service=s3 operation=GetObject status=200 micros=1234\n"
        );
    }

    #[test]
    fn fields_of_every_kind_and_level() {
        let out = lines_of(|| {
            tracing::warn!(
                version = "0.1.0",
                delta = -5_i64,
                ok = true,
                ratio = 0.5,
                "started"
            );
            tracing::error!(
                r#type = "x",
                state = "in memory",
                empty = "",
                quote = "a\"b",
                "failed"
            );
            tracing::info!(city = "Zürich", sign = "\u{9b}31m", "unicode");
            tracing::debug!(value = ?Some(3), "d");
            tracing::trace!("t");
        });
        let lines: Vec<&str> = out.lines().map(without_time).collect();
        assert_eq!(
            lines,
            [
                "  WARN started version=0.1.0 delta=-5 ok=true ratio=0.5",
                " ERROR failed type=x state=\"in memory\" empty=\"\" quote=\"a\\\"b\"",
                "  INFO unicode city=\"Zürich\" sign=\"\\u{9b}31m\"",
                " DEBUG d value=Some(3)",
                " TRACE t",
            ]
        );
    }

    #[test]
    fn control_characters_are_escaped_but_newlines_kept() {
        let out = lines_of(|| {
            let path = "/a\x1b[31mred\rb";
            tracing::info!(header = %"x\x07y", c1 = %"\u{9b}", "GET {path}\nnext");
        });
        assert_eq!(
            without_time(&out),
            "  INFO GET /a\\x1b[31mred\\x0db\nnext header=x\\x07y c1=\\x9b\n"
        );
    }
}
