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

impl<'t> Entries<'t> {
    /// The same items, lent instead of copied: for scans that decode each
    /// value once and keep nothing of the bytes (a Query page of hundreds
    /// of items).
    pub fn borrowed(self) -> EntryRefs<'t> {
        EntryRefs { entries: self }
    }
}

/// One stored item, read in place. Its key is without the namespace prefix.
pub struct EntryRef<'t> {
    key: redb::AccessGuard<'t, &'static [u8]>,
    value: redb::AccessGuard<'t, &'static [u8]>,
    prefix_len: usize,
}

impl EntryRef<'_> {
    pub fn key(&self) -> &[u8] {
        self.key.value().get(self.prefix_len..).unwrap_or_default()
    }

    pub fn value(&self) -> &[u8] {
        self.value.value()
    }
}

/// [`Entries`] lending each item as an [`EntryRef`] (reversible with `.rev()`).
pub struct EntryRefs<'t> {
    entries: Entries<'t>,
}

impl<'t> EntryRefs<'t> {
    fn to_ref(&self, item: Option<redb::Result<RawItem<'t>>>) -> Option<Result<EntryRef<'t>>> {
        let prefix_len = self.entries.prefix_len;
        item.map(|item| {
            let (key, value) = item?;
            Ok(EntryRef {
                key,
                value,
                prefix_len,
            })
        })
    }
}

impl<'t> Iterator for EntryRefs<'t> {
    type Item = Result<EntryRef<'t>>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.entries.range.as_mut()?.next();
        self.to_ref(item)
    }
}

impl<'t> DoubleEndedIterator for EntryRefs<'t> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let item = self.entries.range.as_mut()?.next_back();
        self.to_ref(item)
    }
}

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

    /// `read` applied to the value stored under `key`, lent in place rather
    /// than copied out: for hot reads that decode or compare the bytes once.
    pub fn get_with<R>(&self, key: &[u8], read: impl FnOnce(&[u8]) -> R) -> Result<Option<R>> {
        let Some(table) = &self.table else {
            return Ok(None);
        };
        let full_key = full_key(&self.prefix, key);
        Ok(table.get(full_key.as_slice())?.map(|value| read(value.value())))
    }

    /// Every item whose key starts with `prefix`, in key order.
    pub fn scan(&self, prefix: &[u8]) -> Result<Entries<'_>> {
        self.scan_after(prefix, None)
    }

    /// Like [`scan`](Self::scan), starting after `after` (a pagination marker).
    pub fn scan_after(&self, prefix: &[u8], after: Option<&[u8]>) -> Result<Entries<'_>> {
        self.scan_between(prefix, after, None)
    }

    /// Every item whose key starts with `prefix` and lies strictly between
    /// `after` and `before` (each optional), in key order. Both ends bound
    /// the underlying range, so `.rev()` starts right below `before`
    /// instead of walking down from the end of the prefix.
    pub fn scan_between(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        before: Option<&[u8]>,
    ) -> Result<Entries<'_>> {
        match &self.table {
            Some(table) => scan(table, &self.prefix, prefix, after, before),
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

    /// See [`TableRef::get_with`] (including this transaction's writes).
    pub fn get_with<R>(&self, key: &[u8], read: impl FnOnce(&[u8]) -> R) -> Result<Option<R>> {
        let full_key = full_key(&self.prefix, key);
        Ok(self
            .table
            .get(full_key.as_slice())?
            .map(|value| read(value.value())))
    }

    /// Every item whose key starts with `prefix`, in key order.
    pub fn scan(&self, prefix: &[u8]) -> Result<Entries<'_>> {
        scan(&self.table, &self.prefix, prefix, None, None)
    }

    /// Like [`scan`](Self::scan), starting after `after` (a pagination marker).
    pub fn scan_after(&self, prefix: &[u8], after: Option<&[u8]>) -> Result<Entries<'_>> {
        scan(&self.table, &self.prefix, prefix, after, None)
    }

    /// See [`TableRef::scan_between`].
    pub fn scan_between(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        before: Option<&[u8]>,
    ) -> Result<Entries<'_>> {
        scan(&self.table, &self.prefix, prefix, after, before)
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

fn scan<'t, T>(
    table: &'t T,
    namespace: &[u8],
    prefix: &[u8],
    after: Option<&[u8]>,
    before: Option<&[u8]>,
) -> Result<Entries<'t>>
where
    T: ReadableTable<&'static [u8], &'static [u8]>,
{
    let start = full_key(namespace, prefix);
    let end = prefix_end(&start);
    let after = after.map(|after| full_key(namespace, after));
    let before = before.map(|before| full_key(namespace, before));
    let lower = match &after {
        // A marker before the prefix would widen the scan; it can only narrow it.
        Some(after) if after.as_slice() >= start.as_slice() => Bound::Excluded(after.as_slice()),
        _ => Bound::Included(start.as_slice()),
    };
    let upper = match (&before, &end) {
        // Likewise, a marker past the prefix's end can only narrow the scan.
        (Some(before), Some(end)) if before.as_slice() >= end.as_slice() => Bound::Excluded(end.as_slice()),
        (Some(before), _) => Bound::Excluded(before.as_slice()),
        (None, end) => end.as_deref().map_or(Bound::Unbounded, Bound::Excluded),
    };
    // redb refuses a range whose start lies past its end: that range is empty.
    if range_is_empty(&lower, &upper) {
        return Ok(Entries {
            range: None,
            prefix_len: namespace.len(),
        });
    }
    let range = table.range::<&[u8]>((lower, upper))?;
    Ok(Entries {
        range: Some(range),
        prefix_len: namespace.len(),
    })
}

/// Whether no key lies between `lower` and `upper`.
fn range_is_empty(lower: &Bound<&[u8]>, upper: &Bound<&[u8]>) -> bool {
    match (lower, upper) {
        (Bound::Included(low), Bound::Excluded(high)) | (Bound::Excluded(low), Bound::Excluded(high)) => {
            low >= high
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::{Entry, Namespace, Store, StoreError};

    fn keys(entries: impl Iterator<Item = Result<Entry, StoreError>>) -> Result<Vec<String>, StoreError> {
        entries
            .map(|entry| Ok(entry?.key_str().unwrap_or_default().to_owned()))
            .collect()
    }

    /// A store holding `p/00`..`p/09`, plus neighbours outside the prefix.
    fn ten_keys() -> Result<(Store, Namespace), StoreError> {
        let store = Store::ephemeral()?;
        let ns = Namespace::regional("dynamodb", "000000000000", "us-east-1")?;
        let txn = store.begin_write()?;
        {
            let mut table = txn.open(&ns)?;
            for i in 0..10 {
                table.put(format!("p/{i:02}").as_bytes(), b"v")?;
            }
            table.put(b"o/99", b"before the prefix")?;
            table.put(b"q/00", b"after the prefix")?;
        }
        txn.commit()?;
        Ok((store, ns))
    }

    #[test]
    fn backward_scans_start_right_below_the_upper_marker() -> Result<(), StoreError> {
        let (store, ns) = ten_keys()?;
        let read = store.begin_read()?;
        let table = read.open(&ns)?;
        assert_eq!(
            keys(table.scan_between(b"p/", None, Some(b"p/03"))?.rev())?,
            ["p/02", "p/01", "p/00"]
        );
        assert_eq!(
            keys(table.scan_between(b"p/", Some(b"p/05"), Some(b"p/08"))?)?,
            ["p/06", "p/07"]
        );
        // A marker between keys bounds just the same.
        assert_eq!(
            keys(table.scan_between(b"p/", None, Some(b"p/015"))?.rev())?,
            ["p/01", "p/00"]
        );
        Ok(())
    }

    #[test]
    fn get_with_lends_the_stored_value() -> Result<(), StoreError> {
        let (store, ns) = ten_keys()?;
        let read = store.begin_read()?;
        let table = read.open(&ns)?;
        assert_eq!(table.get_with(b"o/99", |value| value.len())?, Some(17));
        assert_eq!(table.get_with(b"p/10", |value| value.len())?, None);
        // Another namespace of the same service sees none of these keys.
        let other = read.open(&Namespace::regional("dynamodb", "000000000000", "eu-west-1")?)?;
        assert_eq!(other.get_with(b"o/99", <[u8]>::to_vec)?, None);
        Ok(())
    }

    #[test]
    fn markers_outside_the_prefix_never_widen_a_scan() -> Result<(), StoreError> {
        let (store, ns) = ten_keys()?;
        let read = store.begin_read()?;
        let table = read.open(&ns)?;
        assert_eq!(table.scan_between(b"p/", None, Some(b"z"))?.count(), 10);
        assert_eq!(table.scan_between(b"p/", Some(b"a"), None)?.count(), 10);
        assert_eq!(table.scan_between(b"p/", None, Some(b"a"))?.count(), 0);
        assert_eq!(table.scan_between(b"p/", None, Some(b"p/00"))?.count(), 0);
        // Crossed or touching markers give an empty scan, not an error.
        assert_eq!(
            table.scan_between(b"p/", Some(b"p/07"), Some(b"p/03"))?.count(),
            0
        );
        assert_eq!(
            table.scan_between(b"p/", Some(b"p/04"), Some(b"p/04"))?.count(),
            0
        );
        Ok(())
    }

    #[test]
    fn borrowed_entries_are_the_same_items_in_both_directions() -> Result<(), StoreError> {
        let (store, ns) = ten_keys()?;
        let read = store.begin_read()?;
        let table = read.open(&ns)?;
        let copied: Vec<Entry> = table.scan(b"p/")?.rev().collect::<Result<_, _>>()?;
        let lent: Vec<Entry> = table
            .scan(b"p/")?
            .borrowed()
            .rev()
            .map(|entry| {
                let entry = entry?;
                Ok(Entry {
                    key: entry.key().to_vec(),
                    value: entry.value().to_vec(),
                })
            })
            .collect::<Result<_, StoreError>>()?;
        assert_eq!(lent, copied);
        assert_eq!(lent.first().map(|e| e.key.as_slice()), Some(&b"p/09"[..]));
        Ok(())
    }

    #[test]
    fn write_views_scan_between_their_own_writes() -> Result<(), StoreError> {
        let (store, ns) = ten_keys()?;
        let txn = store.begin_write()?;
        let mut table = txn.open(&ns)?;
        table.put(b"p/045", b"new")?;
        assert_eq!(
            keys(table.scan_between(b"p/", Some(b"p/03"), Some(b"p/05"))?.rev())?,
            ["p/045", "p/04"]
        );
        Ok(())
    }
}
