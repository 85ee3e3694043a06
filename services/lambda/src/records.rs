//! What Lambda keeps of a function: its configuration as the API answers
//! it, its code (the zip, a blob of the store) and its tags, under
//! `function/<name>`; each published version the same way under
//! `version/<name>/<number>` (sharing the blob while the code is the same),
//! and its aliases under `alias/<name>/<alias>`.

use indexmap::IndexMap;
use nimbus_lambda_api::FunctionConfiguration;
use nimbus_store::BlobRef;
use serde::{Deserialize, Serialize};

/// One function's `$LATEST`, or one of its published versions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FunctionRecord {
    pub config: FunctionConfiguration,
    /// The deployment package as uploaded.
    pub code: BlobRef,
    /// Hex SHA-256 of the package: names its unpacked copy.
    pub code_hex: String,
    #[serde(default)]
    pub tags: IndexMap<String, String>,
    /// The number of the last version published ($LATEST only).
    #[serde(default)]
    pub last_version: u32,
    /// The revision of $LATEST that version was published from: publishing
    /// again with nothing changed gives that version back.
    #[serde(default)]
    pub published_revision: Option<String>,
}

impl FunctionRecord {
    /// What an execution environment is built from: a new one when the code
    /// or configuration changes.
    pub fn revision(&self) -> &str {
        self.config.revision_id.as_deref().unwrap_or_default()
    }
}

pub fn function_key(name: &str) -> Vec<u8> {
    format!("function/{name}").into_bytes()
}

pub const FUNCTION_PREFIX: &[u8] = b"function/";

pub fn version_key(name: &str, version: u32) -> Vec<u8> {
    format!("version/{name}/{version:010}").into_bytes()
}

/// Every published version of `name` lies under this, in number order.
pub fn versions_prefix(name: &str) -> Vec<u8> {
    format!("version/{name}/").into_bytes()
}

pub fn alias_key(name: &str, alias: &str) -> Vec<u8> {
    format!("alias/{name}/{alias}").into_bytes()
}

/// Every alias of `name` lies under this, in name order.
pub fn aliases_prefix(name: &str) -> Vec<u8> {
    format!("alias/{name}/").into_bytes()
}
