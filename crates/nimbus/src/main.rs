//! `nimbus`: a local AWS region in one binary.

mod cli;
mod logging;
mod services;
mod shutdown;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use nimbus_core::identity::CredentialRegistry;
use nimbus_gateway::{Gateway, GatewayConfig};

use crate::cli::Cli;

/// Idle memory and start-up time matter more than throughput on a laptop:
/// a few workers are plenty for a local region.
const MAX_WORKER_THREADS: usize = 4;

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(&cli.log_level);
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
    match runtime.block_on(run(cli)) {
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

    let credentials = Arc::new(CredentialRegistry::new());
    let config = GatewayConfig {
        default_account: cli.default_account.clone(),
        test_hooks: cli.test_hooks(),
        ..GatewayConfig::default()
    };
    tracing::debug!(?config, data_dir = %cli.data_dir.display(), ephemeral = cli.ephemeral, "configuration");
    let gateway = Arc::new(Gateway::new(config, services::all(&credentials), credentials));

    let storage = if cli.ephemeral {
        "in memory (--ephemeral)".to_owned()
    } else {
        cli.data_dir.display().to_string()
    };
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        state = %storage,
        "nimbus listening on http://{bound}"
    );
    nimbus_gateway::serve(listener, gateway, shutdown::signal())
        .await
        .map_err(|error| format!("server failed: {error}"))?;
    tracing::info!("stopped");
    Ok(())
}
