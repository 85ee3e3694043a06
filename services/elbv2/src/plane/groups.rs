//! A target group as the data plane runs it: its settings, its targets with
//! their health and in-flight requests, the choice of a target for each
//! request (healthy ones by the group's algorithm, all when none is, as ELB
//! fails open), stickiness, and draining on deregistration.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use nimbus_runtime::Clock;

use super::health::{Health, Probe, State};
use super::slow_start;
use crate::records::{Registration, TargetGroupRecord};

/// How requests stick to a target.
#[derive(Debug, Clone, PartialEq)]
pub enum Stickiness {
    /// `AWSALB`, set by the load balancer.
    LbCookie { duration: Duration },
    /// `AWSALBAPP-0`, set when the target sets its own cookie.
    AppCookie { name: String, duration: Duration },
    /// An NLB's: a client address keeps its target.
    SourceIp,
}

/// What a group's record says the plane should do.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub protocol: String,
    pub target_type: String,
    pub check_enabled: bool,
    /// `None`: the traffic port.
    pub check_port: Option<u16>,
    pub probe: Probe,
    pub interval: Duration,
    pub healthy_after: i32,
    pub unhealthy_after: i32,
    pub stickiness: Option<Stickiness>,
    pub deregistration_delay: Duration,
    pub slow_start: Duration,
    pub least_outstanding: bool,
    /// `weighted_random`: each request to a target drawn at random.
    pub random: bool,
    /// Lambda events with multi-value headers and query parameters.
    pub multi_value_headers: bool,
    /// A proxy protocol v2 header before a TCP connection's bytes.
    pub proxy_protocol: bool,
}

impl PartialEq for Probe {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path && self.matcher == other.matcher && self.timeout == other.timeout
    }
}

fn seconds(value: Option<i32>, default: u64) -> Duration {
    Duration::from_secs(value.and_then(|v| u64::try_from(v).ok()).unwrap_or(default))
}

impl Settings {
    pub fn of(record: &TargetGroupRecord) -> Self {
        let tg = &record.tg;
        let attribute = |key: &str| record.attributes.get(key).map(String::as_str).unwrap_or_default();
        let number = |key: &str| Duration::from_secs(attribute(key).parse().unwrap_or(0));
        let check_protocol = tg.health_check_protocol.clone().unwrap_or_default();
        let http = check_protocol.starts_with("HTTP");
        let stickiness =
            (attribute("stickiness.enabled") == "true").then(|| match attribute("stickiness.type") {
                "app_cookie" => Some(Stickiness::AppCookie {
                    name: attribute("stickiness.app_cookie.cookie_name").to_owned(),
                    duration: number("stickiness.app_cookie.duration_seconds"),
                }),
                "source_ip" => Some(Stickiness::SourceIp),
                "lb_cookie" => Some(Stickiness::LbCookie {
                    duration: number("stickiness.lb_cookie.duration_seconds"),
                }),
                _ => None,
            });
        Settings {
            protocol: tg.protocol.clone().unwrap_or_default(),
            target_type: record.target_type().to_owned(),
            check_enabled: tg.health_check_enabled.unwrap_or(true),
            check_port: tg.health_check_port.as_deref().and_then(|p| p.parse().ok()),
            probe: Probe {
                path: http.then(|| tg.health_check_path.clone().unwrap_or_else(|| "/".to_owned())),
                matcher: tg
                    .matcher
                    .as_ref()
                    .and_then(|m| m.http_code.clone())
                    .unwrap_or_else(|| "200".to_owned()),
                timeout: seconds(tg.health_check_timeout_seconds, 5),
            },
            interval: seconds(tg.health_check_interval_seconds, 30),
            healthy_after: tg.healthy_threshold_count.unwrap_or(5),
            unhealthy_after: tg.unhealthy_threshold_count.unwrap_or(2),
            stickiness: stickiness.flatten(),
            deregistration_delay: number("deregistration_delay.timeout_seconds"),
            slow_start: number("slow_start.duration_seconds"),
            least_outstanding: attribute("load_balancing.algorithm.type") == "least_outstanding_requests",
            random: attribute("load_balancing.algorithm.type") == "weighted_random",
            multi_value_headers: attribute("lambda.multi_value_headers.enabled") == "true",
            proxy_protocol: attribute("proxy_protocol_v2.enabled") == "true",
        }
    }
}

/// One registered target.
#[derive(Debug)]
pub struct Target {
    pub id: String,
    pub port: u16,
    pub zone: Option<String>,
    pub address: Option<SocketAddr>,
    pub health: Mutex<Health>,
    pub in_flight: AtomicUsize,
    /// When it began draining.
    pub draining_since: Mutex<Option<SystemTime>>,
    /// When it last became healthy (its slow start counts from there).
    pub healthy_since: Mutex<Option<SystemTime>>,
}

impl Target {
    fn new(registration: &Registration) -> Self {
        let port = u16::try_from(registration.port).unwrap_or(0);
        Target {
            id: registration.id.clone(),
            port,
            zone: registration.zone.clone(),
            address: registration
                .address
                .as_deref()
                .and_then(|a| a.parse().ok())
                .map(|ip| SocketAddr::new(ip, port)),
            health: Mutex::new(Health::registering()),
            in_flight: AtomicUsize::new(0),
            draining_since: Mutex::new(None),
            healthy_since: Mutex::new(None),
        }
    }

    pub fn health(&self) -> Health {
        lock(&self.health).clone()
    }

    /// When it began draining, if it is.
    pub fn draining_since(&self) -> Option<SystemTime> {
        *lock(&self.draining_since)
    }

    /// Takes in a probe's outcome; a target that turns healthy starts its slow start.
    pub fn observe(&self, outcome: Result<(), super::health::Failure>, settings: &Settings, now: SystemTime) {
        let mut health = lock(&self.health);
        let was_healthy = health.state == State::Healthy;
        health.observe(outcome, settings.healthy_after, settings.unhealthy_after);
        if health.state == State::Healthy && !was_healthy {
            *lock(&self.healthy_since) = Some(now);
        }
    }

    /// The key a stickiness cookie carries.
    pub fn cookie(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.id, self.port))
    }

    fn is(&self, registration: &Registration) -> bool {
        self.id == registration.id && i32::from(self.port) == registration.port
    }

    /// Where health checks go.
    pub fn check_address(&self, settings: &Settings) -> Option<SocketAddr> {
        self.address
            .map(|a| SocketAddr::new(a.ip(), settings.check_port.unwrap_or(self.port)))
    }
}

pub fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A request's target, counted in flight until dropped.
pub struct Lease {
    pub target: Arc<Target>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.target.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The group while a load balancer uses it.
#[derive(Debug)]
pub struct Group {
    pub arn: String,
    clock: Clock,
    /// Shared, so a request reads it without copying.
    pub settings: RwLock<Arc<Settings>>,
    pub targets: RwLock<Vec<Arc<Target>>>,
    cursor: AtomicUsize,
}

impl Group {
    pub fn new(record: &TargetGroupRecord, clock: Clock) -> Self {
        Group {
            arn: record.arn().to_owned(),
            clock,
            settings: RwLock::new(Arc::new(Settings::of(record))),
            targets: RwLock::new(Vec::new()),
            cursor: AtomicUsize::new(0),
        }
    }

    pub fn settings(&self) -> Arc<Settings> {
        Arc::clone(
            &self
                .settings
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    pub fn targets(&self) -> Vec<Arc<Target>> {
        self.targets
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Takes in the record: new targets start initial, missing ones drain.
    /// Answers the targets that began draining.
    pub fn update(&self, record: &TargetGroupRecord, now: SystemTime) -> Vec<Arc<Target>> {
        let settings = Arc::new(Settings::of(record));
        *self
            .settings
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::clone(&settings);
        let mut targets = self
            .targets
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut drained = Vec::new();
        for target in targets.iter() {
            let registered = record.targets.iter().any(|r| target.is(r));
            let mut draining = lock(&target.draining_since);
            if !registered && draining.is_none() {
                *draining = Some(now);
                lock(&target.health).set(
                    State::Draining,
                    Some("Target.DeregistrationInProgress"),
                    Some("Target deregistration is in progress"),
                );
                drained.push(Arc::clone(target));
            }
        }
        // A target registered again while draining starts over.
        targets.retain(|t| {
            let draining = lock(&t.draining_since).is_some();
            !(draining && record.targets.iter().any(|r| t.is(r)))
        });
        for registration in &record.targets {
            if !targets.iter().any(|t| t.is(registration)) {
                let target = Target::new(registration);
                if !settings.check_enabled {
                    lock(&target.health).set(
                        State::Unavailable,
                        Some("Target.HealthCheckDisabled"),
                        Some("Health checks are disabled"),
                    );
                }
                targets.push(Arc::new(target));
            }
        }
        drained
    }

    /// Forgets a target that finished draining.
    pub fn remove(&self, gone: &Arc<Target>) {
        self.targets
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|t| !Arc::ptr_eq(t, gone));
    }

    /// The target for a request: the sticky one if it may still take it,
    /// else by the group's algorithm among healthy targets (all routable
    /// ones when none is healthy). `None`: no target is registered.
    pub fn pick(&self, sticky: Option<&str>) -> Option<Lease> {
        self.choose(sticky.map_or(Sticky::No, Sticky::Cookie))
    }

    /// The target for a connection or flow from `source`: the same one for
    /// the same address while the group sticks by source IP.
    pub fn pick_for(&self, source: IpAddr) -> Option<Lease> {
        let by_source = matches!(self.settings().stickiness, Some(Stickiness::SourceIp));
        self.choose(if by_source {
            Sticky::Source(source)
        } else {
            Sticky::No
        })
    }

    fn choose(&self, sticky: Sticky<'_>) -> Option<Lease> {
        let settings = self.settings();
        let targets = self
            .targets
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A function has no address: Lambda is where it answers.
        let functions = settings.target_type == "lambda";
        let mut routable: Vec<&Arc<Target>> = Vec::with_capacity(targets.len());
        let mut healthy: Vec<&Arc<Target>> = Vec::with_capacity(targets.len());
        for target in targets.iter().filter(|t| functions || t.address.is_some()) {
            let health = lock(&target.health);
            if health.is_routable() {
                routable.push(target);
                if health.is_healthy() {
                    healthy.push(target);
                }
            }
        }
        let starting = !healthy.is_empty() && !settings.slow_start.is_zero();
        let candidates = if healthy.is_empty() { routable } else { healthy };
        let chosen = match sticky {
            Sticky::Cookie(key) => candidates.iter().copied().find(|t| t.cookie() == key),
            Sticky::Source(address) => by_source(&candidates, address),
            Sticky::No => None,
        };
        let chosen = chosen
            .or_else(|| {
                starting
                    .then(|| slow_start::choose(&candidates, self.clock.now(), settings.slow_start, roll()))
                    .flatten()
            })
            .or_else(|| self.by_algorithm(&candidates, &settings))?;
        chosen.in_flight.fetch_add(1, Ordering::AcqRel);
        Some(Lease {
            target: Arc::clone(chosen),
        })
    }

    fn by_algorithm<'t>(
        &self,
        candidates: &[&'t Arc<Target>],
        settings: &Settings,
    ) -> Option<&'t Arc<Target>> {
        if candidates.is_empty() {
            return None;
        }
        if settings.least_outstanding {
            return candidates
                .iter()
                .copied()
                .min_by_key(|t| t.in_flight.load(Ordering::Acquire));
        }
        let turn = if settings.random {
            usize::try_from(uuid::Uuid::new_v4().as_u128() % candidates.len() as u128).unwrap_or(0)
        } else {
            self.cursor.fetch_add(1, Ordering::Relaxed)
        };
        Some(candidates[turn % candidates.len()])
    }
}

/// What keeps a request on a target.
enum Sticky<'k> {
    No,
    Cookie(&'k str),
    Source(IpAddr),
}

/// The candidate a client address maps to (the same while they are the same).
fn by_source<'t>(candidates: &[&'t Arc<Target>], source: IpAddr) -> Option<&'t Arc<Target>> {
    use std::hash::{Hash, Hasher};
    if candidates.is_empty() {
        return None;
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    source.hash(&mut hasher);
    let index = usize::try_from(hasher.finish() % candidates.len() as u64).unwrap_or(0);
    Some(candidates[index])
}

/// A number in [0, 1) for a weighted choice.
fn roll() -> f64 {
    (uuid::Uuid::new_v4().as_u128() % 1_000_000) as f64 / 1_000_000.0
}

/// Lets a draining target finish: it leaves the group when its last request
/// is done or the deregistration delay ends, whichever is first.
pub async fn drain(group: Arc<Group>, target: Arc<Target>, clock: Clock) {
    let delay = group.settings().deregistration_delay;
    let since = lock(&target.draining_since).unwrap_or_else(|| clock.now());
    loop {
        let idle = target.in_flight.load(Ordering::Acquire) == 0;
        if idle || clock.now() >= since + delay {
            group.remove(&target);
            return;
        }
        clock.sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_elbv2_api::TargetGroup;
    use nimbus_runtime::TestClock;

    fn record(targets: &[(&str, i32)]) -> TargetGroupRecord {
        TargetGroupRecord {
            tg: TargetGroup {
                target_group_arn: Some("arn:tg".to_owned()),
                health_check_protocol: Some("HTTP".to_owned()),
                ..Default::default()
            },
            attributes: crate::attributes::tg_defaults("instance", "HTTP"),
            tags: Vec::new(),
            targets: targets
                .iter()
                .map(|(id, port)| Registration {
                    id: (*id).to_owned(),
                    port: *port,
                    zone: None,
                    address: Some("127.0.0.1".to_owned()),
                })
                .collect(),
        }
    }

    #[test]
    fn round_robin_over_healthy_targets_and_fail_open_when_none_is() {
        let group = Group::new(&record(&[]), TestClock::new().clock());
        assert!(group.pick(None).is_none(), "no target registered");
        group.update(&record(&[("a", 1), ("b", 2), ("c", 3)]), SystemTime::UNIX_EPOCH);
        let picks: Vec<String> = (0..6)
            .map(|_| group.pick(None).unwrap().target.id.clone())
            .collect();
        assert_eq!(picks, ["a", "b", "c", "a", "b", "c"], "all initial: fail open");
        for target in group.targets().iter().filter(|t| t.id != "b") {
            lock(&target.health).observe(Ok(()), 1, 2);
        }
        let picks: Vec<String> = (0..4)
            .map(|_| group.pick(None).unwrap().target.id.clone())
            .collect();
        assert!(picks.iter().all(|id| id != "b"), "{picks:?}");
    }

    #[test]
    fn a_sticky_cookie_keeps_its_target() {
        let group = Group::new(&record(&[("a", 1), ("b", 2)]), TestClock::new().clock());
        group.update(&record(&[("a", 1), ("b", 2)]), SystemTime::UNIX_EPOCH);
        let b = group.targets().into_iter().find(|t| t.id == "b").unwrap();
        for _ in 0..4 {
            assert_eq!(group.pick(Some(&b.cookie())).unwrap().target.id, "b");
        }
    }

    #[tokio::test]
    async fn draining_waits_for_in_flight_requests_up_to_the_delay() {
        let test_clock = TestClock::new();
        let group = Arc::new(Group::new(&record(&[("a", 1)]), test_clock.clock()));
        group.update(&record(&[("a", 1)]), test_clock.now());
        let lease = group.pick(None).unwrap();
        let drained = group.update(&record(&[]), test_clock.now());
        assert_eq!(drained.len(), 1);
        assert!(
            group.pick(None).is_none(),
            "a draining target takes no new request"
        );
        let task = tokio::spawn(drain(Arc::clone(&group), drained[0].clone(), test_clock.clock()));
        test_clock.advance(Duration::from_secs(10)).await;
        assert_eq!(group.targets().len(), 1, "still in flight");
        drop(lease);
        test_clock.advance(Duration::from_millis(200)).await;
        task.await.unwrap();
        assert!(group.targets().is_empty());

        // Without a request in flight it still waits no longer than the delay.
        group.update(&record(&[("b", 1)]), test_clock.now());
        let _held = group.pick(None).unwrap();
        let drained = group.update(&record(&[]), test_clock.now());
        let task = tokio::spawn(drain(Arc::clone(&group), drained[0].clone(), test_clock.clock()));
        test_clock.advance(Duration::from_secs(301)).await;
        task.await.unwrap();
        assert!(group.targets().is_empty(), "the delay (300 s) ended it");
    }

    #[test]
    fn a_target_in_slow_start_gets_a_growing_share() {
        let clock = TestClock::new();
        let mut slow = record(&[("old", 1), ("new", 2)]);
        slow.attributes
            .insert("slow_start.duration_seconds".to_owned(), "100".to_owned());
        let group = Group::new(&slow, clock.clock());
        group.update(&slow, clock.now());
        for target in group.targets() {
            // "old" has been healthy for long; "new" turns healthy now.
            let since = if target.id == "old" {
                clock.now() - Duration::from_secs(1000)
            } else {
                clock.now()
            };
            lock(&target.health).observe(Ok(()), 1, 2);
            *lock(&target.healthy_since) = Some(since);
        }
        let share = |group: &Group| {
            let picks = 2000;
            let new = (0..picks)
                .filter(|_| group.pick(None).unwrap().target.id == "new")
                .count();
            new as f64 / f64::from(picks)
        };
        let at_first = share(&group);
        assert!(at_first < 0.1, "just healthy: {at_first}");
        advance(&clock, Duration::from_secs(50));
        let halfway = share(&group);
        assert!((0.25..0.42).contains(&halfway), "halfway: {halfway}");
        advance(&clock, Duration::from_secs(60));
        let after = share(&group);
        assert!(
            (0.45..0.55).contains(&after),
            "past its slow start: round robin, {after}"
        );
    }

    #[test]
    fn an_nlb_group_keeps_a_client_address_on_its_target() {
        let mut sticky = record(&[("a", 1), ("b", 2), ("c", 3)]);
        sticky.attributes = crate::attributes::tg_defaults("instance", "TCP");
        sticky
            .attributes
            .insert("stickiness.enabled".to_owned(), "true".to_owned());
        let group = Group::new(&sticky, TestClock::new().clock());
        group.update(&sticky, SystemTime::UNIX_EPOCH);
        let client: IpAddr = "127.0.0.9".parse().unwrap();
        let first = group.pick_for(client).unwrap().target.id.clone();
        assert!((0..10).all(|_| group.pick_for(client).unwrap().target.id == first));
        let spread: std::collections::HashSet<String> = (1..60)
            .map(|n| {
                group
                    .pick_for(IpAddr::from([127, 0, 1, n]))
                    .unwrap()
                    .target
                    .id
                    .clone()
            })
            .collect();
        assert!(spread.len() > 1, "other clients spread");
    }

    #[test]
    fn weighted_random_draws_instead_of_taking_turns() {
        let mut random = record(&[("a", 1), ("b", 2), ("c", 3)]);
        random.attributes.insert(
            "load_balancing.algorithm.type".to_owned(),
            "weighted_random".to_owned(),
        );
        let group = Group::new(&random, TestClock::new().clock());
        group.update(&random, SystemTime::UNIX_EPOCH);
        let picks: Vec<String> = (0..300)
            .map(|_| group.pick(None).unwrap().target.id.clone())
            .collect();
        let turns = picks
            .iter()
            .zip(["a", "b", "c"].iter().cycle())
            .all(|(p, t)| p == t);
        assert!(!turns, "not round robin");
        for id in ["a", "b", "c"] {
            let share = picks.iter().filter(|p| *p == id).count();
            assert!((50..150).contains(&share), "{id}: {share} of 300");
        }
    }

    /// Moves the test clock from synchronous test code.
    fn advance(clock: &TestClock, by: Duration) {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(clock.advance(by));
    }
}
