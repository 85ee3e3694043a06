//! A directory that is removed when dropped: the home of `--ephemeral` blobs
//! and of test data directories.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::fsutil;

/// A fresh directory under the system temp dir, removed (with its contents)
/// on drop. A process killed with SIGKILL leaves it behind for the OS's
/// temp cleaner; its name says which process made it.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `<temp>/<label>-<pid>-<random>`.
    pub fn new(label: &str) -> Result<Self> {
        let name = format!("{label}-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        let path = std::env::temp_dir().join(name);
        fsutil::create_dir_all(&path)?;
        Ok(TempDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(err) = fsutil::remove_dir_all_if_present(&self.path) {
            eprintln!("nimbus: could not remove {}: {err}", self.path.display());
        }
    }
}
