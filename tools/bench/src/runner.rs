//! Runs the chosen scenarios against one server: times its cold starts,
//! starts it once more for the load scenarios, reads its memory, stops it.

use crate::aws::{Problem, RequestFactory};
use crate::scenarios::{self, Context, Outcome, ScenarioId};
use crate::servers::{Launcher, RunningServer, ServerKind};
use crate::settings::{MIB, Settings};
use std::collections::HashMap;
use std::time::Duration;

/// Everything measured on one server, or why nothing could be.
#[derive(Debug)]
pub enum ServerResult {
    /// Not installed, not built, or did not start: shown, never dropped.
    Unavailable(String),
    Ran(HashMap<ScenarioId, Outcome>),
}

/// The column of one server in the table.
#[derive(Debug)]
pub struct ServerRun {
    pub kind: ServerKind,
    pub label: String,
    pub result: ServerResult,
}

pub async fn run_server(launcher: &Launcher, scenarios: &[ScenarioId], settings: &Settings) -> ServerResult {
    let name = launcher.kind.name();
    let mut outcomes = HashMap::new();

    if scenarios.contains(&ScenarioId::ColdStart) {
        match cold_starts(launcher, settings).await {
            Ok(outcome) => {
                progress(name, ScenarioId::ColdStart, &outcome);
                outcomes.insert(ScenarioId::ColdStart, outcome);
            }
            Err(error) => return ServerResult::Unavailable(format!("did not start: {error}")),
        }
    }

    let mut server = match start(launcher, settings).await {
        Ok((server, _)) => server,
        Err(error) => return ServerResult::Unavailable(format!("did not start: {error}")),
    };
    eprintln!("[{name}] serving on {} (pid {})", server.addr, server.pid());

    let idle_rss = if scenarios.contains(&ScenarioId::Memory) {
        tokio::time::sleep(settings.idle_settle).await;
        server.rss_bytes()
    } else {
        None
    };

    let context = Context {
        addr: server.addr,
        requests: RequestFactory::new(server.addr),
        reference: launcher.kind == ServerKind::Limit,
        settings,
        server_pid: server.pid(),
    };
    for &id in scenarios.iter().filter(|id| id.is_load()) {
        let outcome = match server.exit_status() {
            Some(exit) => Outcome::NotMeasured(Problem::Failed(format!("server {exit}"))),
            None => run_scenario(id, &context, settings).await,
        };
        progress(name, id, &outcome);
        outcomes.insert(id, outcome);
    }

    if scenarios.contains(&ScenarioId::Memory) {
        let outcome = match (idle_rss, server.rss_bytes()) {
            (Some(idle), Some(loaded)) => Outcome::Measured(vec![mib(idle), mib(loaded)]),
            _ => Outcome::NotMeasured(Problem::Failed(format!(
                "cannot read /proc/{}/status",
                server.pid()
            ))),
        };
        progress(name, ScenarioId::Memory, &outcome);
        outcomes.insert(ScenarioId::Memory, outcome);
    }
    server.stop();
    ServerResult::Ran(outcomes)
}

/// One result from several rounds: each figure's median over the rounds
/// that measured it; a scenario any round could not measure keeps why.
pub fn median_of(rounds: Vec<ServerResult>) -> ServerResult {
    let mut ran = Vec::with_capacity(rounds.len());
    for round in rounds {
        match round {
            ServerResult::Unavailable(reason) => return ServerResult::Unavailable(reason),
            ServerResult::Ran(outcomes) => ran.push(outcomes),
        }
    }
    let Some(first) = ran.first() else {
        return ServerResult::Unavailable("no round ran".to_owned());
    };
    let mut merged = HashMap::new();
    for id in first.keys() {
        let mut figures: Vec<&Vec<f64>> = Vec::with_capacity(ran.len());
        let mut problem = None;
        for outcomes in &ran {
            match outcomes.get(id) {
                Some(Outcome::Measured(values)) => figures.push(values),
                Some(Outcome::NotMeasured(why)) => problem = Some(why.clone()),
                None => {}
            }
        }
        let outcome = match problem {
            Some(problem) => Outcome::NotMeasured(problem),
            None => Outcome::Measured(medians(&figures)),
        };
        merged.insert(*id, outcome);
    }
    ServerResult::Ran(merged)
}

/// The median of each position across the rounds' figures.
fn medians(figures: &[&Vec<f64>]) -> Vec<f64> {
    let width = figures.iter().map(|values| values.len()).min().unwrap_or(0);
    (0..width)
        .map(|i| {
            let mut column: Vec<f64> = figures.iter().map(|values| values[i]).collect();
            column.sort_by(f64::total_cmp);
            median(&column)
        })
        .collect()
}

fn median(sorted: &[f64]) -> f64 {
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[middle]
    } else {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    }
}

async fn run_scenario(id: ScenarioId, context: &Context<'_>, settings: &Settings) -> Outcome {
    let limit = if id == ScenarioId::SqsBigQueue {
        settings.big_queue_timeout()
    } else {
        settings.scenario_timeout
    };
    match tokio::time::timeout(limit, scenarios::run(id, context)).await {
        Ok(outcome) => outcome,
        Err(_) => Outcome::NotMeasured(Problem::Failed(format!("timed out after {} s", limit.as_secs()))),
    }
}

/// Starts the server `cold_starts` times; min and median time to first answer.
async fn cold_starts(launcher: &Launcher, settings: &Settings) -> Result<Outcome, String> {
    let mut times = Vec::with_capacity(settings.cold_starts);
    for _ in 0..settings.cold_starts.max(1) {
        let (server, ready_after) = start(launcher, settings).await?;
        server.stop();
        times.push(ready_after.as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok(Outcome::Measured(vec![times[0], median(&times)]))
}

/// Starting blocks (it polls with sub-millisecond sleeps), so it runs off
/// the async workers.
async fn start(launcher: &Launcher, settings: &Settings) -> Result<(RunningServer, Duration), String> {
    let launcher = launcher.clone();
    let timeout = settings.ready_timeout;
    tokio::task::spawn_blocking(move || launcher.start(timeout))
        .await
        .map_err(|error| format!("start-up task failed: {error}"))?
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / MIB as f64
}

fn progress(server: &str, id: ScenarioId, outcome: &Outcome) {
    match outcome {
        Outcome::Measured(values) => {
            let figures: Vec<String> = id
                .metrics()
                .iter()
                .zip(values)
                .map(|(metric, value)| format!("{} {value:.2} {}", metric.name, metric.unit))
                .collect();
            eprintln!("[{server}] {}: {}", id.name(), figures.join(", "));
        }
        Outcome::NotMeasured(problem) => eprintln!("[{server}] {}: {problem}", id.name()),
    }
}
