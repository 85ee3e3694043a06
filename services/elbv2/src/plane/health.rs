//! A target's health as ELB tracks it: consecutive probe outcomes move it
//! between initial, healthy and unhealthy at the group's thresholds, with
//! AWS's reason codes and descriptions; the probes themselves (HTTP with
//! the matcher, or a TCP connect) within the check's timeout.

use std::net::SocketAddr;
use std::time::Duration;

use http::{Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Where a target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Initial,
    Healthy,
    Unhealthy,
    /// Registered but not receiving traffic (stopped instance, ...).
    Unused,
    Draining,
    /// Health checks are off: ELB routes to it but does not say it is healthy.
    Unavailable,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Initial => "initial",
            State::Healthy => "healthy",
            State::Unhealthy => "unhealthy",
            State::Unused => "unused",
            State::Draining => "draining",
            State::Unavailable => "unavailable",
        }
    }
}

/// Why a probe failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// An answer whose status the matcher refuses.
    Codes(u16),
    Timeout,
    /// No connection, or no answer.
    Failed,
}

/// A target's health: its state, why, and the current run of outcomes
/// (positive: successes in a row; negative: failures).
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub state: State,
    pub reason: Option<&'static str>,
    pub description: Option<String>,
    streak: i32,
}

impl Health {
    /// A target just registered: initial, until its checks decide.
    pub fn registering() -> Self {
        Health {
            state: State::Initial,
            reason: Some("Elb.RegistrationInProgress"),
            description: Some("Target registration is in progress".to_owned()),
            streak: 0,
        }
    }

    pub fn set(&mut self, state: State, reason: Option<&'static str>, description: Option<&str>) {
        self.state = state;
        self.reason = reason;
        self.description = description.map(str::to_owned);
        self.streak = 0;
    }

    /// Takes in one probe's outcome at the group's thresholds.
    pub fn observe(&mut self, outcome: Result<(), Failure>, healthy_after: i32, unhealthy_after: i32) {
        if matches!(self.state, State::Draining | State::Unused) {
            return;
        }
        match outcome {
            Ok(()) => {
                self.streak = self.streak.max(0) + 1;
                if self.state == State::Initial && self.reason == Some("Elb.RegistrationInProgress") {
                    self.reason = Some("Elb.InitialHealthChecking");
                    self.description = Some("Initial health checks in progress".to_owned());
                }
                if self.state != State::Healthy && self.streak >= healthy_after {
                    self.state = State::Healthy;
                    self.reason = None;
                    self.description = None;
                }
            }
            Err(failure) => {
                self.streak = self.streak.min(0) - 1;
                if self.state == State::Initial && self.streak == -1 {
                    self.reason = Some("Elb.InitialHealthChecking");
                    self.description = Some("Initial health checks in progress".to_owned());
                }
                if self.state == State::Unhealthy || -self.streak >= unhealthy_after {
                    self.state = State::Unhealthy;
                    let (reason, description) = worded(&failure);
                    self.reason = Some(reason);
                    self.description = Some(description);
                }
            }
        }
    }

    /// Whether the load balancer sends it new requests when some target is healthy.
    pub fn is_healthy(&self) -> bool {
        matches!(self.state, State::Healthy | State::Unavailable)
    }

    /// Whether it may receive requests at all (when none is healthy, ELB fails open).
    pub fn is_routable(&self) -> bool {
        !matches!(self.state, State::Draining | State::Unused)
    }
}

fn worded(failure: &Failure) -> (&'static str, String) {
    match failure {
        Failure::Codes(code) => (
            "Target.ResponseCodeMismatch",
            format!("Health checks failed with these codes: [{code}]"),
        ),
        Failure::Timeout => ("Target.Timeout", "Request timed out".to_owned()),
        Failure::Failed => ("Target.FailedHealthChecks", "Health checks failed".to_owned()),
    }
}

/// Whether `code` is one the matcher accepts ("200", "200,202", "200-299").
pub fn matches(matcher: &str, code: u16) -> bool {
    matcher.split(',').any(|part| {
        let part = part.trim();
        match part.split_once('-') {
            Some((low, high)) => {
                let (low, high) = (low.trim().parse::<u16>(), high.trim().parse::<u16>());
                matches!((low, high), (Ok(l), Ok(h)) if (l..=h).contains(&code))
            }
            None => part.parse::<u16>() == Ok(code),
        }
    })
}

/// What one probe asks.
#[derive(Debug, Clone)]
pub struct Probe {
    /// `Some(path)` for HTTP checks; `None` for a TCP connect.
    pub path: Option<String>,
    pub matcher: String,
    pub timeout: Duration,
}

/// Probes `address` once.
pub async fn probe(address: SocketAddr, probe: &Probe) -> Result<(), Failure> {
    match tokio::time::timeout(probe.timeout, probe_once(address, probe)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(Failure::Timeout),
    }
}

async fn probe_once(address: SocketAddr, probe: &Probe) -> Result<(), Failure> {
    let stream = TcpStream::connect(address).await.map_err(|_| Failure::Failed)?;
    let Some(path) = &probe.path else {
        return Ok(());
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|_| Failure::Failed)?;
    tokio::spawn(connection);
    let request = Request::get(path.as_str())
        .header("host", address.to_string())
        .header("user-agent", "ELB-HealthChecker/2.0")
        .header("connection", "close")
        .body(Empty::<Bytes>::new())
        .map_err(|_| Failure::Failed)?;
    let response = sender.send_request(request).await.map_err(|_| Failure::Failed)?;
    let status: StatusCode = response.status();
    // Read the answer through, so the target sees a complete exchange.
    let _ = response.into_body().collect().await;
    if matches(&probe.matcher, status.as_u16()) {
        Ok(())
    } else {
        Err(Failure::Codes(status.as_u16()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_target_turns_healthy_after_the_threshold() {
        let mut health = Health::registering();
        health.observe(Ok(()), 3, 2);
        assert_eq!(health.state, State::Initial);
        assert_eq!(health.reason, Some("Elb.InitialHealthChecking"));
        health.observe(Ok(()), 3, 2);
        health.observe(Ok(()), 3, 2);
        assert_eq!(health.state, State::Healthy);
        assert_eq!(health.reason, None);
    }

    #[test]
    fn failures_in_a_row_make_it_unhealthy_and_successes_bring_it_back() {
        let mut health = Health::registering();
        for _ in 0..2 {
            health.observe(Ok(()), 2, 2);
        }
        health.observe(Err(Failure::Codes(503)), 2, 2);
        assert_eq!(health.state, State::Healthy, "one failure is not enough");
        health.observe(Ok(()), 2, 2);
        health.observe(Err(Failure::Codes(503)), 2, 2);
        health.observe(Err(Failure::Codes(503)), 2, 2);
        assert_eq!(health.state, State::Unhealthy);
        assert_eq!(health.reason, Some("Target.ResponseCodeMismatch"));
        assert_eq!(
            health.description.as_deref(),
            Some("Health checks failed with these codes: [503]")
        );
        health.observe(Err(Failure::Timeout), 2, 2);
        assert_eq!(health.reason, Some("Target.Timeout"));
        health.observe(Ok(()), 2, 2);
        assert_eq!(health.state, State::Unhealthy);
        health.observe(Ok(()), 2, 2);
        assert_eq!(health.state, State::Healthy);
    }

    #[test]
    fn draining_targets_ignore_probes() {
        let mut health = Health::registering();
        health.set(
            State::Draining,
            Some("Target.DeregistrationInProgress"),
            Some("Target deregistration is in progress"),
        );
        health.observe(Ok(()), 2, 2);
        assert_eq!(health.state, State::Draining);
        assert!(!health.is_routable());
    }

    #[test]
    fn matchers_take_lists_and_ranges() {
        assert!(matches("200", 200));
        assert!(!matches("200", 204));
        assert!(matches("200,204", 204));
        assert!(matches("200-299", 250));
        assert!(!matches("200-299", 302));
    }
}
