//! The sweep at open: what a crash can leave behind, removed before serving.
//!
//! - `tmp/*`: blobs that were being written (never referenced).
//! - `blobs/*/*` not recorded in the store: blobs renamed into place whose
//!   transaction never committed, or released blobs whose unlink was cut off.
//! - `snapshots/.staging-*` and `snapshots/.trash-*`: half-made or
//!   half-deleted snapshots.
//!
//! Costs one directory listing plus one point lookup per blob file; the
//! store's items are not read.

use std::path::Path;

use redb::ReadableDatabase;

use crate::error::Result;
use crate::fsutil;
use crate::layout::Layout;
use crate::schema::BLOBS;

/// Counts of what the sweep removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Partial blob files in `tmp/`.
    pub temporaries: usize,
    /// Complete blob files no stored item referenced.
    pub orphan_blobs: usize,
    /// Unfinished snapshot saves or deletions.
    pub snapshot_leftovers: usize,
}

pub(crate) const STAGING_PREFIX: &str = ".staging-";
pub(crate) const TRASH_PREFIX: &str = ".trash-";

pub(crate) fn sweep(db: &impl ReadableDatabase, layout: &Layout) -> Result<SweepReport> {
    let mut report = SweepReport::default();
    let tmp = layout.tmp();
    for name in fsutil::list_dir(&tmp)? {
        remove_any(&tmp.join(name))?;
        report.temporaries += 1;
    }
    report.orphan_blobs = sweep_blobs(db, &layout.blobs())?;
    let snapshots = layout.snapshots();
    for name in fsutil::list_dir(&snapshots)? {
        let text = name.to_string_lossy();
        if text.starts_with(STAGING_PREFIX) || text.starts_with(TRASH_PREFIX) {
            remove_any(&snapshots.join(&name))?;
            report.snapshot_leftovers += 1;
        }
    }
    Ok(report)
}

fn sweep_blobs(db: &impl ReadableDatabase, blobs_dir: &Path) -> Result<usize> {
    let txn = db.begin_read()?;
    let referenced = match txn.open_table(BLOBS) {
        Ok(table) => Some(table),
        Err(redb::TableError::TableDoesNotExist(_)) => None,
        Err(err) => return Err(err.into()),
    };
    let mut removed = 0;
    for shard in fsutil::list_dir(blobs_dir)? {
        let shard_dir = blobs_dir.join(&shard);
        let mut removed_here = 0;
        for name in fsutil::list_dir(&shard_dir)? {
            let id = name.to_string_lossy();
            let known = match &referenced {
                Some(table) => table.get(id.as_bytes())?.is_some(),
                None => false,
            };
            if !known {
                remove_any(&shard_dir.join(&name))?;
                removed_here += 1;
            }
        }
        if removed_here > 0 {
            fsutil::sync_dir(&shard_dir)?;
            removed += removed_here;
        }
    }
    Ok(removed)
}

fn remove_any(path: &Path) -> Result<()> {
    if path.is_dir() {
        fsutil::remove_dir_all_if_present(path)
    } else {
        fsutil::remove_file_if_present(path)
    }
}
