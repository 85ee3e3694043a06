//! Command-line flags, each with a `NIMBUS_*` environment variable.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::snapshot_cli::SnapshotCommand;
use crate::zone_cli::ZoneCommand;
use clap::builder::BoolishValueParser;

/// A local AWS region in one binary. Point AWS clients at
/// http://127.0.0.1:4566 with any credentials.
#[derive(Debug, Clone, Parser)]
#[command(name = "nimbus", version, about)]
pub struct Cli {
    /// Without a command, nimbus serves.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on.
    #[arg(long, env = "NIMBUS_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// Port to listen on (0 picks a free one; the log says which).
    #[arg(long, env = "NIMBUS_PORT", default_value_t = 4566)]
    pub port: u16,

    /// Directory where state is kept across restarts (default: the platform
    /// data directory, e.g. ~/.local/share/nimbus).
    #[arg(long, env = "NIMBUS_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Keep all state in memory; nothing is read from or written to disk.
    #[arg(long, env = "NIMBUS_EPHEMERAL", value_parser = BoolishValueParser::new())]
    pub ephemeral: bool,

    /// Log filter: a level (error, warn, info, debug, trace) or tracing
    /// directives such as `info,nimbus_gateway=debug`.
    #[arg(long, env = "NIMBUS_LOG_LEVEL", default_value = "info")]
    pub log_level: String,

    /// Account of access keys that do not name one (a 12-digit key is its own account).
    #[arg(long, env = "NIMBUS_DEFAULT_ACCOUNT", default_value = nimbus_core::account::DEFAULT_ACCOUNT_ID,
          value_parser = parse_account_id)]
    pub default_account: String,

    /// Verify SigV4 signatures: access key `test` (secret `test`) and keys
    /// issued by STS; others are refused (InvalidAccessKeyId and the like).
    #[arg(long, env = "NIMBUS_VERIFY_SIGNATURES", value_parser = BoolishValueParser::new())]
    pub verify_signatures: bool,

    /// Enforce IAM: every request is authorised by IAM's policies and the
    /// resource's policy, as AWS evaluates them (signatures are verified too).
    #[arg(long, env = "NIMBUS_ENFORCE_IAM", value_parser = BoolishValueParser::new())]
    pub enforce_iam: bool,

    /// Debug builds only: enable hooks end-to-end tests use to provoke
    /// failures (e.g. a handler panic).
    #[cfg(debug_assertions)]
    #[arg(long, env = "NIMBUS_TEST_HOOKS", hide = true, value_parser = BoolishValueParser::new())]
    pub test_hooks: bool,
}

/// Commands that talk to a running nimbus (at --host/--port).
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Save, restore, list or delete snapshots of the whole state.
    #[command(subcommand)]
    Snapshot(SnapshotCommand),
    /// Fail or restore an availability zone (a failure drill).
    #[command(subcommand)]
    Zone(ZoneCommand),
}

impl Cli {
    pub fn test_hooks(&self) -> bool {
        #[cfg(debug_assertions)]
        return self.test_hooks;
        #[cfg(not(debug_assertions))]
        return false;
    }
}

fn parse_account_id(value: &str) -> Result<String, String> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_owned())
    } else {
        Err(format!("an AWS account id is 12 digits, not '{value}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_serve_on_the_localstack_port() {
        let cli = Cli::try_parse_from(["nimbus"]).expect("parses");
        assert_eq!(cli.host.to_string(), "127.0.0.1");
        assert_eq!(cli.port, 4566);
        assert_eq!(cli.default_account, "000000000000");
        assert!(!cli.ephemeral);
        assert!(cli.command.is_none());
    }

    #[test]
    fn snapshot_commands_parse() {
        let cli =
            Cli::try_parse_from(["nimbus", "--port", "4567", "snapshot", "save", "base"]).expect("parses");
        assert!(
            matches!(cli.command, Some(Command::Snapshot(SnapshotCommand::Save { ref name })) if name == "base")
        );
        assert_eq!(cli.port, 4567);
    }

    #[test]
    fn flags_override_defaults_and_accounts_are_checked() {
        let cli = Cli::try_parse_from([
            "nimbus",
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--ephemeral",
            "--default-account",
            "123456789012",
            "--log-level",
            "debug",
        ])
        .expect("parses");
        assert_eq!(cli.port, 0);
        assert!(cli.ephemeral);
        assert_eq!(cli.default_account, "123456789012");
        assert!(Cli::try_parse_from(["nimbus", "--default-account", "12"]).is_err());
    }
}
