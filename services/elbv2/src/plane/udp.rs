//! The Network Load Balancer's UDP forwarding: datagrams from one client
//! address are a flow, sent to one target from a socket of the flow's own,
//! and the target's answers go back to the client; a flow idle for 120
//! seconds of the nimbus clock ends (as ELB's UDP flows do).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use nimbus_runtime::Clock;
use tokio::net::UdpSocket;
use tokio::sync::watch;

use super::bind::stopped;
use super::groups::Lease;
use super::tcp::forwarded_group;
use super::{SharedConfig, current};

/// How long a flow lives without a datagram either way.
pub const FLOW_IDLE: Duration = Duration::from_secs(120);

/// How often a flow looks whether its target is leaving.
const DRAIN_CHECK: Duration = Duration::from_secs(1);

/// A flow: its socket to the target, and when a datagram last passed
/// (epoch ms on the nimbus clock).
#[derive(Clone)]
struct Flow {
    upstream: Arc<UdpSocket>,
    last: Arc<AtomicU64>,
}

type Flows = Arc<Mutex<HashMap<SocketAddr, Flow>>>;

/// Relays datagrams until the task is aborted; flows end when the listener
/// is told to stop.
pub async fn serve(socket: UdpSocket, config: SharedConfig, clock: Clock, stop: watch::Receiver<bool>) {
    let socket = Arc::new(socket);
    let flows: Flows = Arc::default();
    let mut buffer = vec![0u8; 65_536];
    loop {
        let Ok((size, client)) = socket.recv_from(&mut buffer).await else {
            continue;
        };
        let known = flows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&client)
            .cloned();
        let flow = match known {
            Some(flow) => flow,
            None => match open_flow(&socket, (&config, &stop), client, &flows, &clock).await {
                Some(flow) => flow,
                None => continue,
            },
        };
        flow.last.store(clock.now_epoch_millis(), Ordering::Relaxed);
        let _ = flow.upstream.send(&buffer[..size]).await;
    }
}

/// A new flow to a target chosen for `client`, answering back through `socket`.
async fn open_flow(
    socket: &Arc<UdpSocket>,
    (config, stop): (&SharedConfig, &watch::Receiver<bool>),
    client: SocketAddr,
    flows: &Flows,
    clock: &Clock,
) -> Option<Flow> {
    let config = current(config);
    let lease = forwarded_group(&config)?.pick_for(client.ip())?;
    let address = lease.target.address?;
    let upstream = UdpSocket::bind(("127.0.0.1", 0)).await.ok()?;
    upstream.connect(address).await.ok()?;
    let flow = Flow {
        upstream: Arc::new(upstream),
        last: Arc::new(AtomicU64::new(clock.now_epoch_millis())),
    };
    flows
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(client, flow.clone());
    let answers = (Arc::clone(socket), flow.clone(), Arc::clone(flows), clock.clone());
    let stop = stop.clone();
    tokio::spawn(async move {
        tokio::select! {
            () = answer_back(answers, client, lease) => {}
            () = stopped(stop) => {}
        }
    });
    Some(flow)
}

/// Sends the target's datagrams to the client until the flow idles out.
async fn answer_back(
    (socket, flow, flows, clock): (Arc<UdpSocket>, Flow, Flows, Clock),
    client: SocketAddr,
    lease: Lease,
) {
    let mut buffer = vec![0u8; 65_536];
    loop {
        let last = UNIX_EPOCH + Duration::from_millis(flow.last.load(Ordering::Relaxed));
        tokio::select! {
            // UDP flows end when their target is deregistered (ELB's
            // connection termination, on by default for UDP).
            () = leaving(&lease, &clock) => break,
            received = flow.upstream.recv(&mut buffer) => match received {
                Ok(size) => {
                    flow.last.store(clock.now_epoch_millis(), Ordering::Relaxed);
                    let _ = socket.send_to(&buffer[..size], client).await;
                }
                Err(_) => break,
            },
            () = clock.sleep_until(last + FLOW_IDLE) => {
                let idle_since = UNIX_EPOCH + Duration::from_millis(flow.last.load(Ordering::Relaxed));
                if clock.now() >= idle_since + FLOW_IDLE {
                    break;
                }
            }
        }
    }
    flows
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .remove(&client);
    drop(lease);
}

/// Completes once the flow's target begins draining.
async fn leaving(lease: &Lease, clock: &Clock) {
    while lease.target.draining_since().is_none() {
        clock.sleep(DRAIN_CHECK).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::RwLock;
    use std::time::SystemTime;

    use nimbus_elbv2_api::TargetGroup;
    use nimbus_runtime::TestClock;

    use super::*;
    use crate::plane::groups::Group;
    use crate::plane::routing::CompiledRule;
    use crate::plane::{Answer, ListenerConfig};
    use crate::records::{Registration, TargetGroupRecord};

    /// A target answering each datagram with the port it came from.
    async fn target() -> u16 {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = socket.local_addr().unwrap().port();
        tokio::spawn(async move {
            let mut buffer = [0u8; 64];
            while let Ok((_, from)) = socket.recv_from(&mut buffer).await {
                let _ = socket.send_to(&from.port().to_be_bytes(), from).await;
            }
        });
        port
    }

    fn config(port: u16) -> SharedConfig {
        let record = TargetGroupRecord {
            tg: TargetGroup {
                target_group_arn: Some("arn:tg".to_owned()),
                target_type: Some("ip".to_owned()),
                ..Default::default()
            },
            attributes: crate::attributes::tg_defaults("ip", "UDP"),
            tags: Vec::new(),
            targets: vec![Registration {
                id: "127.0.0.1".to_owned(),
                port: i32::from(port),
                zone: None,
                address: Some("127.0.0.1".to_owned()),
            }],
        };
        let group = Arc::new(Group::new(&record, TestClock::new().clock()));
        group.update(&record, SystemTime::UNIX_EPOCH);
        Arc::new(RwLock::new(Arc::new(ListenerConfig {
            port: 0,
            protocol: "UDP".to_owned(),
            rules: vec![CompiledRule {
                priority: u32::MAX,
                conditions: Vec::new(),
                answer: Answer::Forward(vec![(group, 1)]),
            }],
            idle_timeout: Duration::from_secs(60),
            clock: TestClock::new().clock(),
        })))
    }

    /// The port the target saw this datagram come from (the flow's socket).
    async fn flow_port(client: &UdpSocket) -> u16 {
        client.send(b"x").await.unwrap();
        let mut answer = [0u8; 2];
        tokio::time::timeout(Duration::from_secs(5), client.recv(&mut answer))
            .await
            .unwrap()
            .unwrap();
        u16::from_be_bytes(answer)
    }

    #[tokio::test]
    async fn a_flow_lives_while_used_and_ends_after_120_idle_seconds() {
        let clock = TestClock::new();
        let listener = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (_stop, stopped) = watch::channel(false);
        tokio::spawn(serve(listener, config(target().await), clock.clock(), stopped));
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        client.connect(address).await.unwrap();

        let first = flow_port(&client).await;
        clock.advance(Duration::from_secs(100)).await;
        assert_eq!(
            flow_port(&client).await,
            first,
            "used within 120 s: the same flow"
        );
        clock.advance(Duration::from_secs(100)).await;
        assert_eq!(
            flow_port(&client).await,
            first,
            "idle time counts from the last datagram"
        );
        clock.advance(Duration::from_secs(121)).await;
        assert_ne!(flow_port(&client).await, first, "idle 121 s: a new flow");
    }

    #[tokio::test]
    async fn a_flow_ends_when_its_target_is_deregistered() {
        let clock = TestClock::new();
        let listener = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let config = config(target().await);
        let (_stop, stopped) = watch::channel(false);
        tokio::spawn(serve(listener, Arc::clone(&config), clock.clock(), stopped));
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        client.connect(address).await.unwrap();
        let first = flow_port(&client).await;
        let group = match &crate::plane::current(&config).rules[0].answer {
            Answer::Forward(groups) => Arc::clone(&groups[0].0),
            _ => unreachable!(),
        };
        let target = Arc::clone(&group.targets()[0]);
        *crate::plane::groups::lock(&target.draining_since) = Some(clock.now());
        clock.advance(Duration::from_secs(2)).await;
        *crate::plane::groups::lock(&target.draining_since) = None;
        assert_ne!(
            flow_port(&client).await,
            first,
            "the old flow ended; a new one began"
        );
    }
}
