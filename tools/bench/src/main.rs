//! nimbus-bench: measures nimbus beside its peers (moto, fakecloud) and a
//! bare hyper server (the physical limit) in one run, and prints one table.
//!
//! ```text
//! cargo run -p nimbus-bench --release -- --against moto,fakecloud
//! cargo run -p nimbus-bench --release -- --smoke
//! ```

mod aws;
mod http_client;
mod limit_server;
mod load;
mod proxy;
mod report;
mod runner;
mod scenarios;
mod servers;
mod settings;
mod sigv4;

use clap::{Parser, Subcommand};
use report::{Machine, Report};
use runner::{ServerResult, ServerRun};
use scenarios::ScenarioId;
use servers::{Locations, ServerKind};
use settings::Settings;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "nimbus-bench",
    about = "Benchmarks nimbus beside moto, fakecloud and a bare hyper server"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Peers to measure beside nimbus and the limit server (moto, fakecloud,
    /// or none). Default: moto,fakecloud; none in smoke mode.
    #[arg(long, value_delimiter = ',')]
    against: Option<Vec<String>>,

    /// A few requests per scenario: proves the harness works, measures nothing.
    #[arg(long)]
    smoke: bool,

    /// Scenarios to run (comma-separated), or `all`. Default: all but
    /// sqs-big-queue in a full run (it fills a queue with 1,000,000 messages).
    #[arg(long, value_delimiter = ',')]
    scenarios: Option<Vec<String>>,

    /// The nimbus binary. Default: `nimbus` next to this program.
    #[arg(long)]
    nimbus_bin: Option<PathBuf>,

    /// Another nimbus build to measure beside this one (a column of its
    /// own, for before/after figures in one run); implies `--against baseline`.
    #[arg(long)]
    baseline_bin: Option<PathBuf>,

    /// Run nimbus with `--ephemeral` (all in memory) instead of its default
    /// durable mode with a fresh data directory.
    #[arg(long)]
    nimbus_ephemeral: bool,

    /// The fakecloud binary. Default: found in PATH or ~/.cargo/bin.
    #[arg(long)]
    fakecloud_bin: Option<PathBuf>,

    /// The Python that has moto installed. Default: python3.
    #[arg(long)]
    python: Option<PathBuf>,

    /// Connections for small requests.
    #[arg(long)]
    concurrency: Option<usize>,

    /// Requests per small-request scenario.
    #[arg(long)]
    requests: Option<usize>,

    /// Time cap of one load phase, in seconds.
    #[arg(long)]
    duration: Option<u64>,

    /// Messages in the queue of sqs-big-queue.
    #[arg(long)]
    big_queue_messages: Option<usize>,

    /// Measure every server this many times, taking turns, and report each
    /// figure's median: a shared machine's slow spells then fall on every
    /// server alike (before/after comparisons want 3 or more).
    #[arg(long, default_value_t = 1)]
    rounds: usize,

    /// Also write the markdown report to this file.
    #[arg(long)]
    output: Option<PathBuf>,

    /// Also write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve as the limit server (started by the benchmark itself).
    #[command(hide = true)]
    LimitServer {
        #[arg(long)]
        port: u16,
        /// Bytes answered to a GET of a large object.
        #[arg(long)]
        large_bytes: usize,
    },
    /// Keep-alive clients GET one path from an address; prints JSON figures.
    HttpLoad {
        #[arg(long)]
        addr: std::net::SocketAddr,
        #[arg(long, default_value = "/")]
        path: String,
        #[arg(long, default_value_t = 16)]
        connections: usize,
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// Swallows TCP streams on a loopback port, answering each one's length.
    TcpSink {
        #[arg(long)]
        port: u16,
    },
    /// Pushes megabytes through an address into a tcp-sink; prints MB/s.
    TcpThroughput {
        #[arg(long)]
        addr: std::net::SocketAddr,
        #[arg(long, default_value_t = 2000)]
        megabytes: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("nimbus-bench: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(command) = cli.command {
        return match runtime.block_on(tool(command)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("nimbus-bench: {error}");
                ExitCode::FAILURE
            }
        };
    }
    match runtime.block_on(benchmark(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("nimbus-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The subcommands: servers and probes the benchmark scripts use.
async fn tool(command: Command) -> Result<(), String> {
    match command {
        Command::LimitServer { port, large_bytes } => limit_server::serve(port, large_bytes)
            .await
            .map_err(|e| format!("limit server: {e}")),
        Command::HttpLoad {
            addr,
            path,
            connections,
            seconds,
        } => proxy::http_load(addr, &path, connections, seconds)
            .await
            .map(|line| println!("{line}")),
        Command::TcpSink { port } => proxy::tcp_sink(port).await,
        Command::TcpThroughput { addr, megabytes } => proxy::tcp_throughput(addr, megabytes)
            .await
            .map(|line| println!("{line}")),
    }
}

async fn benchmark(cli: Cli) -> Result<(), String> {
    let settings = settings_from(&cli);
    let scenarios = scenarios_from(&cli, &settings)?;
    let servers = servers_from(&cli, &settings)?;
    let locations = Locations {
        nimbus: cli.nimbus_bin.clone(),
        baseline: cli.baseline_bin.clone(),
        ephemeral: cli.nimbus_ephemeral,
        fakecloud: cli.fakecloud_bin.clone(),
        python: cli.python.clone(),
    };
    let machine = Machine::describe();
    eprintln!(
        "nimbus-bench: {} run, servers {}, scenarios {}",
        if settings.smoke { "smoke" } else { "full" },
        servers
            .iter()
            .map(|kind| kind.name())
            .collect::<Vec<_>>()
            .join(","),
        scenarios.iter().map(|id| id.name()).collect::<Vec<_>>().join(",")
    );

    let servers_order = servers.clone();
    let mut launchers = Vec::new();
    let mut runs = Vec::new();
    for kind in servers {
        match servers::locate(kind, &locations, settings.large_object_bytes) {
            Ok(launcher) => launchers.push(launcher),
            Err(reason) => {
                eprintln!("[{}] {reason}", kind.name());
                runs.push(ServerRun {
                    kind,
                    label: kind.name().into(),
                    result: ServerResult::Unavailable(reason),
                });
            }
        }
    }
    let rounds = cli.rounds.max(1);
    let mut results: Vec<Vec<ServerResult>> = launchers.iter().map(|_| Vec::new()).collect();
    for round in 1..=rounds {
        for (launcher, results) in launchers.iter().zip(&mut results) {
            let kind = launcher.kind;
            eprintln!(
                "[{}] measuring {} (round {round} of {rounds})",
                kind.name(),
                launcher.label
            );
            let result = runner::run_server(launcher, &scenarios, &settings).await;
            if let ServerResult::Unavailable(reason) = &result {
                eprintln!("[{}] {reason}", kind.name());
                // The limit server is the yardstick: without it the table means nothing.
                if kind == ServerKind::Limit {
                    return Err(format!("the limit server failed: {reason}"));
                }
            }
            results.push(result);
        }
    }
    for (launcher, results) in launchers.into_iter().zip(results) {
        runs.push(ServerRun {
            kind: launcher.kind,
            label: launcher.label,
            result: runner::median_of(results),
        });
    }
    runs.sort_by_key(|run| servers_order.iter().position(|kind| *kind == run.kind));

    let report = Report {
        command: command_line(),
        settings: &settings,
        machine: &machine,
        scenarios: &scenarios,
        runs: &runs,
    };
    let markdown = report.markdown();
    println!("{markdown}");
    if let Some(path) = &cli.output {
        std::fs::write(path, &markdown)
            .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    }
    if let Some(path) = &cli.json {
        let text = serde_json::to_string_pretty(&report.json()).unwrap_or_default();
        std::fs::write(path, text).map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    }
    Ok(())
}

fn settings_from(cli: &Cli) -> Settings {
    let mut settings = if cli.smoke {
        Settings::smoke()
    } else {
        Settings::full()
    };
    if let Some(concurrency) = cli.concurrency {
        settings.concurrency = concurrency.max(1);
    }
    if let Some(requests) = cli.requests {
        settings.requests = requests.max(1);
    }
    if let Some(seconds) = cli.duration {
        settings.max_duration = Duration::from_secs(seconds.max(1));
    }
    if let Some(messages) = cli.big_queue_messages {
        settings.big_queue_messages = messages.max(1);
    }
    settings.nimbus_ephemeral = cli.nimbus_ephemeral;
    settings
}

fn scenarios_from(cli: &Cli, settings: &Settings) -> Result<Vec<ScenarioId>, String> {
    let Some(names) = &cli.scenarios else {
        return Ok(ScenarioId::defaults(settings.smoke));
    };
    if names.iter().any(|name| name == "all") {
        return Ok(ScenarioId::ALL.to_vec());
    }
    let mut chosen = Vec::new();
    for name in names {
        let id = ScenarioId::parse(name).ok_or_else(|| {
            let known: Vec<_> = ScenarioId::ALL.iter().map(|id| id.name()).collect();
            format!("unknown scenario {name:?}; known: all, {}", known.join(", "))
        })?;
        if !chosen.contains(&id) {
            chosen.push(id);
        }
    }
    // Always in the canonical order, so tables from different runs line up.
    chosen.sort_by_key(|id| ScenarioId::ALL.iter().position(|known| known == id));
    Ok(chosen)
}

/// The limit server and nimbus always; the peers asked for after them.
fn servers_from(cli: &Cli, settings: &Settings) -> Result<Vec<ServerKind>, String> {
    let mut servers = vec![ServerKind::Limit, ServerKind::Nimbus];
    if cli.baseline_bin.is_some() {
        servers.push(ServerKind::Baseline);
    }
    let peers = match &cli.against {
        Some(names) => names.clone(),
        None if settings.smoke => Vec::new(),
        None => vec!["moto".into(), "fakecloud".into()],
    };
    for name in peers.iter().filter(|name| !name.is_empty() && *name != "none") {
        let peer = ServerKind::parse_peer(name)
            .ok_or_else(|| format!("unknown peer {name:?}; known: baseline, moto, fakecloud, none"))?;
        if !servers.contains(&peer) {
            servers.push(peer);
        }
    }
    Ok(servers)
}

/// This invocation, as a user would type it.
fn command_line() -> String {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    format!("nimbus-bench {}", arguments.join(" "))
        .trim_end()
        .to_owned()
}
