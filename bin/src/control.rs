//! Commands that ask a running nimbus to do something through its
//! `/_nimbus/` endpoints (snapshots, zone failures) and print its answer.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::TokioIo;

/// Sends `method path` to the nimbus at `host:port` and prints its JSON answer.
pub async fn send(method: http::Method, path: &str, host: std::net::IpAddr, port: u16) -> Result<(), String> {
    let address = std::net::SocketAddr::new(host, port);
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|error| format!("no nimbus answers on {address}: {error}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|error| format!("cannot talk to {address}: {error}"))?;
    tokio::spawn(connection);
    let request = Request::builder()
        .method(method)
        .uri(path)
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
