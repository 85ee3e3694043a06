//! `nimbus zone fail|restore <zone>`: a failure drill on a running nimbus
//! (`POST /_nimbus/zones/<zone>/fail` or `/restore`).

use clap::Subcommand;

/// What to do to an availability zone.
#[derive(Debug, Clone, Subcommand)]
pub enum ZoneCommand {
    /// Take ZONE down: its instances freeze and fail their status checks.
    Fail { zone: String },
    /// Bring ZONE back.
    Restore { zone: String },
    /// List the zones that are down.
    List,
}

impl ZoneCommand {
    fn request(&self) -> (http::Method, String) {
        match self {
            ZoneCommand::Fail { zone } => (http::Method::POST, format!("/_nimbus/zones/{zone}/fail")),
            ZoneCommand::Restore { zone } => (http::Method::POST, format!("/_nimbus/zones/{zone}/restore")),
            ZoneCommand::List => (http::Method::GET, "/_nimbus/zones".to_owned()),
        }
    }
}

/// Sends the drill to the nimbus at `host:port` and prints its answer.
pub async fn run(command: &ZoneCommand, host: std::net::IpAddr, port: u16) -> Result<(), String> {
    let (method, path) = command.request();
    crate::control::send(method, &path, host, port).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_map_to_drills() {
        let fail = ZoneCommand::Fail {
            zone: "us-east-1a".into(),
        };
        assert_eq!(
            fail.request(),
            (http::Method::POST, "/_nimbus/zones/us-east-1a/fail".into())
        );
        assert_eq!(ZoneCommand::List.request().0, http::Method::GET);
    }
}
