//! A runtime process's memory, as Linux reports it in /proc: what it holds
//! now (VmRSS, watched against the function's MemorySize while it runs) and
//! the most it has held (VmHWM, the REPORT line's Max Memory Used).

use std::time::Duration;

/// How often a running invocation's memory is looked at.
const WATCH_EVERY: Duration = Duration::from_millis(20);

fn status_field_kb(pid: i32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// The most the process has held, in MB (rounded up), if it still runs.
pub fn peak_mb(pid: i32) -> Option<u64> {
    status_field_kb(pid, "VmHWM:").map(|kb| kb.div_ceil(1024))
}

/// Returns once the process holds more than `limit_mb` (never, if it is
/// gone or /proc cannot tell).
pub async fn exceeded(pid: i32, limit_mb: u64) {
    loop {
        tokio::time::sleep(WATCH_EVERY).await;
        match status_field_kb(pid, "VmRSS:") {
            Some(kb) if kb.div_ceil(1024) > limit_mb => return,
            Some(_) => {}
            None => std::future::pending::<()>().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_a_peak() {
        let me = i32::try_from(std::process::id()).unwrap();
        assert!(peak_mb(me).is_some_and(|mb| mb > 0));
        assert_eq!(peak_mb(-1), None);
    }
}
