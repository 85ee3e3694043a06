//! Starting a listener's node: the sockets its protocol needs at the
//! node's address (TCP, UDP, or both on one port for TCP_UDP), on another
//! port when its own cannot be had (said in the log and in the listing),
//! and the task that serves them.

use std::net::SocketAddr;
use std::sync::Arc;

use nimbus_runtime::Clock;
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinHandle;

use super::http::Backends;
use super::{SharedConfig, current, http, tcp, udp};

/// Listens for `config`'s protocol at `address`: where it listens, and its task.
pub fn start(
    address: SocketAddr,
    config: &SharedConfig,
    backends: &Backends,
    clock: &Clock,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let protocol = current(config).protocol.clone();
    let config = Arc::clone(config);
    match protocol.as_str() {
        "HTTP" => {
            let listener = tcp_listener(address)?;
            let bound = listener.local_addr()?;
            Ok((
                bound,
                tokio::spawn(http::serve(listener, config, backends.clone())),
            ))
        }
        "UDP" => {
            let socket = udp_socket(address)?;
            let bound = socket.local_addr()?;
            Ok((bound, tokio::spawn(udp::serve(socket, config, clock.clone()))))
        }
        "TCP_UDP" => {
            let listener = tcp_listener(address)?;
            let bound = listener.local_addr()?;
            let socket = udp_socket(bound)?;
            let (tcp_config, clock) = (Arc::clone(&config), clock.clone());
            let task = tokio::spawn(async move {
                tokio::join!(
                    tcp::serve(listener, tcp_config),
                    udp::serve(socket, config, clock)
                );
            });
            Ok((bound, task))
        }
        _ => {
            let listener = tcp_listener(address)?;
            let bound = listener.local_addr()?;
            Ok((bound, tokio::spawn(tcp::serve(listener, config))))
        }
    }
}

fn taken(address: SocketAddr, error: &std::io::Error) -> SocketAddr {
    tracing::warn!(%address, %error, "the listener's port is taken; listening on another one");
    SocketAddr::new(address.ip(), 0)
}

fn tcp_listener(address: SocketAddr) -> std::io::Result<TcpListener> {
    let listener =
        std::net::TcpListener::bind(address).or_else(|e| std::net::TcpListener::bind(taken(address, &e)))?;
    listener.set_nonblocking(true)?;
    TcpListener::from_std(listener)
}

fn udp_socket(address: SocketAddr) -> std::io::Result<UdpSocket> {
    let socket =
        std::net::UdpSocket::bind(address).or_else(|e| std::net::UdpSocket::bind(taken(address, &e)))?;
    socket.set_nonblocking(true)?;
    UdpSocket::from_std(socket)
}
