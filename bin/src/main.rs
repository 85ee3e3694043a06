//! `nimbus`: a local AWS region in one binary.

mod cli;
mod control;
mod logging;
mod services;
mod shutdown;
mod snapshot_cli;
mod zone_cli;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use nimbus_core::authz::Enforcement;
use nimbus_core::identity::CredentialRegistry;
use nimbus_gateway::{Gateway, GatewayConfig};

use crate::cli::Cli;
use nimbus_runtime::Clock;
use nimbus_store::Store;

/// Idle memory and start-up time matter more than throughput on a laptop:
/// a few workers are plenty for a local region.
const MAX_WORKER_THREADS: usize = 4;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _flush_log_on_exit = logging::init(&cli.log_level);
    let workers = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .clamp(1, MAX_WORKER_THREADS);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("nimbus")
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!("cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = match &cli.command {
        Some(cli::Command::Snapshot(command)) => {
            runtime.block_on(snapshot_cli::run(command, cli.host, cli.port))
        }
        Some(cli::Command::Zone(command)) => runtime.block_on(zone_cli::run(command, cli.host, cli.port)),
        None => runtime.block_on(run(cli)),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let address = SocketAddr::new(cli.host, cli.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|error| format!("cannot listen on {address}: {error}"))?;
    let bound = listener.local_addr().unwrap_or(address);

    let store = Arc::new(open_store(&cli)?);
    let credentials = Arc::new(CredentialRegistry::new());
    let environment = services::Environment {
        store: Arc::clone(&store),
        clock: Clock::real(),
        credentials: Arc::clone(&credentials),
        endpoint: format!("http://{}", loopback_of(bound)),
        enforce_iam: cli.enforce_iam,
    };
    let built = services::all(&environment);
    let ec2 = built.ec2.clone();
    let config = GatewayConfig {
        default_account: cli.default_account.clone(),
        test_hooks: cli.test_hooks(),
        verify_signatures: cli.verify_signatures || cli.enforce_iam,
        enforcement: Enforcement(cli.enforce_iam.then(|| Arc::clone(&built.authorizer))),
        anonymous_enforcement: Enforcement(cli.verify_signatures.then(|| Arc::clone(&built.authorizer))),
        // Presigned URL expiry reads the clock the services read.
        clock: environment.clock.clone(),
        ..GatewayConfig::default()
    };
    tracing::debug!(?config, ephemeral = cli.ephemeral, "configuration");
    let gateway = Arc::new(Gateway::new(
        config,
        built.services,
        credentials,
        Arc::clone(&store),
    ));

    let storage = if cli.ephemeral {
        "in memory (--ephemeral)".to_owned()
    } else {
        store.data_dir().display().to_string()
    };
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        state = %storage,
        "nimbus listening on http://{bound}"
    );
    let served = nimbus_gateway::serve(listener, gateway, shutdown::signal()).await;
    // Instances are nimbus's processes: they end with it.
    ec2.halt_instances();
    served.map_err(|error| format!("server failed: {error}"))?;
    tracing::info!("stopped");
    Ok(())
}

/// The store under `--data-dir` (default: the platform data directory), or
/// in memory with `--ephemeral`. Errors are meant for the person starting nimbus.
fn open_store(cli: &Cli) -> Result<Store, String> {
    if cli.ephemeral {
        return Store::ephemeral().map_err(|error| format!("cannot create the in-memory store: {error}"));
    }
    let data_dir = cli
        .data_dir
        .clone()
        .or_else(nimbus_store::default_data_dir)
        .ok_or("no data directory: pass --data-dir (or NIMBUS_DATA_DIR), or --ephemeral")?;
    let store = Store::open(&data_dir)
        .map_err(|error| format!("cannot open the store in {}: {error}", data_dir.display()))?;
    let sweep = store.sweep_report();
    tracing::debug!(?sweep, "store opened");
    Ok(store)
}

/// The address local processes (Lambda functions) reach nimbus at: the
/// bound one, or loopback when nimbus listens on every address.
fn loopback_of(bound: SocketAddr) -> SocketAddr {
    match bound.ip().is_unspecified() {
        true => SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), bound.port()),
        false => bound,
    }
}
