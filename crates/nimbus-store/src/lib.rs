//! The durable state of nimbus.
//!
//! One embedded transactional key-value store ([redb]) holds every service's
//! state, a table per service and a key prefix per scope (see
//! [`Namespace`]); large values are blob files beside it (see [`blob`]).
//! Commits are durable when they return, so a write acknowledged to a
//! client survives `kill -9`.
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

pub use blob::{BlobReader, BlobRef, BlobWriter, Blobs, StagedBlob};
pub use cleanup::SweepReport;
pub use error::{Result, StoreError};
pub use layout::default_data_dir;
pub use namespace::{Namespace, Scope};
pub use schema::SCHEMA_VERSION;
pub use snapshot::{SnapshotInfo, validate_snapshot_name};
pub use store::Store;
pub use table::{Entries, Entry, TableMut, TableRef};
pub use tempdir::TempDir;
pub use txn::{ReadTxn, WriteTxn};
