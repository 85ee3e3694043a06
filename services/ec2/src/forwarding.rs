//! Traffic to public addresses (an instance's pooled public address or its
//! Elastic IP). nimbus listens on the address for the TCP ports the
//! instance's security groups let in from the caller (an ingress rule whose
//! CIDR holds 127.0.0.1, as 0.0.0.0/0 does) and relays each connection to
//! the instance's private address: moving an Elastic IP moves the traffic,
//! and what the groups keep out finds nothing listening.

use std::collections::{BTreeSet, HashMap};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nimbus_ec2_api::{NetworkAclEntry, SecurityGroupRule};
use tokio::task::JoinHandle;

use crate::network_acls::acl_allows;
use crate::security_groups::GroupRecord;

/// Ports listened on for a rule that opens every port or a range wider
/// than [`WIDEST_RANGE`]: the ones servers commonly use.
const COMMON_PORTS: &[u16] = &[22, 80, 443, 3000, 5000, 8000, 8080, 8443];
const WIDEST_RANGE: u32 = 1024;

/// A public address's relay: a listener per port it has opened, and where
/// connections go now. Listeners stay bound while the address is in use
/// (a socket closes only some time after its task ends, so binding again
/// at once could fail): a port the groups close, or an address no longer
/// attached, drops what it accepts.
struct Forward {
    owner: (String, String),
    route: Arc<Mutex<Route>>,
    listeners: HashMap<u16, Listener>,
    /// Since when nothing is attached (it is let go after [`IDLE_FOR`]).
    idle_since: Option<Instant>,
}

/// Where a public address's connections go, on which ports, and its
/// subnet's network ACL entries.
#[derive(Debug, Default)]
struct Route {
    target: Option<Ipv4Addr>,
    open: BTreeSet<u16>,
    acl: Vec<NetworkAclEntry>,
}

/// How long an address no instance holds keeps its listeners.
const IDLE_FOR: Duration = Duration::from_secs(60);

/// An accepting task, ended when dropped.
struct Listener(JoinHandle<()>);

impl Drop for Listener {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What one public address should relay.
#[derive(Debug, Clone, PartialEq)]
pub struct Wanted {
    pub public: Ipv4Addr,
    pub target: Ipv4Addr,
    pub ports: BTreeSet<u16>,
    /// The instance's subnet's ACL entries (stateless: in and out).
    pub acl: Vec<NetworkAclEntry>,
}

#[derive(Default)]
pub struct Forwards {
    entries: Mutex<HashMap<Ipv4Addr, Forward>>,
    /// Held from reading what is wanted to applying it.
    turn: tokio::sync::Mutex<()>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Forwards {
    /// Makes the relays of an account's region exactly `wanted`.
    pub fn sync(&self, account: &str, region: &str, wanted: Vec<Wanted>) {
        let owner = (account.to_owned(), region.to_owned());
        let now = Instant::now();
        let mut entries = lock(&self.entries);
        entries.retain(|_, f| {
            f.idle_since
                .is_none_or(|since| now.duration_since(since) < IDLE_FOR)
        });
        for (public, forward) in entries.iter_mut() {
            if forward.owner == owner && !wanted.iter().any(|w| w.public == *public) {
                *lock(&forward.route) = Route::default();
                forward.idle_since.get_or_insert(now);
            }
        }
        for want in wanted {
            let forward = entries.entry(want.public).or_insert_with(|| Forward {
                owner: owner.clone(),
                route: Arc::default(),
                listeners: HashMap::new(),
                idle_since: None,
            });
            (forward.owner, forward.idle_since) = (owner.clone(), None);
            for port in &want.ports {
                if let std::collections::hash_map::Entry::Vacant(slot) = forward.listeners.entry(*port)
                    && let Some(listener) = listen(want.public, *port, Arc::clone(&forward.route))
                {
                    slot.insert(listener);
                }
            }
            *lock(&forward.route) = Route {
                target: Some(want.target),
                open: want.ports,
                acl: want.acl,
            };
        }
    }

    /// Ends every relay (reset).
    pub fn clear(&self) {
        lock(&self.entries).clear();
    }
}

/// Listens on `public:port` (bound before it returns) and relays what it
/// accepts to the route's target while the route has the port open.
fn listen(public: Ipv4Addr, port: u16, route: Arc<Mutex<Route>>) -> Option<Listener> {
    let bound = std::net::TcpListener::bind(SocketAddr::from((public, port))).and_then(|l| {
        l.set_nonblocking(true)?;
        tokio::net::TcpListener::from_std(l)
    });
    let listener = match bound {
        Ok(listener) => listener,
        Err(error) => {
            tracing::warn!(%public, port, %error, "cannot listen on a public address");
            return None;
        }
    };
    Some(Listener(tokio::spawn(async move {
        loop {
            let Ok((mut client, peer)) = listener.accept().await else {
                // Out of descriptors, say: wait and go on accepting.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let target = {
                let route = lock(&route);
                let SocketAddr::V4(peer) = peer else { continue };
                // Network ACLs are stateless: the way in, and the answer's way out.
                let acl_lets = acl_allows(&route.acl, false, *peer.ip(), port)
                    && acl_allows(&route.acl, true, *peer.ip(), peer.port());
                route.target.filter(|_| route.open.contains(&port) && acl_lets)
            };
            let Some(target) = target else { continue };
            tokio::spawn(async move {
                if let Ok(mut instance) = tokio::net::TcpStream::connect((target, port)).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut instance).await;
                }
            });
        }
    })))
}

/// Whether an ingress rule lets the caller (on loopback) in over TCP.
fn lets_caller_in(rule: &SecurityGroupRule) -> bool {
    let tcp = matches!(rule.ip_protocol.as_deref(), Some("tcp" | "6" | "-1"));
    let from_caller = rule
        .cidr_ipv4
        .as_deref()
        .and_then(|c| c.parse::<ipnet::Ipv4Net>().ok())
        .is_some_and(|net| net.contains(&Ipv4Addr::LOCALHOST));
    rule.is_egress != Some(true) && tcp && from_caller
}

/// The ports the groups (`ids` of `groups`) let the caller reach.
pub fn open_ports(groups: &[GroupRecord], ids: &[String]) -> BTreeSet<u16> {
    let mut ports = BTreeSet::new();
    let rules = groups
        .iter()
        .filter(|g| g.group.group_id.as_ref().is_some_and(|id| ids.contains(id)))
        .flat_map(|g| g.rules.iter())
        .filter(|r| lets_caller_in(r));
    for rule in rules {
        let (from, to) = (rule.from_port.unwrap_or(-1), rule.to_port.unwrap_or(-1));
        let span = u32::try_from(to.saturating_sub(from)).unwrap_or(u32::MAX);
        match (u16::try_from(from), u16::try_from(to)) {
            (Ok(from), Ok(to)) if rule.ip_protocol.as_deref() != Some("-1") && span < WIDEST_RANGE => {
                ports.extend(from..=to)
            }
            _ => ports.extend(COMMON_PORTS),
        }
    }
    ports
}

impl crate::Ec2 {
    /// Makes the relays of the caller's region follow its instances'
    /// public addresses and groups.
    pub(crate) async fn sync_forwards(&self, ctx: &nimbus_core::RequestContext) {
        self.sync_forwards_of(&ctx.account_id, &ctx.region).await;
    }

    pub(crate) async fn sync_forwards_of(&self, account: &str, region: &str) {
        // One at a time: what is read last is applied last.
        let _turn = self.forwards.turn.lock().await;
        match self.wanted_forwards(account, region).await {
            Ok(wanted) => self.forwards.sync(account, region, wanted),
            Err(error) => tracing::warn!(%error, "cannot read what public addresses relay"),
        }
    }

    async fn wanted_forwards(
        &self,
        account: &str,
        region: &str,
    ) -> Result<Vec<Wanted>, nimbus_core::AwsError> {
        let ns = nimbus_store::Namespace::regional("ec2", account, region)?;
        let now = self.now_millis();
        let groups: Vec<GroupRecord> = self
            .store
            .values_under(&ns, crate::records::SG_PREFIX)
            .await?
            .iter()
            .filter_map(|bytes| serde_json::from_slice(bytes).ok())
            .collect();
        let stored = self
            .store
            .values_under(&ns, crate::records::INSTANCE_PREFIX)
            .await?;
        let records = stored
            .iter()
            .filter_map(|bytes| serde_json::from_slice::<crate::instances::InstanceRecord>(bytes).ok())
            .map(|r| r.settled(now))
            .filter(|r| !matches!(r.state(), "terminated" | "shutting-down"));
        let acls = self.network_acls(account, region).await?;
        let acl_of = |subnet: &Option<String>| -> Vec<NetworkAclEntry> {
            let held = |a: &&nimbus_ec2_api::NetworkAcl| {
                a.associations.iter().flatten().any(|x| x.subnet_id == *subnet)
            };
            acls.iter()
                .find(held)
                .and_then(|a| a.entries.clone())
                .unwrap_or_default()
        };
        let mut wanted = Vec::new();
        for record in records {
            let instance = &record.instance;
            let address = |a: &Option<String>| a.as_deref().and_then(|a| a.parse::<Ipv4Addr>().ok());
            let (Some(public), Some(target)) = (
                address(&instance.public_ip_address),
                address(&instance.private_ip_address),
            ) else {
                continue;
            };
            let ids: Vec<String> = instance
                .security_groups
                .iter()
                .flatten()
                .filter_map(|g| g.group_id.clone())
                .collect();
            wanted.push(Wanted {
                public,
                target,
                ports: open_ports(&groups, &ids),
                acl: acl_of(&instance.subnet_id),
            });
        }
        Ok(wanted)
    }
}

#[cfg(test)]
mod tests {
    use nimbus_ec2_api::SecurityGroup;

    use super::*;

    fn rule(protocol: &str, from: i32, to: i32, cidr: &str) -> SecurityGroupRule {
        SecurityGroupRule {
            ip_protocol: Some(protocol.into()),
            from_port: Some(from),
            to_port: Some(to),
            cidr_ipv4: Some(cidr.into()),
            is_egress: Some(false),
            ..Default::default()
        }
    }

    #[test]
    fn ports_open_to_the_caller_come_from_ingress_rules_that_hold_it() {
        let group = GroupRecord {
            group: SecurityGroup {
                group_id: Some("sg-1".into()),
                ..Default::default()
            },
            rules: vec![
                rule("tcp", 80, 80, "0.0.0.0/0"),
                rule("tcp", 8000, 8001, "127.0.0.0/8"),
                rule("tcp", 22, 22, "10.0.0.0/8"),
                rule("udp", 53, 53, "0.0.0.0/0"),
                SecurityGroupRule {
                    is_egress: Some(true),
                    ..rule("tcp", 9000, 9000, "0.0.0.0/0")
                },
            ],
        };
        let ids = vec!["sg-1".to_owned()];
        assert_eq!(
            open_ports(std::slice::from_ref(&group), &ids),
            BTreeSet::from([80, 8000, 8001])
        );
        assert!(open_ports(&[group], &["sg-2".to_owned()]).is_empty());
        let everything = GroupRecord {
            group: SecurityGroup {
                group_id: Some("sg-3".into()),
                ..Default::default()
            },
            rules: vec![rule("-1", -1, -1, "0.0.0.0/0")],
        };
        assert!(open_ports(&[everything], &["sg-3".to_owned()]).contains(&443));
    }
}
