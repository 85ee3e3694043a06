//! A service's view of its namespace inside a transaction: get, put, delete
//! and ordered scans over keys, with the namespace prefix added and removed
//! for it.

use std::cell::RefCell;
use std::ops::Bound;
use std::sync::Arc;

use redb::ReadableTable;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::codec;
use crate::error::Result;
use crate::namespace::prefix_end;
use crate::txn::Undo;

/// The raw redb table type behind every view.
type RawTable<'t> = redb::Table<'t, &'static [u8], &'static [u8]>;
type RawReadTable = redb::ReadOnlyTable<&'static [u8], &'static [u8]>;
type RawRange<'t> = redb::Range<'t, &'static [u8], &'static [u8]>;

/// One stored item, its key without the namespace prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

impl Entry {
    /// The key as text (keys services build from names are UTF-8).
    pub fn key_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.key).ok()
    }

    /// Decodes the value written with `put_json`.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T> {
        codec::decode(&self.value)
    }
}

/// Items of a namespace in key order (reversible with `.rev()`).
pub struct Entries<'t> {
    /// `None` when the service's table does not exist yet: nothing to list.
    range: Option<RawRange<'t>>,
    /// Length of the namespace prefix, cut from every key returned.
    prefix_len: usize,
}

impl<'t> Entries<'t> {
    fn to_entry(&self, item: Option<redb::Result<RawItem<'t>>>) -> Option<Result<Entry>> {
        let prefix_len = self.prefix_len;
        item.map(|item| {
            let (key, value) = item?;
            let key = key.value().get(prefix_len..).unwrap_or_default().to_vec();
            Ok(Entry {
                key,
                value: value.value().to_vec(),
            })
        })
    }
}

type RawItem<'t> = (
    redb::AccessGuard<'t, &'static [u8]>,
    redb::AccessGuard<'t, &'static [u8]>,
);

impl<'t> Iterator for Entries<'t> {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.range.as_mut()?.next();
        self.to_entry(item)
    }
}

impl<'t> DoubleEndedIterator for Entries<'t> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let item = self.range.as_mut()?.next_back();
        self.to_entry(item)
    }
}

/// Read access to one namespace, from a read transaction.
pub struct TableRef {
    /// `None` when the service never wrote anything: every read finds nothing.
    table: Option<RawReadTable>,
    /// The namespace prefix of every key.
    prefix: Vec<u8>,
}

/// Read and write access to one namespace, from a write transaction.
/// Changes become visible to others, and durable, when the transaction commits.
pub struct TableMut<'t> {
    table: RawTable<'t>,
    /// The namespace prefix of every key.
    prefix: Vec<u8>,
    /// Where previous values go when the transaction records an undo log
    /// (group commit, see `WriteTxn::roll_back_to`).
    undo: Option<UndoSink<'t>>,
}

/// The undo log of a transaction, as seen by one table view.
pub(crate) struct UndoSink<'t> {
    log: &'t RefCell<Vec<Undo>>,
    /// The redb table's name.
    table: Arc<str>,
}

impl<'t> UndoSink<'t> {
    pub(crate) fn new(log: &'t RefCell<Vec<Undo>>, table: Arc<str>) -> Self {
        UndoSink { log, table }
    }

    /// Remembers that `key` (full, prefixed) held `old` before a change.
    pub(crate) fn record(&self, key: Vec<u8>, old: Option<Vec<u8>>) {
        self.log.borrow_mut().push(Undo {
            table: self.table.clone(),
            key,
            old,
        });
    }
}

impl TableRef {
    pub(crate) fn new(table: Option<RawReadTable>, prefix: Vec<u8>) -> Self {
        TableRef { table, prefix }
    }

    /// The value stored under `key`, if any.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match &self.table {
            Some(table) => get(table, &self.prefix, key),
            None => Ok(None),
        }
    }

    /// The value stored under `key` with `put_json`, decoded.
    pub fn get_json<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        self.get(key)?.map(|bytes| codec::decode(&bytes)).transpose()
    }

    /// Every item whose key starts with `prefix`, in key order.
    pub fn scan(&self, prefix: &[u8]) -> Result<Entries<'_>> {
        self.scan_after(prefix, None)
    }

    /// Like [`scan`](Self::scan), starting after `after` (a pagination marker).
    pub fn scan_after(&self, prefix: &[u8], after: Option<&[u8]>) -> Result<Entries<'_>> {
        match &self.table {
            Some(table) => scan(table, &self.prefix, prefix, after),
            None => Ok(Entries {
                range: None,
                prefix_len: self.prefix.len(),
            }),
        }
    }
}

impl<'t> TableMut<'t> {
    pub(crate) fn new(table: RawTable<'t>, prefix: Vec<u8>, undo: Option<UndoSink<'t>>) -> Self {
        TableMut { table, prefix, undo }
    }

    /// The value stored under `key`, if any (including this transaction's writes).
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        get(&self.table, &self.prefix, key)
    }

    pub fn get_json<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        self.get(key)?.map(|bytes| codec::decode(&bytes)).transpose()
    }

    /// Every item whose key starts with `prefix`, in key order.
    pub fn scan(&self, prefix: &[u8]) -> Result<Entries<'_>> {
        scan(&self.table, &self.prefix, prefix, None)
    }

    /// Like [`scan`](Self::scan), starting after `after` (a pagination marker).
    pub fn scan_after(&self, prefix: &[u8], after: Option<&[u8]>) -> Result<Entries<'_>> {
        scan(&self.table, &self.prefix, prefix, after)
    }

    /// Stores `value` under `key`, replacing any previous value.
    pub fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        let full_key = full_key(&self.prefix, key);
        let old = self.table.insert(full_key.as_slice(), value)?;
        if let Some(undo) = &self.undo {
            let old = old.map(|old| old.value().to_vec());
            undo.record(full_key, old);
        }
        Ok(())
    }

    /// Stores `value` serialized as JSON (see [`crate::codec`]).
    pub fn put_json<T: Serialize + ?Sized>(&mut self, key: &[u8], value: &T) -> Result<()> {
        let bytes = codec::encode(value)?;
        self.put(key, &bytes)
    }

    /// Removes `key`; says whether it was there.
    pub fn delete(&mut self, key: &[u8]) -> Result<bool> {
        let full_key = full_key(&self.prefix, key);
        let Some(old) = self.table.remove(full_key.as_slice())? else {
            return Ok(false);
        };
        if let Some(undo) = &self.undo {
            undo.record(full_key, Some(old.value().to_vec()));
        }
        Ok(true)
    }

    /// Removes every key starting with `prefix` (a queue's messages, a
    /// bucket's objects) and says how many there were. Costs the number of
    /// keys removed, not the size of the table.
    pub fn delete_prefix(&mut self, prefix: &[u8]) -> Result<usize> {
        let start = full_key(&self.prefix, prefix);
        let end = prefix_end(&start);
        let bounds = (
            Bound::Included(start.as_slice()),
            end.as_deref().map_or(Bound::Unbounded, Bound::Excluded),
        );
        let mut removed = 0;
        for item in self.table.extract_from_if::<&[u8], _>(bounds, |_, _| true)? {
            let (key, value) = item?;
            if let Some(undo) = &self.undo {
                undo.record(key.value().to_vec(), Some(value.value().to_vec()));
            }
            removed += 1;
        }
        Ok(removed)
    }
}

fn full_key(prefix: &[u8], key: &[u8]) -> Vec<u8> {
    let mut full = Vec::with_capacity(prefix.len() + key.len());
    full.extend_from_slice(prefix);
    full.extend_from_slice(key);
    full
}

fn get(
    table: &impl ReadableTable<&'static [u8], &'static [u8]>,
    prefix: &[u8],
    key: &[u8],
) -> Result<Option<Vec<u8>>> {
    let full_key = full_key(prefix, key);
    Ok(table
        .get(full_key.as_slice())?
        .map(|value| value.value().to_vec()))
}

fn scan<'t, T>(table: &'t T, namespace: &[u8], prefix: &[u8], after: Option<&[u8]>) -> Result<Entries<'t>>
where
    T: ReadableTable<&'static [u8], &'static [u8]>,
{
    let start = full_key(namespace, prefix);
    let end = prefix_end(&start);
    let after = after.map(|after| full_key(namespace, after));
    let lower = match &after {
        // A marker before the prefix would widen the scan; it can only narrow it.
        Some(after) if after.as_slice() >= start.as_slice() => Bound::Excluded(after.as_slice()),
        _ => Bound::Included(start.as_slice()),
    };
    let upper = end.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
    let range = table.range::<&[u8]>((lower, upper))?;
    Ok(Entries {
        range: Some(range),
        prefix_len: namespace.len(),
    })
}
