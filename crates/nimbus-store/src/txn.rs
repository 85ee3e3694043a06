//! Read and write transactions over the whole store.
//!
//! A read transaction sees one consistent snapshot of every namespace and
//! never blocks writers. Write transactions run one at a time; a commit
//! returns only once the data is on disk (redb `Durability::Immediate`), so
//! a write acknowledged after `commit` survives `kill -9`.
//!
//! The group-commit writer (`writer.rs`) runs many callers' closures in one
//! transaction. For that, a transaction can record an undo log: the previous
//! value of every key a closure changes, so that a closure that fails is
//! rolled back alone ([`WriteTxn::roll_back_to`]) while the others' writes
//! stay. redb's savepoints cannot do this: they are refused once a table has
//! been opened in the transaction.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};

use redb::{Durability, ReadableTable, TableHandle};

use crate::blob::{BlobRef, Payload, StagedBlob};
use crate::error::Result;
use crate::layout::blob_path;
use crate::namespace::Namespace;
use crate::schema::{BLOB_BYTES, BLOBS, BytesTable};
use crate::table::{TableMut, TableRef, UndoSink};

type RawTable<'t> = redb::Table<'t, &'static [u8], &'static [u8]>;

/// A consistent, read-only view of the store.
pub struct ReadTxn {
    inner: redb::ReadTransaction,
}

impl ReadTxn {
    pub(crate) fn new(inner: redb::ReadTransaction) -> Self {
        ReadTxn { inner }
    }

    /// The namespace's items as of the transaction's start.
    pub fn open(&self, namespace: &Namespace) -> Result<TableRef> {
        let name = namespace.table_name();
        let table = match self.inner.open_table(BytesTable::new(&name)) {
            Ok(table) => Some(table),
            Err(redb::TableError::TableDoesNotExist(_)) => None,
            Err(err) => return Err(err.into()),
        };
        Ok(TableRef::new(table, namespace.key_prefix()))
    }

    /// The bytes `range` (clamped to the blob) of an inline blob as of this
    /// transaction, so a small object's record and body come from one read;
    /// `None` for a file blob, which [`Blobs::open_range`](crate::Blobs::open_range) reads.
    pub fn inline_blob_range(
        &self,
        blob: &BlobRef,
        range: std::ops::Range<u64>,
    ) -> Result<Option<bytes::Bytes>> {
        if !blob.is_inline() {
            return Ok(None);
        }
        let end = range.end.min(blob.len);
        let start = range.start.min(end);
        crate::blob::read_inline(&self.inner, blob, start..end).map(Some)
    }
}

/// An open write transaction. Nothing it does is visible to others until
/// [`commit`](Self::commit); dropping it without committing discards it.
pub struct WriteTxn {
    inner: redb::WriteTransaction,
    /// Blob files this transaction adds or removes, acted on after the
    /// outcome is known (inline blobs are plain table changes).
    blobs: BlobChanges,
    /// Previous values of the keys changed by the running closure, newest
    /// last; recorded only while `recording` is set (group commit).
    undo: RefCell<Vec<Undo>>,
    /// Whether changes are recorded in `undo`: only when a failure must
    /// not discard the writes of closures that ran before in this transaction.
    recording: Cell<bool>,
}

/// How to undo one change: put `old` back under `key` of `table` (remove the key when `None`).
pub(crate) struct Undo {
    pub table: Arc<str>,
    pub key: Vec<u8>,
    pub old: Option<Vec<u8>>,
}

/// Where a closure started, for [`WriteTxn::roll_back_to`].
pub(crate) struct Mark {
    /// Length of the attached-files list when the closure started.
    attached: usize,
    /// Length of the released-ids list when the closure started.
    released: usize,
}

impl WriteTxn {
    pub(crate) fn new(
        mut inner: redb::WriteTransaction,
        blobs_dir: PathBuf,
        unlink_gate: Arc<RwLock<()>>,
        durable: bool,
    ) -> Result<Self> {
        // Immediate is the durability promise. An ephemeral store's database
        // lives in memory and dies with the process: there is nothing to make
        // durable, and a non-durable commit does about half the bookkeeping.
        inner.set_durability(if durable {
            Durability::Immediate
        } else {
            Durability::None
        })?;
        Ok(WriteTxn {
            inner,
            blobs: BlobChanges::new(blobs_dir, unlink_gate),
            undo: RefCell::default(),
            recording: Cell::new(false),
        })
    }

    /// Read-write access to one namespace. Only one view per service can be
    /// open at a time in a transaction (redb's rule); drop it before opening
    /// another namespace of the same service.
    pub fn open(&self, namespace: &Namespace) -> Result<TableMut<'_>> {
        let name = namespace.table_name();
        let table = self.inner.open_table(BytesTable::new(&name))?;
        let undo = self.undo_sink(&name);
        Ok(TableMut::new(table, namespace.key_prefix(), undo))
    }

    /// Where a view of table `name` records its changes, if they are recorded.
    fn undo_sink(&self, name: &str) -> Option<UndoSink<'_>> {
        self.recording
            .get()
            .then(|| UndoSink::new(&self.undo, Arc::from(name)))
    }

    /// Records a finished blob as referenced; store its [`BlobRef`] in your
    /// value in this same transaction. An inline blob's bytes are written
    /// here, durable with the commit; if the transaction is dropped without
    /// committing, a blob file is deleted.
    pub fn attach_blob(&self, staged: StagedBlob) -> Result<BlobRef> {
        let (blob, payload) = staged.take_for_attach();
        let (table, value) = match &payload {
            Payload::Inline(bytes) => (BLOB_BYTES, bytes.as_slice()),
            Payload::File(_) => (BLOBS, &blob.len.to_be_bytes()[..]),
        };
        self.put_internal(table, blob.id.as_bytes(), value)?;
        if let Payload::File(path) = payload {
            self.blobs.attached.borrow_mut().push(path);
        }
        Ok(blob)
    }

    /// Drops the store's reference to a blob; its bytes are deleted once the
    /// transaction commits. Readers already streaming it keep their bytes.
    pub fn release_blob(&self, blob: &BlobRef) -> Result<()> {
        if blob.is_inline() {
            self.remove_internal(BLOB_BYTES, blob.id.as_bytes())?;
        } else if self.remove_internal(BLOBS, blob.id.as_bytes())? {
            self.blobs.released.borrow_mut().push(blob.id.clone());
        }
        Ok(())
    }

    /// Writes a key of a store-internal table, with its undo record.
    fn put_internal(&self, definition: BytesTable<'_>, key: &[u8], value: &[u8]) -> Result<()> {
        let mut table = self.inner.open_table(definition)?;
        let old = table.insert(key, value)?.map(|old| old.value().to_vec());
        if let Some(undo) = self.undo_sink(definition.name()) {
            undo.record(key.to_vec(), old);
        }
        Ok(())
    }

    /// Removes a key of a store-internal table, with its undo record; says
    /// whether it was there.
    fn remove_internal(&self, definition: BytesTable<'_>, key: &[u8]) -> Result<bool> {
        let mut table = self.inner.open_table(definition)?;
        let Some(old) = table.remove(key)?.map(|old| old.value().to_vec()) else {
            return Ok(false);
        };
        if let Some(undo) = self.undo_sink(definition.name()) {
            undo.record(key.to_vec(), Some(old));
        }
        Ok(true)
    }

    /// Makes every change durable and visible, then deletes released blob files.
    pub fn commit(self) -> Result<()> {
        let WriteTxn { inner, blobs, .. } = self;
        if let Err(err) = inner.commit() {
            // The outcome on disk is unknown: keep every file, the next
            // start's sweep deletes the unreferenced ones.
            blobs.keep_files();
            return Err(err.into());
        }
        blobs.committed();
        Ok(())
    }

    /// Starts a closure of a group commit: from here, changes are recorded
    /// for [`roll_back_to`](Self::roll_back_to) when `recording` (there are
    /// earlier closures' writes to keep), and not recorded otherwise (a
    /// failure then discards the whole transaction, which holds nothing else).
    pub(crate) fn begin_closure(&self, recording: bool) -> Mark {
        // The previous closure succeeded: its changes stay, its undo log goes.
        self.undo.borrow_mut().clear();
        self.recording.set(recording);
        Mark {
            attached: self.blobs.attached.borrow().len(),
            released: self.blobs.released.borrow().len(),
        }
    }

    /// Undoes everything done since `mark` (which must come from
    /// [`begin_closure`](Self::begin_closure) with recording on): keys get
    /// their previous values back, blobs attached since are deleted, blobs
    /// released since are kept. An error leaves the transaction half rolled
    /// back: it must then be dropped, not committed.
    pub(crate) fn roll_back_to(&self, mark: &Mark) -> Result<()> {
        let undo = std::mem::take(&mut *self.undo.borrow_mut());
        let mut open: Option<(Arc<str>, RawTable<'_>)> = None;
        for change in undo.into_iter().rev() {
            let table = match &mut open {
                Some((name, table)) if *name == change.table => table,
                _ => {
                    // One table open at a time: close the previous one first.
                    open = None;
                    let table = self.inner.open_table(BytesTable::new(&change.table))?;
                    &mut open.insert((change.table.clone(), table)).1
                }
            };
            match &change.old {
                Some(old) => drop(table.insert(change.key.as_slice(), old.as_slice())?),
                None => drop(table.remove(change.key.as_slice())?),
            }
        }
        drop(open);
        let attached: Vec<PathBuf> = self.blobs.attached.borrow_mut().drain(mark.attached..).collect();
        for path in attached {
            // Never referenced by a commit; a failure leaves garbage the next start's sweep deletes.
            let _ = std::fs::remove_file(path);
        }
        self.blobs.released.borrow_mut().truncate(mark.released);
        Ok(())
    }

    /// For store-internal work (snapshots, reset, sweeps) on raw tables.
    pub(crate) fn raw(&self) -> &redb::WriteTransaction {
        &self.inner
    }

    /// Schedules blob files for deletion after commit (reset and restore).
    pub(crate) fn release_blob_ids(&self, ids: impl IntoIterator<Item = String>) {
        self.blobs.released.borrow_mut().extend(ids);
    }
}

/// The file side of a transaction's blob changes.
struct BlobChanges {
    blobs_dir: PathBuf,
    /// Held (shared) while unlinking, so a snapshot (exclusive) never sees a
    /// referenced blob vanish under it.
    unlink_gate: Arc<RwLock<()>>,
    /// Files attached here: unreferenced unless the transaction commits.
    attached: RefCell<Vec<PathBuf>>,
    /// Blob ids released here: deleted only after the commit is durable.
    released: RefCell<Vec<String>>,
}

impl BlobChanges {
    fn new(blobs_dir: PathBuf, unlink_gate: Arc<RwLock<()>>) -> Self {
        BlobChanges {
            blobs_dir,
            unlink_gate,
            attached: RefCell::default(),
            released: RefCell::default(),
        }
    }

    fn committed(self) {
        self.attached.borrow_mut().clear();
        let released = std::mem::take(&mut *self.released.borrow_mut());
        if released.is_empty() {
            return;
        }
        let _gate = self.unlink_gate.read().unwrap_or_else(PoisonError::into_inner);
        for id in released {
            // A failure leaves an unreferenced file: the next start's sweep deletes it.
            let _ = std::fs::remove_file(blob_path(&self.blobs_dir, &id));
        }
    }

    fn keep_files(self) {
        self.attached.borrow_mut().clear();
        self.released.borrow_mut().clear();
    }
}

impl Drop for BlobChanges {
    fn drop(&mut self) {
        // Reached with files only when the transaction was dropped uncommitted.
        for path in self.attached.get_mut().drain(..) {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Every blob file id the store references, in the given transaction
/// (inline blobs are in `BLOB_BYTES`, copied with the tables).
pub(crate) fn referenced_blob_ids(
    table: &impl ReadableTable<&'static [u8], &'static [u8]>,
) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for item in table.iter()? {
        let (key, _) = item?;
        ids.push(String::from_utf8_lossy(key.value()).into_owned());
    }
    Ok(ids)
}
