//! The data plane: what the records say, running. Every listener listens
//! on each of its load balancer's nodes (an address of its own on this
//! machine), HTTP ones through the proxy (`http`), TCP ones forwarding
//! bytes (`tcp`); every target group a listener forwards to has its
//! targets' health checked (`checker`). `sync` makes the running set match
//! the store after every change, and after a restart.

mod answer;
mod bind;
mod checker;
pub mod groups;
pub mod health;
mod http;
pub mod lambda;
mod leased_body;
mod listeners;
pub mod routing;
mod slow_start;
mod tcp;
mod udp;
mod upgrade;
mod upstream;
mod zones;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use nimbus_core::AwsError;
use nimbus_ec2_api::Ec2Client;
use nimbus_runtime::Clock;
use nimbus_store::{Namespace, Store};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

pub use self::answer::Answer;
use self::groups::Group;
use self::listeners::RunningListener;
use self::routing::CompiledRule;
use crate::nodes::{self, HOME_PREFIX, Home};
use crate::records::{self, LB_PREFIX, ListenerRecord, LoadBalancerRecord, TG_PREFIX, TargetGroupRecord};

/// What one listener's node runs with; replaced whole on every change.
pub struct ListenerConfig {
    pub port: u16,
    pub protocol: String,
    pub rules: Vec<CompiledRule<Answer>>,
    pub idle_timeout: Duration,
    /// What cookie expiry and trace ids read.
    pub clock: Clock,
}

pub type SharedConfig = Arc<RwLock<Arc<ListenerConfig>>>;

/// The configuration a connection starts with.
pub fn current(config: &SharedConfig) -> Arc<ListenerConfig> {
    Arc::clone(&config.read().unwrap_or_else(std::sync::PoisonError::into_inner))
}

/// A target group whose targets are being checked.
struct RunningGroup {
    owner: Home,
    group: Arc<Group>,
    checker: JoinHandle<()>,
}

impl Drop for RunningGroup {
    fn drop(&mut self) {
        self.checker.abort();
    }
}

#[derive(Default)]
struct Running {
    /// By (listener ARN, node address).
    listeners: HashMap<(String, String), RunningListener>,
    /// By target group ARN.
    groups: HashMap<String, RunningGroup>,
}

#[derive(Clone)]
pub struct Plane {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<Store>,
    clock: Clock,
    ec2: Option<Ec2Client>,
    backends: http::Backends,
    running: tokio::sync::Mutex<Running>,
    /// The zones EC2 says are impaired, by home: their nodes do not listen.
    impaired: std::sync::Mutex<HashMap<Home, std::collections::BTreeSet<String>>>,
}

/// The services the plane reaches: EC2 for instances, Lambda for functions.
#[derive(Clone, Default)]
pub struct Wiring {
    pub ec2: Option<Ec2Client>,
    pub functions: Option<lambda::Functions>,
}

impl Plane {
    pub fn new(store: Arc<Store>, clock: Clock, wiring: Wiring) -> Self {
        Plane {
            inner: Arc::new(Inner {
                store,
                clock,
                ec2: wiring.ec2,
                backends: http::Backends {
                    functions: wiring.functions,
                },
                running: tokio::sync::Mutex::new(Running::default()),
                impaired: std::sync::Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Brings back every account's and region's load balancers, and
    /// follows EC2's zones from then on.
    pub async fn resume(&self) {
        self.sync_all().await;
        tokio::spawn(self.clone().watch_zones());
    }

    async fn sync_all(&self) {
        for home in self.homes().await {
            self.sync(&home.account, &home.region).await;
        }
    }

    /// Stops everything and starts what the store says (after a reset or a
    /// snapshot restore replaced it).
    pub async fn restart(&self) {
        {
            let mut running = self.inner.running.lock().await;
            for (_, mut listener) in running.listeners.drain() {
                listener.stop().await;
            }
            running.groups.clear();
        }
        self.sync_all().await;
    }

    async fn homes(&self) -> Vec<Home> {
        let Ok(namespace) = nodes::namespace() else {
            return Vec::new();
        };
        records::all(&self.inner.store, &namespace, HOME_PREFIX)
            .await
            .unwrap_or_default()
    }

    async fn state_of(
        &self,
        account: &str,
        region: &str,
    ) -> Result<(Vec<LoadBalancerRecord>, Vec<TargetGroupRecord>), AwsError> {
        let namespace = Namespace::regional("elbv2", account, region)?;
        let lbs = records::all(&self.inner.store, &namespace, LB_PREFIX).await?;
        let tgs = records::all(&self.inner.store, &namespace, TG_PREFIX).await?;
        Ok((lbs, tgs))
    }

    /// Makes what runs for `account` and `region` match the store.
    pub async fn sync(&self, account: &str, region: &str) {
        // Read under the lock: a sync that read earlier never undoes a later one.
        let mut running = self.inner.running.lock().await;
        let (lbs, tgs) = match self.state_of(account, region).await {
            Ok(state) => state,
            Err(error) => {
                tracing::warn!(%error, "ELB could not read its load balancers");
                return;
            }
        };
        let home = Home {
            account: account.to_owned(),
            region: region.to_owned(),
        };
        self.sync_groups(&mut running, &home, &lbs, &tgs);
        self.sync_listeners(&mut running, &home, &lbs).await;
    }

    fn sync_groups(
        &self,
        running: &mut Running,
        home: &Home,
        lbs: &[LoadBalancerRecord],
        tgs: &[TargetGroupRecord],
    ) {
        let used: HashSet<String> = lbs.iter().flat_map(LoadBalancerRecord::target_groups).collect();
        running
            .groups
            .retain(|arn, group| group.owner != *home || used.contains(arn));
        for record in tgs.iter().filter(|tg| used.contains(tg.arn())) {
            let entry = running
                .groups
                .entry(record.arn().to_owned())
                .or_insert_with(|| self.start_group(home, record));
            for target in entry.group.update(record, self.inner.clock.now()) {
                let (group, clock) = (Arc::clone(&entry.group), self.inner.clock.clone());
                tokio::spawn(groups::drain(group, target, clock));
            }
        }
    }

    fn start_group(&self, home: &Home, record: &TargetGroupRecord) -> RunningGroup {
        let group = Arc::new(Group::new(record, self.inner.clock.clone()));
        group.update(record, self.inner.clock.now());
        let instances = self.inner.ec2.clone().map(|ec2| checker::Instances {
            ec2,
            account: home.account.clone(),
            region: home.region.clone(),
        });
        let checker = tokio::spawn(checker::run(
            Arc::clone(&group),
            self.inner.clock.clone(),
            instances,
        ));
        RunningGroup {
            owner: home.clone(),
            group,
            checker,
        }
    }

    fn config_of(
        &self,
        running: &Running,
        lb: &LoadBalancerRecord,
        listener: &ListenerRecord,
    ) -> ListenerConfig {
        let rules: Vec<_> = listener.rules.iter().map(|r| r.rule.clone()).collect();
        let defaults = listener.listener.default_actions.clone().unwrap_or_default();
        let groups: HashMap<String, Arc<Group>> = running
            .groups
            .iter()
            .map(|(arn, g)| (arn.clone(), Arc::clone(&g.group)))
            .collect();
        let idle = lb
            .attributes
            .get("idle_timeout.timeout_seconds")
            .and_then(|s| s.parse().ok())
            .unwrap_or(60);
        ListenerConfig {
            port: u16::try_from(listener.listener.port.unwrap_or(80)).unwrap_or(80),
            protocol: listener.listener.protocol.clone().unwrap_or_default(),
            rules: routing::compile_rules(&rules, &defaults, |actions| Answer::of(actions, &groups)),
            idle_timeout: Duration::from_secs(idle),
            clock: self.inner.clock.clone(),
        }
    }

    /// The health of a target group's targets, when a load balancer uses it.
    pub async fn targets_of(&self, group_arn: &str) -> Option<Vec<Arc<groups::Target>>> {
        let running = self.inner.running.lock().await;
        running.groups.get(group_arn).map(|g| g.group.targets())
    }

    /// Every load balancer with where its nodes and listeners listen.
    pub async fn listing(&self) -> Result<Value, AwsError> {
        let mut answer = Vec::new();
        for home in self.homes().await {
            let (lbs, _) = self.state_of(&home.account, &home.region).await?;
            let running = self.inner.running.lock().await;
            for lb in lbs {
                answer.push(listed(&lb, &running));
            }
        }
        Ok(Value::Array(answer))
    }
}

fn listed(lb: &LoadBalancerRecord, running: &Running) -> Value {
    let nodes: Vec<Value> = lb
        .nodes
        .iter()
        .map(|n| json!({ "zone": n.zone, "address": n.address }))
        .collect();
    let listeners: Vec<Value> = lb
        .listeners
        .iter()
        .map(|l| {
            let addresses: Vec<String> = lb
                .nodes
                .iter()
                .filter_map(|n| running.listeners.get(&(l.arn().to_owned(), n.address.clone())))
                .map(|r| r.bound.to_string())
                .collect();
            json!({
                "arn": l.arn(),
                "port": l.listener.port,
                "protocol": l.listener.protocol,
                "address": addresses.first(),
                "addresses": addresses,
            })
        })
        .collect();
    json!({
        "name": lb.lb.load_balancer_name,
        "arn": lb.arn(),
        "type": lb.lb_type(),
        "dnsName": lb.lb.dns_name,
        "nodes": nodes,
        "listeners": listeners,
    })
}
