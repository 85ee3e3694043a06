//! Health documents: nimbus's own, and LocalStack's shape for tools that
//! wait on `/_localstack/health`.

use std::collections::BTreeMap;

use nimbus_protocol::models;
use serde_json::{Value, json};

use crate::services::Services;

/// The nimbus version every health document reports.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// State of a service as nimbus reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// A service is registered and answers its operations.
    Running,
    /// The model is vendored (requests are understood) but every operation
    /// answers NotImplemented.
    NotImplemented,
}

fn states(services: &Services) -> BTreeMap<&'static str, State> {
    let mut states: BTreeMap<&'static str, State> = models::NAMES
        .iter()
        .map(|&name| (name, State::NotImplemented))
        .collect();
    for name in services.names() {
        states.insert(name, State::Running);
    }
    states
}

/// `GET /_nimbus/health`.
pub fn nimbus(services: &Services) -> Value {
    let services: serde_json::Map<String, Value> = states(services)
        .into_iter()
        .map(|(name, state)| {
            let text = match state {
                State::Running => "running",
                State::NotImplemented => "not_implemented",
            };
            (name.to_owned(), Value::from(text))
        })
        .collect();
    json!({
        "status": "ok",
        "version": VERSION,
        "build": if cfg!(debug_assertions) { "debug" } else { "release" },
        "services": services,
    })
}

/// `GET /_localstack/health`: `{"services": {...}, "edition": ..., "version": ...}`
/// with LocalStack's state words (`running`; `disabled` for what nimbus
/// cannot serve yet).
pub fn localstack(services: &Services) -> Value {
    let services: serde_json::Map<String, Value> = states(services)
        .into_iter()
        .map(|(name, state)| {
            let text = match state {
                State::Running => "running",
                State::NotImplemented => "disabled",
            };
            (name.to_owned(), Value::from(text))
        })
        .collect();
    json!({
        "services": services,
        "edition": "community",
        "version": VERSION,
    })
}
