//! Starting a listener's node: the sockets its protocol needs at the
//! node's address (TCP, UDP, or both on one port for TCP_UDP), on another
//! port when its own cannot be had and that is allowed (said in the log
//! and in the listing), and the task that serves them.

use std::net::SocketAddr;
use std::sync::Arc;

use nimbus_runtime::Clock;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::http::Backends;
use super::{SharedConfig, current, http, tcp, udp};

/// Where a node listens, and the signal that ends its connections.
pub struct Node {
    pub address: SocketAddr,
    /// Whether another port will do when the address's is taken.
    pub fallback: bool,
    pub stopped: watch::Receiver<bool>,
}

/// Completes once the listener is told to stop (or is gone).
pub async fn stopped(mut signal: watch::Receiver<bool>) {
    let _ = signal.wait_for(|stop| *stop).await;
}

/// Listens for `config`'s protocol at the node: where it listens, and its task.
pub fn start(
    node: Node,
    config: &SharedConfig,
    backends: &Backends,
    clock: &Clock,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let protocol = current(config).protocol.clone();
    let config = Arc::clone(config);
    let Node {
        address,
        fallback,
        stopped,
    } = node;
    match protocol.as_str() {
        "HTTP" => {
            let listener = tcp_listener(address, fallback)?;
            let bound = listener.local_addr()?;
            let task = tokio::spawn(http::serve(listener, config, backends.clone(), stopped));
            Ok((bound, task))
        }
        "UDP" => {
            let socket = udp_socket(address, fallback)?;
            let bound = socket.local_addr()?;
            Ok((
                bound,
                tokio::spawn(udp::serve(socket, config, clock.clone(), stopped)),
            ))
        }
        "TCP_UDP" => {
            let listener = tcp_listener(address, fallback)?;
            let bound = listener.local_addr()?;
            let socket = udp_socket(bound, false)?;
            let (tcp_config, clock, tcp_stopped) = (Arc::clone(&config), clock.clone(), stopped.clone());
            let task = tokio::spawn(async move {
                tokio::join!(
                    tcp::serve(listener, tcp_config, tcp_stopped),
                    udp::serve(socket, config, clock, stopped)
                );
            });
            Ok((bound, task))
        }
        _ => {
            let listener = tcp_listener(address, fallback)?;
            let bound = listener.local_addr()?;
            Ok((bound, tokio::spawn(tcp::serve(listener, config, stopped))))
        }
    }
}

/// Binds with `bind`, or on another port of the address when allowed.
fn bind_or_elsewhere<S>(
    address: SocketAddr,
    fallback: bool,
    bind: impl Fn(SocketAddr) -> std::io::Result<S>,
) -> std::io::Result<S> {
    match bind(address) {
        Err(error) if fallback => {
            tracing::warn!(%address, %error, "the listener's port is taken; listening on another one");
            bind(SocketAddr::new(address.ip(), 0))
        }
        bound => bound,
    }
}

fn tcp_listener(address: SocketAddr, fallback: bool) -> std::io::Result<TcpListener> {
    let listener = bind_or_elsewhere(address, fallback, std::net::TcpListener::bind)?;
    listener.set_nonblocking(true)?;
    TcpListener::from_std(listener)
}

fn udp_socket(address: SocketAddr, fallback: bool) -> std::io::Result<UdpSocket> {
    let socket = bind_or_elsewhere(address, fallback, std::net::UdpSocket::bind)?;
    socket.set_nonblocking(true)?;
    UdpSocket::from_std(socket)
}
