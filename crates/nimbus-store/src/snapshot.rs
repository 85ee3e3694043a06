//! Snapshots: the whole state (every namespace and every blob) saved under a
//! name, restored in one transaction; and reset, which empties everything.
//!
//! A snapshot is a directory `snapshots/<name>/` holding `store.redb` (a
//! copy of every table, made from one read transaction) and `blobs/`, hard
//! links to the referenced blob files. Blob files are immutable, so a link
//! is a faithful copy that costs no space. Saving builds the directory
//! under a temporary name and renames it into place, so a crash never
//! leaves a half snapshot under a real name.

use std::collections::HashSet;
use std::path::Path;
use std::time::SystemTime;

use redb::{ReadableDatabase, ReadableTable, TableHandle};

use crate::cleanup::{STAGING_PREFIX, TRASH_PREFIX};
use crate::error::{Result, StoreError};
use crate::fsutil;
use crate::layout::{SNAPSHOT_DATABASE, blob_path};
use crate::schema::{self, BLOBS, BytesTable, META};
use crate::store::Store;
use crate::txn::referenced_blob_ids;

/// A saved snapshot, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotInfo {
    pub name: String,
    /// When it was saved (the directory's modification time).
    pub created: SystemTime,
}

impl Store {
    /// Saves the current state as snapshot `name`, replacing any snapshot of
    /// that name. Writers are not blocked; the snapshot is the state as of
    /// one instant.
    pub fn save_snapshot(&self, name: &str) -> Result<SnapshotInfo> {
        validate_snapshot_name(name)?;
        let snapshots = self.inner.layout.snapshots();
        let staging = snapshots.join(format!("{STAGING_PREFIX}{}", uuid::Uuid::new_v4().simple()));
        let result = self.build_snapshot(&staging);
        if let Err(err) = result {
            let _ = fsutil::remove_dir_all_if_present(&staging);
            return Err(err);
        }
        let target = snapshots.join(name);
        let trash = snapshots.join(format!("{TRASH_PREFIX}{}", uuid::Uuid::new_v4().simple()));
        let replaced = rename_if_present(&target, &trash)?;
        std::fs::rename(&staging, &target).map_err(|e| {
            StoreError::io(format!("rename {} to {}", staging.display(), target.display()), e)
        })?;
        fsutil::sync_dir(&snapshots)?;
        if replaced {
            fsutil::remove_dir_all_if_present(&trash)?;
        }
        snapshot_info(&snapshots, name)
    }

    fn build_snapshot(&self, staging: &Path) -> Result<()> {
        let staging_blobs = staging.join("blobs");
        fsutil::create_dir_all(&staging_blobs)?;
        let live_blobs = self.inner.layout.blobs();
        // No referenced blob may be unlinked between reading the store and
        // linking its file; writers of items keep going meanwhile.
        let _gate = self
            .inner
            .unlink_gate
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let source = self.inner.db.begin_read()?;
        let copy = redb::Database::create(staging.join(SNAPSHOT_DATABASE))?;
        let txn = copy.begin_write()?;
        copy_tables(&source, &txn, |_| true)?;
        txn.commit()?;
        let ids = match source.open_table(BLOBS) {
            Ok(table) => referenced_blob_ids(&table)?,
            Err(redb::TableError::TableDoesNotExist(_)) => Vec::new(),
            Err(err) => return Err(err.into()),
        };
        link_blobs(&ids, &live_blobs, &staging_blobs)?;
        drop(copy);
        fsutil::sync_dir(staging)
    }

    /// Replaces the whole state with snapshot `name`, in one transaction:
    /// readers see either the old state or the restored one. Blob files the
    /// old state referenced are deleted afterwards.
    pub fn restore_snapshot(&self, name: &str) -> Result<()> {
        validate_snapshot_name(name)?;
        let dir = self.inner.layout.snapshots().join(name);
        let database_path = dir.join(SNAPSHOT_DATABASE);
        if !database_path.exists() {
            return Err(StoreError::SnapshotNotFound(name.to_owned()));
        }
        let snapshot = redb::Builder::new().open_read_only(&database_path)?;
        schema::check(&snapshot, &dir)?;
        let source = snapshot.begin_read()?;
        let restored_ids = match source.open_table(BLOBS) {
            Ok(table) => referenced_blob_ids(&table)?,
            Err(redb::TableError::TableDoesNotExist(_)) => Vec::new(),
            Err(err) => return Err(err.into()),
        };
        // Bytes first, references second (the blob rule).
        link_blobs(&restored_ids, &dir.join("blobs"), &self.inner.layout.blobs())?;
        let txn = self.begin_write()?;
        let old_ids = clear_tables(txn.raw())?;
        copy_tables(&source, txn.raw(), |table| table != META.name())?;
        let keep: HashSet<&String> = restored_ids.iter().collect();
        txn.release_blob_ids(old_ids.into_iter().filter(|id| !keep.contains(id)));
        txn.commit()
    }

    /// Empties every namespace and deletes every blob. Snapshots are kept.
    pub fn reset(&self) -> Result<()> {
        let txn = self.begin_write()?;
        let old_ids = clear_tables(txn.raw())?;
        txn.release_blob_ids(old_ids);
        txn.commit()
    }

    /// The saved snapshots, by name.
    pub fn list_snapshots(&self) -> Result<Vec<SnapshotInfo>> {
        let snapshots = self.inner.layout.snapshots();
        let mut list = Vec::new();
        for name in fsutil::list_dir(&snapshots)? {
            let Some(name) = name.to_str() else { continue };
            if validate_snapshot_name(name).is_ok() {
                list.push(snapshot_info(&snapshots, name)?);
            }
        }
        list.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(list)
    }

    /// Deletes snapshot `name`.
    pub fn delete_snapshot(&self, name: &str) -> Result<()> {
        validate_snapshot_name(name)?;
        let snapshots = self.inner.layout.snapshots();
        let trash = snapshots.join(format!("{TRASH_PREFIX}{}", uuid::Uuid::new_v4().simple()));
        if !rename_if_present(&snapshots.join(name), &trash)? {
            return Err(StoreError::SnapshotNotFound(name.to_owned()));
        }
        fsutil::sync_dir(&snapshots)?;
        fsutil::remove_dir_all_if_present(&trash)
    }
}

/// Snapshot names are path components: 1 to 128 of `A-Z a-z 0-9 . _ -`, not starting with `.`.
pub fn validate_snapshot_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidName {
            kind: "snapshot",
            name: name.to_owned(),
            rule: "1 to 128 of A-Z a-z 0-9 . _ -, not starting with '.'",
        })
    }
}

/// Copies every table of `source` accepted by `wanted` into `target`.
fn copy_tables(
    source: &redb::ReadTransaction,
    target: &redb::WriteTransaction,
    wanted: impl Fn(&str) -> bool,
) -> Result<()> {
    for handle in source.list_tables()? {
        let name = handle.name().to_owned();
        if !wanted(&name) {
            continue;
        }
        let from = source.open_table(BytesTable::new(&name))?;
        let mut to = target.open_table(BytesTable::new(&name))?;
        for item in from.iter()? {
            let (key, value) = item?;
            to.insert(key.value(), value.value())?;
        }
    }
    Ok(())
}

/// Deletes every table but the schema stamp; returns the blob ids that were referenced.
fn clear_tables(txn: &redb::WriteTransaction) -> Result<Vec<String>> {
    let ids = referenced_blob_ids(&txn.open_table(BLOBS)?)?;
    let names: Vec<String> = txn
        .list_tables()?
        .map(|handle| handle.name().to_owned())
        .collect();
    for name in names {
        if name != META.name() {
            txn.delete_table(BytesTable::new(&name))?;
        }
    }
    Ok(ids)
}

/// Links each blob file from one blobs directory into another, then syncs
/// the directories touched.
fn link_blobs(ids: &[String], from_dir: &Path, to_dir: &Path) -> Result<()> {
    let mut shards = HashSet::new();
    for id in ids {
        let to = blob_path(to_dir, id);
        if let Some(shard) = to.parent()
            && shards.insert(shard.to_owned())
        {
            fsutil::create_dir_all(shard)?;
        }
        fsutil::link_or_copy(&blob_path(from_dir, id), &to)?;
    }
    for shard in &shards {
        fsutil::sync_dir(shard)?;
    }
    fsutil::sync_dir(to_dir)
}

fn rename_if_present(from: &Path, to: &Path) -> Result<bool> {
    match std::fs::rename(from, to) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(StoreError::io(
            format!("rename {} to {}", from.display(), to.display()),
            e,
        )),
    }
}

fn snapshot_info(snapshots: &Path, name: &str) -> Result<SnapshotInfo> {
    let path = snapshots.join(name);
    let metadata =
        std::fs::metadata(&path).map_err(|e| StoreError::io(format!("stat {}", path.display()), e))?;
    let created = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    Ok(SnapshotInfo {
        name: name.to_owned(),
        created,
    })
}
