//! The output: one markdown table (every figure, and nimbus's ratio to the
//! limit server and to each peer), the targets, the machine, and the same
//! data as JSON for tools.

use crate::runner::{ServerResult, ServerRun};
use crate::scenarios::{Outcome, ScenarioId};
use crate::servers::ServerKind;
use crate::settings::Settings;
use serde_json::{Value, json};
use std::fmt::Write as _;

/// The machine a run happened on, so figures are never read out of context.
#[derive(Clone, Debug)]
pub struct Machine {
    pub date: String,
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub load_average: String,
}

impl Machine {
    pub fn describe() -> Self {
        let now = time::OffsetDateTime::now_utc();
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let cpu = read("/proc/cpuinfo")
            .lines()
            .find(|line| line.starts_with("model name"))
            .and_then(|line| line.split(':').nth(1))
            .map_or_else(|| "unknown CPU".into(), |model| model.trim().to_owned());
        let memory_kib: f64 = read("/proc/meminfo")
            .lines()
            .find(|line| line.starts_with("MemTotal:"))
            .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0.0);
        Machine {
            date: format!(
                "{:04}-{:02}-{:02} {:02}:{:02} UTC",
                now.year(),
                u8::from(now.month()),
                now.day(),
                now.hour(),
                now.minute()
            ),
            cpu,
            cores: std::thread::available_parallelism().map_or(0, usize::from),
            memory_gib: memory_kib / 1024.0 / 1024.0,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
            load_average: read("/proc/loadavg")
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// One run, ready to print.
pub struct Report<'a> {
    /// How this run was started, so it can be repeated.
    pub command: String,
    pub settings: &'a Settings,
    pub machine: &'a Machine,
    pub scenarios: &'a [ScenarioId],
    pub runs: &'a [ServerRun],
}

impl Report<'_> {
    pub fn markdown(&self) -> String {
        let mut notes = Notes::default();
        let mut out = String::new();
        let _ = writeln!(out, "Command: `{}`\n", self.command);
        let _ = writeln!(
            out,
            "{} run on {}: {} cores ({}), {:.1} GiB RAM, Linux {}, load average at start {}.",
            if self.settings.smoke { "Smoke" } else { "Full" },
            self.machine.date,
            self.machine.cores,
            self.machine.cpu,
            self.machine.memory_gib,
            self.machine.kernel,
            self.machine.load_average
        );
        let _ = writeln!(
            out,
            "Small requests: up to {} per scenario (or {} s) at concurrency {}; large objects: {} transfers at concurrency {}.\n",
            self.settings.requests,
            self.settings.max_duration.as_secs(),
            self.settings.concurrency,
            self.settings.large_transfers,
            self.settings.large_concurrency
        );
        let _ = writeln!(
            out,
            "nimbus{} runs {}.\n",
            if self.runs.iter().any(|run| run.kind == ServerKind::Baseline) {
                " (and the baseline build)"
            } else {
                ""
            },
            if self.settings.nimbus_ephemeral {
                "with --ephemeral (all state in memory)"
            } else {
                "in its default durable mode, each start with a fresh --data-dir"
            }
        );
        self.write_table(&mut out, &mut notes);
        notes.write(&mut out);
        self.write_targets(&mut out);
        out
    }

    fn nimbus(&self) -> Option<&ServerRun> {
        self.runs.iter().find(|run| run.kind == ServerKind::Nimbus)
    }

    fn others(&self) -> impl Iterator<Item = &ServerRun> {
        self.runs.iter().filter(|run| run.kind != ServerKind::Nimbus)
    }

    fn write_table(&self, out: &mut String, notes: &mut Notes) {
        let mut header = vec!["scenario".to_owned(), "figure".to_owned()];
        header.extend(self.runs.iter().map(|run| run.label.clone()));
        header.extend(self.others().map(|run| format!("nimbus ÷ {}", run.kind.name())));
        let _ = writeln!(out, "| {} |", header.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(header.len()));

        for &id in self.scenarios {
            for (row, metric) in id.metrics().iter().enumerate() {
                let direction = if metric.higher_is_better { "↑" } else { "↓" };
                let mut cells = vec![
                    if row == 0 {
                        id.title(self.settings)
                    } else {
                        String::new()
                    },
                    format!("{} ({}) {direction}", metric.name, metric.unit),
                ];
                for run in self.runs {
                    cells.push(match figure(run, id, row) {
                        Ok(value) => format_value(value),
                        Err(reason) => notes.cell(run.kind.name(), &reason),
                    });
                }
                let nimbus = self.nimbus().and_then(|run| figure(run, id, row).ok());
                for other in self.others() {
                    let other = figure(other, id, row).ok();
                    cells.push(match (nimbus, other) {
                        (Some(nimbus), Some(other)) if other > 0.0 => {
                            format!("{}×", format_value(nimbus / other))
                        }
                        _ => "–".into(),
                    });
                }
                let _ = writeln!(out, "| {} |", cells.join(" | "));
            }
        }
        out.push('\n');
    }

    fn write_targets(&self, out: &mut String) {
        let has_targets = self.scenarios.iter().any(|id| {
            id.is_small_request()
                || matches!(
                    id,
                    ScenarioId::ColdStart
                        | ScenarioId::Memory
                        | ScenarioId::S3PutLarge
                        | ScenarioId::S3GetLarge
                        | ScenarioId::S3GetRss
                )
        });
        if !has_targets {
            return;
        }
        let _ = writeln!(out, "Targets (from the benchmark issue), for nimbus:\n");
        let nimbus = |id, row| {
            self.nimbus()
                .map_or(Err("nimbus not run".to_owned()), |run| figure(run, id, row))
        };
        let scalar = |id, row, met: &dyn Fn(f64) -> bool, unit: &str| match nimbus(id, row) {
            Ok(value) => format!(
                "{} {unit}: {}",
                format_value(value),
                if met(value) { "met" } else { "not met" }
            ),
            Err(reason) => format!("not measured ({})", short(&reason)),
        };
        if self.scenarios.contains(&ScenarioId::ColdStart) {
            let verdict = scalar(ScenarioId::ColdStart, 1, &|ms| ms < 10.0, "ms");
            let _ = writeln!(out, "- cold start (median) under 10 ms — {verdict}");
        }
        if self.scenarios.contains(&ScenarioId::Memory) {
            let verdict = scalar(ScenarioId::Memory, 0, &|mib| mib < 10.0, "MiB");
            let _ = writeln!(out, "- idle RSS under 10 MiB — {verdict}");
        }
        for id in [ScenarioId::S3PutLarge, ScenarioId::S3GetLarge] {
            if self.scenarios.contains(&id) {
                let verdict = scalar(id, 0, &|mb| mb > 1000.0, "MB/s");
                let _ = writeln!(out, "- {} above 1 GB/s — {verdict}", id.title(self.settings));
            }
        }

        if self.scenarios.contains(&ScenarioId::S3GetRss) {
            let verdict = scalar(ScenarioId::S3GetRss, 1, &|mib| mib < 50.0, "MiB");
            let _ = writeln!(
                out,
                "- RSS during a {} MiB GET under 50 MiB — {verdict}",
                self.settings.rss_object_bytes / crate::settings::MIB
            );
        }

        let small: Vec<ScenarioId> = self
            .scenarios
            .iter()
            .copied()
            .filter(|id| id.is_small_request())
            .collect();
        if small.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "\nSmall-request throughput: at least ½ of the limit server, at least 20× moto, ahead of fakecloud.\n"
        );
        let _ = writeln!(out, "| scenario | ≥ ½ limit | ≥ 20× moto | ahead of fakecloud |");
        let _ = writeln!(out, "|---|---|---|---|");
        for id in small {
            let ratio_to = |kind: ServerKind, at_least: f64, strictly: bool| {
                let other = self
                    .runs
                    .iter()
                    .find(|run| run.kind == kind)
                    .and_then(|run| figure(run, id, 0).ok());
                match (nimbus(id, 0).ok(), other) {
                    (Some(ours), Some(theirs)) if theirs > 0.0 => {
                        let ratio = ours / theirs;
                        let met = if strictly {
                            ratio > at_least
                        } else {
                            ratio >= at_least
                        };
                        format!(
                            "{} ({}×)",
                            if met { "met" } else { "not met" },
                            format_value(ratio)
                        )
                    }
                    _ => "not measured".into(),
                }
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                id.title(self.settings),
                ratio_to(ServerKind::Limit, 0.5, false),
                ratio_to(ServerKind::Moto, 20.0, false),
                ratio_to(ServerKind::Fakecloud, 1.0, true)
            );
        }
    }

    pub fn json(&self) -> Value {
        let servers: Vec<Value> = self
            .runs
            .iter()
            .map(|run| {
                let mut server = json!({ "server": run.kind.name(), "label": run.label });
                match &run.result {
                    ServerResult::Unavailable(reason) => {
                        server["status"] = json!("unavailable");
                        server["reason"] = json!(reason);
                    }
                    ServerResult::Ran(outcomes) => {
                        server["status"] = json!("ran");
                        let scenarios: serde_json::Map<String, Value> = self
                            .scenarios
                            .iter()
                            .filter_map(|id| Some((id, outcomes.get(id)?)))
                            .map(|(id, outcome)| (id.name().to_owned(), outcome_json(*id, outcome)))
                            .collect();
                        server["scenarios"] = Value::Object(scenarios);
                    }
                }
                server
            })
            .collect();
        json!({
            "command": self.command,
            "mode": if self.settings.smoke { "smoke" } else { "full" },
            "machine": {
                "date": self.machine.date,
                "cpu": self.machine.cpu,
                "cores": self.machine.cores,
                "memory_gib": self.machine.memory_gib,
                "kernel": self.machine.kernel,
                "load_average": self.machine.load_average,
            },
            "settings": {
                "concurrency": self.settings.concurrency,
                "requests": self.settings.requests,
                "max_duration_s": self.settings.max_duration.as_secs_f64(),
                "large_object_bytes": self.settings.large_object_bytes,
                "large_transfers": self.settings.large_transfers,
                "cold_starts": self.settings.cold_starts,
                "big_queue_messages": self.settings.big_queue_messages,
            },
            "servers": servers,
        })
    }
}

fn outcome_json(id: ScenarioId, outcome: &Outcome) -> Value {
    match outcome {
        Outcome::Measured(values) => {
            let figures: serde_json::Map<String, Value> = id
                .metrics()
                .iter()
                .zip(values)
                .map(|(metric, value)| (format!("{} ({})", metric.name, metric.unit), json!(value)))
                .collect();
            json!({ "status": "measured", "figures": figures })
        }
        Outcome::NotMeasured(problem) => {
            let status = match problem {
                crate::aws::Problem::Unsupported(_) => "unsupported",
                crate::aws::Problem::Failed(_) => "failed",
            };
            json!({ "status": status, "reason": problem.to_string() })
        }
    }
}

/// Figure `row` of scenario `id` on a server, or why there is none.
fn figure(run: &ServerRun, id: ScenarioId, row: usize) -> Result<f64, String> {
    match &run.result {
        ServerResult::Unavailable(reason) => Err(reason.clone()),
        ServerResult::Ran(outcomes) => match outcomes.get(&id) {
            Some(Outcome::Measured(values)) => values
                .get(row)
                .copied()
                .filter(|value| value.is_finite())
                .ok_or_else(|| "no figure".into()),
            Some(Outcome::NotMeasured(problem)) => Err(problem.to_string()),
            None => Err("not run".into()),
        },
    }
}

/// Three significant digits: enough to compare, short enough to read
/// (4.80 MiB, 527 ms, 73260 req/s, a ratio of 0.00425×).
fn format_value(value: f64) -> String {
    if value >= 100.0 || value <= 0.0 {
        return format!("{value:.0}");
    }
    let decimals = (2.0 - value.log10().floor()).max(0.0) as usize;
    format!("{value:.decimals$}")
}

/// The gist of a reason: "unsupported", "failed", "not installed", "did not start".
fn short(reason: &str) -> &str {
    let end = reason.find([':', '(']).unwrap_or(reason.len());
    reason[..end].trim()
}

/// Footnotes for cells that hold no figure: the table shows the gist and a
/// number, the note the whole reason (which names the failing operation).
/// Repeated reasons share a note.
#[derive(Default)]
struct Notes {
    entries: Vec<String>,
}

impl Notes {
    fn cell(&mut self, server: &str, reason: &str) -> String {
        let entry = format!("{server}: {}", reason.replace('|', "/"));
        let number = match self.entries.iter().position(|known| *known == entry) {
            Some(index) => index + 1,
            None => {
                self.entries.push(entry);
                self.entries.len()
            }
        };
        format!("{} [{number}]", short(reason))
    }

    fn write(&self, out: &mut String) {
        for (index, entry) in self.entries.iter().enumerate() {
            let _ = writeln!(out, "[{}] {entry}  ", index + 1);
        }
        if !self.entries.is_empty() {
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::format_value;

    #[test]
    fn values_keep_three_significant_digits() {
        assert_eq!(format_value(73259.86), "73260");
        assert_eq!(format_value(527.41), "527");
        assert_eq!(format_value(74.43), "74.4");
        assert_eq!(format_value(4.8), "4.80");
        assert_eq!(format_value(0.19), "0.190");
        assert_eq!(format_value(0.004253), "0.00425");
    }
}
