//! The snapshot endpoints: save the whole state under a name, restore it in
//! one step, list and delete. Store work blocks on disk, so it runs on the
//! blocking pool; services drop what they cached once the state changed.

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use nimbus_store::{Store, StoreError};
use serde_json::{Value, json};

use crate::gateway::Gateway;
use crate::internal::Endpoint;

/// Why a snapshot request failed, as an HTTP status and a message.
#[derive(Debug)]
pub struct Failure {
    pub status: u16,
    pub message: String,
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        let status = match error {
            StoreError::SnapshotNotFound(_) => 404,
            StoreError::InvalidName { .. } => 400,
            _ => 500,
        };
        Failure {
            status,
            message: error.to_string(),
        }
    }
}

fn bad_request(message: impl Into<String>) -> Failure {
    Failure {
        status: 400,
        message: message.into(),
    }
}

/// Answers one snapshot endpoint (`endpoint` is one of the snapshot variants).
pub async fn serve(gateway: &Gateway, endpoint: Endpoint, path: &str, query: &str) -> Result<Value, Failure> {
    let store = Arc::clone(gateway.store());
    if endpoint == Endpoint::ListSnapshots {
        let snapshots = blocking(move || store.list_snapshots()).await?;
        let list: Vec<Value> = snapshots
            .into_iter()
            .map(|info| {
                let saved = info.created.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
                json!({ "name": info.name, "saved": saved })
            })
            .collect();
        return Ok(json!({ "snapshots": list }));
    }
    let name = snapshot_name(path, query)
        .ok_or_else(|| bad_request("name the snapshot: /_nimbus/snapshots/<name> or ?name=<name>"))?;
    let answer = json!({ "name": name });
    match endpoint {
        Endpoint::SaveSnapshot => {
            blocking(move || store.save_snapshot(&name).map(drop)).await?;
        }
        Endpoint::RestoreSnapshot => {
            blocking(move || store.restore_snapshot(&name)).await?;
            gateway.forget_cached_state();
        }
        _ => blocking(move || store.delete_snapshot(&name)).await?,
    }
    Ok(answer)
}

/// The name from `/_nimbus/snapshots/<name>[/restore]`, else from `?name=`.
fn snapshot_name(path: &str, query: &str) -> Option<String> {
    let from_path = path
        .trim_end_matches('/')
        .strip_prefix("/_nimbus/snapshots/")
        .map(|rest| rest.strip_suffix("/restore").unwrap_or(rest));
    let name = match from_path {
        Some(name) => percent_decode(name),
        None => nimbus_protocol::codec::form::parse(query.as_bytes())
            .into_iter()
            .find(|(key, _)| key == "name")
            .map(|(_, value)| value)?,
    };
    (!name.is_empty()).then_some(name)
}

fn percent_decode(text: &str) -> String {
    nimbus_protocol::codec::form::parse(format!("n={text}").as_bytes())
        .pop()
        .map(|(_, value)| value)
        .unwrap_or_default()
}

/// Runs blocking store work off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Failure> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(Failure::from),
        Err(error) => Err(Failure {
            status: 500,
            message: format!("snapshot task failed: {error}"),
        }),
    }
}

/// Empties the store (for `/_nimbus/reset`).
pub async fn reset_store(store: Arc<Store>) -> Result<(), Failure> {
    blocking(move || store.reset()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_path_or_the_query() {
        assert_eq!(snapshot_name("/_nimbus/snapshots/base", ""), Some("base".into()));
        assert_eq!(
            snapshot_name("/_nimbus/snapshots/base/restore", ""),
            Some("base".into())
        );
        assert_eq!(
            snapshot_name("/_nimbus/snapshot", "name=a%20b"),
            Some("a b".into())
        );
        assert_eq!(snapshot_name("/_nimbus/snapshot", ""), None);
    }
}
