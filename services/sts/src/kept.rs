//! Issued credentials are kept in the store before they are answered, so
//! a session STS acknowledged outlives a restart (`kill -9` included) until
//! it expires, as on AWS. At start and after a reset the ones not yet
//! expired are put back in the credential registry; expired ones are
//! dropped from the store then.

use std::sync::Arc;

use nimbus_core::AwsError;
use nimbus_core::identity::{Identity, Session};
use nimbus_store::{Namespace, Store};
use serde::{Deserialize, Serialize};

use crate::Sts;

/// One issued access key, as kept.
#[derive(Debug, Serialize, Deserialize)]
struct KeptCredential {
    key: String,
    secret: String,
    account: String,
    arn: String,
    user_id: String,
    expires: u64,
    #[serde(default)]
    policies: Vec<String>,
    #[serde(default)]
    tags: Vec<(String, String)>,
    #[serde(default)]
    mfa: bool,
    #[serde(default)]
    parent: Option<String>,
}

fn namespace() -> Result<Namespace, AwsError> {
    Namespace::global("sts").map_err(AwsError::from)
}

fn credential_key(access_key_id: &str) -> Vec<u8> {
    format!("cred/{access_key_id}").into_bytes()
}

impl Sts {
    /// Keeps the credentials just issued under `access_key_id` (from the
    /// registry, where the handler put them) durably, before they are
    /// answered. Without a store (unit tests) nothing is kept.
    pub(crate) async fn keep(&self, access_key_id: Option<&str>) -> Result<(), AwsError> {
        let (Some(store), Some(key)) = (self.store.as_ref(), access_key_id) else {
            return Ok(());
        };
        let (Some(identity), Some(secret)) = (self.registry.lookup(key), self.registry.secret(key)) else {
            return Ok(());
        };
        let session = identity.session.as_deref().cloned().unwrap_or_default();
        let kept = KeptCredential {
            key: key.to_owned(),
            secret,
            account: identity.account_id,
            arn: identity.arn,
            user_id: identity.user_id,
            expires: session.expires,
            policies: session.policies,
            tags: session.tags,
            mfa: session.mfa,
            parent: session.parent,
        };
        let ns = namespace()?;
        store
            .write(move |txn| Ok::<_, AwsError>(txn.open(&ns)?.put_json(&credential_key(&kept.key), &kept)?))
            .await
    }

    /// Puts the kept credentials that have not expired back in the
    /// registry, and drops the others from the store.
    pub(crate) fn restore(&self) -> Result<(), AwsError> {
        let Some(store) = self.store.as_ref() else {
            return Ok(());
        };
        let now = u64::try_from(self.now_seconds()).unwrap_or_default();
        let ns = namespace()?;
        let kept: Vec<KeptCredential> = {
            let txn = store.begin_read()?;
            let table = txn.open(&ns)?;
            table
                .scan(b"cred/")?
                .filter_map(|entry| entry.ok()?.decode().ok())
                .collect()
        };
        let mut expired = Vec::new();
        for credential in kept {
            if credential.expires <= now {
                expired.push(credential.key);
                continue;
            }
            self.registry
                .insert_secret(credential.key.clone(), credential.secret.clone());
            self.registry
                .insert(credential.key.clone(), identity_of(credential));
        }
        if !expired.is_empty() {
            forget(store, &ns, &expired)?;
        }
        Ok(())
    }
}

fn identity_of(credential: KeptCredential) -> Identity {
    Identity {
        account_id: credential.account,
        arn: credential.arn,
        user_id: credential.user_id,
        session: Some(Arc::new(Session {
            expires: credential.expires,
            policies: credential.policies,
            tags: credential.tags,
            mfa: credential.mfa,
            parent: credential.parent,
        })),
    }
}

/// Drops expired credentials from the store (at start: no request waits).
fn forget(store: &Store, ns: &Namespace, keys: &[String]) -> Result<(), AwsError> {
    let txn = store.begin_write()?;
    {
        let mut table = txn.open(ns)?;
        for key in keys {
            table.delete(&credential_key(key))?;
        }
    }
    txn.commit()?;
    Ok(())
}
