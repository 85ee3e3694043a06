//! What StartInstances, StopInstances, RebootInstances and
//! TerminateInstances do to one instance's record, and what must then
//! happen to its processes; EC2's refusals for the states they cannot act on.

use nimbus_core::AwsError;

use super::lifecycle::{HALTING_MS, InstanceRecord, Reason};
use crate::errors;

/// What its processes need after the record changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Nothing,
    /// Boot it (not its first boot).
    Boot,
    /// End its processes within `grace_ms`.
    Halt {
        grace_ms: i64,
    },
    /// End its processes at once and boot it again.
    Reboot,
    /// End its processes within `grace_ms` and remove its folder; give its
    /// addresses back.
    Retire {
        grace_ms: i64,
    },
}

/// Which call it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Start,
    Stop { force: bool },
    Reboot,
    Terminate { force: bool },
}

fn incorrect_state(message: String) -> AwsError {
    errors::client("IncorrectInstanceState", message)
}

fn not_permitted(id: &str, verb: &str, attribute: &str) -> AwsError {
    errors::client(
        "OperationNotPermitted",
        format!(
            "The instance '{id}' may not be {verb}. Modify its '{attribute}' instance attribute and try again."
        ),
    )
}

/// Applies `action` to a settled record at `now`.
pub fn apply(record: &mut InstanceRecord, action: Action, now: i64) -> Result<Effect, AwsError> {
    let id = record.id().to_owned();
    let grace = |force: bool| if force { 0 } else { HALTING_MS };
    match (action, record.state()) {
        (Action::Start, "stopped") => {
            record.enter("pending", now, Some(Reason::Launching));
            // A start puts it on other (healthy) hardware.
            record.impaired_since = None;
            record.instance.launch_time = Some(nimbus_core::Timestamp::from_epoch_millis(now / 1000 * 1000));
            Ok(Effect::Boot)
        }
        (Action::Start, "pending" | "running") => Ok(Effect::Nothing),
        (Action::Start, _) => Err(incorrect_state(format!(
            "The instance '{id}' is not in a state from which it can be started."
        ))),
        (Action::Stop { .. }, "running") if record.disable_api_stop => {
            Err(not_permitted(&id, "stopped", "disableApiStop"))
        }
        (Action::Stop { force }, "running") => {
            record.enter("stopping", now, Some(Reason::UserInitiated));
            Ok(Effect::Halt {
                grace_ms: grace(force),
            })
        }
        (Action::Stop { .. }, "stopping" | "stopped") => Ok(Effect::Nothing),
        (Action::Stop { .. }, "pending") => Err(incorrect_state(format!(
            "Instance '{id}' cannot be stopped as it has never reached the 'running' state."
        ))),
        (Action::Stop { .. }, _) => Err(incorrect_state(format!(
            "This instance '{id}' is not in a state from which it can be stopped."
        ))),
        (Action::Reboot, "running") => Ok(Effect::Reboot),
        (Action::Reboot, "terminated" | "shutting-down") => Ok(Effect::Nothing),
        (Action::Reboot, _) => Err(incorrect_state(format!(
            "The instance '{id}' is not in a state from which it can be rebooted."
        ))),
        (Action::Terminate { .. }, "terminated" | "shutting-down") => Ok(Effect::Nothing),
        (Action::Terminate { .. }, _) if record.disable_api_termination => {
            Err(not_permitted(&id, "terminated", "disableApiTermination"))
        }
        (Action::Terminate { force }, _) => {
            record.enter("shutting-down", now, Some(Reason::UserInitiated));
            Ok(Effect::Retire {
                grace_ms: grace(force),
            })
        }
    }
}

/// What an init that ended by itself does to a running instance: a reboot
/// it asked for, else its shutdown behaviour.
pub fn shut_down_from_inside(record: &mut InstanceRecord, reboot: bool, now: i64) -> Effect {
    if !matches!(record.state(), "running" | "pending") {
        return Effect::Nothing;
    }
    if reboot {
        return Effect::Boot;
    }
    match record.shutdown_behavior.as_str() {
        "terminate" => {
            record.enter("shutting-down", now, Some(Reason::InstanceInitiated));
            Effect::Retire { grace_ms: HALTING_MS }
        }
        _ => {
            record.enter("stopping", now, Some(Reason::InstanceInitiated));
            Effect::Halt { grace_ms: HALTING_MS }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running() -> InstanceRecord {
        let mut record = super::super::lifecycle::sample("i-1");
        record.enter("running", 0, None);
        record
    }

    #[test]
    fn stop_start_and_terminate_follow_ec2s_states() {
        let mut r = running();
        assert_eq!(
            apply(&mut r, Action::Stop { force: false }, 10).unwrap(),
            Effect::Halt { grace_ms: HALTING_MS }
        );
        assert_eq!(r.state(), "stopping");
        assert_eq!(
            apply(&mut r, Action::Stop { force: false }, 11).unwrap(),
            Effect::Nothing
        );
        let err = apply(&mut r, Action::Start, 12).unwrap_err();
        assert_eq!(err.code, "IncorrectInstanceState");
        let mut r = r.settled(10 + HALTING_MS);
        assert_eq!(apply(&mut r, Action::Start, 5_000).unwrap(), Effect::Boot);
        assert_eq!(r.state(), "pending");
        let err = apply(&mut r, Action::Stop { force: false }, 5_001).unwrap_err();
        assert!(
            err.message.contains("never reached the 'running' state"),
            "{}",
            err.message
        );
        assert_eq!(
            apply(&mut r, Action::Terminate { force: true }, 6_000).unwrap(),
            Effect::Retire { grace_ms: 0 }
        );
        assert_eq!(
            apply(&mut r, Action::Terminate { force: false }, 6_001).unwrap(),
            Effect::Nothing
        );
        let err = apply(&mut r, Action::Stop { force: false }, 6_002).unwrap_err();
        assert!(err.message.starts_with("This instance 'i-1'"));
    }

    #[test]
    fn protections_refuse_as_ec2_words_it() {
        let mut r = running();
        r.disable_api_termination = true;
        r.disable_api_stop = true;
        let err = apply(&mut r, Action::Terminate { force: false }, 1).unwrap_err();
        assert_eq!(err.code, "OperationNotPermitted");
        assert!(err.message.contains("'disableApiTermination'"));
        let err = apply(&mut r, Action::Stop { force: false }, 1).unwrap_err();
        assert!(err.message.contains("may not be stopped"));
        assert_eq!(r.state(), "running");
    }

    #[test]
    fn a_shutdown_from_inside_follows_the_shutdown_behaviour() {
        let mut r = running();
        assert_eq!(shut_down_from_inside(&mut r, true, 5), Effect::Boot);
        assert_eq!(
            shut_down_from_inside(&mut r, false, 5),
            Effect::Halt { grace_ms: HALTING_MS }
        );
        assert_eq!(
            r.instance.state_reason.unwrap().code.as_deref(),
            Some("Client.InstanceInitiatedShutdown")
        );
        let mut r = running();
        r.shutdown_behavior = "terminate".into();
        assert_eq!(
            shut_down_from_inside(&mut r, false, 5),
            Effect::Retire { grace_ms: HALTING_MS }
        );
        assert_eq!(r.state(), "shutting-down");
    }
}
