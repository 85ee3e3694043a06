//! `nimbus snapshot ...`: asks a running nimbus to save, restore, list or
//! delete snapshots through its `/_nimbus/snapshots` endpoints.

use bytes::Bytes;
use clap::Subcommand;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::TokioIo;

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
    let address = std::net::SocketAddr::new(host, port);
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|error| format!("no nimbus answers on {address}: {error}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|error| format!("cannot talk to {address}: {error}"))?;
    tokio::spawn(connection);
    let (method, path) = command.request();
    let request = Request::builder()
        .method(method)
        .uri(&path)
        .header(http::header::HOST, address.to_string())
        .body(Empty::<Bytes>::new())
        .map_err(|error| error.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|error| format!("request to {address} failed: {error}"))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|error| format!("reading the answer failed: {error}"))?
        .to_bytes();
    let text = String::from_utf8_lossy(&body);
    if status.is_success() {
        println!("{text}");
        Ok(())
    } else {
        Err(format!("{status}: {text}"))
    }
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
