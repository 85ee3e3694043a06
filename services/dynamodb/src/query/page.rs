//! One page of a Query or Scan: the store range its plan walks, and the
//! entries it takes (whole items as stored, or decoded to be filtered and
//! projected), up to the Limit or the 1 MB bound.

use bytes::Bytes;
use nimbus_core::AwsError;
use nimbus_dynamodb_api::item::AnswerItem;
use nimbus_store::{EntryRef, TableRef};

use super::{ReadPlan, index_projection};
use crate::attribute::{Item, item_size};
use crate::error::validation;
use crate::expr::eval::{evaluate, project};
use crate::key_range::{SortRange, SortStep, condition_mentions, key_condition, split_where};
use crate::schema::{IndexMeta, KeyAttr, TableMeta};
use crate::storage::{
    self, decode_item, index_prefix, items_prefix, key_of, position_keys, stored_json, stored_size,
};

/// A page stops once this many bytes of items were read.
const PAGE_BYTES: usize = 1024 * 1024;

pub(super) struct Page {
    pub(super) items: Vec<AnswerItem>,
    pub(super) count: usize,
    pub(super) scanned: usize,
    pub(super) last_key: Option<Item>,
    pub(super) bytes: usize,
}

/// Where a plan's scan runs: within `prefix`, from `start` (exclusive
/// markers sit one byte short), in the plan's direction.
struct ScanRange {
    prefix: Vec<u8>,
    /// The length of the table's (or index's) own prefix.
    base_len: usize,
    start: Option<Vec<u8>>,
    sort: Option<SortRange>,
}

impl ScanRange {
    fn of(
        meta: &TableMeta,
        index: Option<&IndexMeta>,
        plan: &mut ReadPlan,
        keys: &[&KeyAttr],
    ) -> Result<ScanRange, AwsError> {
        let (hash, range) = match index {
            Some(index) => (&index.hash_key, index.range_key.as_ref()),
            None => (&meta.hash_key, meta.range_key.as_ref()),
        };
        let mut prefix = match index {
            Some(index) => index_prefix(&meta.name, &index.name),
            None => items_prefix(&meta.name),
        };
        let base_len = prefix.len();
        let mut sort = None;
        if let Some(condition) = plan.key_condition.take() {
            let (hash_value, sort_condition) = key_condition(condition, hash, range)?;
            storage::push_partition(&mut prefix, &hash_value);
            sort = sort_condition.map(|condition| condition.encode());
        }
        let start = start_marker(plan, &prefix, base_len, sort.as_ref(), keys)?;
        Ok(ScanRange {
            prefix,
            base_len,
            start,
            sort,
        })
    }

    fn entries<'t>(
        &self,
        table: &'t TableRef,
        forward: bool,
    ) -> Result<Box<dyn Iterator<Item = nimbus_store::Result<EntryRef<'t>>> + 't>, AwsError> {
        if forward {
            return Ok(Box::new(
                table
                    .scan_between(&self.prefix, self.start.as_deref(), None)?
                    .borrowed(),
            ));
        }
        // Backward: the range ends right below ExclusiveStartKey or above
        // the sort range, whichever is lower, so no item is skipped over.
        let above_range = self
            .sort
            .as_ref()
            .and_then(|sort| sort.upper_marker(&self.prefix));
        let before = match (self.start.as_deref(), above_range.as_deref()) {
            (Some(start), Some(above)) => Some(start.min(above)),
            (start, above) => start.or(above),
        };
        Ok(Box::new(
            table.scan_between(&self.prefix, None, before)?.borrowed().rev(),
        ))
    }

    /// Whether a parallel Scan segment's buckets end before this entry.
    fn past_segment(&self, key: &[u8], segment: Option<(u64, u64)>) -> bool {
        let Some((segment, total)) = segment else {
            return false;
        };
        let bucket = key
            .get(self.base_len..self.base_len + 2)
            .map_or(0, |b| u32::from(u16::from_be_bytes([b[0], b[1]])));
        bucket >= segment_bucket(segment + 1, total)
    }
}

/// Where to start: after ExclusiveStartKey, else just below the sort range.
fn start_marker(
    plan: &ReadPlan,
    prefix: &[u8],
    base_len: usize,
    sort: Option<&SortRange>,
    keys: &[&KeyAttr],
) -> Result<Option<Vec<u8>>, AwsError> {
    if let Some(start) = &plan.exclusive_start {
        let mismatched = keys.iter().any(|key| {
            start
                .get(&key.name)
                .is_none_or(|v| v.type_name() != key.attribute_type)
        });
        if mismatched {
            return Err(validation(
                "The provided starting key is invalid: The provided key element does not match the schema",
            ));
        }
        let mut marker = prefix[..base_len].to_vec();
        storage::push_position(&mut marker, start, keys);
        return Ok(Some(marker));
    }
    // A parallel Scan segment starts at its first bucket.
    if let Some((segment, total)) = plan.segment {
        let mut marker = prefix.to_vec();
        marker.extend_from_slice(&(segment_bucket(segment, total) as u16).to_be_bytes());
        return Ok(Some(marker));
    }
    Ok(sort
        .filter(|_| plan.forward)
        .and_then(|sort| sort.lower_marker(prefix)))
}

/// The key attributes a Query is planned by: partition and sort.
fn plan_keys<'m>(meta: &'m TableMeta, index: Option<&'m IndexMeta>) -> (&'m KeyAttr, Option<&'m KeyAttr>) {
    match index {
        Some(index) => (&index.hash_key, index.range_key.as_ref()),
        None => (&meta.hash_key, meta.range_key.as_ref()),
    }
}

/// Splits a PartiQL WHERE into key condition and filter; refuses a Query
/// filter that names the keys it queries by.
fn settle_conditions(plan: &mut ReadPlan, hash: &KeyAttr, range: Option<&KeyAttr>) -> Result<(), AwsError> {
    if let Some(condition) = plan.statement_where.take() {
        let (key_condition, filter) = split_where(condition, hash, range);
        plan.key_condition = key_condition;
        plan.filter = filter;
    } else if plan.key_condition.is_some()
        && let Some(filter) = &plan.filter
    {
        for key in std::iter::once(hash).chain(range) {
            if condition_mentions(filter, &key.name) {
                return Err(validation(format!(
                    "Filter Expression can only contain non-primary key attributes: Primary key attribute: {}",
                    key.name
                )));
            }
        }
    }
    Ok(())
}

pub(super) fn run_plan(
    table: &TableRef,
    meta: &TableMeta,
    index: Option<&IndexMeta>,
    mut plan: ReadPlan,
    pass_stored: bool,
) -> Result<Page, AwsError> {
    let (hash, range) = plan_keys(meta, index);
    settle_conditions(&mut plan, hash, range)?;
    let keys = position_keys(meta, index);
    let scan = ScanRange::of(meta, index, &mut plan, &keys)?;
    // Whole items go into the answer as stored, unless something reshapes them.
    let whole_items = pass_stored
        && plan.filter.is_none()
        && plan.projection.is_none()
        && !plan.count_only
        && index.is_none_or(|index| index.projection_type == "ALL");
    let mut page = Page {
        // Room for a typical page up front: growing the list step by step copies it.
        items: Vec::with_capacity(plan.limit.unwrap_or(64).min(1024)),
        count: 0,
        scanned: 0,
        last_key: None,
        bytes: 0,
    };
    let reader = PageReader {
        plan: &plan,
        meta,
        index,
        keys: &keys,
    };
    for entry in scan.entries(table, plan.forward)? {
        let entry = entry?;
        if scan.past_segment(entry.key(), plan.segment) {
            break;
        }
        // Placed by its key alone: an item outside the sort range is never read.
        if let Some(sort) = &scan.sort {
            let key = entry.key().get(scan.prefix.len()..).unwrap_or_default();
            match sort.step(key, plan.forward) {
                SortStep::Take => {}
                SortStep::Skip => continue,
                SortStep::Stop => break,
            }
        }
        let step = match whole_items {
            true => reader.take_stored(&mut page, entry.value())?,
            false => reader.take_decoded(&mut page, entry.value())?,
        };
        if step == Next::Stop {
            break;
        }
    }
    Ok(page)
}

/// What the scan does after an entry.
#[derive(PartialEq)]
enum Next {
    Continue,
    Stop,
}

/// Adds entries to a page as its plan says.
struct PageReader<'p> {
    plan: &'p ReadPlan,
    meta: &'p TableMeta,
    index: Option<&'p IndexMeta>,
    keys: &'p [&'p KeyAttr],
}

impl PageReader<'_> {
    fn page_full(&self, page: &Page) -> bool {
        self.plan.limit.is_some_and(|l| page.scanned >= l) || page.bytes >= PAGE_BYTES
    }

    /// A whole item, passed on as stored: its size is stored beside it, and
    /// only the page's last item is read (for its key).
    fn take_stored(&self, page: &mut Page, stored: &[u8]) -> Result<Next, AwsError> {
        page.scanned += 1;
        page.count += 1;
        page.bytes += stored_size(stored)?;
        page.items
            .push(AnswerItem::stored(Bytes::copy_from_slice(stored_json(stored))));
        if self.page_full(page) {
            page.last_key = Some(key_of(&decode_item(stored)?, self.keys));
            return Ok(Next::Stop);
        }
        Ok(Next::Continue)
    }

    /// An item decoded: filtered, projected by the index and the request.
    fn take_decoded(&self, page: &mut Page, stored: &[u8]) -> Result<Next, AwsError> {
        let item = decode_item(stored)?;
        page.scanned += 1;
        page.bytes += item_size(&item);
        let visible = match self.index {
            Some(index) => index_projection(self.meta, index, &item),
            None => item,
        };
        // The page ends here: its last item's key says where the next starts.
        let full = self.page_full(page);
        if full {
            page.last_key = Some(key_of(&visible, self.keys));
        }
        if self.plan.filter.as_ref().is_none_or(|f| evaluate(f, &visible)) {
            page.count += 1;
            if !self.plan.count_only {
                page.items
                    .push(AnswerItem::Attributes(match &self.plan.projection {
                        Some(paths) => project(&visible, paths),
                        None => visible,
                    }));
            }
        }
        Ok(if full { Next::Stop } else { Next::Continue })
    }
}

/// The first bucket of a parallel Scan segment (65,536 buckets split evenly).
fn segment_bucket(segment: u64, total: u64) -> u32 {
    (segment * 65_536 / total) as u32
}
