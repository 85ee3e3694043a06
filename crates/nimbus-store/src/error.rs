//! Everything that can go wrong in the store, with messages a person can act on.

use std::fmt;
use std::io;
use std::path::PathBuf;

use nimbus_core::AwsError;

/// A store failure. Services usually turn it into an `InternalError` with `?`
/// (see the `From<StoreError> for AwsError` impl).
#[derive(Debug)]
pub enum StoreError {
    /// A file-system operation failed; `context` says which one and on what path.
    Io { context: String, source: io::Error },
    /// redb reported an error (corruption, full disk, a poisoned transaction, ...).
    Database(redb::Error),
    /// The data directory was written by a nimbus whose store schema differs.
    SchemaMismatch {
        path: PathBuf,
        found: u64,
        expected: u64,
    },
    /// The directory holds files but no nimbus store: not ours to write into.
    NotADataDir { path: PathBuf },
    /// Another nimbus process holds the data directory.
    InUse { path: PathBuf },
    /// A value could not be encoded or decoded with serde.
    Codec(serde_json::Error),
    /// A name given by the caller (service, snapshot) is not acceptable.
    InvalidName {
        kind: &'static str,
        name: String,
        rule: &'static str,
    },
    /// The named snapshot does not exist.
    SnapshotNotFound(String),
    /// A blob reference points at a file that is gone (deleted after the reference was read).
    BlobMissing(String),
    /// A background task running store work panicked or was cancelled.
    Task(String),
}

impl StoreError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        StoreError::Io {
            context: context.into(),
            source,
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Io { context, source } => write!(f, "{context}: {source}"),
            StoreError::Database(err) => write!(f, "store database error: {err}"),
            StoreError::SchemaMismatch {
                path,
                found,
                expected,
            } => write!(
                f,
                "the data directory {} was written with store schema version {found}, but this nimbus \
                 uses version {expected}; nothing was changed. Run the nimbus version that wrote it, or \
                 start with another --data-dir (or move this one aside)",
                path.display()
            ),
            StoreError::NotADataDir { path } => write!(
                f,
                "{} is not empty and holds no nimbus store (nimbus.redb); pass an empty or new directory \
                 as --data-dir",
                path.display()
            ),
            StoreError::InUse { path } => write!(
                f,
                "the data directory {} is in use by another nimbus process; stop it or pass another --data-dir",
                path.display()
            ),
            StoreError::Codec(err) => write!(f, "stored value does not (de)serialize: {err}"),
            StoreError::InvalidName { kind, name, rule } => write!(f, "invalid {kind} name {name:?}: {rule}"),
            StoreError::SnapshotNotFound(name) => write!(f, "no snapshot named {name:?}"),
            StoreError::BlobMissing(id) => write!(f, "blob {id} has no file (it was deleted)"),
            StoreError::Task(message) => write!(f, "store task failed: {message}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Io { source, .. } => Some(source),
            StoreError::Database(err) => Some(err),
            StoreError::Codec(err) => Some(err),
            _ => None,
        }
    }
}

impl From<StoreError> for AwsError {
    fn from(err: StoreError) -> Self {
        AwsError::internal(err.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(err: serde_json::Error) -> Self {
        StoreError::Codec(err)
    }
}

/// redb has one error type per call family; all of them mean "the database failed".
macro_rules! from_redb {
    ($($ty:ty),* $(,)?) => {$(
        impl From<$ty> for StoreError {
            fn from(err: $ty) -> Self {
                StoreError::Database(err.into())
            }
        }
    )*};
}

from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError,
);

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
