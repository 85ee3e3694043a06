//! The few file-system steps that make a write survive a crash.

use std::fs;
use std::io;
use std::path::Path;

use crate::error::{Result, StoreError};

/// Makes the directory's entries (created, renamed, removed files) durable.
/// On Linux a rename is not on disk until its directory is synced.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let handle = fs::File::open(dir).map_err(|e| StoreError::io(format!("open {}", dir.display()), e))?;
        handle
            .sync_all()
            .map_err(|e| StoreError::io(format!("fsync {}", dir.display()), e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

pub(crate) fn create_dir_all(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| StoreError::io(format!("create {}", dir.display()), e))
}

/// Removes a file; a file already gone is fine (another cleanup got there first).
pub(crate) fn remove_file_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            Err(StoreError::io(format!("remove {}", path.display()), e))
        }
        _ => Ok(()),
    }
}

/// Removes a directory tree; a tree already gone is fine.
pub(crate) fn remove_dir_all_if_present(path: &Path) -> Result<()> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            Err(StoreError::io(format!("remove {}", path.display()), e))
        }
        _ => Ok(()),
    }
}

/// Makes `to` name the same immutable file as `from`: a hard link when the
/// file system allows it (instant, no extra space), a synced copy otherwise.
pub(crate) fn link_or_copy(from: &Path, to: &Path) -> Result<()> {
    match fs::hard_link(from, to) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(_) => {
            let context = || format!("copy {} to {}", from.display(), to.display());
            fs::copy(from, to).map_err(|e| StoreError::io(context(), e))?;
            let copy = fs::File::open(to).map_err(|e| StoreError::io(context(), e))?;
            copy.sync_all().map_err(|e| StoreError::io(context(), e))
        }
    }
}

/// The names in a directory; a missing directory has none.
pub(crate) fn list_dir(dir: &Path) -> Result<Vec<std::ffi::OsString>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::io(format!("list {}", dir.display()), e)),
    };
    entries
        .map(|entry| {
            entry
                .map(|entry| entry.file_name())
                .map_err(|e| StoreError::io(format!("list {}", dir.display()), e))
        })
        .collect()
}
