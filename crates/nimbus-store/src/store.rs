//! Opening a store (on a data directory, or in memory) and starting transactions.

use std::path::Path;
use std::sync::{Arc, RwLock};

use redb::ReadableDatabase;

use crate::blob::Blobs;
use crate::cleanup::{self, SweepReport};
use crate::error::{Result, StoreError};
use crate::fsutil;
use crate::layout::Layout;
use crate::schema::{self, SchemaState};
use crate::tempdir::TempDir;
use crate::txn::{ReadTxn, WriteTxn};
use crate::writer::{Call, Reply, Writer};

/// redb's page cache ceiling. It fills only as pages are read, so an idle
/// nimbus stays small; 64 MiB keeps hot state of large accounts cached.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// The state of all services: a handle, cheap to clone and share between
/// tasks and threads.
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<StoreInner>,
}

pub(crate) struct StoreInner {
    /// The group-commit writer thread behind [`Store::write`]. First, so
    /// that dropping the store waits for it before closing the database.
    pub writer: Writer,
    /// Shared with the writer thread.
    pub db: Arc<redb::Database>,
    /// Paths of the data directory (or of the temporary one when ephemeral).
    pub layout: Layout,
    pub blobs: Blobs,
    /// Shared by blob unlinks, exclusive for a snapshot that links blob files.
    pub unlink_gate: Arc<RwLock<()>>,
    /// What the sweep at open removed, for the binary's start-up log.
    pub sweep: SweepReport,
    /// Set for `--ephemeral`: the directory holding blobs and snapshots,
    /// removed when the store is dropped. Declared after `db` so it outlives it.
    pub ephemeral_dir: Option<TempDir>,
}

impl Store {
    /// Opens the store in `data_dir`, creating it if needed. Fails without
    /// touching anything when the directory was written with another schema
    /// version or is in use by another process. Removes blob temporaries and
    /// unreferenced blob files left by a crash.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Store> {
        let layout = Layout::new(data_dir.as_ref());
        let database_path = layout.database();
        let db = if database_path.exists() {
            check_before_opening(&database_path, &layout.root)?;
            let db = redb_builder()
                .open(&database_path)
                .map_err(|e| open_error(e, &layout.root))?;
            if matches!(
                schema::check(&db, &layout.root)?,
                SchemaState::Fresh | SchemaState::Upgradable
            ) {
                stamp(&db)?;
            }
            db
        } else {
            refuse_foreign_directory(&layout.root)?;
            fsutil::create_dir_all(&layout.root)?;
            let db = redb_builder()
                .create(&database_path)
                .map_err(|e| open_error(e, &layout.root))?;
            stamp(&db)?;
            fsutil::sync_dir(&layout.root)?;
            db
        };
        Store::finish_open(db, layout, None)
    }

    /// A store that lives in memory (`--ephemeral`): the database uses redb's
    /// in-memory backend; blob files and snapshots go to a temporary
    /// directory removed when the last handle is dropped. Blobs larger than
    /// [`INLINE_MAX`](crate::blob::INLINE_MAX) stay files so that memory
    /// does not grow with object sizes. Nothing outlives the process, so
    /// commits skip redb's durable bookkeeping.
    pub fn ephemeral() -> Result<Store> {
        let dir = TempDir::new("nimbus-ephemeral")?;
        let layout = Layout::new(dir.path());
        let db = redb_builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(|e| open_error(e, &layout.root))?;
        stamp(&db)?;
        Store::finish_open(db, layout, Some(dir))
    }

    fn finish_open(db: redb::Database, layout: Layout, ephemeral_dir: Option<TempDir>) -> Result<Store> {
        for dir in [layout.blobs(), layout.tmp(), layout.snapshots()] {
            fsutil::create_dir_all(&dir)?;
        }
        let sweep = cleanup::sweep(&db, &layout)?;
        let db = Arc::new(db);
        let unlink_gate = Arc::default();
        let durable = ephemeral_dir.is_none();
        let writer = Writer::start(db.clone(), layout.blobs(), Arc::clone(&unlink_gate), durable)?;
        let inner = StoreInner {
            writer,
            db: db.clone(),
            // Ephemeral stores die with the process: syncing blobs or commits buys nothing.
            blobs: Blobs::new(&layout, durable, db.clone()),
            layout,
            unlink_gate,
            sweep,
            ephemeral_dir,
        };
        Ok(Store {
            inner: Arc::new(inner),
        })
    }

    /// A consistent read-only view of every namespace. Cheap; never blocks.
    pub fn begin_read(&self) -> Result<ReadTxn> {
        Ok(ReadTxn::new(self.inner.db.begin_read()?))
    }

    /// A write transaction of your own, committed alone. Blocks while
    /// another one is open (writes are serialized, with the group-commit
    /// writer too); for a single write prefer [`write`](Self::write) or
    /// [`write_blocking`](Self::write_blocking), which share commits.
    pub fn begin_write(&self) -> Result<WriteTxn> {
        let txn = self.inner.db.begin_write()?;
        WriteTxn::new(
            txn,
            self.inner.layout.blobs(),
            self.inner.unlink_gate.clone(),
            !self.is_ephemeral(),
        )
    }

    /// Runs `work` in a write transaction and commits it if `work` succeeds;
    /// the write is durable when this returns `Ok`.
    ///
    /// Concurrent calls share commits (group commit, see the crate docs):
    /// `work` runs on the store's writer thread, possibly in one
    /// transaction with other callers' closures run before and after it,
    /// and it sees their writes as if they had committed just before. Each
    /// caller gets its own closure's result, only once the commit holding
    /// its writes is durable. When `work` returns `Err` (or panics: then
    /// `StoreError::Task`), everything it did is undone and the others'
    /// writes are unaffected.
    ///
    /// `work` should be short and must not wait on other writes (it would
    /// hold up every writer); it may not call `write_blocking` or
    /// `begin_write`. If the future is dropped after its first poll, the
    /// write may still happen.
    pub async fn write<R, E>(
        &self,
        work: impl FnOnce(&WriteTxn) -> Result<R, E> + Send + 'static,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.inner
            .writer
            .submit(Box::new(Call::new(work, Reply::Async(reply))));
        answer.await.unwrap_or_else(|_| Err(E::from(writer_gone())))
    }

    /// [`write`](Self::write) for synchronous callers (threads of their
    /// own, `spawn_blocking`): same group commit, same promise; blocks the
    /// calling thread until the write is durable. Not from async code (it
    /// would block a runtime worker) nor from inside a write closure
    /// (refused with `StoreError::Task`).
    pub fn write_blocking<R, E>(
        &self,
        work: impl FnOnce(&WriteTxn) -> Result<R, E> + Send + 'static,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        if self.inner.writer.is_current() {
            return Err(E::from(StoreError::Task(
                "write_blocking was called from inside a write closure".to_owned(),
            )));
        }
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        self.inner
            .writer
            .submit(Box::new(Call::new(work, Reply::Blocking(reply))));
        answer.recv().unwrap_or_else(|_| Err(E::from(writer_gone())))
    }

    /// Runs `work` in a read transaction on a blocking thread.
    pub async fn read<R, E>(
        &self,
        work: impl FnOnce(&ReadTxn) -> Result<R, E> + Send + 'static,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let store = self.clone();
        let task = tokio::task::spawn_blocking(move || work(&store.begin_read()?));
        task.await.map_err(|e| E::from(StoreError::Task(e.to_string())))?
    }

    /// The value under one key, decoded; `None` when there is none. A point
    /// read is done right here: handing it to a blocking thread and back
    /// would cost more than the read (as it does for a hot invocation).
    pub async fn get_json<T>(&self, namespace: &crate::Namespace, key: &[u8]) -> Result<Option<T>>
    where
        T: serde::de::DeserializeOwned + Send + 'static,
    {
        self.begin_read()?.open(namespace)?.get_json(key)
    }

    /// Stores one value, encoded, in a transaction of its own.
    pub async fn put_json<T>(&self, namespace: &crate::Namespace, key: &[u8], value: T) -> Result<()>
    where
        T: serde::Serialize + Send + 'static,
    {
        let namespace = namespace.clone();
        let key = key.to_vec();
        self.write(move |txn| txn.open(&namespace)?.put_json(&key, &value))
            .await
    }

    /// Deletes one key in a transaction of its own.
    pub async fn delete(&self, namespace: &crate::Namespace, key: &[u8]) -> Result<()> {
        let namespace = namespace.clone();
        let key = key.to_vec();
        self.write(move |txn| txn.open(&namespace)?.delete(&key).map(|_| ()))
            .await
    }

    /// Every value under `prefix` in `namespace`, in key order: what an
    /// outbox left for a restart to resume.
    pub async fn values_under(&self, namespace: &crate::Namespace, prefix: &[u8]) -> Result<Vec<Vec<u8>>> {
        let namespace = namespace.clone();
        let prefix = prefix.to_vec();
        self.read(move |txn| {
            txn.open(&namespace)?
                .scan(&prefix)?
                .map(|entry| entry.map(|e| e.value))
                .collect::<Result<Vec<_>>>()
        })
        .await
    }

    /// Streams blob bodies in and out.
    pub fn blobs(&self) -> &Blobs {
        &self.inner.blobs
    }

    /// The data directory (a temporary one when ephemeral).
    pub fn data_dir(&self) -> &Path {
        &self.inner.layout.root
    }

    pub fn is_ephemeral(&self) -> bool {
        self.inner.ephemeral_dir.is_some()
    }

    /// What opening the store cleaned up after a previous crash.
    pub fn sweep_report(&self) -> &SweepReport {
        &self.inner.sweep
    }
}

/// A caller whose reply was dropped unanswered: the writer thread failed.
fn writer_gone() -> StoreError {
    StoreError::Task("the store's writer thread failed before answering".to_owned())
}

fn redb_builder() -> redb::Builder {
    let mut builder = redb::Builder::new();
    builder.set_cache_size(CACHE_BYTES);
    builder
}

/// Checks the schema through a read-only open, which writes nothing, so a
/// directory of another version is left byte-for-byte as it was. A database
/// not shut down cleanly cannot be opened read-only (redb must repair it
/// first); it is checked right after the read-write open instead, before any
/// nimbus write.
fn check_before_opening(database_path: &Path, root: &Path) -> Result<()> {
    match redb_builder().open_read_only(database_path) {
        Ok(db) => schema::check(&db, root).map(drop),
        Err(redb::DatabaseError::RepairAborted) => Ok(()),
        Err(err) => Err(open_error(err, root)),
    }
}

/// A new store goes only into a missing or empty directory: the sweep at
/// open deletes unknown files under `tmp/` and `blobs/`, which must never be
/// someone else's (`--data-dir ~` by mistake).
fn refuse_foreign_directory(root: &Path) -> Result<()> {
    if fsutil::list_dir(root)?.is_empty() {
        Ok(())
    } else {
        Err(StoreError::NotADataDir {
            path: root.to_owned(),
        })
    }
}

fn stamp(db: &redb::Database) -> Result<()> {
    let txn = db.begin_write()?;
    schema::stamp(&txn)?;
    txn.commit()?;
    Ok(())
}

fn open_error(err: redb::DatabaseError, root: &Path) -> StoreError {
    match err {
        redb::DatabaseError::DatabaseAlreadyOpen => StoreError::InUse {
            path: root.to_owned(),
        },
        other => StoreError::io(
            format!("open the store in {}", root.display()),
            std::io::Error::other(other.to_string()),
        ),
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("data_dir", &self.inner.layout.root)
            .field("ephemeral", &self.is_ephemeral())
            .finish()
    }
}
