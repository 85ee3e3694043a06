//! The durable state of nimbus.
//!
//! One embedded transactional key-value store ([redb]) holds every service's
//! state, a table per service and a key prefix per scope (see
//! [`Namespace`]); blobs (object bodies) up to 64 KiB are kept in it too,
//! larger ones as files beside it (see [`blob`]).
//! Commits are durable when they return, so a write acknowledged to a
//! client survives `kill -9` (an `--ephemeral` store lives in memory and
//! skips redb's durable bookkeeping: nothing of it survives the process).
//!
//! # Group commit
//!
//! A durable commit costs an fsync, so [`Store::write`] does not commit each
//! call alone: a writer thread takes every closure queued while the previous
//! commit was in flight (at most 256, or 2 ms of closure time), runs them one
//! after another in one redb transaction, commits once, and then answers each
//! caller with its own closure's result. Nothing changes for the caller: the
//! result is as if the closures had run one by one in queue order, each in
//! its own transaction, and `Ok` still means durable. A closure that returns
//! `Err` or panics is rolled back alone (an undo log of previous values; redb
//! savepoints cannot be taken once a table is open), its attached blobs are
//! deleted and its released ones kept; the rest of the batch commits.
//! [`Store::write_blocking`] is the same for synchronous callers;
//! [`Store::begin_write`] is a transaction of your own, committed alone.
//!
//! ```no_run
//! # async fn demo() -> Result<(), nimbus_store::StoreError> {
//! use nimbus_store::{Namespace, Store};
//!
//! let store = Store::open("/tmp/nimbus-data")?; // or Store::ephemeral()?
//! let ns = Namespace::regional("sqs", "000000000000", "us-east-1")?;
//! store
//!     .write(move |txn| {
//!         let mut queues = txn.open(&ns)?;
//!         queues.put_json(b"queue/orders", &serde_json::json!({"visibility": 30}))
//!     })
//!     .await?;
//! # Ok(()) }
//! ```

//!
//! # For the binary
//!
//! - Start: `Store::open(dir)` with `--data-dir`, else [`default_data_dir()`];
//!   `Store::ephemeral()` for `--ephemeral`. An error's `Display` is written
//!   for the person starting nimbus (schema mismatch, directory in use).
//!   [`Store::sweep_report`] says what a previous crash left and was removed.
//! - `POST /_nimbus/snapshot` (name): [`Store::save_snapshot`];
//!   restore: [`Store::restore_snapshot`]; list: [`Store::list_snapshots`];
//!   delete: [`Store::delete_snapshot`]; `POST /_nimbus/reset`:
//!   [`Store::reset`]. They block (they copy the state): call them from
//!   `tokio::task::spawn_blocking`. After restore or reset, services that
//!   cache state in memory must drop it (`Service::reset`) and re-arm their
//!   timers from the store. [`StoreError::SnapshotNotFound`] and
//!   [`StoreError::InvalidName`] are the caller's fault (404 / 400).
//! - Shutdown: drop every `Store` clone; commits are already durable, so
//!   there is nothing to flush.
//!
//! # For services
//!
//! - Keys are bytes you design so that listings are prefix scans:
//!   `queue/<name>`, `message/<queue>/<id>`. Values are usually JSON via
//!   `put_json` / `get_json` (see [`codec`]).
//! - From async handlers use [`Store::write`] / [`Store::read`]; a write is
//!   durable when it returns, and concurrent writes share commits, so do one
//!   `write` per request rather than batching across requests yourself.
//!   Keep write closures short and never wait inside one (on I/O, a lock,
//!   another write): every writer waits behind it. Read one key with
//!   [`Store::get_json`] or a short lookup in [`Store::begin_read`] in
//!   place (cheaper than a thread hand-off); give scans that may walk far
//!   to [`Store::read`]. Do slow work (blob bodies) before the write.
//! - Blobs: `blobs().write_from(body)` (or `create()` + `write` + `finish`),
//!   then `txn.attach_blob(staged)` and store the [`BlobRef`] in your value,
//!   in the same transaction; `txn.release_blob(&old)` when replacing or
//!   deleting. Read with `blobs().open_range(&blob, range)`, never through
//!   the file system: small blobs have no file (`path_of` is `None`).

pub mod blob;
mod cleanup;
pub mod codec;
mod error;
mod fsutil;
mod layout;
mod namespace;
mod schema;
mod snapshot;
mod store;
mod table;
mod tempdir;
mod txn;
mod writer;

pub use blob::{BlobReader, BlobRef, BlobWriter, Blobs, StagedBlob};
pub use cleanup::SweepReport;
pub use error::{Result, StoreError};
pub use layout::default_data_dir;
pub use namespace::{Namespace, Scope};
pub use schema::SCHEMA_VERSION;
pub use snapshot::{SnapshotInfo, validate_snapshot_name};
pub use store::Store;
pub use table::{Entries, Entry, EntryRef, EntryRefs, TableMut, TableRef};
pub use tempdir::TempDir;
pub use txn::{ReadTxn, WriteTxn};
