//! The Network Load Balancer's TCP forwarding: each TCP listener's node
//! passes every connection's bytes, both ways, to a target of its default
//! action's group, chosen as for HTTP (healthy ones, all when none is),
//! first telling the target who the client is with a proxy protocol v2
//! header when the group asks for one.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::bind::stopped;
use super::groups::Group;
use super::http::ACCEPT_BACKOFF;
use super::{Answer, ListenerConfig, SharedConfig, current};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Each direction's buffer: big enough that a bulk stream moves in few
/// reads and writes.
const BUFFER: usize = 256 * 1024;

/// Accepts connections until the task is aborted; each connection ends
/// when the listener is told to stop.
pub async fn serve(listener: TcpListener, config: SharedConfig, stop: watch::Receiver<bool>) {
    loop {
        let Ok((inbound, _peer)) = listener.accept().await else {
            tokio::time::sleep(ACCEPT_BACKOFF).await;
            continue;
        };
        let (config, stop) = (current(&config), stop.clone());
        tokio::spawn(async move {
            tokio::select! {
                _ = relay(inbound, &config) => {}
                () = stopped(stop) => {}
            }
        });
    }
}

/// The group a network listener forwards to.
pub fn forwarded_group(config: &ListenerConfig) -> Option<&Arc<Group>> {
    let Some(Answer::Forward(groups)) = config.rules.last().map(|rule| &rule.answer) else {
        return None;
    };
    groups.first().map(|(group, _)| group)
}

async fn relay(mut inbound: TcpStream, config: &ListenerConfig) -> std::io::Result<()> {
    let Some(group) = forwarded_group(config) else {
        return Ok(());
    };
    let Some(lease) = group.pick_for(inbound.peer_addr()?.ip()) else {
        return Ok(());
    };
    let Some(address) = lease.target.address else {
        return Ok(());
    };
    let mut outbound = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address))
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    inbound.set_nodelay(true)?;
    outbound.set_nodelay(true)?;
    if group.settings().proxy_protocol {
        let header = proxy_v2_header(inbound.peer_addr()?, inbound.local_addr()?);
        outbound.write_all(&header).await?;
    }
    tokio::io::copy_bidirectional_with_sizes(&mut inbound, &mut outbound, BUFFER, BUFFER).await?;
    drop(lease);
    Ok(())
}

/// The proxy protocol v2 header of a TCP connection from `source` to `destination`.
pub fn proxy_v2_header(source: SocketAddr, destination: SocketAddr) -> Vec<u8> {
    let mut header = b"\r\n\r\n\0\r\nQUIT\n".to_vec();
    // Version 2, PROXY command.
    header.push(0x21);
    match (source, destination) {
        (SocketAddr::V4(from), SocketAddr::V4(to)) => {
            // TCP over IPv4, 12 bytes of addresses.
            header.extend([0x11, 0, 12]);
            header.extend(from.ip().octets());
            header.extend(to.ip().octets());
            header.extend(from.port().to_be_bytes());
            header.extend(to.port().to_be_bytes());
        }
        (from, to) => {
            let v6 = |a: SocketAddr| match a {
                SocketAddr::V4(v4) => v4.ip().to_ipv6_mapped().octets(),
                SocketAddr::V6(v6) => v6.ip().octets(),
            };
            // TCP over IPv6, 36 bytes of addresses.
            header.extend([0x21, 0, 36]);
            header.extend(v6(from));
            header.extend(v6(to));
            header.extend(from.port().to_be_bytes());
            header.extend(to.port().to_be_bytes());
        }
    }
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_v2_header_names_both_ends() {
        let header = proxy_v2_header(
            "127.0.0.1:5000".parse().unwrap(),
            "127.255.0.1:22".parse().unwrap(),
        );
        assert_eq!(&header[..12], b"\r\n\r\n\0\r\nQUIT\n");
        assert_eq!(&header[12..16], &[0x21, 0x11, 0, 12]);
        assert_eq!(&header[16..20], &[127, 0, 0, 1]);
        assert_eq!(&header[20..24], &[127, 255, 0, 1]);
        assert_eq!(&header[24..], &[0x13, 0x88, 0, 22]);
    }
}
