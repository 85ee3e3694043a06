//! What Lambda keeps of a function: its configuration as the API answers
//! it, its code (the zip, a blob of the store) and its tags.

use indexmap::IndexMap;
use nimbus_lambda_api::FunctionConfiguration;
use nimbus_store::BlobRef;
use serde::{Deserialize, Serialize};

/// One function's `$LATEST`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FunctionRecord {
    pub config: FunctionConfiguration,
    /// The deployment package as uploaded.
    pub code: BlobRef,
    /// Hex SHA-256 of the package: names its unpacked copy.
    pub code_hex: String,
    #[serde(default)]
    pub tags: IndexMap<String, String>,
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
