//! An instance's record and its states on the nimbus clock: pending turns
//! running once it has booted a moment, stopping turns stopped and
//! shutting-down turns terminated once its processes have had their
//! grace; terminated instances stay visible for an hour.

use nimbus_ec2_api::{Instance, InstanceState, StateReason};
use serde::{Deserialize, Serialize};

/// How long an instance is pending, in milliseconds.
pub const PENDING_MS: i64 = 250;
/// How long stopping and shutting-down last: the processes' grace between
/// SIGTERM and SIGKILL.
pub const HALTING_MS: i64 = 1_000;
/// How long a terminated instance stays visible.
const TERMINATED_VISIBLE_MS: i64 = 60 * 60 * 1_000;

/// An instance as EC2 keeps it: its Describe shape and what only EC2 sees.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceRecord {
    pub instance: Instance,
    pub reservation_id: String,
    pub requester_id: Option<String>,
    /// When it entered its recorded state (epoch milliseconds).
    pub since: i64,
    /// As given to RunInstances (base64).
    pub user_data: Option<String>,
    /// `stop` or `terminate`: what a shutdown from inside does.
    pub shutdown_behavior: String,
    pub disable_api_termination: bool,
    pub disable_api_stop: bool,
    /// Its subnet gives instances public addresses: it gets one at each start.
    #[serde(default)]
    pub wants_public: bool,
    /// Its CPU credit option, as launched (burstable types only).
    #[serde(default)]
    pub cpu_credits: Option<String>,
    /// A fault injected (or its zone failed): its status checks fail.
    pub impaired_since: Option<i64>,
}

impl InstanceRecord {
    pub fn id(&self) -> &str {
        self.instance.instance_id.as_deref().unwrap_or_default()
    }

    pub fn state(&self) -> &str {
        self.instance
            .state
            .as_ref()
            .and_then(|s| s.name.as_deref())
            .unwrap_or_default()
    }

    /// Moves it to `name` at `now`, with the reason EC2 gives.
    pub fn enter(&mut self, name: &str, now: i64, reason: Option<Reason>) {
        self.instance.state = Some(state(name));
        self.since = now;
        match reason {
            Some(reason) => {
                self.instance.state_reason = Some(StateReason {
                    code: Some(reason.code().to_owned()),
                    message: Some(reason.message()),
                });
                self.instance.state_transition_reason = Some(reason.transition(now));
            }
            None => {
                self.instance.state_reason = None;
                self.instance.state_transition_reason = Some(String::new());
            }
        }
    }

    /// As it stands at `now`.
    pub fn settled(mut self, now: i64) -> InstanceRecord {
        let next = match self.state() {
            "pending" => Some(("running", PENDING_MS)),
            "stopping" => Some(("stopped", HALTING_MS)),
            "shutting-down" => Some(("terminated", HALTING_MS)),
            _ => None,
        };
        if let Some((name, after)) = next
            && now - self.since >= after
        {
            let since = self.since + after;
            self.instance.state = Some(state(name));
            self.since = since;
            if name == "running" {
                self.instance.state_reason = None;
                if let Some(options) = self.instance.metadata_options.as_mut() {
                    options.state = Some("applied".to_owned());
                }
            }
            if name == "terminated" {
                // Its interfaces and addresses went with it.
                self.instance.network_interfaces = Some(Vec::new());
                self.instance.block_device_mappings = Some(Vec::new());
                self.instance.security_groups = Some(Vec::new());
                self.instance.private_ip_address = None;
                self.instance.private_dns_name = Some(String::new());
            }
        }
        self
    }

    /// Whether it is still listed at `now`.
    pub fn visible(&self, now: i64) -> bool {
        self.state() != "terminated" || now - self.since < TERMINATED_VISIBLE_MS
    }
}

/// A bare record of instance `id` (for tests).
#[cfg(test)]
pub fn sample(id: &str) -> InstanceRecord {
    InstanceRecord {
        instance: Instance {
            instance_id: Some(id.to_owned()),
            ..Default::default()
        },
        reservation_id: "r-1".into(),
        requester_id: None,
        since: 0,
        user_data: None,
        shutdown_behavior: "stop".into(),
        disable_api_termination: false,
        disable_api_stop: false,
        impaired_since: None,
        wants_public: false,
        cpu_credits: None,
    }
}

/// Why an instance changed state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Launching,
    UserInitiated,
    InstanceInitiated,
}

impl Reason {
    fn code(self) -> &'static str {
        match self {
            Reason::Launching => "pending",
            Reason::UserInitiated => "Client.UserInitiatedShutdown",
            Reason::InstanceInitiated => "Client.InstanceInitiatedShutdown",
        }
    }

    fn message(self) -> String {
        match self {
            Reason::Launching => "pending".to_owned(),
            Reason::UserInitiated => "Client.UserInitiatedShutdown: User initiated shutdown".to_owned(),
            Reason::InstanceInitiated => {
                "Client.InstanceInitiatedShutdown: Instance initiated shutdown".to_owned()
            }
        }
    }

    /// StateTransitionReason: `User initiated (2024-05-01 10:00:00 GMT)`.
    fn transition(self, now: i64) -> String {
        match self {
            Reason::Launching => String::new(),
            Reason::UserInitiated => format!("User initiated ({} GMT)", utc(now, " ")),
            Reason::InstanceInitiated => self.message(),
        }
    }
}

/// `now` as `2024-05-01<between>10:00:00`, in UTC.
pub fn utc(now: i64, between: &str) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(now.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let date = time::macros::format_description!("[year]-[month]-[day]");
    let clock = time::macros::format_description!("[hour]:[minute]:[second]");
    format!(
        "{}{between}{}",
        at.format(&date).unwrap_or_default(),
        at.format(&clock).unwrap_or_default()
    )
}

/// An InstanceState by name, with its code.
pub fn state(name: &str) -> InstanceState {
    let code = match name {
        "pending" => 0,
        "running" => 16,
        "shutting-down" => 32,
        "terminated" => 48,
        "stopping" => 64,
        _ => 80,
    };
    InstanceState {
        code: Some(code),
        name: Some(name.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> InstanceRecord {
        let mut record = sample("i-1");
        record.enter("pending", 1_000, Some(Reason::Launching));
        record
    }

    #[test]
    fn pending_turns_running_after_its_boot() {
        let r = record();
        assert_eq!(r.clone().settled(1_000 + PENDING_MS - 1).state(), "pending");
        let running = r.settled(1_000 + PENDING_MS);
        assert_eq!(running.state(), "running");
        assert_eq!(running.instance.state.unwrap().code, Some(16));
        assert!(running.instance.state_reason.is_none());
    }

    #[test]
    fn stopping_and_shutting_down_settle_and_terminated_ones_fade() {
        let mut r = record().settled(5_000);
        r.enter("stopping", 10_000, Some(Reason::UserInitiated));
        assert_eq!(r.clone().settled(10_999).state(), "stopping");
        let stopped = r.clone().settled(11_000);
        assert_eq!(stopped.state(), "stopped");
        assert_eq!(
            stopped.instance.state_transition_reason.as_deref(),
            Some("User initiated (1970-01-01 00:00:10 GMT)")
        );
        r.enter("shutting-down", 20_000, Some(Reason::InstanceInitiated));
        let terminated = r.settled(21_000);
        assert_eq!((terminated.state(), terminated.since), ("terminated", 21_000));
        assert!(terminated.visible(21_000 + TERMINATED_VISIBLE_MS - 1));
        assert!(!terminated.visible(21_000 + TERMINATED_VISIBLE_MS));
    }
}
