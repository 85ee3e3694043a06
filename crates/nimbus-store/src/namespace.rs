//! Where a service's keys live: one redb table per service, and inside it one
//! key prefix per scope (global, account, or account + region).
//!
//! Every key a service writes is stored as `scope prefix ++ service key`, so
//! listing one account+region's items of a kind (`queue/…`) is a single range
//! scan over `prefix ++ "queue/"`, whatever else the table holds.

use crate::error::{Result, StoreError};

/// How far a resource's name reaches in AWS.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// One name for the whole partition (S3 bucket names, Route 53 change ids).
    Global,
    /// Per account, all regions (IAM users and roles).
    Account { account: String },
    /// Per account and region (SQS queues, DynamoDB tables, EC2 instances).
    Regional { account: String, region: String },
}

/// A service's slice of one scope: what a transaction opens to read or write.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Namespace {
    /// The model name of the service (`sqs`, `s3`): names the redb table.
    service: String,
    /// Which prefix inside the service's table.
    scope: Scope,
}

/// Byte that separates the parts of a scope prefix. Account ids and region
/// names never contain it, so prefixes of different scopes never overlap.
const SEPARATOR: u8 = 0;

impl Namespace {
    /// A namespace of `service` in `scope`. The service name must be a model
    /// name: lowercase ASCII letters, digits and `-`.
    pub fn new(service: &str, scope: Scope) -> Result<Self> {
        validate_service(service)?;
        if let Scope::Account { account } | Scope::Regional { account, .. } = &scope {
            validate_part("account", account)?;
        }
        if let Scope::Regional { region, .. } = &scope {
            validate_part("region", region)?;
        }
        Ok(Namespace {
            service: service.to_owned(),
            scope,
        })
    }

    /// The per-account-and-region namespace, the one most resources live in.
    pub fn regional(service: &str, account: &str, region: &str) -> Result<Self> {
        let scope = Scope::Regional {
            account: account.to_owned(),
            region: region.to_owned(),
        };
        Namespace::new(service, scope)
    }

    /// The per-account namespace (IAM and other global-per-account services).
    pub fn account(service: &str, account: &str) -> Result<Self> {
        Namespace::new(
            service,
            Scope::Account {
                account: account.to_owned(),
            },
        )
    }

    /// The partition-wide namespace (names unique across all accounts).
    pub fn global(service: &str) -> Result<Self> {
        Namespace::new(service, Scope::Global)
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The redb table holding this service's keys.
    pub(crate) fn table_name(&self) -> String {
        format!("{SERVICE_TABLE_PREFIX}{}", self.service)
    }

    /// The bytes every key of this namespace starts with.
    pub(crate) fn key_prefix(&self) -> Vec<u8> {
        let mut prefix = Vec::with_capacity(32);
        match &self.scope {
            Scope::Global => prefix.push(b'g'),
            Scope::Account { account } => {
                prefix.push(b'a');
                prefix.push(SEPARATOR);
                prefix.extend_from_slice(account.as_bytes());
            }
            Scope::Regional { account, region } => {
                prefix.push(b'r');
                prefix.push(SEPARATOR);
                prefix.extend_from_slice(account.as_bytes());
                prefix.push(SEPARATOR);
                prefix.extend_from_slice(region.as_bytes());
            }
        }
        prefix.push(SEPARATOR);
        prefix
    }
}

/// Service tables are named `svc:<service>`; store-internal tables start with `_`.
pub(crate) const SERVICE_TABLE_PREFIX: &str = "svc:";

fn validate_service(service: &str) -> Result<()> {
    let ok = !service.is_empty()
        && service.len() <= 64
        && service
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidName {
            kind: "service",
            name: service.to_owned(),
            rule: "1 to 64 lowercase ASCII letters, digits or '-'",
        })
    }
}

fn validate_part(kind: &'static str, value: &str) -> Result<()> {
    if value.is_empty() || value.as_bytes().contains(&SEPARATOR) {
        return Err(StoreError::InvalidName {
            kind,
            name: value.to_owned(),
            rule: "must be non-empty and contain no NUL byte",
        });
    }
    Ok(())
}

/// The smallest key greater than every key starting with `prefix`, or `None`
/// when no such key exists (the prefix is all `0xFF`).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_never_share_a_prefix() {
        let prefixes = [
            Namespace::global("s3").map(|ns| ns.key_prefix()),
            Namespace::account("s3", "000000000000").map(|ns| ns.key_prefix()),
            Namespace::regional("s3", "000000000000", "us-east-1").map(|ns| ns.key_prefix()),
            Namespace::regional("s3", "000000000000", "us-east-1a").map(|ns| ns.key_prefix()),
            Namespace::regional("s3", "0000000000001", "us-east-1").map(|ns| ns.key_prefix()),
        ];
        let prefixes: Vec<Vec<u8>> = prefixes.into_iter().collect::<Result<_>>().expect("valid names");
        for (i, a) in prefixes.iter().enumerate() {
            for (j, b) in prefixes.iter().enumerate() {
                if i != j {
                    assert!(!a.starts_with(b), "{a:?} starts with {b:?}");
                }
            }
        }
    }

    #[test]
    fn bad_names_are_refused() {
        assert!(Namespace::global("S3").is_err());
        assert!(Namespace::global("").is_err());
        assert!(Namespace::regional("sqs", "", "us-east-1").is_err());
        assert!(Namespace::regional("sqs", "0000\0", "us-east-1").is_err());
    }

    #[test]
    fn prefix_end_is_the_next_key_after_the_prefix() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(&[1, 0xFF]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xFF, 0xFF]), None);
    }
}
