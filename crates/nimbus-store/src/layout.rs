//! Where things live inside a data directory.
//!
//! ```text
//! <data-dir>/
//!   nimbus.redb               the store (all services' state)
//!   blobs/<ab>/<abcdef…>      blob files, sharded by the first two hex digits of their id
//!   tmp/                      blobs being written; anything here at start is garbage
//!   snapshots/<name>/         a saved state: store.redb + blobs/ (hard links)
//! ```
//!
//! Temporaries live on the same file system as their final place, so the
//! final `rename` is atomic.

use std::path::{Path, PathBuf};

/// The paths of one data directory.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// The directory itself (`--data-dir`, or a temporary one for `--ephemeral`).
    pub root: PathBuf,
}

impl Layout {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Layout { root: root.into() }
    }

    pub fn database(&self) -> PathBuf {
        self.root.join("nimbus.redb")
    }

    pub fn blobs(&self) -> PathBuf {
        self.root.join("blobs")
    }

    pub fn tmp(&self) -> PathBuf {
        self.root.join("tmp")
    }

    pub fn snapshots(&self) -> PathBuf {
        self.root.join("snapshots")
    }
}

/// The file name of the store inside a snapshot directory.
pub(crate) const SNAPSHOT_DATABASE: &str = "store.redb";

/// The default `--data-dir`: the platform's per-user data directory plus
/// `nimbus` (`$XDG_DATA_HOME/nimbus` or `~/.local/share/nimbus` on Linux,
/// `~/Library/Application Support/nimbus` on macOS, `%LOCALAPPDATA%\nimbus`
/// on Windows). `None` when the home directory is unknown.
pub fn default_data_dir() -> Option<PathBuf> {
    let env = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    platform_data_dir(env).map(|dir| dir.join("nimbus"))
}

fn platform_data_dir(env: impl Fn(&str) -> Option<PathBuf>) -> Option<PathBuf> {
    if cfg!(windows) {
        return env("LOCALAPPDATA");
    }
    if cfg!(target_os = "macos") {
        return env("HOME").map(|home| home.join("Library/Application Support"));
    }
    env("XDG_DATA_HOME")
        .filter(|dir| dir.is_absolute())
        .or_else(|| env("HOME").map(|home| home.join(".local/share")))
}

/// The shard directory and file name of a blob id.
pub(crate) fn blob_path(blobs_dir: &Path, id: &str) -> PathBuf {
    let shard = id.get(..2).unwrap_or("__");
    blobs_dir.join(shard).join(id)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn xdg_data_home_wins_over_home_on_linux() {
        let env = |name: &str| match name {
            "XDG_DATA_HOME" => Some(PathBuf::from("/xdg")),
            "HOME" => Some(PathBuf::from("/home/me")),
            _ => None,
        };
        assert_eq!(platform_data_dir(env), Some(PathBuf::from("/xdg")));
        let env = |name: &str| (name == "HOME").then(|| PathBuf::from("/home/me"));
        assert_eq!(
            platform_data_dir(env),
            Some(PathBuf::from("/home/me/.local/share"))
        );
        assert_eq!(platform_data_dir(|_: &str| None), None);
    }
}
