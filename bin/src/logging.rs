//! Logging to stderr through `tracing`, filtered by `--log-level`: one line
//! per event in the default layout, formatted cheaply (`line_format`) and
//! written in batches (`stderr_buffer`) so that the per-request access line
//! costs neither a write(2) nor much formatting.

mod line_format;
mod stderr_buffer;

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use self::line_format::LineFormat;
use self::stderr_buffer::STDERR_BUFFER;

/// Installs the global subscriber. An invalid filter falls back to `info`
/// (and says so) rather than refusing to start. Keep the guard until the
/// end of `main`: dropping it writes out the lines still buffered.
#[must_use = "dropping the guard is what writes the last lines"]
pub fn init(filter: &str) -> FlushOnDrop {
    let (filter, invalid) = match EnvFilter::try_new(filter) {
        Ok(filter) => (filter, None),
        Err(error) => (EnvFilter::new("info"), Some(error)),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colours for people, plain text for log files and pipes.
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .event_format(LineFormat)
        .with_writer(&STDERR_BUFFER)
        .init();
    flush_before_panic_messages();
    if let Some(error) = invalid {
        tracing::warn!("invalid --log-level ({error}); logging at info");
    }
    if let Err(error) = STDERR_BUFFER.spawn_flusher() {
        // Without the thread lines would wait for a full buffer or a warning.
        STDERR_BUFFER.disable_buffering();
        tracing::warn!("cannot start the log flusher thread ({error}); logging unbuffered");
    }
    FlushOnDrop
}

/// Writes out the buffered log lines when dropped.
pub struct FlushOnDrop;

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        STDERR_BUFFER.flush();
    }
}

/// The panic message goes straight to stderr; the lines logged before the
/// panic are written first so that the log stays in order.
fn flush_before_panic_messages() {
    let print_panic = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        STDERR_BUFFER.flush();
        print_panic(info);
    }));
}
