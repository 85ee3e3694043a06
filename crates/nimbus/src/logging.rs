//! Logging to stderr through `tracing`, filtered by `--log-level`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. An invalid filter falls back to `info`
/// (and says so) rather than refusing to start.
pub fn init(filter: &str) {
    let (filter, invalid) = match EnvFilter::try_new(filter) {
        Ok(filter) => (filter, None),
        Err(error) => (EnvFilter::new("info"), Some(error)),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours for people, plain text for log files and pipes.
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .with_target(false)
        .init();
    if let Some(error) = invalid {
        tracing::warn!("invalid --log-level ({error}); logging at info");
    }
}
