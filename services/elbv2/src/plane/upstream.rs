//! Connections from one client connection of the proxy to its targets:
//! each client connection keeps one keep-alive HTTP/1.1 connection per
//! target it has reached, taken out for a request and put back after, so
//! forwarding needs no shared pool (HTTP/1.1 serves one request at a time
//! per connection anyway).

use std::net::SocketAddr;
use std::sync::Mutex;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The target connections of one client connection.
#[derive(Default)]
pub struct Upstreams {
    idle: Mutex<Vec<(SocketAddr, SendRequest<Incoming>)>>,
}

impl Upstreams {
    /// Sends `request` to `address`, on the connection kept for it when it
    /// is still open, else on a new one.
    pub async fn send(
        &self,
        address: SocketAddr,
        request: Request<Incoming>,
    ) -> Result<Response<Incoming>, String> {
        let mut sender = match self.take(address) {
            Some(sender) => sender,
            None => connect(address).await?,
        };
        let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
        // A connection that switched protocols is no longer HTTP.
        if response.status() != http::StatusCode::SWITCHING_PROTOCOLS {
            self.put_back(address, sender);
        }
        Ok(response)
    }

    fn take(&self, address: SocketAddr) -> Option<SendRequest<Incoming>> {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        idle.retain(|(_, sender)| !sender.is_closed());
        let index = idle
            .iter()
            .position(|(a, sender)| *a == address && sender.is_ready())?;
        Some(idle.swap_remove(index).1)
    }

    fn put_back(&self, address: SocketAddr, sender: SendRequest<Incoming>) {
        if !sender.is_closed() {
            let mut idle = self
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            idle.push((address, sender));
        }
    }
}

async fn connect(address: SocketAddr) -> Result<SendRequest<Incoming>, String> {
    let stream = TcpStream::connect(address).await.map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection.with_upgrades());
    Ok(sender)
}
