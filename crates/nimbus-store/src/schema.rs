//! The store's schema version and its internal tables.
//!
//! Bump [`SCHEMA_VERSION`] whenever the layout of keys or values changes in a
//! way an older or newer nimbus would misread; opening a data directory with
//! another version then fails before anything is written.

use std::path::Path;

use redb::{ReadableDatabase, TableDefinition};

use crate::error::{Result, StoreError};

/// The version of the store layout this build reads and writes.
/// 2: blobs up to [`INLINE_MAX`](crate::blob::INLINE_MAX) bytes live in
/// [`BLOB_BYTES`]. Version 1 is a subset (every blob a file) and is
/// restamped on open; a version 1 nimbus refuses a version 2 directory,
/// whose inline blobs it could not read.
pub const SCHEMA_VERSION: u64 = 2;

/// The older version this build opens as is and restamps: its layout is a
/// subset of this one.
const UPGRADABLE_VERSION: u64 = 1;

/// Every table maps bytes to bytes: services serialize their own values.
pub(crate) type BytesTable<'a> = TableDefinition<'a, &'static [u8], &'static [u8]>;

/// Store facts: the schema version.
pub(crate) const META: BytesTable<'static> = TableDefinition::new("_meta");
/// The blobs the store references: blob id → length in bytes (big-endian u64).
/// A blob file whose id is not here is garbage.
pub(crate) const BLOBS: BytesTable<'static> = TableDefinition::new("_blobs");
/// Blobs kept inside the store, and referenced: blob id → the bytes. Only
/// ids of inline blobs (see [`BlobRef::is_inline`](crate::BlobRef::is_inline)).
pub(crate) const BLOB_BYTES: BytesTable<'static> = TableDefinition::new("_blob_bytes");

const SCHEMA_VERSION_KEY: &[u8] = b"schema_version";

/// What an existing database says about its schema.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SchemaState {
    /// No tables at all: a new store, to be stamped with our version.
    Fresh,
    /// Stamped with our version.
    Current,
    /// Stamped with a version whose layout is a subset of ours: readable as
    /// is, to be restamped before nimbus writes.
    Upgradable,
}

/// Reads the stamped version without writing anything, and fails on any other.
pub(crate) fn check(db: &impl ReadableDatabase, path: &Path) -> Result<SchemaState> {
    let txn = db.begin_read()?;
    let found = match txn.open_table(META) {
        Ok(meta) => match meta.get(SCHEMA_VERSION_KEY)? {
            Some(bytes) => decode_u64(bytes.value()),
            None => 0,
        },
        Err(redb::TableError::TableDoesNotExist(_)) => {
            if txn.list_tables()?.next().is_none() {
                return Ok(SchemaState::Fresh);
            }
            // Tables but no stamp: not a store nimbus wrote.
            0
        }
        Err(err) => return Err(err.into()),
    };
    if found == SCHEMA_VERSION {
        Ok(SchemaState::Current)
    } else if found == UPGRADABLE_VERSION {
        Ok(SchemaState::Upgradable)
    } else {
        Err(StoreError::SchemaMismatch {
            path: path.to_owned(),
            found,
            expected: SCHEMA_VERSION,
        })
    }
}

/// Stamps a fresh (or upgradable) store with this build's schema version.
pub(crate) fn stamp(txn: &redb::WriteTransaction) -> Result<()> {
    let mut meta = txn.open_table(META)?;
    meta.insert(SCHEMA_VERSION_KEY, SCHEMA_VERSION.to_be_bytes().as_slice())?;
    Ok(())
}

/// Decodes a big-endian u64; a value of the wrong size reads as 0 (never a version we write).
pub(crate) fn decode_u64(bytes: &[u8]) -> u64 {
    bytes.try_into().map(u64::from_be_bytes).unwrap_or(0)
}
