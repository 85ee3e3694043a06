//! The health checker of one target group: at each interval of the nimbus
//! clock it probes every target that can take traffic, all at once, and
//! moves each by the outcome. Instance targets whose instance is not
//! running are unused (Target.InvalidState), as ELB shows them.

use std::sync::Arc;

use nimbus_core::RequestContext;
use nimbus_ec2_api::Ec2Client;
use nimbus_runtime::Clock;
use tokio::task::JoinSet;

use super::groups::{Group, lock};
use super::health::{self, Health, State};
use crate::network;

/// Where the group's instances are looked up.
#[derive(Clone)]
pub struct Instances {
    pub ec2: Ec2Client,
    pub account: String,
    pub region: String,
}

/// Probes the group's targets until the task is aborted.
pub async fn run(group: Arc<Group>, clock: Clock, instances: Option<Instances>) {
    loop {
        let settings = group.settings();
        if let Some(instances) = &instances
            && settings.target_type == "instance"
        {
            mark_instance_states(&group, instances).await;
        }
        if settings.check_enabled {
            check_once(&group, &clock).await;
        }
        clock.sleep(settings.interval).await;
    }
}

/// One round of probes.
pub async fn check_once(group: &Arc<Group>, clock: &Clock) {
    let settings = group.settings();
    let mut probes = JoinSet::new();
    for target in group.targets() {
        let Some(address) = target.check_address(&settings) else {
            continue;
        };
        if !target.health().is_routable() {
            continue;
        }
        let (settings, clock) = (Arc::clone(&settings), clock.clone());
        probes.spawn(async move {
            let outcome = health::probe(address, &settings.probe).await;
            target.observe(outcome, &settings, clock.now());
        });
    }
    while probes.join_next().await.is_some() {}
}

/// Stopped and terminated instances take no traffic; a running one again
/// starts over as initial.
async fn mark_instance_states(group: &Arc<Group>, instances: &Instances) {
    let targets = group.targets();
    let ids: Vec<String> = targets.iter().map(|t| t.id.clone()).collect();
    let ctx = RequestContext::internal(
        "elbv2",
        "DescribeInstances",
        &instances.account,
        &instances.region,
    );
    let Ok(found) = network::instances(&instances.ec2, &ctx, &ids).await else {
        return;
    };
    for target in &targets {
        let state = found
            .iter()
            .find(|i| i.id == target.id)
            .map_or("terminated", |i| i.state.as_str());
        let mut health = lock(&target.health);
        let running = matches!(state, "running" | "pending");
        match (running, health.state) {
            (_, State::Draining) => {}
            (false, _) => {
                let description = format!("Target is in the {state} state");
                health.set(State::Unused, Some("Target.InvalidState"), Some(&description));
            }
            (true, State::Unused) => *health = Health::registering(),
            (true, _) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU16, Ordering};
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::records::{Registration, TargetGroupRecord};
    use nimbus_elbv2_api::TargetGroup;
    use nimbus_runtime::TestClock;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A target answering every request with the status `status` holds.
    async fn target(status: Arc<AtomicU16>) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let code = status.load(Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buffer = [0u8; 1024];
                    let _ = socket.read(&mut buffer).await;
                    let answer =
                        format!("HTTP/1.1 {code} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                    let _ = socket.write_all(answer.as_bytes()).await;
                });
            }
        });
        port
    }

    /// Waits for the checker to finish its round and sleep, then moves the
    /// clock to its next round.
    async fn next_round(clock: &TestClock) {
        round_done(clock).await;
        clock.advance(Duration::from_secs(10)).await;
    }

    /// Waits until the checker sleeps: its round of probes is over.
    async fn round_done(clock: &TestClock) {
        for _ in 0..400 {
            if !clock.sleeping_until().is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn settled(group: &Arc<Group>, state: State) -> bool {
        for _ in 0..200 {
            if group.targets()[0].health().state == state {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    #[tokio::test]
    async fn probes_follow_the_interval_and_thresholds_of_the_clock() {
        let status = Arc::new(AtomicU16::new(200));
        let port = target(Arc::clone(&status)).await;
        let mut record = TargetGroupRecord {
            tg: TargetGroup {
                target_group_arn: Some("arn:tg".to_owned()),
                health_check_protocol: Some("HTTP".to_owned()),
                health_check_interval_seconds: Some(10),
                healthy_threshold_count: Some(2),
                unhealthy_threshold_count: Some(3),
                ..Default::default()
            },
            attributes: crate::attributes::tg_defaults("instance", "HTTP"),
            tags: Vec::new(),
            targets: vec![Registration {
                id: "i-1".to_owned(),
                port: i32::from(port),
                zone: None,
                address: Some("127.0.0.1".to_owned()),
            }],
        };
        record.tg.target_type = Some("ip".to_owned());
        let clock = TestClock::new();
        let group = Arc::new(Group::new(&record, clock.clock()));
        group.update(&record, SystemTime::UNIX_EPOCH);
        let task = tokio::spawn(run(Arc::clone(&group), clock.clock(), None));
        // The first probe is at once; one success is not yet two.
        round_done(&clock).await;
        assert_eq!(group.targets()[0].health().state, State::Initial);
        next_round(&clock).await;
        assert!(
            settled(&group, State::Healthy).await,
            "healthy after the second probe"
        );

        status.store(503, Ordering::SeqCst);
        next_round(&clock).await;
        next_round(&clock).await;
        assert_eq!(
            group.targets()[0].health().state,
            State::Healthy,
            "two failures of three"
        );
        next_round(&clock).await;
        assert!(settled(&group, State::Unhealthy).await);
        assert_eq!(
            group.targets()[0].health().description.as_deref(),
            Some("Health checks failed with these codes: [503]")
        );
        task.abort();
    }
}
