//! `nimbus snapshot ...`: asks a running nimbus to save, restore, list or
//! delete snapshots through its `/_nimbus/snapshots` endpoints.

use clap::Subcommand;

/// What to do with snapshots.
#[derive(Debug, Clone, Subcommand)]
pub enum SnapshotCommand {
    /// Save the whole state under NAME (replacing a snapshot of that name).
    Save { name: String },
    /// Replace the whole state with snapshot NAME.
    Restore { name: String },
    /// List saved snapshots.
    List,
    /// Delete snapshot NAME.
    Delete { name: String },
}

impl SnapshotCommand {
    /// The HTTP method and path of the endpoint that does it.
    fn request(&self) -> (http::Method, String) {
        let path = |name: &str| format!("/_nimbus/snapshots/{}", percent_encode(name));
        match self {
            SnapshotCommand::Save { name } => (http::Method::POST, path(name)),
            SnapshotCommand::Restore { name } => (http::Method::POST, format!("{}/restore", path(name))),
            SnapshotCommand::List => (http::Method::GET, "/_nimbus/snapshots".to_owned()),
            SnapshotCommand::Delete { name } => (http::Method::DELETE, path(name)),
        }
    }
}

fn percent_encode(name: &str) -> String {
    percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Sends the command to the nimbus at `host:port` and prints its JSON answer.
pub async fn run(command: &SnapshotCommand, host: std::net::IpAddr, port: u16) -> Result<(), String> {
    let (method, path) = command.request();
    crate::control::send(method, &path, host, port).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_map_to_endpoints() {
        let save = SnapshotCommand::Save { name: "a b".into() };
        assert_eq!(
            save.request(),
            (http::Method::POST, "/_nimbus/snapshots/a%20b".into())
        );
        let restore = SnapshotCommand::Restore { name: "base".into() };
        assert_eq!(restore.request().1, "/_nimbus/snapshots/base/restore");
        assert_eq!(SnapshotCommand::List.request().0, http::Method::GET);
    }
}
