//! The nodes of listeners that are listening: started, given new
//! configurations, rebound when their port or protocol changes (or when
//! the port they asked for is free again), and stopped with every
//! connection they carry.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, RwLock};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{ListenerConfig, Plane, Running, SharedConfig, bind};
use crate::nodes::Home;
use crate::records::LoadBalancerRecord;

/// A listener's node that is listening.
pub(super) struct RunningListener {
    pub owner: Home,
    pub protocol: String,
    pub port: u16,
    pub bound: SocketAddr,
    pub config: SharedConfig,
    task: JoinHandle<()>,
    /// Tells its connections to end.
    stop: watch::Sender<bool>,
}

impl RunningListener {
    /// Ends it, its connections with it, and waits until its port is free.
    pub async fn stop(&mut self) {
        let _ = self.stop.send(true);
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for RunningListener {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        self.task.abort();
    }
}

impl Plane {
    pub(super) async fn sync_listeners(
        &self,
        running: &mut Running,
        home: &Home,
        lbs: &[LoadBalancerRecord],
    ) {
        let mut desired = Vec::new();
        for lb in lbs {
            for listener in &lb.listeners {
                let config = Arc::new(self.config_of(running, lb, listener));
                for node in lb.nodes.iter().filter(|n| !self.is_impaired(home, &n.zone)) {
                    desired.push((
                        (listener.arn().to_owned(), node.address.clone()),
                        Arc::clone(&config),
                    ));
                }
            }
        }
        let wanted: HashSet<&(String, String)> = desired.iter().map(|(key, _)| key).collect();
        let stale: Vec<(String, String)> = running
            .listeners
            .iter()
            .filter(|(key, listener)| listener.owner == *home && !wanted.contains(key))
            .map(|(key, _)| key.clone())
            .collect();
        // Stopped first, so a listener made anew on the same port can have it.
        for key in stale {
            if let Some(mut listener) = running.listeners.remove(&key) {
                listener.stop().await;
            }
        }
        for (key, config) in desired {
            self.run_listener(running, home, key, config).await;
        }
    }

    /// Starts a listener's node, or gives a running one its new configuration.
    async fn run_listener(
        &self,
        running: &mut Running,
        home: &Home,
        key: (String, String),
        config: Arc<ListenerConfig>,
    ) {
        if let Some(existing) = running.listeners.get(&key)
            && existing.port == config.port
            && existing.protocol == config.protocol
        {
            *existing
                .config
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = config.clone();
            // A node that had to take another port moves back once its own is free.
            if existing.bound.port() == config.port {
                return;
            }
            if let Some(moved) = self.start(home, &key, config, false)
                && let Some(mut old) = running.listeners.insert(key, moved)
            {
                old.stop().await;
            }
            return;
        }
        if let Some(mut old) = running.listeners.remove(&key) {
            old.stop().await;
        }
        if matches!(config.protocol.as_str(), "HTTPS" | "TLS") {
            // Kept in the records; nimbus does not terminate TLS yet.
            return;
        }
        if let Some(started) = self.start(home, &key, config, true) {
            running.listeners.insert(key, started);
        }
    }

    /// Listens at the key's node address (elsewhere when `fallback` allows).
    fn start(
        &self,
        home: &Home,
        key: &(String, String),
        config: Arc<ListenerConfig>,
        fallback: bool,
    ) -> Option<RunningListener> {
        let ip = key.1.parse::<IpAddr>().ok()?;
        let (port, protocol) = (config.port, config.protocol.clone());
        let shared: SharedConfig = Arc::new(RwLock::new(config));
        let (stop, stopped) = watch::channel(false);
        let node = bind::Node {
            address: SocketAddr::new(ip, port),
            fallback,
            stopped,
        };
        let (bound, task) = match bind::start(node, &shared, &self.inner.backends, &self.inner.clock) {
            Ok(started) => started,
            Err(error) => {
                if fallback {
                    tracing::warn!(%error, address = %key.1, port, "a load balancer node could not listen");
                }
                return None;
            }
        };
        tracing::info!(listener = %key.0, %bound, "load balancer listener listening");
        Some(RunningListener {
            owner: home.clone(),
            protocol,
            port,
            bound,
            config: shared,
            task,
            stop,
        })
    }
}
