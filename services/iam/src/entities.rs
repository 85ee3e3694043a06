//! Reading and writing IAM's records: one account's entities, by kind and
//! name, in one store transaction.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use nimbus_core::AwsError;
use nimbus_store::{TableMut, TableRef};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Iam;
use crate::records::{Kind, namespace};

/// Reading access to one account's entities.
pub trait Read {
    fn load<T: DeserializeOwned>(&self, kind: Kind, name: &str) -> Result<Option<T>, AwsError>;
    fn all<T: DeserializeOwned>(&self, kind: Kind) -> Result<Vec<T>, AwsError>;
    /// A record under a key of its own (the account's settings).
    fn load_at<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, AwsError>;
    /// How many entities of a kind there are (none decoded).
    fn count(&self, kind: Kind) -> Result<usize, AwsError>;
}

/// The same reads over a read transaction's table and a write
/// transaction's (which sees its own writes).
macro_rules! impl_read {
    ($table:ty) => {
        impl Read for $table {
            fn load<T: DeserializeOwned>(&self, kind: Kind, name: &str) -> Result<Option<T>, AwsError> {
                Ok(self.get_json(&kind.key(name))?)
            }

            fn load_at<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, AwsError> {
                Ok(self.get_json(key)?)
            }

            fn count(&self, kind: Kind) -> Result<usize, AwsError> {
                let mut n = 0;
                for entry in self.scan(kind.prefix().as_bytes())? {
                    entry?;
                    n += 1;
                }
                Ok(n)
            }

            fn all<T: DeserializeOwned>(&self, kind: Kind) -> Result<Vec<T>, AwsError> {
                let mut out = Vec::new();
                for entry in self.scan(kind.prefix().as_bytes())? {
                    out.push(entry?.decode()?);
                }
                Ok(out)
            }
        }
    };
}

impl_read!(TableRef);
impl_read!(TableMut<'_>);

/// Stores a record under its kind and name.
pub fn save<T: Serialize>(
    table: &mut TableMut<'_>,
    kind: Kind,
    name: &str,
    record: &T,
) -> Result<(), AwsError> {
    Ok(table.put_json(&kind.key(name), record)?)
}

/// Loads a record that must exist, or answers `missing`.
pub fn require<T: DeserializeOwned>(
    table: &impl Read,
    kind: Kind,
    name: &str,
    missing: fn(&str) -> AwsError,
) -> Result<T, AwsError> {
    table.load(kind, name)?.ok_or_else(|| missing(name))
}

impl Iam {
    /// Runs `work` over the account's entities in a read transaction.
    pub(crate) async fn read<R: Send + 'static>(
        &self,
        account: &str,
        work: impl FnOnce(&TableRef) -> Result<R, AwsError> + Send + 'static,
    ) -> Result<R, AwsError> {
        let ns = namespace(account)?;
        self.store.read(move |txn| work(&txn.open(&ns)?)).await
    }

    /// Runs `work` over the account's entities in a write transaction.
    pub(crate) async fn write<R: Send + 'static>(
        &self,
        account: &str,
        work: impl FnOnce(&mut TableMut<'_>) -> Result<R, AwsError> + Send + 'static,
    ) -> Result<R, AwsError> {
        let ns = namespace(account)?;
        let store = Arc::clone(&self.store);
        let generation = Arc::clone(&self.generation);
        // Cached identities are marked stale once the write is done, even
        // when the request that asked for it is gone (the write goes on
        // without it, so must the mark).
        tokio::spawn(async move {
            let result = store.write(move |txn| work(&mut txn.open(&ns)?)).await;
            generation.fetch_add(1, Ordering::AcqRel);
            result
        })
        .await
        .map_err(|e| AwsError::internal(format!("an IAM write stopped: {e}")))?
    }
}
