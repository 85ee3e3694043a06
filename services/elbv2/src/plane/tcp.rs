//! The Network Load Balancer's forwarding: each TCP listener's node passes
//! every connection's bytes, both ways, to a target of its default action's
//! group, chosen as for HTTP (healthy ones, all when none is).

use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

use super::{SharedConfig, current};
use crate::records::forwarded_groups;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Each direction's buffer: big enough that a bulk stream moves in few
/// reads and writes.
const BUFFER: usize = 256 * 1024;

/// Accepts connections until the task is aborted.
pub async fn serve(listener: TcpListener, config: SharedConfig) {
    loop {
        let Ok((inbound, _peer)) = listener.accept().await else {
            continue;
        };
        let config = current(&config);
        tokio::spawn(async move {
            let _ = relay(inbound, &config).await;
        });
    }
}

async fn relay(mut inbound: TcpStream, config: &super::ListenerConfig) -> std::io::Result<()> {
    let action = config
        .rules
        .last()
        .and_then(|rule| rule.actions.iter().find(|a| a.r#type == "forward"));
    let Some(group) = action
        .and_then(|a| forwarded_groups(a).into_iter().next())
        .and_then(|arn| config.groups.get(&arn).map(Arc::clone))
    else {
        return Ok(());
    };
    let Some(lease) = group.pick(None) else {
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
    tokio::io::copy_bidirectional_with_sizes(&mut inbound, &mut outbound, BUFFER, BUFFER).await?;
    drop(lease);
    Ok(())
}
