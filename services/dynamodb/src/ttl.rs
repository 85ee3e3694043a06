//! Time to live: items whose TTL attribute (epoch seconds) has passed are
//! deleted by a background reaper that reads the Clock.
//!
//! Each table with TTL keeps an expiry index in its namespace,
//! `e/<table>\0<expiry seconds, 8 bytes big-endian><item store key>`, written
//! in the same transaction as the item, so a sweep reads only what is due.
//! The tables with TTL on are listed in the global namespace
//! (`ttl/<account>\0<region>\0<table>`), so the reaper finds them without
//! scanning every account.

use std::sync::{Arc, Weak};
use std::time::Duration;

use nimbus_core::AwsError;
use nimbus_runtime::Clock;
use nimbus_store::{Namespace, Store, TableMut};

use crate::attribute::{AttributeValue, Item};
use crate::schema::TableMeta;
use crate::storage::{self, decode_item, load_table_mut, write_item};

/// How often the reaper sweeps.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);
/// Items expired longer ago than this are never deleted (DynamoDB's rule).
const MAX_AGE_SECONDS: i64 = 5 * 365 * 24 * 3600;
/// Deletions per table and sweep, to keep each write transaction short.
const SWEEP_BATCH: usize = 100;

pub fn expiry_prefix(table: &str) -> Vec<u8> {
    format!("e/{table}\0").into_bytes()
}

fn registry_key(account: &str, region: &str, table: &str) -> Vec<u8> {
    format!("ttl/{account}\0{region}\0{table}").into_bytes()
}

pub fn registry_namespace() -> Result<Namespace, AwsError> {
    Ok(Namespace::global("dynamodb")?)
}

/// Whole epoch seconds of a TTL attribute, if it is a number.
fn expiry_seconds(meta: &TableMeta, item: &Item) -> Option<i64> {
    let attribute = meta.ttl_attribute.as_ref()?;
    match item.get(attribute)? {
        AttributeValue::N(n) => n.to_string().parse::<f64>().ok().map(|s| s.floor() as i64),
        _ => None,
    }
}

fn expiry_entry(meta: &TableMeta, item: &Item, item_key: &[u8]) -> Option<Vec<u8>> {
    let seconds = expiry_seconds(meta, item)?;
    if seconds < 0 {
        return None;
    }
    let mut key = expiry_prefix(&meta.name);
    key.extend_from_slice(&(seconds as u64).to_be_bytes());
    key.extend_from_slice(item_key);
    Some(key)
}

/// Keeps the expiry index in step with one item write.
pub fn track(
    table: &mut TableMut<'_>,
    meta: &TableMeta,
    key: &[u8],
    old: Option<&Item>,
    new: Option<&Item>,
) -> Result<(), AwsError> {
    if meta.ttl_attribute.is_none() {
        return Ok(());
    }
    let old_entry = old.and_then(|item| expiry_entry(meta, item, key));
    let new_entry = new.and_then(|item| expiry_entry(meta, item, key));
    if old_entry != new_entry {
        if let Some(entry) = old_entry {
            table.delete(&entry)?;
        }
        if let Some(entry) = new_entry {
            table.put(&entry, &[])?;
        }
    }
    Ok(())
}

/// Indexes every existing item of a table whose TTL was just enabled.
pub fn backfill(table: &mut TableMut<'_>, meta: &TableMeta) -> Result<(), AwsError> {
    let entries: Vec<_> = table
        .scan(&storage::items_prefix(&meta.name))?
        .collect::<Result<_, _>>()?;
    for entry in entries {
        let item = decode_item(&entry.value)?;
        if let Some(key) = expiry_entry(meta, &item, &entry.key) {
            table.put(&key, &[])?;
        }
    }
    Ok(())
}

/// Records (or forgets) a table in the reaper's list, in its own transaction.
pub async fn register(
    store: &Store,
    account: &str,
    region: &str,
    table: &str,
    enabled: bool,
) -> Result<(), AwsError> {
    let ns = registry_namespace()?;
    let key = registry_key(account, region, table);
    store
        .write(move |txn| {
            let mut registry = txn.open(&ns)?;
            if enabled {
                registry.put(&key, &[])?;
            } else {
                registry.delete(&key)?;
            }
            Ok::<_, AwsError>(())
        })
        .await
}

/// Deletes every item due at `now_seconds`, at most SWEEP_BATCH per table;
/// says how many went.
/// The expiry time in an expiry index key.
fn expiry_of(key: &[u8], prefix_len: usize) -> i64 {
    let mut seconds = [0u8; 8];
    if let Some(bytes) = key.get(prefix_len..prefix_len + 8) {
        seconds.copy_from_slice(bytes);
    }
    u64::from_be_bytes(seconds) as i64
}

pub async fn sweep(store: &Store, now_seconds: i64) -> Result<usize, AwsError> {
    let ns = registry_namespace()?;
    let tables = store
        .read(move |txn| {
            let registry = txn.open(&ns)?;
            let mut tables = Vec::new();
            for entry in registry.scan(b"ttl/")? {
                let entry = entry?;
                let Some(rest) = entry.key_str().and_then(|k| k.strip_prefix("ttl/")) else {
                    continue;
                };
                let parts: Vec<&str> = rest.splitn(3, '\0').collect();
                if let [account, region, table] = parts[..] {
                    tables.push((account.to_owned(), region.to_owned(), table.to_owned()));
                }
            }
            // Only tables with something due get a write transaction.
            let mut due = Vec::new();
            for (account, region, name) in tables {
                let items = txn.open(&Namespace::regional("dynamodb", &account, &region)?)?;
                let prefix = expiry_prefix(&name);
                let first = items.scan(&prefix)?.next().transpose()?;
                if first.is_some_and(|entry| expiry_of(&entry.key, prefix.len()) <= now_seconds) {
                    due.push((account, region, name));
                }
            }
            Ok::<_, AwsError>(due)
        })
        .await?;
    let mut deleted = 0;
    for (account, region, name) in tables {
        let ns = Namespace::regional("dynamodb", &account, &region)?;
        let change = crate::streams::Change::by_ttl(now_seconds.max(0) as u64 * 1000);
        deleted += store
            .write(move |txn| {
                let mut table = txn.open(&ns)?;
                let Some(meta) = load_table_mut(&table, &name)? else {
                    return Ok(0);
                };
                let prefix = expiry_prefix(&name);
                let due: Vec<Vec<u8>> = table
                    .scan(&prefix)?
                    .take(SWEEP_BATCH)
                    .map(|entry| entry.map(|e| e.key))
                    .take_while(|key| {
                        key.as_ref()
                            .map_or(true, |k| expiry_of(k, prefix.len()) <= now_seconds)
                    })
                    .collect::<Result<_, _>>()?;
                let mut count = 0;
                for entry in due {
                    table.delete(&entry)?;
                    if expiry_of(&entry, prefix.len()) < now_seconds - MAX_AGE_SECONDS {
                        continue;
                    }
                    let item_key = entry.get(prefix.len() + 8..).unwrap_or_default();
                    if let Some(stored) = table.get(item_key)? {
                        let item = decode_item(&stored)?;
                        write_item(&mut table, &meta, item_key, Some(&item), None, &change)?;
                        count += 1;
                    }
                }
                Ok::<_, AwsError>(count)
            })
            .await?;
    }
    Ok(deleted)
}

/// Sweeps every SWEEP_INTERVAL of the clock until the store is gone.
pub fn spawn_reaper(store: &Arc<Store>, clock: Clock) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let store: Weak<Store> = Arc::downgrade(store);
    runtime.spawn(async move {
        loop {
            clock.sleep(SWEEP_INTERVAL).await;
            let Some(store) = store.upgrade() else { return };
            let now = (clock.now_epoch_millis() / 1000) as i64;
            if let Err(err) = sweep(&store, now).await {
                tracing::warn!(error = %err, "DynamoDB TTL sweep failed");
            }
        }
    });
}
