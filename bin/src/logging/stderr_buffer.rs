//! Log lines collected in memory and written to stderr in batches.
//!
//! One write(2) per request line was a large share of the server's kernel
//! time under load. Lines wait at most [`FLUSH_DELAY`] (a flusher thread
//! writes them), a full buffer is written at once, and warnings and errors
//! are written together with everything before them as soon as they are
//! logged, so nothing important waits and the order is kept.
//! (tracing-appender's non-blocking writer hands each line to its worker
//! thread through a channel, which can wake that thread once per line; here
//! the flusher wakes once per batch.)

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in the buffer.
pub const FLUSH_DELAY: Duration = Duration::from_millis(50);

/// A buffer this full is written by the thread that filled it; that also
/// holds back loggers that outpace a slow stderr.
const FLUSH_AT_BYTES: usize = 32 * 1024;

/// The process's one stderr buffer: the panic hook and the end of `main`
/// flush it without a handle.
pub static STDERR_BUFFER: StderrBuffer = StderrBuffer::new(write_to_stderr);

pub struct StderrBuffer {
    lines: Mutex<Vec<u8>>,
    /// Wakes the flusher thread when the buffer stops being empty.
    filled: Condvar,
    /// Where the lines go (stderr; a recorder in tests).
    output: fn(&[u8]),
    /// Every line is written at once (no flusher thread).
    unbuffered: AtomicBool,
}

impl StderrBuffer {
    const fn new(output: fn(&[u8])) -> Self {
        StderrBuffer {
            lines: Mutex::new(Vec::new()),
            filled: Condvar::new(),
            output,
            unbuffered: AtomicBool::new(false),
        }
    }

    /// From now on every line is written as soon as it is logged.
    pub fn disable_buffering(&self) {
        self.unbuffered.store(true, Ordering::Relaxed);
        self.flush();
    }

    /// Writes out everything buffered.
    pub fn flush(&self) {
        self.write_out(&mut self.lock());
    }

    /// Starts the thread that writes buffered lines [`FLUSH_DELAY`] after the
    /// first of them arrived. It sleeps on the condvar while nothing is
    /// buffered, so an idle server does not wake up for it.
    pub fn spawn_flusher(&'static self) -> std::io::Result<()> {
        std::thread::Builder::new()
            .name("nimbus-log".to_owned())
            .spawn(move || {
                loop {
                    let mut lines = self.lock();
                    while lines.is_empty() {
                        lines = self.filled.wait(lines).unwrap_or_else(PoisonError::into_inner);
                    }
                    drop(lines);
                    std::thread::sleep(FLUSH_DELAY);
                    self.flush();
                }
            })
            .map(drop)
    }

    fn append(&self, bytes: &[u8], urgent: bool) {
        let mut lines = self.lock();
        let was_empty = lines.is_empty();
        lines.extend_from_slice(bytes);
        if urgent || lines.len() >= FLUSH_AT_BYTES || self.unbuffered.load(Ordering::Relaxed) {
            self.write_out(&mut lines);
        } else if was_empty {
            // Only the first line of a batch pays for a wake-up.
            self.filled.notify_one();
        }
    }

    /// Writes and empties the buffer, keeping its allocation. Called with
    /// the lock held, so batches reach the output in order.
    fn write_out(&self, lines: &mut Vec<u8>) {
        if !lines.is_empty() {
            (self.output)(lines);
            lines.clear();
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        // A panic while holding the lock leaves at worst a partial line.
        self.lines.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A stderr that cannot be written drops the lines: there is nowhere else
/// to report that.
fn write_to_stderr(lines: &[u8]) {
    let _ = std::io::stderr().lock().write_all(lines);
}

/// Warnings and errors are not held back.
fn is_urgent(level: &Level) -> bool {
    // Levels order from ERROR (lowest) to TRACE.
    *level <= Level::WARN
}

/// One event's output, handed to the buffer in `write`; `urgent` for
/// warnings and errors.
pub struct LineWriter {
    buffer: &'static StderrBuffer,
    urgent: bool,
}

impl Write for LineWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.append(bytes, self.urgent);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.buffer.flush();
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for &'static StderrBuffer {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> LineWriter {
        LineWriter {
            buffer: self,
            urgent: false,
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> LineWriter {
        LineWriter {
            buffer: self,
            urgent: is_urgent(meta.level()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the test buffers wrote, batch by batch (tests run in parallel,
    /// so each test tags its lines and looks only at its own).
    static WRITTEN: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

    fn record(lines: &[u8]) {
        WRITTEN
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(lines.to_vec());
    }

    fn batches_with(tag: &str) -> Vec<String> {
        let written = WRITTEN.lock().unwrap_or_else(PoisonError::into_inner);
        written
            .iter()
            .map(|batch| String::from_utf8_lossy(batch).into_owned())
            .filter(|batch| batch.contains(tag))
            .collect()
    }

    fn test_buffer() -> &'static StderrBuffer {
        Box::leak(Box::new(StderrBuffer::new(record)))
    }

    #[test]
    fn lines_wait_in_the_buffer_until_flushed() {
        let buffer = test_buffer();
        let _ = buffer.make_writer().write_all(b"wait: first\n");
        let _ = buffer.make_writer().write_all(b"wait: second\n");
        assert!(batches_with("wait:").is_empty());
        buffer.flush();
        assert_eq!(batches_with("wait:"), ["wait: first\nwait: second\n"]);
        buffer.flush();
        assert_eq!(batches_with("wait:").len(), 1, "an empty buffer writes nothing");
    }

    #[test]
    fn an_urgent_line_is_written_at_once_after_the_lines_before_it() {
        let buffer = test_buffer();
        let _ = buffer.make_writer().write_all(b"urgent: info\n");
        buffer.append(b"urgent: warn\n", true);
        assert_eq!(batches_with("urgent:"), ["urgent: info\nurgent: warn\n"]);
    }

    #[test]
    fn a_full_buffer_is_written_at_once() {
        let buffer = test_buffer();
        let mut big = b"full:".to_vec();
        big.resize(FLUSH_AT_BYTES, b'x');
        let _ = buffer.make_writer().write_all(&big);
        assert_eq!(batches_with("full:").len(), 1);
    }

    #[test]
    fn the_flusher_writes_lines_after_the_delay() {
        let buffer = test_buffer();
        buffer
            .spawn_flusher()
            .unwrap_or_else(|error| panic!("no flusher thread: {error}"));
        let _ = buffer.make_writer().write_all(b"timer: line\n");
        let deadline = std::time::Instant::now() + FLUSH_DELAY * 40;
        while batches_with("timer:").is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(FLUSH_DELAY / 5);
        }
        assert_eq!(batches_with("timer:"), ["timer: line\n"]);
    }

    #[test]
    fn an_unbuffered_buffer_writes_every_line_at_once() {
        let buffer = test_buffer();
        buffer.disable_buffering();
        let _ = buffer.make_writer().write_all(b"unbuffered: line\n");
        assert_eq!(batches_with("unbuffered:"), ["unbuffered: line\n"]);
    }

    #[test]
    fn warnings_and_errors_are_urgent() {
        assert!(is_urgent(&Level::ERROR) && is_urgent(&Level::WARN));
        assert!(!is_urgent(&Level::INFO) && !is_urgent(&Level::DEBUG) && !is_urgent(&Level::TRACE));
    }
}
